package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/illgw/illgw/internal/testenv"
)

// illgwBin is the illgw binary TestMain builds once; the end-to-end tests
// run it as operators do.
var illgwBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "illgw-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	illgwBin = filepath.Join(dir, "illgw")
	build := exec.Command("go", "build", "-o", illgwBin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building illgw:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// syncBuffer is a bytes.Buffer safe for a process writing and a test
// reading.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// daemon is a running illgw process.
type daemon struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	done           chan struct{}
	err            error // the process's exit, once done is closed
	httpAddr       string
	grpcAddr       string
}

// startIllgw runs illgw with args and stops it (by its PID) when the test
// ends if it is still running: SIGTERM first, so that a demo removes its
// temporary store directory as it does for an operator, and SIGKILL only if
// it has not stopped within the 10 s the gateway promises.
func startIllgw(t *testing.T, httpAddr, grpcAddr string, args ...string) *daemon {
	t.Helper()
	d := &daemon{stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{}), httpAddr: httpAddr, grpcAddr: grpcAddr}
	d.cmd = exec.Command(illgwBin, args...)
	d.cmd.Stdout, d.cmd.Stderr = d.stdout, d.stderr
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.err = d.cmd.Wait(); close(d.done) }()
	t.Cleanup(func() {
		select {
		case <-d.done:
		default:
			d.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-d.done:
			case <-time.After(10 * time.Second):
				d.cmd.Process.Kill()
				<-d.done
			}
		}
		if t.Failed() {
			t.Logf("illgw %s stderr:\n%s", strings.Join(args, " "), d.stderr.String())
		}
	})
	return d
}

// startDemo runs `illgw demo` on free ports and waits until /healthz is 200.
func startDemo(t *testing.T, extra ...string) *daemon {
	t.Helper()
	httpAddr := addr(t)
	grpcAddr := addr(t)
	args := append([]string{"demo", "-http", httpAddr, "-grpc", grpcAddr, "-sip2", addr(t), "-z3950", addr(t)}, extra...)
	d := startIllgw(t, httpAddr, grpcAddr, args...)
	d.waitHealthy(t)
	return d
}

func addr(t *testing.T) string {
	return "127.0.0.1:" + strconv.Itoa(testenv.FreePort(t))
}

// waitHealthy polls /healthz until it answers 200.
func (d *daemon) waitHealthy(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-d.done:
			t.Fatalf("illgw exited before it was healthy (%v):\n%s", d.err, d.stderr.String())
		default:
		}
		if code, _ := get(d.url("/healthz")); code == http.StatusOK {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("illgw not healthy after 20s:\n%s", d.stderr.String())
}

func (d *daemon) url(path string) string { return "http://" + d.httpAddr + path }

// terminate sends SIGTERM and returns the exit code and how long the
// process took to exit.
func (d *daemon) terminate(t *testing.T) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	return d.wait(t, start)
}

func (d *daemon) wait(t *testing.T, start time.Time) (int, time.Duration) {
	t.Helper()
	select {
	case <-d.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("illgw still running 30s after SIGTERM")
	}
	return d.cmd.ProcessState.ExitCode(), time.Since(start)
}

func get(url string) (int, string) {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func dialPlain(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return cc
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// runIllgw runs a one-shot illgw command and returns its exit code, stdout
// and stderr.
func runIllgw(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(illgwBin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatal(err)
		}
	}
	return cmd.ProcessState.ExitCode(), out.String(), errb.String()
}
