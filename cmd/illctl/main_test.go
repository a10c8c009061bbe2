package main

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/illgw/illgw/internal/testenv"
)

// illgwBin is the gateway the tests run illctl against, built once.
var illgwBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "illctl-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	illgwBin = filepath.Join(dir, "illgw")
	build := exec.Command("go", "build", "-o", illgwBin, "../illgw")
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

func freeAddr(t *testing.T) string { return "127.0.0.1:" + strconv.Itoa(testenv.FreePort(t)) }

// startGateway runs illgw with args (which must use httpAddr) and waits
// until /healthz answers 200; it is killed by PID at cleanup.
func startGateway(t *testing.T, httpAddr string, args ...string) {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(illgwBin, args...)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	c := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		select {
		case <-done:
			t.Fatalf("illgw exited: %s", stderr.String())
		default:
		}
		if resp, err := c.Get("http://" + httpAddr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
	}
	t.Fatal("illgw did not become healthy")
}

// demo starts `illgw demo` and returns its gRPC address.
func demo(t *testing.T) string {
	httpAddr, grpcAddr := freeAddr(t), freeAddr(t)
	startGateway(t, httpAddr, "demo", "-http", httpAddr, "-grpc", grpcAddr, "-sip2", freeAddr(t), "-z3950", freeAddr(t))
	return grpcAddr
}

// illctl runs the command in-process and returns its exit status and output.
func illctl(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestMembersAndHealth(t *testing.T) {
	addr := demo(t)
	code, out, errs := illctl("-addr", addr, "members")
	if code != 0 {
		t.Fatalf("members: %d %s", code, errs)
	}
	for _, want := range []string{"NORTH", "North City Library", "SOUTH", "EAST", "consortium", "NORTH,SOUTH,EAST"} {
		if !strings.Contains(out, want) {
			t.Errorf("members output lacks %q:\n%s", want, out)
		}
	}
	code, out, errs = illctl("-addr", addr, "health")
	if code != 0 || !strings.Contains(out, "state store (embedded): ok") {
		t.Errorf("health: %d\n%s%s", code, out, errs)
	}
	// The flag after the command works too.
	if code, _, errs := illctl("health", "-addr", addr, "NORTH"); code != 0 {
		t.Errorf("health -addr after the command: %d %s", code, errs)
	}
	if code, _, errs := illctl("-addr", addr, "health", "WEST"); code != 1 || !strings.Contains(errs, "NotFound") {
		t.Errorf("health of an unknown member: %d %s", code, errs)
	}
}

// TestHealthExitsNonZeroWhenStoreDown pauses the gateway's Redis: illctl
// health must say so and exit 1.
func TestHealthExitsNonZeroWhenStoreDown(t *testing.T) {
	r := testenv.Redis(t)
	dir := t.TempDir()
	httpAddr, grpcAddr := freeAddr(t), freeAddr(t)
	cfg := filepath.Join(dir, "illgw.yaml")
	os.WriteFile(cfg, []byte("listen: {http: "+httpAddr+", grpc: "+grpcAddr+", sip2: '', z3950: ''}\n"+
		"state: {driver: redis, addrs: ["+r.Addr+"], read_timeout: 500ms, write_timeout: 500ms}\n"+
		"members: [{code: NORTH, name: North}]\n"), 0o600)
	startGateway(t, httpAddr, "serve", "-config", cfg)
	if code, out, errs := illctl("-addr", grpcAddr, "health"); code != 0 {
		t.Fatalf("health with Redis up: %d\n%s%s", code, out, errs)
	}
	r.Pause(t)
	defer r.Resume(t)
	code, out, errs := illctl("-addr", grpcAddr, "health")
	if code != 1 || !strings.Contains(out, "DOWN") {
		t.Errorf("health with Redis paused: exit %d\n%s%s", code, out, errs)
	}
}

func TestUsage(t *testing.T) {
	code, out, _ := illctl("help")
	if code != 0 {
		t.Fatalf("help: %d", code)
	}
	for name := range commands {
		if !strings.Contains(out, "  "+name+" ") {
			t.Errorf("help does not list %s:\n%s", name, out)
		}
	}
	for _, want := range []string{"members", "health", "loans", "-addr", "-cert"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	if code, _, errs := illctl("frobnicate"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Errorf("unknown command: %d %s", code, errs)
	}
	if code, _, _ := illctl(); code != 2 {
		t.Errorf("no command: %d", code)
	}
	if code, _, errs := illctl("-addr", "127.0.0.1:1", "-cert", "/nonexistent.pem", "-key", "/nonexistent.key", "members"); code != 2 || !strings.Contains(errs, "certificate") {
		t.Errorf("missing client certificate: %d %s", code, errs)
	}
}

func TestRegisterTwicePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("registering a name twice did not panic")
		}
	}()
	register("members", "again", runMembers)
}
