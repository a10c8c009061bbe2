package state

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkEmbeddedPutTTL measures replay-entry writes (PutTTL of a
// 256-byte value) on the embedded driver: serial, and from many
// goroutines at once (as kiosks do), where writers share commits. Run with
// go test -run XXX -bench EmbeddedPutTTL ./broker/state; ops/s is reported.
func BenchmarkEmbeddedPutTTL(b *testing.B) {
	s := openTestEmbedded(b, filepath.Join(b.TempDir(), "bench.db"), Options{})
	ctx := context.Background()
	value := make([]byte, 256)
	var n atomic.Int64
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			if err := s.PutTTL(ctx, fmt.Sprint("r", n.Add(1)), value, time.Minute); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	})
	b.Run("parallel", func(b *testing.B) {
		b.SetParallelism(32)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := s.PutTTL(ctx, fmt.Sprint("r", n.Add(1)), value, time.Minute); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	})
}

// BenchmarkEmbeddedCAS32 is BenchmarkCAS's parallel case on the embedded
// driver with 32 goroutines per CPU, each moving its own loan, the way
// many kiosks and loan watchers write at once.
func BenchmarkEmbeddedCAS32(b *testing.B) {
	s := openTestEmbedded(b, filepath.Join(b.TempDir(), "bench.db"), Options{})
	ctx := context.Background()
	data := make([]byte, 512)
	var n atomic.Int64
	b.SetParallelism(32)
	b.RunParallel(func(pb *testing.PB) {
		id := fmt.Sprint("P", n.Add(1))
		v := uint64(0)
		for pb.Next() {
			_, err := s.Apply(ctx, Mutation{LoanID: id, ExpectVersion: v, Data: data,
				Events: []Event{{Type: "step", Actor: "bench", Data: data[:64]}},
				Timer:  &Timer{Due: time.Now().Add(time.Hour), Kind: "k"}, DedupKey: fmt.Sprint("s", v)})
			if err != nil {
				b.Error(err)
				return
			}
			v++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// TestEmbeddedBatchedWrites runs many writers at once, so their writes
// share bbolt batches, and checks each still sees its own outcome: one
// PutIfAbsent of a key creates it, Incr hands out every count once, and of
// the writers racing for one loan version exactly one wins while the
// refused ones do not undo the others' writes in the same batch.
func TestEmbeddedBatchedWrites(t *testing.T) {
	s := openTestEmbedded(t, filepath.Join(t.TempDir(), "batch.db"), Options{})
	ctx := context.Background()
	const n = 64
	var created atomic.Int64
	counts := make([]atomic.Int64, n+1)
	wins := make([]atomic.Int64, 4)
	errs := make(chan error, 4*n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			v, ok, err := s.PutIfAbsent(ctx, "once", []byte(fmt.Sprint(i)), time.Minute)
			if err != nil {
				errs <- err
			} else if ok {
				created.Add(1)
				if string(v) != fmt.Sprint(i) {
					errs <- fmt.Errorf("created once with %q, wrote %d", v, i)
				}
			}
			c, err := s.Incr(ctx, "ctr", time.Minute)
			if err != nil || c < 1 || c > n {
				errs <- fmt.Errorf("Incr = %d, %v", c, err)
			} else {
				counts[c].Add(1)
			}
			if err := s.PutTTL(ctx, fmt.Sprint("k", i), []byte{byte(i)}, time.Minute); err != nil {
				errs <- err
			}
			for v := range uint64(len(wins)) {
				_, err := s.Apply(ctx, Mutation{LoanID: "L1", ExpectVersion: v, Data: []byte(fmt.Sprint(i)),
					Events: []Event{{Type: "step", Actor: fmt.Sprint(i)}}})
				switch {
				case err == nil:
					wins[v].Add(1)
				case !errors.Is(err, ErrConflict) && !errors.Is(err, ErrExists) && !errors.Is(err, ErrNotFound):
					errs <- err
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if c := created.Load(); c != 1 {
		t.Errorf("PutIfAbsent created the key %d times, want 1", c)
	}
	for c := 1; c <= n; c++ {
		if got := counts[c].Load(); got != 1 {
			t.Errorf("Incr returned %d %d times, want once", c, got)
		}
	}
	for i := range n {
		if v, err := s.GetTTL(ctx, fmt.Sprint("k", i)); err != nil || len(v) != 1 || v[0] != byte(i) {
			t.Errorf("GetTTL(k%d) = %v, %v", i, v, err)
		}
	}
	l, err := s.Get(ctx, "L1")
	if err != nil {
		t.Fatal(err)
	}
	if l.Version != uint64(len(wins)) {
		t.Errorf("loan at version %d, want %d", l.Version, len(wins))
	}
	for v := range wins {
		if w := wins[v].Load(); w != 1 {
			t.Errorf("%d writers moved the loan from version %d, want exactly 1", w, v)
		}
	}
	evs, err := s.Events(ctx, "L1")
	if err != nil || len(evs) != len(wins) {
		t.Fatalf("Events = %d, %v; want %d", len(evs), err, len(wins))
	}
	for i, e := range evs {
		if e.Seq != uint64(i+1) {
			t.Errorf("event %d has seq %d", i, e.Seq)
		}
	}
}
