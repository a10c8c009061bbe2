package state

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestMain fails the package when goroutines started by its tests (bbolt
// sweepers, go-redis pools and their background loops) outlive them.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		deadline := time.Now().Add(5 * time.Second)
		leaked := liveGoroutines()
		for len(leaked) > 0 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			leaked = liveGoroutines()
		}
		if len(leaked) > 0 {
			fmt.Fprintf(os.Stderr, "%d goroutines outlived the tests:\n%s\n", len(leaked), strings.Join(leaked, "\n\n"))
			code = 1
		}
	}
	os.Exit(code)
}

// liveGoroutines returns the stacks of goroutines other than this one and
// testenv's process spawner and os/signal's loop, which live for the whole
// test binary.
func liveGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		// The fuzzing engine's signal.Notify loop lives for the process.
		if strings.Contains(g, "state.TestMain") || strings.Contains(g, "internal/testenv.spawn") || strings.Contains(g, "os/signal.loop") {
			continue
		}
		out = append(out, g)
	}
	return out
}
