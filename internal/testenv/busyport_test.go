package testenv

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBusyPortIsRecognised checks that each server, started on a port that
// another socket holds, fails fast with its log tail in the error and that
// the error is recognised as a lost port race, so the public constructors
// retry with another port.
func TestBusyPortIsRecognised(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	busy := ln.Addr().String()
	port := ln.Addr().(*net.TCPAddr).Port

	cases := []struct {
		name  string
		start func(t *testing.T) error
	}{
		{"redis", func(t *testing.T) error {
			s := &RedisServer{daemon: daemon{bin: Require(t, "redis-server", "redis-server")}, Dir: t.TempDir(), port: port, Addr: busy}
			return s.start()
		}},
		{"slapd", func(t *testing.T) error {
			s := Slapd(t, testLDIF)
			s.Stop(t)
			s.URL = "ldap://" + busy
			return s.start()
		}},
		{"yaz-ztest", func(t *testing.T) error {
			s := &YazServer{Addr: busy, Dir: t.TempDir(), daemon: daemon{bin: Require(t, "yaz-ztest", "yaz")}}
			return s.start()
		}},
		{"zebrasrv", func(t *testing.T) error {
			s := Zebra(t, sampleMARC)
			s.Stop(t)
			s.Addr = busy
			return s.start()
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.start(t)
			if err == nil {
				t.Fatal("started on a busy port")
			}
			if !addrInUse(err) {
				t.Fatalf("not recognised as a busy port: %v", err)
			}
			if !strings.Contains(strings.ToLower(err.Error()), "already in use") {
				t.Fatalf("error lacks the server's log tail: %v", err)
			}
		})
	}
}

// A server that exits at once, or never answers, gives an error carrying
// the tail of its log, and one that never answers is killed.
func TestWaitReadyReportsLogTail(t *testing.T) {
	sh := Require(t, "sh", "dash")
	dir := t.TempDir()
	log := filepath.Join(dir, "x.log")
	p, err := startProc("sh", dir, log, []string{sh, "-c", "echo config line 3 is bad >&2; exit 3"})
	if err != nil {
		t.Fatal(err)
	}
	err = p.waitReady(readyTimeout, func() error { return os.ErrNotExist })
	if err == nil || !strings.Contains(err.Error(), "config line 3 is bad") || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("exit: %v", err)
	}

	p, err = startProc("sh", dir, log, []string{sh, "-c", "echo still starting; exec sleep 60"})
	if err != nil {
		t.Fatal(err)
	}
	err = p.waitReady(300*time.Millisecond, func() error { return os.ErrNotExist })
	if err == nil || !strings.Contains(err.Error(), "did not answer") || !strings.Contains(err.Error(), "still starting") {
		t.Fatalf("timeout: %v", err)
	}
	if !p.exited() || pidAlive(p.pid()) {
		t.Fatalf("pid %d not killed after the timeout", p.pid())
	}
}
