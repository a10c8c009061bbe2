package state

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// populate fills s with what a gateway leaves behind: loans at several
// versions with binary data, events in every partition, timers, dedup
// records, TTL entries, counters, and one TTL entry that has expired.
func populate(t testing.TB, s Store, loans int) {
	t.Helper()
	ctx := context.Background()
	for i := range loans {
		for v := 0; v <= i%4; v++ {
			if _, err := s.Apply(ctx, populateWrite(i, v)); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := range 5 {
		if err := s.PutTTL(ctx, fmt.Sprintf("rs:%d", i), []byte{byte(i), '\n', 0}, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Incr(ctx, "pin:N0001", time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Incr(ctx, "pin:N0001", time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.PutTTL(ctx, "gone", []byte("x"), 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
}

// populateWrite is the write populate makes to loan i from version v.
func populateWrite(i, v int) Mutation {
	id := fmt.Sprintf("L%03d", i)
	if v == 0 {
		m := Mutation{LoanID: id, Data: []byte{byte(i), 0, 0xff, 'x'}, Events: []Event{{Type: "created", Actor: "NORTH", Data: []byte("{\"n\":1}")}},
			DedupKey: "create-" + id}
		if i%3 == 0 {
			m.Timer = &Timer{Due: time.Now().Add(time.Duration(i+1) * time.Hour), Kind: "lender-timeout"}
		}
		return m
	}
	return Mutation{LoanID: id, ExpectVersion: uint64(v), Data: fmt.Appendf(nil, "state %d of %s", v, id),
		Events:   []Event{{Type: "step", Actor: "SOUTH", Time: time.Unix(1700000000+int64(v), 123456789)}, {Type: "note"}},
		DedupKey: fmt.Sprintf("step-%d:%s", v, id), CancelTimer: v == 2}
}

type eventView struct {
	Seq, Pos          uint64
	Loan, Type, Actor string
	Data              string
	Time              int64
}

type loanView struct {
	Version uint64
	Data    string
	Updated int64
	Events  []eventView
}

// storeView is everything a client of the Store interface can read back
// without changing it.
type storeView struct {
	Loans map[string]loanView
	Feeds [][]eventView
	TTL   map[string]string
}

func viewOf(es []Event) []eventView {
	out := []eventView{}
	for _, e := range es {
		out = append(out, eventView{e.Seq, e.Pos, e.LoanID, e.Type, e.Actor, string(e.Data), e.Time.UnixNano()})
	}
	return out
}

func readView(t testing.TB, s Store) storeView {
	t.Helper()
	ctx := context.Background()
	v := storeView{Loans: map[string]loanView{}, TTL: map[string]string{}}
	for p := range s.Partitions() {
		after := ""
		for {
			ls, next, err := s.List(ctx, ListOptions{Partition: p, After: after, Limit: 7})
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range ls {
				evs, err := s.Events(ctx, l.ID)
				if err != nil {
					t.Fatal(err)
				}
				v.Loans[l.ID] = loanView{l.Version, string(l.Data), l.UpdatedAt.UnixNano(), viewOf(evs)}
			}
			if next == "" {
				break
			}
			after = next
		}
		feed, err := s.Feed(ctx, p, 0, MaxListLimit)
		if err != nil {
			t.Fatal(err)
		}
		v.Feeds = append(v.Feeds, viewOf(feed))
	}
	for _, k := range []string{"rs:0", "rs:1", "rs:2", "rs:3", "rs:4", "gone"} {
		if b, err := s.GetTTL(ctx, k); err == nil {
			v.TTL[k] = string(b)
		}
	}
	return v
}

// sameStores compares two stores through the Store interface: loans,
// logs, feeds and TTL entries now; then what only a write or a claim
// shows (timers, dedup records, counters, the next feed position), by
// doing the same to both.
func sameStores(t *testing.T, a, b Store) {
	t.Helper()
	ctx := context.Background()
	va, vb := readView(t, a), readView(t, b)
	if !reflect.DeepEqual(va, vb) {
		for id, l := range va.Loans {
			if !reflect.DeepEqual(l, vb.Loans[id]) {
				t.Errorf("loan %s:\n a %+v\n b %+v", id, l, vb.Loans[id])
			}
		}
		t.Fatalf("stores differ (%d and %d loans; TTL %v and %v)", len(va.Loans), len(vb.Loans), va.TTL, vb.TTL)
	}
	if len(va.Loans) == 0 {
		t.Fatal("compared two empty stores")
	}
	for p := range a.Partitions() {
		far := time.Now().Add(1000 * time.Hour)
		ta, err1 := a.ClaimDue(ctx, p, far, MaxListLimit)
		tb, err2 := b.ClaimDue(ctx, p, far, MaxListLimit)
		if err1 != nil || err2 != nil || !reflect.DeepEqual(timerView(ta), timerView(tb)) {
			t.Fatalf("partition %d timers:\n a %v %v\n b %v %v", p, timerView(ta), err1, timerView(tb), err2)
		}
	}
	for id, l := range va.Loans {
		// The write of the last version, retried with its dedup key,
		// replays on both; a new event gets the same next position.
		var i int
		fmt.Sscanf(id, "L%d", &i)
		m := populateWrite(i, int(l.Version)-1)
		ra, err1 := a.Apply(ctx, m)
		rb, err2 := b.Apply(ctx, m)
		if err1 != nil || err2 != nil || !ra.Replayed || !rb.Replayed || ra.Loan.Version != rb.Loan.Version {
			t.Fatalf("loan %s dedup retry: a %+v %v, b %+v %v; want both replayed", id, ra, err1, rb, err2)
		}
		na, err1 := a.Apply(ctx, Mutation{LoanID: id, ExpectVersion: l.Version, Events: []Event{{Type: "after"}}})
		nb, err2 := b.Apply(ctx, Mutation{LoanID: id, ExpectVersion: l.Version, Events: []Event{{Type: "after"}}})
		if err1 != nil || err2 != nil || na.Events[0].Pos != nb.Events[0].Pos || na.Events[0].Seq != nb.Events[0].Seq {
			t.Fatalf("loan %s next event: a %+v %v, b %+v %v", id, na.Events, err1, nb.Events, err2)
		}
	}
	ca, err1 := a.Incr(ctx, "pin:N0001", time.Hour)
	cb, err2 := b.Incr(ctx, "pin:N0001", time.Hour)
	if err1 != nil || err2 != nil || ca != cb || ca != 3 {
		t.Fatalf("counter: a %d %v, b %d %v, want 3", ca, err1, cb, err2)
	}
}

func timerView(ts []Timer) []string {
	var out []string
	for _, t := range ts {
		out = append(out, fmt.Sprintf("%s@%d/%s", t.LoanID, t.Due.UnixMilli(), t.Kind))
	}
	return out
}
