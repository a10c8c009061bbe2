package testenv

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// RedisServer is a redis-server started for one test, listening on
// 127.0.0.1 with its data in Dir. It is stopped at the test's cleanup.
type RedisServer struct {
	Addr string // "127.0.0.1:port"
	Dir  string // working directory: redis.log, and the AOF files with WithAOF
	// Password is the requirepass set by WithPassword; empty means none.
	Password string

	port int
	aof  bool
	daemon
}

// RedisOption configures Redis.
type RedisOption func(*RedisServer)

// WithAOF turns on the append-only file with appendfsync always, so that
// every acknowledged write survives Kill and Start.
func WithAOF() RedisOption { return func(s *RedisServer) { s.aof = true } }

// WithPassword makes the server require AUTH with password (requirepass).
// The readiness probe authenticates; clients must too.
func WithPassword(password string) RedisOption {
	return func(s *RedisServer) { s.Password = password }
}

// Redis starts a redis-server (Debian package redis-server) on a free
// loopback port in a temporary folder and waits until it answers PING. The
// server has no RDB snapshots; with WithAOF it keeps an append-only file.
// It is stopped by its PID when the test ends.
func Redis(t testing.TB, opts ...RedisOption) *RedisServer {
	t.Helper()
	s := &RedisServer{daemon: daemon{bin: Require(t, "redis-server", "redis-server")}, Dir: t.TempDir()}
	for _, o := range opts {
		o(s)
	}
	t.Cleanup(func() { s.cleanup(t) })
	startOnFreePort(t, func() (err error) {
		s.port, err = freePort()
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
		return err
	}, s.start)
	return s
}

func (s *RedisServer) start() error {
	// The password goes in a config file, not on the command line where ps
	// would show it.
	conf := filepath.Join(s.Dir, "redis.conf")
	var cf strings.Builder
	if s.Password != "" {
		fmt.Fprintf(&cf, "requirepass %q\n", s.Password)
	}
	if err := os.WriteFile(conf, []byte(cf.String()), 0o600); err != nil {
		return err
	}
	argv := []string{s.bin, conf,
		"--bind", "127.0.0.1",
		"--port", strconv.Itoa(s.port),
		"--dir", s.Dir,
		"--daemonize", "no",
		"--protected-mode", "yes",
		"--save", "",
		"--logfile", "redis.log",
	}
	if s.aof {
		argv = append(argv, "--appendonly", "yes", "--appendfsync", "always")
	} else {
		argv = append(argv, "--appendonly", "no")
	}
	return s.run(s.Dir, filepath.Join(s.Dir, "redis.log"), argv, func() error { return redisPing(s.Addr, s.Password) })
}

// Start starts the server again after Stop or Kill, on the same port and
// with the same folder, so data persisted there (WithAOF) is loaded again.
// It returns once the server answers PING.
func (s *RedisServer) Start(t testing.TB) {
	t.Helper()
	if err := s.start(); err != nil {
		t.Fatal(err)
	}
}

// Kill ends the server with SIGKILL, as a crash would, and waits until the
// process is gone.
func (s *RedisServer) Kill(t testing.TB) {
	t.Helper()
	if err := s.withProc(func(p *proc) error { return p.kill() }); err != nil {
		t.Fatal(err)
	}
}

// Pause freezes the server with SIGSTOP: connections stay open but nothing
// is answered until Resume.
func (s *RedisServer) Pause(t testing.TB) {
	t.Helper()
	if err := s.withProc(func(p *proc) error { return p.signal(syscall.SIGSTOP) }); err != nil {
		t.Fatal(err)
	}
}

// Resume continues a server frozen by Pause with SIGCONT.
func (s *RedisServer) Resume(t testing.TB) {
	t.Helper()
	if err := s.withProc(func(p *proc) error { return p.signal(syscall.SIGCONT) }); err != nil {
		t.Fatal(err)
	}
}

// redisPing sends PING in RESP (after AUTH when password is set) and
// expects +PONG. A server still loading its AOF answers -LOADING, which
// counts as not ready.
func redisPing(addr, password string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	r := bufio.NewReader(c)
	if password != "" {
		if _, err := fmt.Fprintf(c, "*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n", len(password), password); err != nil {
			return err
		}
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if line != "+OK\r\n" {
			// The reply never echoes the password.
			return fmt.Errorf("AUTH answered %q", line)
		}
	}
	if _, err := c.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return err
	}
	line, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}
