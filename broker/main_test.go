package broker

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestMain fails the package when its tests leave goroutines behind (a
// server, store sweeper or stream not stopped).
func TestMain(m *testing.M) {
	before := runtime.NumGoroutine()
	code := m.Run()
	// A fuzzing run leaves the fuzz engine's signal watcher behind.
	if f := flag.Lookup("test.fuzz"); code == 0 && (f == nil || f.Value.String() == "") {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			fmt.Fprintf(os.Stderr, "broker tests leaked %d goroutines:\n%s\n", n-before, strings.TrimSpace(string(buf)))
			code = 1
		}
	}
	os.Exit(code)
}
