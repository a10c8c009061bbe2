package testenv

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeTB records Skip and Fatal instead of ending the real test. Both end
// the calling goroutine, as the testing package does.
type fakeTB struct {
	testing.TB
	mu      sync.Mutex
	skipped string
	fatal   string
}

func (f *fakeTB) Helper()                           {}
func (f *fakeTB) Logf(format string, args ...any)   {}
func (f *fakeTB) Skip(args ...any)                  { f.set(&f.skipped, fmt.Sprint(args...)) }
func (f *fakeTB) Skipf(format string, args ...any)  { f.set(&f.skipped, fmt.Sprintf(format, args...)) }
func (f *fakeTB) Fatal(args ...any)                 { f.set(&f.fatal, fmt.Sprint(args...)) }
func (f *fakeTB) Fatalf(format string, args ...any) { f.set(&f.fatal, fmt.Sprintf(format, args...)) }
func (f *fakeTB) set(dst *string, s string) {
	f.mu.Lock()
	*dst = s
	f.mu.Unlock()
	runtime.Goexit()
}

// runFake runs fn in its own goroutine against a fakeTB and waits for it.
func runFake(t *testing.T, fn func(tb testing.TB) string) (f *fakeTB, path string) {
	f = &fakeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		path = fn(f)
	}()
	<-done
	return f, path
}

func TestRequireFindsInstalledBinary(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "illgw-fake-server")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	f, got := runFake(t, func(tb testing.TB) string { return Require(tb, "illgw-fake-server", "illgw-fake") })
	if f.skipped != "" || f.fatal != "" {
		t.Fatalf("Require skipped/failed: %q %q", f.skipped, f.fatal)
	}
	if got != bin {
		t.Fatalf("Require = %q, want %q", got, bin)
	}
}

// With PATH pointing at an empty folder neither the binary nor apt-get is
// found, so Require must skip naming the package, or fail under
// ILLGW_REQUIRE_SERVERS=1.
func TestRequireMissingSkipsOrFails(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv(RequireServersEnv, "")
	f, got := runFake(t, func(tb testing.TB) string { return Require(tb, "illgw-no-such-server", "illgw-no-such-pkg") })
	if f.fatal != "" || got != "" {
		t.Fatalf("want a skip, got fatal %q path %q", f.fatal, got)
	}
	if !strings.Contains(f.skipped, "illgw-no-such-pkg") || !strings.Contains(f.skipped, "illgw-no-such-server") {
		t.Fatalf("skip message does not name binary and package: %q", f.skipped)
	}

	t.Setenv(RequireServersEnv, "1")
	if !RequireServers() {
		t.Fatal("RequireServers() = false with ILLGW_REQUIRE_SERVERS=1")
	}
	f, _ = runFake(t, func(tb testing.TB) string { return Require(tb, "illgw-no-such-server", "illgw-no-such-pkg") })
	if f.skipped != "" || !strings.Contains(f.fatal, "illgw-no-such-pkg") {
		t.Fatalf("want a failure naming the package, got skip %q fatal %q", f.skipped, f.fatal)
	}
}

func TestFreePort(t *testing.T) {
	p := FreePort(t)
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
	if err != nil {
		t.Fatalf("FreePort gave %d, which cannot be bound: %v", p, err)
	}
	ln.Close()
}

// respConn is a minimal RESP client: enough to SET and GET by hand.
type respConn struct {
	c net.Conn
	r *bufio.Reader
}

func dialRESP(t *testing.T, addr string) *respConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &respConn{c: c, r: bufio.NewReader(c)}
}

// do sends a command and returns the reply line (and the bulk payload for $
// replies). It fails after timeout.
func (rc *respConn) do(timeout time.Duration, args ...string) (string, error) {
	_ = rc.c.SetDeadline(time.Now().Add(timeout))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := rc.c.Write([]byte(b.String())); err != nil {
		return "", err
	}
	line, err := rc.r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if strings.HasPrefix(line, "$") && line != "$-1" {
		payload, err := rc.r.ReadString('\n')
		if err != nil {
			return "", err
		}
		return strings.TrimRight(payload, "\r\n"), nil
	}
	return line, nil
}

func mustDo(t *testing.T, rc *respConn, want string, args ...string) {
	t.Helper()
	got, err := rc.do(2*time.Second, args...)
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	if got != want {
		t.Fatalf("%v = %q, want %q", args, got, want)
	}
}

func TestRedisSetGetRestartAOF(t *testing.T) {
	s := Redis(t, WithAOF())
	rc := dialRESP(t, s.Addr)
	mustDo(t, rc, "+OK", "SET", "loan:1", "shipped")
	mustDo(t, rc, "shipped", "GET", "loan:1")

	// A clean stop and start on the same port keeps the data.
	pid := s.PID()
	s.Stop(t)
	if pidAlive(pid) {
		t.Fatalf("pid %d still alive after Stop", pid)
	}
	if s.PID() != 0 {
		t.Fatalf("PID() = %d after Stop, want 0", s.PID())
	}
	s.Start(t)
	rc = dialRESP(t, s.Addr)
	mustDo(t, rc, "shipped", "GET", "loan:1")

	// A crash right after an acknowledged write loses nothing with
	// appendfsync always.
	mustDo(t, rc, "+OK", "SET", "loan:2", "received")
	s.Kill(t)
	s.Start(t)
	rc = dialRESP(t, s.Addr)
	mustDo(t, rc, "received", "GET", "loan:2")
	mustDo(t, rc, "shipped", "GET", "loan:1")
}

func TestRedisWithoutAOFLosesDataOnRestart(t *testing.T) {
	s := Redis(t)
	rc := dialRESP(t, s.Addr)
	mustDo(t, rc, "+OK", "SET", "k", "v")
	s.Stop(t)
	s.Start(t)
	rc = dialRESP(t, s.Addr)
	mustDo(t, rc, "$-1", "GET", "k")
}

func TestRedisPauseResume(t *testing.T) {
	s := Redis(t)
	rc := dialRESP(t, s.Addr)
	mustDo(t, rc, "+PONG", "PING")
	s.Pause(t)
	if got, err := rc.do(300*time.Millisecond, "PING"); err == nil {
		t.Fatalf("paused server answered %q", got)
	} else if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		t.Fatalf("paused server: want a timeout, got %v", err)
	}
	s.Resume(t)
	// The PING sent while paused is answered first, then the new one.
	_ = rc.c.SetDeadline(time.Now().Add(2 * time.Second))
	if line, err := rc.r.ReadString('\n'); err != nil || line != "+PONG\r\n" {
		t.Fatalf("after Resume: %q, %v", line, err)
	}
	mustDo(t, rc, "+PONG", "PING")
}

func TestRedisWithPassword(t *testing.T) {
	s := Redis(t, WithPassword("state-secret"))
	rc := dialRESP(t, s.Addr)
	got, err := rc.do(2*time.Second, "GET", "k")
	if err != nil || !strings.HasPrefix(got, "-NOAUTH") {
		t.Fatalf("GET without AUTH = %q, %v; want -NOAUTH", got, err)
	}
	mustDo(t, rc, "+OK", "AUTH", "state-secret")
	mustDo(t, rc, "+OK", "SET", "k", "v")
	s.Stop(t)
	s.Start(t) // the readiness probe authenticates again
	rc = dialRESP(t, s.Addr)
	mustDo(t, rc, "+OK", "AUTH", s.Password)
	mustDo(t, rc, "$-1", "GET", "k")
}
