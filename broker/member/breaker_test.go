package member

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"
)

func TestConsecutiveFailuresTrip(t *testing.T) {
	m, _ := NewMetrics(nil)
	r := newRegistry(t, Options{Breaker: BreakerConfig{Failures: 3, MinRequests: 100, OpenFor: time.Hour}, Metrics: m})
	fail := &counter{err: errDown}
	for i := 1; i <= 3; i++ {
		err := r.Do(context.Background(), "NORTH", LDAP, fail.call)
		var ce *CallError
		if !errors.As(err, &ce) || !errors.Is(err, errDown) || ce.Member != "NORTH" {
			t.Fatalf("call %d: err = %v, want a CallError wrapping the transport error", i, err)
		}
		if want := gobreaker.StateClosed; i < 3 && breakerState(t, r, "NORTH", LDAP) != want {
			t.Fatalf("open after %d failures, want 3", i)
		}
	}
	if s := breakerState(t, r, "NORTH", LDAP); s != gobreaker.StateOpen {
		t.Fatalf("state after 3 consecutive failures = %v, want open", s)
	}
	// Open: refused at once, without calling.
	start := time.Now()
	for range 100 {
		err := r.Do(context.Background(), "NORTH", LDAP, fail.call)
		var oe *OpenError
		if !errors.Is(err, ErrOpen) || !errors.As(err, &oe) || oe.Member != "NORTH" || oe.Protocol != LDAP || oe.Flagged {
			t.Fatalf("err = %v, want a local OpenError for NORTH/ldap", err)
		}
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("100 refusals took %v", el)
	}
	if n := fail.n.Load(); n != 3 {
		t.Fatalf("the member was called %d times, want 3 (none while open)", n)
	}
	h := health(t, r, "NORTH", LDAP)
	if h.Requests != 3 || h.Failures != 3 || h.Refused != 100 || h.LastError == "" || h.LastTransition.IsZero() || h.State() != "open" {
		t.Errorf("health = %+v", h)
	}
	if v := metricValue(t, m.State.WithLabelValues("NORTH", "ldap")); v != 2 {
		t.Errorf("illgw_breaker_state = %v, want 2", v)
	}
	if v := metricValue(t, m.Transitions.WithLabelValues("NORTH", "ldap", "open")); v != 1 {
		t.Errorf("transitions to open = %v, want 1", v)
	}
	if v := metricValue(t, m.Calls.WithLabelValues("NORTH", "ldap", "refused")); v != 100 {
		t.Errorf("refused calls = %v, want 100", v)
	}
	if v := metricValue(t, m.Calls.WithLabelValues("NORTH", "ldap", "failure")); v != 3 {
		t.Errorf("failed calls = %v, want 3", v)
	}
}

func TestRatioTrips(t *testing.T) {
	r := newRegistry(t, Options{Breaker: BreakerConfig{Failures: 100, Ratio: 0.5, MinRequests: 10, Window: time.Hour, OpenFor: time.Hour}})
	ok, fail := &counter{}, &counter{err: errDown}
	// S F S F ...: after 9 calls 4 of 9 failed (< 0.5); the 10th makes 5 of 10.
	for i := 1; i <= 10; i++ {
		f := ok
		if i%2 == 0 {
			f = fail
		}
		_ = r.Do(context.Background(), "NORTH", LDAP, f.call)
		st := breakerState(t, r, "NORTH", LDAP)
		if i < 10 && st != gobreaker.StateClosed {
			t.Fatalf("open after %d calls", i)
		}
		if i == 10 && st != gobreaker.StateOpen {
			t.Fatalf("closed after 5 failures of 10 calls, want open")
		}
	}
}

func TestRatioBelowThresholdStaysClosed(t *testing.T) {
	r := newRegistry(t, Options{Breaker: BreakerConfig{Failures: 100, Ratio: 0.5, MinRequests: 10, Window: time.Hour, OpenFor: time.Hour}})
	ok, fail := &counter{}, &counter{err: errDown}
	for i := 1; i <= 100; i++ {
		f := ok
		if i%3 == 0 { // one in three fails
			f = fail
		}
		_ = r.Do(context.Background(), "NORTH", LDAP, f.call)
	}
	if st := breakerState(t, r, "NORTH", LDAP); st != gobreaker.StateClosed {
		t.Fatalf("state = %v with a third of calls failing and ratio 0.5", st)
	}
}

// The ratio counts only the rolling window: failures older than it no
// longer count.
func TestRatioWindowRolls(t *testing.T) {
	window := time.Second
	r := newRegistry(t, Options{Breaker: BreakerConfig{Failures: 100, Ratio: 0.5, MinRequests: 10, Window: window, OpenFor: time.Hour}})
	ok, fail := &counter{}, &counter{err: errDown}
	for range 9 {
		_ = r.Do(context.Background(), "NORTH", LDAP, fail.call)
	}
	time.Sleep(window + 200*time.Millisecond)
	// Were the 9 old failures still counted, one more failure would make
	// 10 of 10. In a fresh window it is 1 failure of 10 calls.
	for range 9 {
		_ = r.Do(context.Background(), "NORTH", LDAP, ok.call)
	}
	_ = r.Do(context.Background(), "NORTH", LDAP, fail.call)
	h := health(t, r, "NORTH", LDAP)
	if h.Breaker != gobreaker.StateClosed {
		t.Fatalf("state = %v: failures older than the window still counted (window counts %+v)", h.Breaker, h.Window)
	}
	if h.Window.TotalFailures != 1 || h.Window.TotalSuccesses != 9 {
		t.Errorf("window counts = %+v, want 1 failure and 9 successes", h.Window)
	}
}

func TestHalfOpenProbeCloses(t *testing.T) {
	openFor := 150 * time.Millisecond
	r := newRegistry(t, Options{Breaker: BreakerConfig{Failures: 2, OpenFor: openFor, Probes: 2}})
	ok, fail := &counter{}, &counter{err: errDown}
	for range 2 {
		_ = r.Do(context.Background(), "NORTH", LDAP, fail.call)
	}
	if err := r.Do(context.Background(), "NORTH", LDAP, ok.call); !errors.Is(err, ErrOpen) || ok.n.Load() != 0 {
		t.Fatalf("err = %v, calls %d: want refused while open", err, ok.n.Load())
	}
	time.Sleep(openFor + 50*time.Millisecond)
	if st := breakerState(t, r, "NORTH", LDAP); st != gobreaker.StateHalfOpen {
		t.Fatalf("state after open_for = %v, want half-open", st)
	}
	// While two probes are in flight, a third call is refused.
	release := make(chan struct{})
	started := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = r.Do(context.Background(), "NORTH", LDAP, func(context.Context) error {
				started <- struct{}{}
				<-release
				return nil
			})
		}()
	}
	<-started
	<-started
	if err := r.Do(context.Background(), "NORTH", LDAP, ok.call); !errors.Is(err, ErrOpen) {
		t.Fatalf("third call during 2 probes: err = %v, want ErrOpen", err)
	}
	close(release)
	wg.Wait()
	if st := breakerState(t, r, "NORTH", LDAP); st != gobreaker.StateClosed {
		t.Fatalf("state after 2 successful probes = %v, want closed", st)
	}
	if err := r.Do(context.Background(), "NORTH", LDAP, ok.call); err != nil {
		t.Fatalf("call after closing: %v", err)
	}
}

func TestHalfOpenFailureReopens(t *testing.T) {
	openFor := 100 * time.Millisecond
	r := newRegistry(t, Options{Breaker: BreakerConfig{Failures: 1, OpenFor: openFor, Probes: 2}})
	fail := &counter{err: errDown}
	_ = r.Do(context.Background(), "NORTH", LDAP, fail.call)
	time.Sleep(openFor + 50*time.Millisecond)
	_ = r.Do(context.Background(), "NORTH", LDAP, fail.call)
	if st := breakerState(t, r, "NORTH", LDAP); st != gobreaker.StateOpen {
		t.Fatalf("state after a failed probe = %v, want open", st)
	}
	if n := fail.n.Load(); n != 2 {
		t.Fatalf("calls = %d, want 2", n)
	}
}

// Protocol-level answers prove the member alive; the caller cancelling
// proves nothing. Neither trips the breaker.
func TestAnswersAndCancelsDoNotTrip(t *testing.T) {
	r := newRegistry(t, Options{Breaker: BreakerConfig{Failures: 2, MinRequests: 2, OpenFor: time.Hour}})
	answers := []error{problemUnknownUser(), diagNoRecord(), sruDiag()}
	for i := range 30 {
		a := answers[i%len(answers)]
		err := r.Do(context.Background(), "NORTH", LDAP, func(context.Context) error { return a })
		if err != a {
			t.Fatalf("answer came back as %v, want %v unchanged", err, a)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 10 {
		_ = r.Do(ctx, "NORTH", LDAP, func(ctx context.Context) error { return fmt.Errorf("read: %w", ctx.Err()) })
	}
	h := health(t, r, "NORTH", LDAP)
	if h.Breaker != gobreaker.StateClosed || h.Failures != 0 || h.Answers != 30 {
		t.Fatalf("health = %+v, want closed with 30 answers and no failure", h)
	}
}

func TestDeadlineApplied(t *testing.T) {
	r := newRegistry(t, Options{Members: []Config{{Code: "NORTH", LDAP: &LDAPConfig{Timeout: 200 * time.Millisecond}}}})
	slow := newRegistry(t, Options{Members: []Config{{Code: "NORTH", LDAP: &LDAPConfig{Timeout: time.Minute}}}})
	start := time.Now()
	err := r.Do(context.Background(), "NORTH", LDAP, func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	})
	el := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	// Generous above: a loaded 2-core CI machine under -race can be late to
	// wake; 3s still tells the 200ms deadline from the 5s default.
	if el < 200*time.Millisecond || el > 3*time.Second {
		t.Fatalf("call ended after %v, want about 200ms", el)
	}
	// An earlier deadline of the caller wins.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start = time.Now()
	_ = slow.Do(ctx, "NORTH", LDAP, func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	if el := time.Since(start); el > 3*time.Second {
		t.Fatalf("caller's 20ms deadline ignored: %v", el)
	}
	if h := health(t, r, "NORTH", LDAP); h.Failures != 1 || h.LastError == "" {
		t.Fatalf("timeouts must count as failures: %+v", h)
	}
}

func TestConcurrencyCap(t *testing.T) {
	r := newRegistry(t, Options{MaxConcurrent: 2})
	release := make(chan struct{})
	started := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = r.Do(context.Background(), "NORTH", LDAP, func(context.Context) error {
				started <- struct{}{}
				<-release
				return nil
			})
		}()
	}
	<-started
	<-started
	c := &counter{}
	if err := r.Do(context.Background(), "NORTH", LDAP, c.call); !errors.Is(err, ErrBusy) || c.n.Load() != 0 {
		t.Fatalf("third call: err = %v, calls %d; want ErrBusy without a call", err, c.n.Load())
	}
	close(release)
	wg.Wait()
	if err := r.Do(context.Background(), "NORTH", LDAP, c.call); err != nil {
		t.Fatal(err)
	}
}

func TestDoErrors(t *testing.T) {
	r := newRegistry(t, Options{})
	if err := r.Do(context.Background(), "NOPE", LDAP, (&counter{}).call); !errors.Is(err, ErrUnknownMember) {
		t.Errorf("unknown member: %v", err)
	}
	if err := r.Do(context.Background(), "NORTH", NCIP, (&counter{}).call); !errors.Is(err, ErrNoProtocol) {
		t.Errorf("missing protocol: %v", err)
	}
	r.Close()
	if err := r.Do(context.Background(), "NORTH", LDAP, (&counter{}).call); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}

func TestPanicCountsAndPropagates(t *testing.T) {
	r := newRegistry(t, Options{Breaker: BreakerConfig{Failures: 1, OpenFor: time.Hour}})
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("panic swallowed")
			}
		}()
		_ = r.Do(context.Background(), "NORTH", LDAP, func(context.Context) error { panic("boom") })
	}()
	if st := breakerState(t, r, "NORTH", LDAP); st != gobreaker.StateOpen {
		t.Fatalf("a panicking call must count as a failure; state %v", st)
	}
	// The concurrency slot was given back.
	if n := len(r.Member("NORTH").guards[LDAP].sem); n != 0 {
		t.Fatalf("%d slots still taken", n)
	}
}
