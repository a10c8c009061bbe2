package member

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/illgw/illgw/broker/state"
	"github.com/illgw/illgw/internal/testenv"
)

func TestFlagSharedEmbedded(t *testing.T) {
	ctx := context.Background()
	st, err := state.Open(ctx, state.Options{Path: t.TempDir() + "/s.db"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	testFlagShared(t, st)
}

func TestFlagSharedRedis(t *testing.T) {
	srv := testenv.Redis(t)
	ctx := context.Background()
	st, err := state.Open(ctx, state.Options{Driver: "redis", Addrs: []string{srv.Addr}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	testFlagShared(t, st)
}

// testFlagShared: instance A's breaker opens and flags the member; instance
// B, on the same store, skips the member at once without calling it; when
// A's half-open probe succeeds the flag goes and B calls again.
func testFlagShared(t *testing.T, st state.Store) {
	ctx := context.Background()
	openFor := time.Second
	bc := BreakerConfig{Failures: 3, OpenFor: openFor, Probes: 1}
	a := newRegistry(t, Options{Flags: st, Instance: "A", Breaker: bc})
	b := newRegistry(t, Options{Flags: st, Instance: "B", Breaker: bc, FlagRecheck: -1})

	if err := b.Do(ctx, "NORTH", LDAP, (&counter{}).call); err != nil {
		t.Fatalf("B before any failure: %v", err)
	}
	fail := &counter{err: errDown}
	for range 3 {
		_ = a.Do(ctx, "NORTH", LDAP, fail.call)
	}
	a.writer.wait()
	v, err := st.GetTTL(ctx, FlagKey("NORTH", LDAP))
	if err != nil {
		t.Fatalf("flag not in the store after A opened: %v", err)
	}
	if !bytes.HasPrefix(v, []byte("v1 ")) || !strings.HasSuffix(string(v), " A") {
		t.Fatalf("flag value %q", v)
	}

	calledB := &counter{}
	start := time.Now()
	err = b.Do(ctx, "NORTH", LDAP, calledB.call)
	el := time.Since(start)
	var oe *OpenError
	if !errors.As(err, &oe) || !oe.Flagged || !errors.Is(err, ErrOpen) {
		t.Fatalf("B: err = %v, want a flagged OpenError", err)
	}
	if calledB.n.Load() != 0 {
		t.Fatal("B called the member although A flagged it open")
	}
	t.Logf("B refused a flagged member in %v", el)
	if el > time.Second {
		t.Errorf("B took %v to refuse", el)
	}
	hb := health(t, b, "NORTH", LDAP)
	if hb.Breaker != gobreaker.StateClosed || !hb.Flagged || hb.FlaggedBy != "A" || hb.State() != "open (flagged by another instance)" {
		t.Fatalf("B health = %+v (%s)", hb, hb.State())
	}
	// A ignores its own flag: its local breaker decides.
	if ha := health(t, a, "NORTH", LDAP); ha.Flagged || ha.State() != "open" {
		t.Fatalf("A health = %+v", ha)
	}

	// After open_for, A probes, succeeds, closes and clears the flag.
	time.Sleep(openFor + 50*time.Millisecond)
	if err := a.Do(ctx, "NORTH", LDAP, (&counter{}).call); err != nil {
		t.Fatalf("A's probe: %v", err)
	}
	if st := breakerState(t, a, "NORTH", LDAP); st != gobreaker.StateClosed {
		t.Fatalf("A after a good probe: %v", st)
	}
	a.writer.wait()
	if _, err := st.GetTTL(ctx, FlagKey("NORTH", LDAP)); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("flag still there after A closed: %v", err)
	}
	if err := b.Do(ctx, "NORTH", LDAP, calledB.call); err != nil || calledB.n.Load() != 1 {
		t.Fatalf("B after the flag cleared: err %v, calls %d", err, calledB.n.Load())
	}
}

// The flag lives no longer than open_for even when no instance clears it.
func TestFlagExpires(t *testing.T) {
	ctx := context.Background()
	flags := newMemFlags()
	openFor := 200 * time.Millisecond
	a := newRegistry(t, Options{Flags: flags, Instance: "A", Breaker: BreakerConfig{Failures: 1, OpenFor: openFor}})
	b := newRegistry(t, Options{Flags: flags, Instance: "B", FlagRecheck: -1})
	_ = a.Do(ctx, "NORTH", LDAP, (&counter{err: errDown}).call)
	a.writer.wait()
	if err := b.Do(ctx, "NORTH", LDAP, (&counter{}).call); !errors.Is(err, ErrOpen) {
		t.Fatalf("B while flagged: %v", err)
	}
	time.Sleep(openFor + 50*time.Millisecond)
	if err := b.Do(ctx, "NORTH", LDAP, (&counter{}).call); err != nil {
		t.Fatalf("B after the flag's TTL: %v", err)
	}
}

// A dead or slow store never blocks calls longer than FlagTimeout, and the
// local breaker keeps working.
func TestFlagStoreDown(t *testing.T) {
	ctx := context.Background()
	flags := newMemFlags()
	flags.delay = 5 * time.Second
	r := newRegistry(t, Options{Flags: flags, FlagTimeout: 50 * time.Millisecond, FlagRecheck: time.Hour,
		Breaker: BreakerConfig{Failures: 2, OpenFor: time.Hour}})
	start := time.Now()
	if err := r.Do(ctx, "NORTH", LDAP, (&counter{}).call); err != nil {
		t.Fatalf("call with a stalled store: %v", err)
	}
	if el := time.Since(start); el > time.Second {
		t.Fatalf("a stalled store held the call %v", el)
	}
	// Cached for FlagRecheck: the next calls do not ask the store again.
	for range 2 {
		_ = r.Do(ctx, "NORTH", LDAP, (&counter{err: errDown}).call)
	}
	if n := flags.gets.Load(); n != 1 {
		t.Errorf("%d flag reads, want 1 within FlagRecheck", n)
	}
	if err := r.Do(ctx, "NORTH", LDAP, (&counter{}).call); !errors.Is(err, ErrOpen) {
		t.Fatalf("local breaker without the store: %v", err)
	}
	if h := health(t, r, "NORTH", LDAP); h.StoreError == "" {
		t.Errorf("health does not show the store trouble: %+v", h)
	}
}

// A flag this version cannot read still counts as a flag: a newer
// instance's format must not make older ones hammer a dead member.
func TestFlagUnreadableHonoured(t *testing.T) {
	ctx := context.Background()
	flags := newMemFlags()
	_ = flags.PutTTL(ctx, FlagKey("NORTH", LDAP), []byte("v9 something new"), time.Minute)
	r := newRegistry(t, Options{Flags: flags, FlagRecheck: -1})
	c := &counter{}
	if err := r.Do(ctx, "NORTH", LDAP, c.call); !errors.Is(err, ErrOpen) || c.n.Load() != 0 {
		t.Fatalf("err = %v, calls %d", err, c.n.Load())
	}
}

func TestParseFlagHostile(t *testing.T) {
	for _, in := range []string{
		"", "v1", "v1 ", "v2 1 A", "v1 -5 A", "v1 99999999999999999999 A", "v1 12x A",
		"v1 1 A\x00B", "v1 1 A\nB", strings.Repeat("v1 1 ", 100), "v1 " + strings.Repeat("9", 1<<20),
	} {
		if _, err := parseFlag([]byte(in)); !errors.Is(err, errBadFlag) {
			t.Errorf("parseFlag(%.40q) = %v, want errBadFlag", in, err)
		}
	}
	want := flagValue{Until: time.UnixMilli(1700000000123), Instance: "gw-1 east"}
	got, err := parseFlag(want.encode())
	if err != nil || !got.Until.Equal(want.Until) || got.Instance != want.Instance {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
}

// FuzzParseFlag feeds the flag decoder values another instance (or a
// damaged store) might hold, seeded from testdata/flags.
func FuzzParseFlag(f *testing.F) {
	seeds, err := filepath.Glob("testdata/flags/*.txt")
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seeds in testdata/flags: %v", err)
	}
	for _, name := range seeds {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := parseFlag(b)
		if err != nil {
			return
		}
		if len(b) > maxFlagValue {
			t.Fatalf("accepted %d bytes", len(b))
		}
		w, err := parseFlag(v.encode())
		if err != nil || !w.Until.Equal(v.Until) || w.Instance != v.Instance {
			t.Fatalf("re-encoding %+v: %+v, %v", v, w, err)
		}
	})
}

// A paused Redis (accepts, never answers) costs each call at most
// FlagTimeout once per FlagRecheck; calls go on under the local breaker.
func TestFlagRedisPaused(t *testing.T) {
	srv := testenv.Redis(t)
	ctx := context.Background()
	st, err := state.Open(ctx, state.Options{Driver: "redis", Addrs: []string{srv.Addr}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	const flagTimeout = 100 * time.Millisecond
	r := newRegistry(t, Options{Flags: st, FlagTimeout: flagTimeout, FlagRecheck: -1, Breaker: BreakerConfig{Failures: 2, OpenFor: time.Hour}})
	srv.Pause(t)
	defer srv.Resume(t)
	var worst time.Duration
	for range 3 {
		start := time.Now()
		if err := r.Do(ctx, "NORTH", LDAP, (&counter{}).call); err != nil {
			t.Fatalf("call with Redis paused: %v", err)
		}
		worst = max(worst, time.Since(start))
	}
	t.Logf("Redis paused: slowest call %v (flag timeout %v)", worst, flagTimeout)
	if worst > flagTimeout+time.Second {
		t.Fatalf("a paused store held a call %v", worst)
	}
	if h := health(t, r, "NORTH", LDAP); h.StoreError == "" {
		t.Fatalf("health hides the store trouble: %+v", h)
	}
	for range 2 {
		_ = r.Do(ctx, "NORTH", LDAP, (&counter{err: errDown}).call)
	}
	if err := r.Do(ctx, "NORTH", LDAP, (&counter{}).call); !errors.Is(err, ErrOpen) {
		t.Fatalf("local breaker with Redis paused: %v", err)
	}
}
