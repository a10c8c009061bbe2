package testenv

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
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
