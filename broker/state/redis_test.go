package state

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/illgw/illgw/internal/testenv"
	"github.com/redis/go-redis/v9"
)

func openTestRedis(t testing.TB, addr string, o Options) Store {
	t.Helper()
	o.Driver, o.Addrs = "redis", []string{addr}
	s, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func flushRedis(t testing.TB, addr string) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	if err := c.FlushAll(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
}

// TestRedisConformance runs the shared suite against a real redis-server,
// flushed before each case.
func TestRedisConformance(t *testing.T) {
	srv := testenv.Redis(t)
	runConformance(t, func(t *testing.T) Store {
		flushRedis(t, srv.Addr)
		return openTestRedis(t, srv.Addr, Options{})
	})
}

// TestRedisTwoStores: two gateway instances on one Redis see each other's
// loans, versions, dedup records, TTL entries and timers.
func TestRedisTwoStores(t *testing.T) {
	ctx := context.Background()
	srv := testenv.Redis(t)
	a := openTestRedis(t, srv.Addr, Options{})
	b := openTestRedis(t, srv.Addr, Options{})
	m := Mutation{LoanID: "SHARED", Data: []byte("from a"), Events: []Event{ev("created", "a")},
		Timer: &Timer{Due: time.Now().Add(-time.Second), Kind: "k"}, DedupKey: "create"}
	if _, err := a.Apply(ctx, m); err != nil {
		t.Fatal(err)
	}
	l, err := b.Get(ctx, "SHARED")
	if err != nil || string(l.Data) != "from a" || l.Version != 1 {
		t.Fatalf("b sees %+v, %v", l, err)
	}
	if r, err := b.Apply(ctx, m); err != nil || !r.Replayed {
		t.Fatalf("b retrying a's write = %+v, %v; want the replayed outcome", r, err)
	}
	if _, err := b.CompareAndSet(ctx, "SHARED", 1, []byte("from b"), []Event{ev("shipped", "b")}, nil, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CompareAndSet(ctx, "SHARED", 1, []byte("stale a"), nil, nil, ""); !errors.Is(err, ErrConflict) {
		t.Fatalf("a writing over b's version: %v, want ErrConflict", err)
	}
	if evs, _ := a.Events(ctx, "SHARED"); len(evs) != 2 || evs[1].Actor != "b" {
		t.Fatalf("a sees events %+v", evs)
	}
	if err := a.PutTTL(ctx, "rs:x", []byte("set"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if v, err := b.GetTTL(ctx, "rs:x"); err != nil || string(v) != "set" {
		t.Fatalf("b GetTTL = %q, %v", v, err)
	}
	p := a.PartitionOf("SHARED")
	ta, _ := a.ClaimDue(ctx, p, time.Now(), 10)
	tb, _ := b.ClaimDue(ctx, p, time.Now(), 10)
	if len(ta)+len(tb) != 1 {
		t.Fatalf("timer claimed %d times across two instances", len(ta)+len(tb))
	}
}

func TestRedisPartitionsFixed(t *testing.T) {
	srv := testenv.Redis(t)
	openTestRedis(t, srv.Addr, Options{Partitions: 8})
	_, err := Open(context.Background(), Options{Driver: "redis", Addrs: []string{srv.Addr}, Partitions: 16})
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("second instance with another partition count: %v, want ErrInvalid", err)
	}
}

// TestRedisDurableAOF: with appendonly yes and appendfsync always, state
// written before a redis-server restart is there after it, and the same
// Store value carries on once the server is back.
func TestRedisDurableAOF(t *testing.T) {
	ctx := context.Background()
	srv := testenv.Redis(t, testenv.WithAOF())
	s := openTestRedis(t, srv.Addr, Options{DialTimeout: time.Second, ReadTimeout: time.Second})
	for i := range 20 {
		id := fmt.Sprintf("AOF%02d", i)
		if _, err := s.Apply(ctx, Mutation{LoanID: id, Data: []byte(id), Events: []Event{ev("created", "x")},
			Timer: &Timer{Due: time.Now().Add(-time.Second)}, DedupKey: "c"}); err != nil {
			t.Fatal(err)
		}
	}
	srv.Stop(t)
	srv.Start(t)
	s2 := openTestRedis(t, srv.Addr, Options{})
	for i := range 20 {
		id := fmt.Sprintf("AOF%02d", i)
		l, err := s2.Get(ctx, id)
		if err != nil || string(l.Data) != id {
			t.Fatalf("after restart %s = %+v, %v", id, l, err)
		}
	}
	var claimed int
	for p := range s2.Partitions() {
		ts, err := s2.ClaimDue(ctx, p, time.Now(), 100)
		if err != nil {
			t.Fatal(err)
		}
		claimed += len(ts)
	}
	if claimed != 20 {
		t.Fatalf("%d timers after restart, want 20", claimed)
	}
	// The first store reconnects by itself.
	if r, err := s.Apply(ctx, Mutation{LoanID: "AOF00", Data: []byte("AOF00"), Events: []Event{ev("created", "x")},
		Timer: &Timer{Due: time.Now().Add(-time.Second)}, DedupKey: "c"}); err != nil || !r.Replayed {
		t.Fatalf("dedup record after restart: %+v, %v", r, err)
	}
	feed, err := s.Feed(ctx, s.PartitionOf("AOF00"), 0, 100)
	if err != nil || len(feed) == 0 {
		t.Fatalf("feed after restart = %d events, %v", len(feed), err)
	}
}

// TestRedisStopped: with the server gone every call fails with
// ErrUnavailable within the configured timeout, without a panic, and the
// same Store works again once the server is back.
func TestRedisStopped(t *testing.T) {
	ctx := context.Background()
	srv := testenv.Redis(t, testenv.WithAOF())
	o := Options{DialTimeout: 300 * time.Millisecond, ReadTimeout: 300 * time.Millisecond}
	bound := o.DialTimeout + 2*o.ReadTimeout + time.Second // configured timeout + margin
	s := openTestRedis(t, srv.Addr, o)
	mustCreate(t, s, "STOP")
	srv.Stop(t)
	calls := map[string]func() error{
		"Ping": func() error { return s.Ping(ctx) },
		"Get":  func() error { _, err := s.Get(ctx, "STOP"); return err },
		"CAS": func() error {
			_, err := s.CompareAndSet(ctx, "STOP", 1, []byte("x"), []Event{ev("shipped", "x")}, nil, "stop-1")
			return err
		},
		"ClaimDue": func() error { _, err := s.ClaimDue(ctx, 0, time.Now(), 1); return err },
		"Incr":     func() error { _, err := s.Incr(ctx, "c", time.Minute); return err },
	}
	for name, call := range calls {
		start := time.Now()
		err := call()
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("%s with Redis stopped: %v, want ErrUnavailable", name, err)
		}
		if d := time.Since(start); d > bound {
			t.Errorf("%s took %v, more than %v", name, d, bound)
		}
	}
	srv.Start(t)
	deadline := time.Now().Add(10 * time.Second)
	for s.Ping(ctx) != nil {
		if time.Now().After(deadline) {
			t.Fatal("store did not recover after Redis came back")
		}
		time.Sleep(50 * time.Millisecond)
	}
	l, err := s.CompareAndSet(ctx, "STOP", 1, []byte("x"), []Event{ev("shipped", "x")}, nil, "stop-1")
	if err != nil || l.Version != 2 {
		t.Fatalf("CAS after recovery = %+v, %v", l, err)
	}
}

// TestRedisSlowNeverTwice freezes redis-server (SIGSTOP) for longer than
// the client's read timeout while writes are in flight. Each write then
// fails with ErrUnavailable, its outcome unknown; the retry with the same
// dedup key after the server resumes must not apply it a second time.
func TestRedisSlowNeverTwice(t *testing.T) {
	const rounds = 5
	ctx := context.Background()
	srv := testenv.Redis(t)
	o := Options{DialTimeout: 300 * time.Millisecond, ReadTimeout: 200 * time.Millisecond}
	s := openTestRedis(t, srv.Addr, o)
	mustCreate(t, s, "SLOW")
	warmPool(t, s)
	replayed := 0
	for i := range rounds {
		m := Mutation{LoanID: "SLOW", ExpectVersion: uint64(i + 1), Data: fmt.Appendf(nil, "step %d", i),
			Events: []Event{ev("step", fmt.Sprint(i))}, DedupKey: fmt.Sprintf("step-%d", i)}
		srv.Pause(t)
		start := time.Now()
		_, err := s.Apply(ctx, m)
		elapsed := time.Since(start)
		time.Sleep(3 * o.ReadTimeout) // the server stays frozen past the client's timeout
		srv.Resume(t)
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("round %d: write to a frozen server: %v, want ErrUnavailable", i, err)
		}
		if limit := o.DialTimeout + 2*o.ReadTimeout + time.Second; elapsed > limit {
			t.Fatalf("round %d: the write took %v, more than %v", i, elapsed, limit)
		}
		var r Result
		deadline := time.Now().Add(10 * time.Second)
		for {
			r, err = s.Apply(ctx, m)
			if !errors.Is(err, ErrUnavailable) || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if err != nil || r.Loan.Version != uint64(i+2) {
			t.Fatalf("round %d: retry with the same key = %+v, %v", i, r, err)
		}
		if r.Replayed {
			replayed++
		}
	}
	l, err := s.Get(ctx, "SLOW")
	if err != nil || l.Version != rounds+1 {
		t.Fatalf("final version %d, %v; want %d (one per write)", l.Version, err, rounds+1)
	}
	evs, _ := s.Events(ctx, "SLOW")
	if len(evs) != rounds+1 {
		t.Fatalf("log has %d events, want %d: a write was applied twice or lost", len(evs), rounds+1)
	}
	t.Logf("%d of %d timed-out writes had reached the server and came back as replays", replayed, rounds)
}

// TestRedisIncrNotReplayed: Incr is not idempotent, so it shows whether the
// writer client retries. With go-redis's default of 3 retries a counter
// bumped while the server is frozen counts up to four times once it
// resumes; with retries off it counts at most once.
func TestRedisIncrNotReplayed(t *testing.T) {
	ctx := context.Background()
	srv := testenv.Redis(t)
	s := openTestRedis(t, srv.Addr, Options{DialTimeout: 300 * time.Millisecond, ReadTimeout: 100 * time.Millisecond})
	warmPool(t, s)
	srv.Pause(t)
	_, err := s.Incr(ctx, "pin:frozen", time.Hour)
	srv.Resume(t)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Incr on a frozen server: %v, want ErrUnavailable", err)
	}
	var n int64
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, err = s.Incr(ctx, "pin:frozen", time.Hour)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil || n > 2 {
		t.Fatalf("second Incr = %d, %v; the timed-out one was applied %d times", n, err, n-1)
	}
}

// warmPool leaves several open connections in the writer's pool. A retry
// on a fresh connection would stall in its handshake with a frozen server;
// one on an idle, ready connection would send the command again.
func warmPool(t *testing.T, s Store) {
	t.Helper()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 20 {
				if _, err := s.Incr(context.Background(), fmt.Sprintf("warm:%d:%d", i, j), time.Minute); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
}
