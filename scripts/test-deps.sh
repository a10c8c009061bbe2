#!/usr/bin/env bash
# Installs the Debian packages the tests run against, when they are missing and
# this is root on a machine with apt. Otherwise it names what is missing; the
# tests that need it then skip (or fail, under ILLGW_REQUIRE_SERVERS=1).
# Arguments, if any, replace the default list: binary:package pairs (an
# absolute path instead of a binary names a file the package installs).
# protoc and libmarc-charset-perl serve the tests that check generated code
# is reproducible (proto/, marc/).
set -u
pairs=("$@")
[ ${#pairs[@]} -gt 0 ] || pairs=(redis-server:redis-server slapd:slapd ldapsearch:ldap-utils
  yaz-ztest:yaz zebrasrv:idzebra-2.0 xmllint:libxml2-utils systemd-analyze:systemd
  protoc:protobuf-compiler curl:curl /usr/share/perl5/MARC/Charset/Table.pm:libmarc-charset-perl)
need=()
for p in "${pairs[@]}"; do
  bin=${p%%:*} pkg=${p#*:}
  case $bin in
    /*) [ -e "$bin" ] || need+=("$pkg") ;;   # a file the package installs
    *) command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || need+=("$pkg") ;;
  esac
done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "test-deps: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || true
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || {
    echo "test-deps: apt-get install ${need[*]} failed" >&2; exit 1; }
  # The packages start system daemons; the tests run their own on free ports.
  for svc in redis-server slapd; do
    service "$svc" stop >/dev/null 2>&1 || true
  done
else
  echo "test-deps: missing Debian packages: ${need[*]} (as root: apt-get install ${need[*]})"
fi
exit 0
