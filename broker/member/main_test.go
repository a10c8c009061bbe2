package member

import (
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestMain fails the package when goroutines it started outlive its tests
// (miekg/dns style leak check, without a dependency).
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := waitGoroutines(5 * time.Second); leaked != "" {
			os.Stderr.WriteString("member: goroutines left after the tests:\n" + leaked)
			code = 1
		}
	}
	os.Exit(code)
}

// waitGoroutines returns the stacks of goroutines running this package's
// code once the wait is over, or "" when none are left.
func waitGoroutines(wait time.Duration) string {
	deadline := time.Now().Add(wait)
	for {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var left []string
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "broker/member.") && !strings.Contains(g, "TestMain") && !strings.Contains(g, "waitGoroutines") {
				left = append(left, g)
			}
		}
		if len(left) == 0 {
			return ""
		}
		if time.Now().After(deadline) {
			return strings.Join(left, "\n\n")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
