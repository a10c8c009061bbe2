package state

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func openTestEmbedded(t testing.TB, path string, o Options) Store {
	t.Helper()
	o.Driver, o.Path = "embedded", path
	s, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestEmbeddedConformance(t *testing.T) {
	runConformance(t, func(t *testing.T) Store {
		return openTestEmbedded(t, filepath.Join(t.TempDir(), "state.db"), Options{})
	})
}

// TestEmbeddedDurable closes and reopens the file: loans, logs, feed
// positions, timers, TTL entries and dedup records are all still there.
func TestEmbeddedDurable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "var", "illgw.db") // parent folder is created
	s := openTestEmbedded(t, path, Options{})
	m := Mutation{LoanID: "DUR", Data: []byte("v1"), Events: []Event{ev("created", "a")},
		Timer: &Timer{Due: time.Now().Add(-time.Second), Kind: "k"}, DedupKey: "create-DUR"}
	if _, err := s.Apply(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := s.PutTTL(ctx, "rs", []byte("keep"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTestEmbedded(t, path, Options{})
	l, err := s.Get(ctx, "DUR")
	if err != nil || l.Version != 1 || string(l.Data) != "v1" {
		t.Fatalf("after reopen Get = %+v, %v", l, err)
	}
	if r, err := s.Apply(ctx, m); err != nil || !r.Replayed {
		t.Fatalf("dedup record lost on reopen: %+v, %v", r, err)
	}
	r, err := s.Apply(ctx, Mutation{LoanID: "DUR", ExpectVersion: 1, Events: []Event{ev("shipped", "b")}})
	if err != nil || r.Events[0].Pos != 2 || r.Events[0].Seq != 2 {
		t.Fatalf("positions after reopen = %+v, %v", r.Events, err)
	}
	if ts, err := s.ClaimDue(ctx, s.PartitionOf("DUR"), time.Now(), 10); err != nil || len(ts) != 1 {
		t.Fatalf("timer after reopen = %+v, %v", ts, err)
	}
	if v, err := s.GetTTL(ctx, "rs"); err != nil || string(v) != "keep" {
		t.Fatalf("TTL entry after reopen = %q, %v", v, err)
	}
}

func TestEmbeddedPartitionsFixed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s := openTestEmbedded(t, path, Options{Partitions: 8})
	s.Close()
	_, err := Open(context.Background(), Options{Path: path, Partitions: 16})
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("reopen with another partition count: %v, want ErrInvalid", err)
	}
	s = openTestEmbedded(t, path, Options{Partitions: 8})
	if s.Partitions() != 8 {
		t.Fatalf("Partitions = %d", s.Partitions())
	}
}

func TestEmbeddedLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	openTestEmbedded(t, path, Options{})
	start := time.Now()
	_, err := Open(context.Background(), Options{Path: path})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("second open of a locked file: %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("second open took %v", d)
	}
}

// TestEmbeddedSweeper checks that expired entries leave the file, not only
// that reads hide them.
func TestEmbeddedSweeper(t *testing.T) {
	ctx := context.Background()
	s := openTestEmbedded(t, filepath.Join(t.TempDir(), "state.db"), Options{SweepInterval: 20 * time.Millisecond})
	e := s.(*embedded)
	s.PutTTL(ctx, "short", []byte("x"), 10*time.Millisecond)
	s.PutTTL(ctx, "long", []byte("x"), time.Hour)
	s.Incr(ctx, "ctr", 10*time.Millisecond)
	count := func(name []byte) (n int) {
		e.db.View(func(tx *bolt.Tx) error { n = tx.Bucket(name).Stats().KeyN; return nil })
		return n
	}
	deadline := time.Now().Add(5 * time.Second)
	for count(bTTL) != 1 || count(bCtr) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("sweeper left %d TTL entries and %d counters, want 1 and 0", count(bTTL), count(bCtr))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestEmbeddedDamagedRecord: a damaged loan record gives an error, not a panic.
func TestEmbeddedDamagedRecord(t *testing.T) {
	ctx := context.Background()
	s := openTestEmbedded(t, filepath.Join(t.TempDir(), "state.db"), Options{})
	e := s.(*embedded)
	p := s.PartitionOf("BAD")
	e.db.Update(func(tx *bolt.Tx) error {
		e.part(tx, p, bLoans).Put([]byte("BAD"), []byte("not a record"))
		return e.part(tx, p, bEvents).Put(append([]byte("BAD\x00"), u64(1)...), []byte("1,1,{"))
	})
	if _, err := s.Get(ctx, "BAD"); err == nil {
		t.Fatal("Get of a damaged record succeeded")
	}
	if _, err := s.CompareAndSet(ctx, "BAD", 1, nil, nil, nil, ""); err == nil {
		t.Fatal("write over a damaged record succeeded")
	}
	if _, err := s.Events(ctx, "BAD"); err == nil {
		t.Fatal("Events of a damaged log succeeded")
	}
}

func TestOpenInvalid(t *testing.T) {
	ctx := context.Background()
	for name, o := range map[string]Options{
		"no path":        {Driver: "embedded"},
		"unknown driver": {Driver: "etcd"},
		"partitions":     {Path: "x", Partitions: MaxPartitions + 1},
		"no redis addr":  {Driver: "redis"},
	} {
		if _, err := Open(ctx, o); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}

// TestEmbeddedDedupExpiry moves the store's clock past DedupTTL: the sweep
// drops the dedup record and the key no longer replays.
func TestEmbeddedDedupExpiry(t *testing.T) {
	ctx := context.Background()
	s := openTestEmbedded(t, filepath.Join(t.TempDir(), "state.db"), Options{})
	e := s.(*embedded)
	m := Mutation{LoanID: "EXP", Data: []byte("x"), DedupKey: "k"}
	if _, err := s.Apply(ctx, m); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Apply(ctx, m); err != nil || !r.Replayed {
		t.Fatalf("retry within DedupTTL = %+v, %v", r, err)
	}
	e.now = func() time.Time { return time.Now().Add(DedupTTL + time.Minute) }
	if _, err := s.Apply(ctx, m); !errors.Is(err, ErrExists) {
		t.Fatalf("retry after DedupTTL: %v, want ErrExists (the key is forgotten)", err)
	}
	if err := e.sweep(); err != nil {
		t.Fatal(err)
	}
	var n int
	e.db.View(func(tx *bolt.Tx) error { n = e.part(tx, s.PartitionOf("EXP"), bDedup).Stats().KeyN; return nil })
	if n != 0 {
		t.Fatalf("%d dedup records left after the sweep", n)
	}
}
