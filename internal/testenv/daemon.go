package testenv

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

// daemon is what every server of this package shares: the binary, the
// running process behind a lock, and the Stop, PID and cleanup that act on
// it. RedisServer, SlapdServer, YazServer and ZebraServer embed it; each
// builds its own command line and readiness probe and calls run.
type daemon struct {
	bin string // absolute path of the server binary

	mu sync.Mutex
	p  *proc
}

// name is the binary's base name, for messages.
func (d *daemon) name() string { return filepath.Base(d.bin) }

// run starts argv in dir with its output appended to logPath and returns
// once probe answers. It refuses while the previous process still runs; on
// failure the new process is killed and the error carries its log tail.
func (d *daemon) run(dir, logPath string, argv []string, probe func() error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.p != nil && !d.p.exited() {
		return fmt.Errorf("testenv: %s already running (pid %d)", d.name(), d.p.pid())
	}
	p, err := startProc(d.name(), dir, logPath, argv)
	if err != nil {
		return err
	}
	if err := p.waitReady(readyTimeout, probe); err != nil {
		return err
	}
	d.p = p
	return nil
}

// PID returns the process id of the running server, or 0 when it is stopped.
func (d *daemon) PID() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.p == nil || d.p.exited() {
		return 0
	}
	return d.p.pid()
}

// Stop ends the server with SIGTERM (SIGKILL after a few seconds) and waits
// until the process is gone, so every connection it held is closed. Start
// brings it back on the same port with the same folder.
func (d *daemon) Stop(t testing.TB) {
	t.Helper()
	if err := d.withProc(func(p *proc) error { return p.stop(stopGrace) }); err != nil {
		t.Fatal(err)
	}
}

// withProc calls f with the last started process, or fails when none was.
func (d *daemon) withProc(f func(*proc) error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.p == nil {
		return fmt.Errorf("testenv: %s is not running", d.name())
	}
	return f(d.p)
}

// cleanup stops the server at the end of the test, first logging the tail
// of its log when the test failed.
func (d *daemon) cleanup(t testing.TB) {
	d.mu.Lock()
	p := d.p
	d.mu.Unlock()
	if p == nil {
		return
	}
	if t.Failed() {
		t.Logf("testenv: %s log tail:\n%s", d.name(), fileTail(p.logPath, 20))
	}
	if err := p.stop(stopGrace); err != nil {
		t.Error(err)
	}
}

// startOnFreePort picks free ports with pick and starts the server with
// start, trying again with other ports (three times in all) while start
// loses the race for its port to another process.
func startOnFreePort(t testing.TB, pick, start func() error) {
	t.Helper()
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if err = pick(); err != nil {
			t.Fatalf("testenv: no free port: %v", err)
		}
		if err = start(); !addrInUse(err) {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
}
