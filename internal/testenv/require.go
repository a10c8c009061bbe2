package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// RequireServersEnv is the environment variable that turns a missing server
// binary from a skipped test into a failed one. CI sets it to 1.
const RequireServersEnv = "ILLGW_REQUIRE_SERVERS"

// aptLockPath serialises apt-get runs across parallel test processes
// (go test runs one process per package).
const aptLockPath = "/tmp/illgw-testenv-apt.lock"

// sbinDirs are searched after PATH: slapd and slapadd live in /usr/sbin,
// which an unprivileged user's PATH often lacks.
var sbinDirs = []string{"/usr/sbin", "/sbin"}

// RequireServers reports whether ILLGW_REQUIRE_SERVERS=1 is set, in which case
// a test that would skip for want of a server binary fails instead.
func RequireServers() bool {
	return os.Getenv(RequireServersEnv) == "1"
}

// Require returns the absolute path of binary. When it is not installed and
// the process runs as root on a machine with apt-get, Require installs
// debianPackage (one apt-get at a time across processes, by flock on
// /tmp/illgw-testenv-apt.lock). Otherwise it skips the test with a message
// naming the package, or fails it when RequireServers reports true.
//
// The lookup honours the PATH of the calling process, then /usr/sbin and
// /sbin for the binaries only root usually has on its PATH.
func Require(t testing.TB, binary, debianPackage string) string {
	t.Helper()
	if p, err := lookPath(binary); err == nil {
		return p
	}
	why := fmt.Sprintf("testenv: %s not found (install the Debian package %s: apt-get install %s)",
		binary, debianPackage, debianPackage)
	if canApt() {
		out, err := aptInstall(binary, debianPackage)
		if p, lerr := lookPath(binary); lerr == nil {
			t.Logf("testenv: installed Debian package %s for %s", debianPackage, binary)
			return p
		}
		if err == nil {
			err = errors.New("the package does not provide it")
		}
		why = fmt.Sprintf("%s; apt-get install -y %s failed: %v\n%s", why, debianPackage, err, tail(out, 15))
	}
	if RequireServers() {
		t.Fatalf("%s (%s=1)", why, RequireServersEnv)
	}
	t.Skip(why)
	return ""
}

// lookPath finds binary on PATH, then in sbinDirs. A name with a slash is
// checked as given.
func lookPath(binary string) (string, error) {
	p, err := exec.LookPath(binary)
	if err == nil {
		return filepath.Abs(p)
	}
	if strings.Contains(binary, "/") {
		return "", err
	}
	for _, d := range sbinDirs {
		c := filepath.Join(d, binary)
		if fi, serr := os.Stat(c); serr == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return c, nil
		}
	}
	return "", err
}

// canApt reports whether Require may install packages: running as root with
// apt-get on PATH.
func canApt() bool {
	if os.Geteuid() != 0 {
		return false
	}
	_, err := exec.LookPath("apt-get")
	return err == nil
}

// aptInstall installs pkg with apt-get while holding the apt lock file.
// Another process may have installed it while this one waited for the lock,
// so the binary is looked up again first. When the first install fails the
// package lists are refreshed once and the install retried.
func aptInstall(binary, pkg string) ([]byte, error) {
	f, err := os.OpenFile(aptLockPath, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", aptLockPath, err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return nil, fmt.Errorf("lock %s: %w", aptLockPath, err)
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	if _, err := lookPath(binary); err == nil {
		return nil, nil
	}
	install := func() ([]byte, error) {
		cmd := exec.Command("apt-get", "install", "-y", "-q", "--no-install-recommends", pkg)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		return cmd.CombinedOutput()
	}
	out, err := install()
	if err == nil {
		return out, nil
	}
	upd := exec.Command("apt-get", "update", "-q")
	upd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if uout, uerr := upd.CombinedOutput(); uerr != nil {
		return append(out, uout...), err
	}
	return install()
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago. The
// server functions of this package retry with another port when a race with
// another process makes the one they picked busy.
func FreePort(t testing.TB) int {
	t.Helper()
	p, err := freePort()
	if err != nil {
		t.Fatalf("testenv: no free port: %v", err)
	}
	return p
}

// handedOut are the ports freePort has returned in this process; it never
// returns one twice, so two listeners of one test cannot be given the same
// port (the kernel may hand a just-released port straight back).
var handedOut = struct {
	sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

// freePort returns a loopback port that was free a moment ago. It draws from
// below Linux's ephemeral range (32768-60999), where outgoing connections of
// other tests never land, and falls back to a kernel-chosen port.
func freePort() (int, error) {
	handedOut.Lock()
	defer handedOut.Unlock()
	for range 50 {
		p := 20000 + rand.IntN(12000)
		if handedOut.ports[p] {
			continue
		}
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			continue
		}
		ln.Close()
		handedOut.ports[p] = true
		return p, nil
	}
	for range 50 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		p := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if !handedOut.ports[p] {
			handedOut.ports[p] = true
			return p, nil
		}
	}
	return 0, errors.New("testenv: every port tried was taken or already handed out")
}

// tail returns the last n lines of b.
func tail(b []byte, n int) string {
	b = bytes.TrimRight(b, "\n")
	lines := bytes.Split(b, []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// fileTail returns the last n lines of the file at path, or a note saying it
// could not be read.
func fileTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	if len(b) > 64<<10 {
		b = b[len(b)-64<<10:]
	}
	return tail(b, n)
}

// sleepCheck is the polling interval of the readiness loops.
const sleepCheck = 50 * time.Millisecond
