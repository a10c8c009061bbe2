package state

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TTL entries and counters of the conformance suite.

func testTTL(t *testing.T, s Store) {
	ctx := context.Background()
	if err := s.PutTTL(ctx, "rs:1", []byte("result set"), 150*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := s.PutTTL(ctx, "rs:2", []byte("long"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if v, err := s.GetTTL(ctx, "rs:1"); err != nil || string(v) != "result set" {
		t.Fatalf("GetTTL = %q, %v", v, err)
	}
	time.Sleep(400 * time.Millisecond)
	if _, err := s.GetTTL(ctx, "rs:1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetTTL after expiry: %v, want ErrNotFound", err)
	}
	if v, err := s.GetTTL(ctx, "rs:2"); err != nil || string(v) != "long" {
		t.Fatalf("GetTTL of a live entry = %q, %v", v, err)
	}
	if err := s.DeleteTTL(ctx, "rs:2"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetTTL(ctx, "rs:2"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetTTL after delete: %v", err)
	}
	if err := s.DeleteTTL(ctx, "never"); err != nil {
		t.Fatalf("DeleteTTL of a missing key: %v", err)
	}
}

func testPutIfAbsent(t *testing.T, s Store) {
	ctx := context.Background()
	v, created, err := s.PutIfAbsent(ctx, "idem:1", []byte("first"), 150*time.Millisecond)
	if err != nil || !created || string(v) != "first" {
		t.Fatalf("first PutIfAbsent = %q %v %v", v, created, err)
	}
	v, created, err = s.PutIfAbsent(ctx, "idem:1", []byte("second"), time.Hour)
	if err != nil || created || string(v) != "first" {
		t.Fatalf("second PutIfAbsent = %q %v %v, want the first value", v, created, err)
	}
	time.Sleep(400 * time.Millisecond)
	v, created, err = s.PutIfAbsent(ctx, "idem:1", []byte("third"), time.Hour)
	if err != nil || !created || string(v) != "third" {
		t.Fatalf("PutIfAbsent after expiry = %q %v %v", v, created, err)
	}
	// Racing callers: exactly one creates.
	var wg sync.WaitGroup
	var mu sync.Mutex
	winners := 0
	for i := range 20 {
		wg.Go(func() {
			_, c, err := s.PutIfAbsent(ctx, "idem:race", fmt.Appendf(nil, "%d", i), time.Hour)
			if err != nil {
				t.Error(err)
			}
			if c {
				mu.Lock()
				winners++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if winners != 1 {
		t.Fatalf("%d racing PutIfAbsent calls created the key, want 1", winners)
	}
}

func testCounters(t *testing.T, s Store) {
	ctx := context.Background()
	for want := int64(1); want <= 3; want++ {
		if n, err := s.Incr(ctx, "pin:N0001", time.Hour); err != nil || n != want {
			t.Fatalf("Incr = %d, %v; want %d", n, err, want)
		}
	}
	if err := s.Reset(ctx, "pin:N0001"); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Incr(ctx, "pin:N0001", time.Hour); n != 1 {
		t.Fatalf("Incr after Reset = %d", n)
	}
	if n, _ := s.Incr(ctx, "pin:short", 150*time.Millisecond); n != 1 {
		t.Fatalf("first Incr = %d", n)
	}
	if n, _ := s.Incr(ctx, "pin:short", 150*time.Millisecond); n != 2 {
		t.Fatalf("second Incr = %d", n)
	}
	time.Sleep(400 * time.Millisecond)
	if n, _ := s.Incr(ctx, "pin:short", 150*time.Millisecond); n != 1 {
		t.Fatalf("Incr after the window = %d, want a new window", n)
	}
}
