// Package testenv starts real redis-server, slapd, yaz-ztest and zebrasrv
// instances on free loopback ports for tests.
//
// Each server runs in a temporary folder of the calling test, is started
// as a direct child process (slapd in the foreground with -d, yaz-ztest and
// zebrasrv threaded with -T), and is considered up only once it answers a
// real request: PING for Redis, an anonymous LDAP bind (RFC 4511 §4.2) for
// slapd, a Z39.50 Init (Z39.50-2003 §3.2.1.1) for yaz-ztest and zebrasrv.
// A server that exits or stays silent for 10 s fails the test with the tail
// of its log. At the test's cleanup each server is stopped by its PID:
// SIGTERM, then SIGKILL after 5 s. Servers also get SIGKILL if the test
// binary dies without running cleanups (Linux parent-death signal).
//
//	func TestStore(t *testing.T) {
//		r := testenv.Redis(t, testenv.WithAOF())
//		// ... use r.Addr; r.Kill(t); r.Start(t) restarts on the same port and data
//	}
//
// Binaries are found with Require: on PATH, then in /usr/sbin and /sbin.
// A missing one is installed with apt-get when the test runs as root on a
// machine with apt (one install at a time across test processes, by flock
// on /tmp/illgw-testenv-apt.lock); otherwise the test is skipped with a
// message naming the Debian package, or fails when ILLGW_REQUIRE_SERVERS=1
// (CI sets it).
//
// Debian packages used: redis-server, slapd, ldap-utils, yaz, idzebra-2.0.
package testenv
