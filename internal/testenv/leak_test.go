package testenv

import (
	"strings"
	"testing"
	"time"
)

// parkedForLeakTest blocks until release is closed; its name is what the
// leak check is asked to match.
func parkedForLeakTest(started chan<- struct{}, release <-chan struct{}) {
	close(started)
	<-release
}

// The leak check reports a goroutine running matched code, with its stack,
// ignores it when the match names other code, and stops reporting it once
// it has ended.
func TestLeakedGoroutines(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	go parkedForLeakTest(started, release)
	<-started
	leaked := leakedGoroutines(100*time.Millisecond, []string{"testenv.parkedForLeakTest"})
	if !strings.Contains(leaked, "parkedForLeakTest") {
		close(release)
		t.Fatalf("a running goroutine was not reported; got:\n%s", leaked)
	}
	if got := leakedGoroutines(100*time.Millisecond, []string{"no/such/package."}); got != "" {
		close(release)
		t.Fatalf("a goroutine of other code was reported:\n%s", got)
	}
	close(release)
	if got := leakedGoroutines(LeakWait, []string{"testenv.parkedForLeakTest"}); got != "" {
		t.Fatalf("an ended goroutine is still reported:\n%s", got)
	}
}
