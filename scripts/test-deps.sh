#!/usr/bin/env bash
# Installs the Debian packages the tests run against, when they are missing and
# this is root on a machine with apt. Otherwise it names what is missing; the
# tests that need it then skip (or fail, under ILLGW_REQUIRE_SERVERS=1).
set -u
need=()
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }
have redis-server || need+=(redis-server)
have slapd        || need+=(slapd)
have ldapsearch   || need+=(ldap-utils)
have yaz-ztest    || need+=(yaz)
have zebrasrv     || need+=(idzebra-2.0)
have xmllint      || need+=(libxml2-utils)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "test-deps: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || true
  # slapd's postinst would start a system slapd; tests start their own.
  RUNLEVEL=1 apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || {
    echo "test-deps: apt-get install ${need[*]} failed" >&2; exit 1; }
  # Stop any system daemons the packages started: tests run their own on free ports.
  for svc in redis-server slapd; do
    (service "$svc" stop || pkill -x "$svc") >/dev/null 2>&1 || true
  done
else
  echo "test-deps: missing Debian packages: ${need[*]} (install them as root: apt-get install ${need[*]})"
fi
exit 0
