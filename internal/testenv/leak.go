package testenv

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// LeakWait is how long Main waits for goroutines to end after the tests
// before it calls them leaked: generous, for a loaded 2-core machine.
const LeakWait = 5 * time.Second

// alwaysAlive names goroutines that live for the whole test binary and are
// never a leak: the one checking, testenv's process spawner, os/signal's
// loop (started by the fuzzing engine), the fuzz coordinator, the runtime
// tracer.
var alwaysAlive = []string{
	"testenv.leakedGoroutines",
	"testenv.spawn",
	"os/signal.loop",
	"os/signal.signal_recv",
	"testing.(*F).Fuzz",
	"runtime/trace",
	"runtime.goexit0",
}

// Main runs the package's tests and then fails the run when goroutines
// outlive them by LeakWait (the miekg/dns style leak check; see STYLE.md).
// With match, only goroutines whose stack contains one of those strings
// count (say "illgw/sip2." for a package's own code); without, every
// goroutine but the test runner's own does. Call it as the whole of
// TestMain: func TestMain(m *testing.M) { testenv.Main(m, "illgw/sip2.") }.
func Main(m *testing.M, match ...string) {
	code := m.Run()
	if code == 0 {
		if leaked := leakedGoroutines(LeakWait, match); leaked != "" {
			fmt.Fprintf(os.Stderr, "goroutines leaked after the tests:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

// leakedGoroutines waits up to wait for every counted goroutine to end and
// returns the stacks of those still running, or "" when none is.
func leakedGoroutines(wait time.Duration, match []string) string {
	deadline := time.Now().Add(wait)
	for {
		leaked := countedGoroutines(match)
		if len(leaked) == 0 {
			return ""
		}
		if time.Now().After(deadline) {
			return strings.Join(leaked, "\n\n")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// countedGoroutines returns the stacks of the goroutines that count as
// leaks when still running: see Main.
func countedGoroutines(match []string) []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.TrimSpace(g) == "" || containsAny(g, alwaysAlive) {
			continue
		}
		if len(match) == 0 || containsAny(g, match) {
			out = append(out, g)
		}
	}
	return out
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
