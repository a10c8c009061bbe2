package member

import (
	"context"
	"errors"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/illgw/illgw/internal/testenv"
	"github.com/illgw/illgw/ncip"
)

// ncipResponder runs ncip.NewServer over a Memory responder for NORTH that
// accepts only the gateway's agency with secret "s3cret".
func ncipResponder(t *testing.T) (*httptest.Server, *ncip.Memory) {
	t.Helper()
	mem := ncip.NewMemory("NORTH")
	mem.AddUser(ncip.MemoryUser{ID: "N0001", PIN: "1234", GivenName: "Nora", Surname: "North"})
	srv := ncip.NewServer(mem)
	srv.Auth = &ncip.Partners{Secrets: map[string]string{"ILLGW": "s3cret"}}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts, mem
}

func ncipMember(url string, timeout time.Duration) Config {
	return Config{Code: "NORTH", Name: "North", NCIP: &NCIPConfig{URL: url, Agency: "NORTH", Secret: "s3cret", Timeout: timeout}}
}

func lookup(id string) *ncip.LookupUser {
	return &ncip.LookupUser{UserID: &ncip.UserID{Value: id}}
}

func TestNCIPThroughRegistry(t *testing.T) {
	ts, _ := ncipResponder(t)
	r := newRegistry(t, Options{Members: []Config{ncipMember(ts.URL, time.Second)}, Breaker: BreakerConfig{Failures: 2}})
	n := r.Member("NORTH").NCIP()
	resp, err := n.LookupUser(context.Background(), lookup("N0001"))
	if err != nil {
		t.Fatalf("LookupUser: %v", err)
	}
	if resp.UserID == nil || resp.UserID.Value != "N0001" {
		t.Fatalf("UserId = %+v", resp.UserID)
	}
	if h := health(t, r, "NORTH", NCIP); h.Requests != 1 || h.Failures != 0 || h.Breaker != gobreaker.StateClosed {
		t.Fatalf("health = %+v", h)
	}
}

// NCIP Problems such as Unknown User are answers: twenty of them leave the
// breaker closed, and the caller gets the *ncip.Problem.
func TestNCIPProblemsDoNotTrip(t *testing.T) {
	ts, _ := ncipResponder(t)
	r := newRegistry(t, Options{Members: []Config{ncipMember(ts.URL, time.Second)}, Breaker: BreakerConfig{Failures: 2, MinRequests: 2}})
	n := r.Member("NORTH").NCIP()
	for range 20 {
		_, err := n.LookupUser(context.Background(), lookup("NOBODY"))
		var p *ncip.Problem
		if !errors.As(err, &p) || !ncip.Match(p.Type.Value, "Unknown User") {
			t.Fatalf("err = %v, want an Unknown User Problem", err)
		}
	}
	h := health(t, r, "NORTH", NCIP)
	if h.Breaker != gobreaker.StateClosed || h.Answers != 20 || h.Failures != 0 {
		t.Fatalf("health = %+v", h)
	}
}

// A wrong secret is the member's Problem answer too; the secret never
// shows in errors or health.
func TestNCIPWrongSecretNotLeaked(t *testing.T) {
	ts, _ := ncipResponder(t)
	m := ncipMember(ts.URL, time.Second)
	m.NCIP.Secret = "wr0ng-s3cret-value"
	r := newRegistry(t, Options{Members: []Config{m}})
	_, err := r.Member("NORTH").NCIP().LookupUser(context.Background(), lookup("N0001"))
	var p *ncip.Problem
	if !errors.As(err, &p) || !ncip.Match(p.Type.Value, ncip.ProblemAgencyAuthenticationFailed) {
		t.Fatalf("err = %v, want Agency Authentication Failed", err)
	}
	if strings.Contains(err.Error(), "wr0ng") {
		t.Fatalf("secret in error: %v", err)
	}
}

// A responder answering HTML 502s is failing: the breaker opens.
func TestNCIPServerErrorsTrip(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "<html>bad gateway</html>", http.StatusBadGateway)
	}))
	defer ts.Close()
	r := newRegistry(t, Options{Members: []Config{ncipMember(ts.URL+"/ncip?apikey=k3y", time.Second)}, Breaker: BreakerConfig{Failures: 3, OpenFor: time.Hour}})
	n := r.Member("NORTH").NCIP()
	for range 3 {
		_, err := n.LookupUser(context.Background(), lookup("N0001"))
		var he *ncip.HTTPError
		if !errors.As(err, &he) || he.StatusCode != 502 {
			t.Fatalf("err = %v, want HTTPError 502", err)
		}
	}
	if _, err := n.LookupUser(context.Background(), lookup("N0001")); !errors.Is(err, ErrOpen) {
		t.Fatalf("fourth call: %v, want ErrOpen", err)
	}
	if h := health(t, r, "NORTH", NCIP); !strings.Contains(h.LastError, "502") {
		t.Errorf("last error %q", h.LastError)
	}
}

// A black-holed member fails within its deadline plus a small margin, and
// after Failures calls it is skipped at once.
func TestNCIPBlackHoleDeadline(t *testing.T) {
	addr := testenv.BlackHole(t)
	const deadline = 300 * time.Millisecond
	r := newRegistry(t, Options{Members: []Config{ncipMember("http://"+addr+"/ncip", deadline)}, Breaker: BreakerConfig{Failures: 3, OpenFor: time.Hour}})
	n := r.Member("NORTH").NCIP()
	var worst time.Duration
	for range 3 {
		start := time.Now()
		_, err := n.LookupUser(context.Background(), lookup("N0001"))
		el := time.Since(start)
		worst = max(worst, el)
		var ce *CallError
		if !errors.As(err, &ce) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want a CallError for the deadline", err)
		}
		if el < deadline-10*time.Millisecond {
			t.Fatalf("failed after %v, before the %v deadline", el, deadline)
		}
	}
	t.Logf("black-holed NCIP member: deadline %v, slowest failure %v (overshoot %v)", deadline, worst, worst-deadline)
	if worst > deadline+time.Second {
		t.Fatalf("slowest failure %v, deadline %v", worst, deadline)
	}
	start := time.Now()
	if _, err := n.LookupUser(context.Background(), lookup("N0001")); !errors.Is(err, ErrOpen) {
		t.Fatalf("fourth call: %v", err)
	}
	t.Logf("skipped at once: %v", time.Since(start))
	if h := health(t, r, "NORTH", NCIP); h.Breaker != gobreaker.StateOpen || h.LastError == "" {
		t.Fatalf("health = %+v", h)
	}
}

// Goroutines and heap stay flat over 10,000 failed calls to a dead member
// (connection refused): once with a breaker that never trips, so every
// call reaches the transport, and once with the breaker cycling open,
// half-open and open and writing flags to a store.
func TestNoLeakAfterManyFailures(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 calls")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: connection refused
	never := BreakerConfig{Failures: math.MaxUint32, Ratio: 1, MinRequests: math.MaxUint32}
	cycling := BreakerConfig{Failures: 5, OpenFor: time.Millisecond, Probes: 1}
	for _, tc := range []struct {
		name       string
		bc         BreakerConfig
		minFailed  int
		minRefused int
	}{{"every call fails at the member", never, 10000, 0}, {"breaker cycling", cycling, 1, 1000}} {
		t.Run(tc.name, func(t *testing.T) {
			flags := newMemFlags()
			r := newRegistry(t, Options{Members: []Config{ncipMember("http://"+addr+"/ncip", time.Second)}, Flags: flags, Breaker: tc.bc})
			n := r.Member("NORTH").NCIP()
			run := func(k int) (failed, refused int) {
				for range k {
					_, err := n.LookupUser(context.Background(), lookup("N0001"))
					switch {
					case errors.Is(err, ErrOpen):
						refused++
					case errors.As(err, new(*CallError)):
						failed++
					default:
						t.Fatalf("err = %v", err)
					}
				}
				return
			}
			run(200) // warm up pools and lazily built state
			r.writer.wait()
			runtime.GC()
			g0 := runtime.NumGoroutine()
			var m0 runtime.MemStats
			runtime.ReadMemStats(&m0)

			start := time.Now()
			failed, refused := run(10000)
			el := time.Since(start)
			r.writer.wait()
			time.Sleep(50 * time.Millisecond)
			runtime.GC()
			runtime.GC()
			g1 := runtime.NumGoroutine()
			var m1 runtime.MemStats
			runtime.ReadMemStats(&m1)
			growth := int64(m1.HeapAlloc) - int64(m0.HeapAlloc)
			t.Logf("10,000 calls in %v: %d failed at the member, %d refused by the breaker, %d flag writes; goroutines %d -> %d; heap %d -> %d bytes (%+d)",
				el.Round(time.Millisecond), failed, refused, flags.puts.Load(), g0, g1, m0.HeapAlloc, m1.HeapAlloc, growth)
			if failed < tc.minFailed || refused < tc.minRefused {
				t.Fatalf("%d failed and %d refused; want at least %d and %d", failed, refused, tc.minFailed, tc.minRefused)
			}
			if g1 > g0+2 {
				t.Errorf("goroutines grew from %d to %d", g0, g1)
			}
			if growth > 2<<20 {
				t.Errorf("heap grew by %d bytes", growth)
			}
		})
	}
}
