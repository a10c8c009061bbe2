package testenv

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const orphanChildEnv = "ILLGW_TESTENV_ORPHAN_CHILD"

// TestOrphanChild is the child half of TestServersDieWithTestBinary: it
// starts every server, prints their PIDs and waits to be killed.
func TestOrphanChild(t *testing.T) {
	if os.Getenv(orphanChildEnv) != "1" {
		t.Skip("helper process for TestServersDieWithTestBinary")
	}
	pids := []int{Redis(t).PID(), Slapd(t, testLDIF).PID(), YazZtest(t).PID(), Zebra(t, sampleMARC).PID()}
	for _, p := range pids {
		fmt.Printf("PID %d\n", p)
	}
	fmt.Println("READY")
	time.Sleep(time.Minute)
}

// A test binary killed with SIGKILL runs no cleanups; its servers must die
// with it anyway (parent-death signal), not linger on their ports.
func TestServersDieWithTestBinary(t *testing.T) {
	for _, b := range [][2]string{{"redis-server", "redis-server"}, {"slapd", "slapd"}, {"yaz-ztest", "yaz"}, {"zebrasrv", "idzebra-2.0"}} {
		Require(t, b[0], b[1])
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestOrphanChild$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), orphanChildEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()

	var pids []int
	var lines []string
	sc := bufio.NewScanner(out)
	ready := false
	for sc.Scan() {
		line := sc.Text()
		lines = append(lines, line)
		if pid, ok := strings.CutPrefix(line, "PID "); ok {
			n, err := strconv.Atoi(pid)
			if err != nil || n <= 0 {
				t.Fatalf("bad PID line %q", line)
			}
			pids = append(pids, n)
		}
		if line == "READY" {
			ready = true
			break
		}
	}
	if !ready || len(pids) != 4 {
		t.Fatalf("child did not start its servers:\n%s", strings.Join(lines, "\n"))
	}
	for _, p := range pids {
		if !pidAlive(p) {
			t.Fatalf("pid %d not running before the kill", p)
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for _, p := range pids {
		for pidAlive(p) {
			if time.Now().After(deadline) {
				t.Fatalf("pid %d outlived the killed test binary", p)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// A server started from a goroutine that locks its OS thread and exits
// (which destroys the thread) must keep running: the parent-death signal
// follows the forking thread, so servers are forked from testenv's own
// long-lived thread.
func TestServerSurvivesStarterThreadExit(t *testing.T) {
	bin := Require(t, "redis-server", "redis-server")
	done := make(chan *RedisServer, 1)
	release := make(chan struct{})
	defer close(release)
	var starter func()
	starter = func() {
		runtime.LockOSThread() // never unlocked: the thread ends with this goroutine
		if syscall.Gettid() == os.Getpid() {
			// The main thread never exits; hold it and start from another.
			go starter()
			<-release
			runtime.UnlockOSThread()
			return
		}
		s := &RedisServer{daemon: daemon{bin: bin}, Dir: t.TempDir()}
		t.Cleanup(func() { s.cleanup(t) })
		var err error
		if s.port, err = freePort(); err == nil {
			s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
			err = s.start()
		}
		if err != nil {
			t.Error(err)
			s = nil
		}
		done <- s
	}
	go starter()
	s := <-done
	if s == nil {
		t.FailNow()
	}
	time.Sleep(500 * time.Millisecond) // let the thread exit
	if err := redisPing(s.Addr, ""); err != nil {
		t.Fatalf("server died with the thread that started it: %v", err)
	}
}
