package state

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// runConformance runs the behaviour every driver must share. open returns a
// fresh, empty store; it is closed by the suite or at cleanup.
func runConformance(t *testing.T, open func(t *testing.T) Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, Store)
	}{
		{"CreateGetConflict", testCreateGetConflict},
		{"RaceCompareAndSet", testRaceCompareAndSet},
		{"EventsAndFeed", testEventsAndFeed},
		{"List", testList},
		{"Timers", testTimers},
		{"TimersClaimedOnce", testTimersClaimedOnce},
		{"Dedup", testDedup},
		{"TTL", testTTL},
		{"PutIfAbsent", testPutIfAbsent},
		{"Counters", testCounters},
		{"Invalid", testInvalid},
		{"Closed", testClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

func ev(typ, actor string) Event {
	return Event{Type: typ, Actor: actor, Data: []byte(typ + "/" + actor)}
}

func mustCreate(t *testing.T, s Store, id string) Loan {
	t.Helper()
	l, err := s.CompareAndSet(context.Background(), id, 0, []byte("new "+id), []Event{ev("created", "test")}, nil, "")
	if err != nil {
		t.Fatalf("create %s: %v", id, err)
	}
	return l
}

func testCreateGetConflict(t *testing.T, s Store) {
	ctx := context.Background()
	if _, err := s.Get(ctx, "L1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of a missing loan: %v, want ErrNotFound", err)
	}
	l := mustCreate(t, s, "L1")
	if l.Version != 1 || l.ID != "L1" || l.Partition != s.PartitionOf("L1") {
		t.Fatalf("create returned %+v", l)
	}
	got, err := s.Get(ctx, "L1")
	if err != nil || got.Version != 1 || string(got.Data) != "new L1" || got.UpdatedAt.IsZero() {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	if _, err := s.CompareAndSet(ctx, "L1", 0, nil, nil, nil, ""); !errors.Is(err, ErrExists) {
		t.Fatalf("second create: %v, want ErrExists", err)
	}
	if _, err := s.CompareAndSet(ctx, "L1", 5, nil, nil, nil, ""); !errors.Is(err, ErrConflict) {
		t.Fatalf("stale version: %v, want ErrConflict", err)
	}
	if _, err := s.CompareAndSet(ctx, "nope", 1, nil, nil, nil, ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("update of a missing loan: %v, want ErrNotFound", err)
	}
	l, err = s.CompareAndSet(ctx, "L1", 1, []byte("shipped"), []Event{ev("shipped", "lender")}, nil, "")
	if err != nil || l.Version != 2 {
		t.Fatalf("update = %+v, %v", l, err)
	}
	got, _ = s.Get(ctx, "L1")
	if got.Version != 2 || string(got.Data) != "shipped" {
		t.Fatalf("after update Get = %+v", got)
	}
	evs, err := s.Events(ctx, "L1")
	if err != nil || len(evs) != 2 || evs[0].Type != "created" || evs[1].Type != "shipped" || evs[1].Seq != 2 {
		t.Fatalf("events = %+v, %v", evs, err)
	}
	if evs, err := s.Events(ctx, "nope"); err != nil || len(evs) != 0 {
		t.Fatalf("events of a missing loan = %v, %v", evs, err)
	}
}

// testRaceCompareAndSet: 50 goroutines race on one loan until it reaches
// version 60. Each version must have exactly one winner and the log must
// hold exactly the winners' events, in version order.
func testRaceCompareAndSet(t *testing.T, s Store) {
	const workers, last = 50, 60
	ctx := context.Background()
	mustCreate(t, s, "RACE")
	var mu sync.Mutex
	winner := map[uint64]string{} // new version -> actor
	var dup []uint64
	var wg sync.WaitGroup
	errc := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			actor := fmt.Sprintf("w%02d", w)
			for {
				cur, err := s.Get(ctx, "RACE")
				if err != nil {
					errc <- err
					return
				}
				if cur.Version >= last {
					return
				}
				l, err := s.CompareAndSet(ctx, "RACE", cur.Version, []byte(actor), []Event{ev("step", actor)}, nil, "")
				if errors.Is(err, ErrConflict) {
					continue
				}
				if err != nil {
					errc <- err
					return
				}
				mu.Lock()
				if _, ok := winner[l.Version]; ok {
					dup = append(dup, l.Version)
				}
				winner[l.Version] = actor
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	if len(dup) > 0 {
		t.Fatalf("versions won twice: %v", dup)
	}
	if len(winner) != last-1 {
		t.Fatalf("%d winning writes, want %d", len(winner), last-1)
	}
	evs, err := s.Events(ctx, "RACE")
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != last {
		t.Fatalf("log has %d events, want %d (create + one per winner)", len(evs), last)
	}
	for i, e := range evs[1:] {
		v := uint64(i + 2)
		if e.Actor != winner[v] || e.Seq != v {
			t.Fatalf("event %d = %s seq %d; winner of version %d was %s", i+1, e.Actor, e.Seq, v, winner[v])
		}
	}
	l, _ := s.Get(ctx, "RACE")
	if l.Version != last || string(l.Data) != winner[last] {
		t.Fatalf("final loan %d %q, want %d %q", l.Version, l.Data, last, winner[last])
	}
}

func testEventsAndFeed(t *testing.T, s Store) {
	ctx := context.Background()
	// Find three ids in one partition.
	var ids []string
	for i := 0; len(ids) < 3; i++ {
		if id := fmt.Sprintf("F%d", i); s.PartitionOf(id) == 0 {
			ids = append(ids, id)
		}
	}
	for _, id := range ids {
		r, err := s.Apply(ctx, Mutation{LoanID: id, Data: []byte("x"), Events: []Event{ev("created", "a"), ev("requested", "b")}})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Events) != 2 || r.Events[0].Seq != 1 || r.Events[1].Seq != 2 || r.Events[1].Pos != r.Events[0].Pos+1 || r.Events[0].Time.IsZero() {
			t.Fatalf("Apply events = %+v", r.Events)
		}
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	if _, err := s.Apply(ctx, Mutation{LoanID: ids[0], ExpectVersion: 1, Events: []Event{{Type: "shipped", Time: at, Data: []byte{0, 1, 255}}}}); err != nil {
		t.Fatal(err)
	}
	feed, err := s.Feed(ctx, 0, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(feed) != 7 {
		t.Fatalf("feed has %d events, want 7", len(feed))
	}
	for i, e := range feed {
		if e.Pos != uint64(i+1) {
			t.Fatalf("feed[%d].Pos = %d", i, e.Pos)
		}
	}
	lastEv := feed[6]
	if lastEv.LoanID != ids[0] || lastEv.Type != "shipped" || lastEv.Seq != 3 || !lastEv.Time.Equal(at) || string(lastEv.Data) != "\x00\x01\xff" {
		t.Fatalf("last feed event = %+v", lastEv)
	}
	page, err := s.Feed(ctx, 0, 4, 2)
	if err != nil || len(page) != 2 || page[0].Pos != 5 || page[1].Pos != 6 {
		t.Fatalf("Feed(from 4, limit 2) = %+v, %v", page, err)
	}
	if rest, err := s.Feed(ctx, 0, 7, 10); err != nil || len(rest) != 0 {
		t.Fatalf("Feed past the end = %+v, %v", rest, err)
	}
	evs, _ := s.Events(ctx, ids[0])
	if len(evs) != 3 || evs[2].Pos != lastEv.Pos {
		t.Fatalf("loan log = %+v", evs)
	}
	if other, _ := s.Feed(ctx, 1, 0, 100); len(other) != 0 {
		t.Fatalf("partition 1 feed has %d events of partition 0's loans", len(other))
	}
}

func testList(t *testing.T, s Store) {
	ctx := context.Background()
	want := map[string]bool{}
	for i := range 25 {
		id := fmt.Sprintf("LIST-%02d", i)
		mustCreate(t, s, id)
		want[id] = true
	}
	got := map[string]bool{}
	for p := range s.Partitions() {
		after := ""
		for {
			page, next, err := s.List(ctx, ListOptions{Partition: p, After: after, Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > 2 {
				t.Fatalf("page of %d loans, limit 2", len(page))
			}
			for _, l := range page {
				if got[l.ID] || l.Partition != p || s.PartitionOf(l.ID) != p || l.Version != 1 {
					t.Fatalf("listed %+v in partition %d (seen before: %v)", l, p, got[l.ID])
				}
				got[l.ID] = true
			}
			if next == "" {
				break
			}
			after = next
		}
	}
	if len(got) != len(want) {
		t.Fatalf("listed %d loans, created %d", len(got), len(want))
	}
}

func testTimers(t *testing.T, s Store) {
	ctx := context.Background()
	now := time.Now()
	var ids []string
	for i := 0; len(ids) < 3; i++ {
		if id := fmt.Sprintf("T%d", i); s.PartitionOf(id) == 2 {
			ids = append(ids, id)
		}
	}
	// ids[0] due, ids[1] due later, ids[2] due but then cancelled.
	for i, id := range ids {
		due := now.Add(-time.Minute)
		if i == 1 {
			due = now.Add(time.Hour)
		}
		if _, err := s.Apply(ctx, Mutation{LoanID: id, Timer: &Timer{Due: due, Kind: "lender-timeout"}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Apply(ctx, Mutation{LoanID: ids[2], ExpectVersion: 1, CancelTimer: true}); err != nil {
		t.Fatal(err)
	}
	// Replacing ids[0]'s timer keeps one timer per loan.
	if _, err := s.Apply(ctx, Mutation{LoanID: ids[0], ExpectVersion: 1, Timer: &Timer{Due: now.Add(-time.Second), Kind: "recall"}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ClaimDue(ctx, 2, now, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].LoanID != ids[0] || got[0].Kind != "recall" || got[0].Partition != 2 ||
		got[0].Due.UnixMilli() != now.Add(-time.Second).UnixMilli() {
		t.Fatalf("ClaimDue = %+v, want only %s's recall timer", got, ids[0])
	}
	if again, _ := s.ClaimDue(ctx, 2, now, 10); len(again) != 0 {
		t.Fatalf("claimed again: %+v", again)
	}
	later, err := s.ClaimDue(ctx, 2, now.Add(2*time.Hour), 10)
	if err != nil || len(later) != 1 || later[0].LoanID != ids[1] {
		t.Fatalf("ClaimDue later = %+v, %v", later, err)
	}
}

// testTimersClaimedOnce: 4 claimers compete for 200 due timers; each timer
// must be handed out exactly once.
func testTimersClaimedOnce(t *testing.T, s Store) {
	const n, claimers = 200, 4
	ctx := context.Background()
	now := time.Now()
	for i := range n {
		id := fmt.Sprintf("TC%03d", i)
		if _, err := s.Apply(ctx, Mutation{LoanID: id, Timer: &Timer{Due: now.Add(-time.Duration(i) * time.Millisecond), Kind: "k"}}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	count := map[string]int{}
	var wg sync.WaitGroup
	errc := make(chan error, claimers)
	for range claimers {
		wg.Go(func() {
			for {
				total := 0
				for p := range s.Partitions() {
					ts, err := s.ClaimDue(ctx, p, now, 3)
					if err != nil {
						errc <- err
						return
					}
					mu.Lock()
					for _, tm := range ts {
						count[tm.LoanID]++
					}
					mu.Unlock()
					total += len(ts)
				}
				if total == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	if len(count) != n {
		t.Fatalf("%d distinct timers claimed, want %d", len(count), n)
	}
	for id, c := range count {
		if c != 1 {
			t.Fatalf("timer of %s claimed %d times", id, c)
		}
	}
}

func testDedup(t *testing.T, s Store) {
	ctx := context.Background()
	mustCreate(t, s, "D1")
	m := Mutation{LoanID: "D1", ExpectVersion: 1, Data: []byte("shipped"), Events: []Event{ev("shipped", "x")}, DedupKey: "req-42"}
	r1, err := s.Apply(ctx, m)
	if err != nil || r1.Replayed || r1.Loan.Version != 2 {
		t.Fatalf("first apply = %+v, %v", r1, err)
	}
	r2, err := s.Apply(ctx, m)
	if err != nil || !r2.Replayed || r2.Loan.Version != 2 || !r2.Loan.UpdatedAt.Equal(r1.Loan.UpdatedAt) {
		t.Fatalf("retry = %+v, %v; want the first outcome replayed", r2, err)
	}
	evs, _ := s.Events(ctx, "D1")
	if len(evs) != 2 {
		t.Fatalf("log has %d events after a retried write, want 2", len(evs))
	}
	m2 := m
	m2.Data = []byte("something else")
	if _, err := s.Apply(ctx, m2); !errors.Is(err, ErrConflict) {
		t.Fatalf("dedup key reused for other content: %v, want ErrConflict", err)
	}
	m3 := m
	m3.DedupKey = "req-43"
	if _, err := s.Apply(ctx, m3); !errors.Is(err, ErrConflict) {
		t.Fatalf("new key on a stale version: %v, want ErrConflict", err)
	}
	// Keys are per loan: the same key on another loan is a new write.
	mustCreate(t, s, "D2")
	m4 := m
	m4.LoanID = "D2"
	if r, err := s.Apply(ctx, m4); err != nil || r.Replayed {
		t.Fatalf("same key on another loan = %+v, %v", r, err)
	}
}

func testInvalid(t *testing.T, s Store) {
	ctx := context.Background()
	big := make([]byte, MaxDataLen+1)
	cases := map[string]func() error{
		"empty id":    func() error { _, err := s.Get(ctx, ""); return err },
		"space in id": func() error { _, err := s.CompareAndSet(ctx, "a b", 0, nil, nil, nil, ""); return err },
		"long id":     func() error { _, err := s.Get(ctx, string(make([]byte, MaxIDLen+1))); return err },
		"big data":    func() error { _, err := s.CompareAndSet(ctx, "big", 0, big, nil, nil, ""); return err },
		"many events": func() error {
			_, err := s.Apply(ctx, Mutation{LoanID: "ev", Events: make([]Event, MaxEventsPerWrite+1)})
			return err
		},
		"non-UTF-8": func() error {
			_, err := s.Apply(ctx, Mutation{LoanID: "ev", Events: []Event{{Type: "\xff"}}})
			return err
		},
		"foreign event": func() error {
			_, err := s.Apply(ctx, Mutation{LoanID: "ev", Events: []Event{{LoanID: "other"}}})
			return err
		},
		"bad partition": func() error { _, err := s.Feed(ctx, s.Partitions(), 0, 1); return err },
		"neg partition": func() error { _, err := s.ClaimDue(ctx, -1, time.Now(), 1); return err },
		"tiny ttl":      func() error { return s.PutTTL(ctx, "k", nil, time.Nanosecond) },
		"big value":     func() error { return s.PutTTL(ctx, "k", big, time.Hour) },
		"ctrl in key":   func() error { _, err := s.Incr(ctx, "a\nb", time.Hour); return err },
	}
	for name, f := range cases {
		if err := f(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if _, err := s.Get(ctx, "big"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a refused write left a loan behind: %v", err)
	}
}

func testClosed(t *testing.T, s Store) {
	ctx := context.Background()
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping of an open store: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Ping after Close: %v, want ErrUnavailable", err)
	}
	if _, err := s.Get(ctx, "L1"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Get after Close: %v, want ErrUnavailable", err)
	}
	if _, err := s.CompareAndSet(ctx, "L1", 0, nil, nil, nil, ""); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("write after Close: %v, want ErrUnavailable", err)
	}
}
