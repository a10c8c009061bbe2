package state

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/illgw/illgw/internal/testenv"
)

// BenchmarkCAS measures one transition (CAS + one event + a timer) on each
// driver: serial on one loan, and parallel over distinct loans. Run with
// go test -run XXX -bench CAS ./broker/state; ops/s is reported.
func BenchmarkCAS(b *testing.B) {
	b.Run("embedded", func(b *testing.B) {
		benchCAS(b, openTestEmbedded(b, filepath.Join(b.TempDir(), "bench.db"), Options{}))
	})
	b.Run("redis", func(b *testing.B) {
		benchCAS(b, openTestRedis(b, testenv.Redis(b).Addr, Options{}))
	})
	b.Run("redis-aof-always", func(b *testing.B) {
		benchCAS(b, openTestRedis(b, testenv.Redis(b, testenv.WithAOF()).Addr, Options{}))
	})
}

func benchCAS(b *testing.B, s Store) {
	ctx := context.Background()
	data := make([]byte, 512)
	step := func(id string, v uint64) error {
		_, err := s.Apply(ctx, Mutation{LoanID: id, ExpectVersion: v, Data: data,
			Events: []Event{{Type: "step", Actor: "bench", Data: data[:64]}},
			Timer:  &Timer{Due: time.Now().Add(time.Hour), Kind: "k"}, DedupKey: fmt.Sprint("s", v)})
		return err
	}
	var n atomic.Int64
	b.Run("serial", func(b *testing.B) {
		id := fmt.Sprint("B", n.Add(1))
		v := uint64(0)
		for b.Loop() {
			if err := step(id, v); err != nil {
				b.Fatal(err)
			}
			v++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			id := fmt.Sprint("P", n.Add(1))
			v := uint64(0)
			for pb.Next() {
				if err := step(id, v); err != nil {
					b.Error(err)
					return
				}
				v++
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	})
}
