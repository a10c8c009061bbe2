package z3950_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/illgw/illgw/internal/testenv"
	"github.com/illgw/illgw/z3950"
)

// runPairs drives conns connections, each doing n search+present(1 USMARC) pairs, and
// returns pairs per second. The same client and script run against every server.
func runPairs(b *testing.B, addr, db string, conns, n int) float64 {
	b.Helper()
	ctx := context.Background()
	clients := make([]*z3950.Client, conns)
	for i := range clients {
		c, err := z3950.Dial(ctx, addr, nil)
		if err != nil {
			b.Fatal(err)
		}
		clients[i] = c
		defer c.Close(ctx)
	}
	q := z3950.Query{RPN: mustPQF(b, "@attr 1=4 computer")}
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	start := time.Now()
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n {
				sr, err := c.Search(ctx, []string{db}, q, nil)
				if err != nil {
					errs <- err
					return
				}
				if sr.ResultCount == 0 {
					continue // yaz-ztest hashes some terms to 0 hits
				}
				if _, err := c.Present(ctx, "", 1, 1, z3950.OIDUSMARC, "F"); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	return float64(conns*n) / time.Since(start).Seconds()
}

// BenchmarkSearchPresent compares our server (in-memory backend over the sample records) with
// yaz-ztest on one connection and on ten, and reports the ratio. Goal: ratio >= 1.
func BenchmarkSearchPresent(b *testing.B) {
	ours := startServer(b, &z3950.Server{Backend: sampleBackend(b)})
	zt := testenv.YazZtest(b)
	for _, conns := range []int{1, 10} {
		b.Run(fmt.Sprintf("conns=%d", conns), func(b *testing.B) {
			const n = 500
			// Best of alternating rounds: the machine is shared, so the best round of each is
			// the fairest comparison.
			var oursRate, ztRate float64
			for b.Loop() {
				for range 3 {
					oursRate = max(oursRate, runPairs(b, ours, "Default", conns, n))
					ztRate = max(ztRate, runPairs(b, zt.Addr, "Default", conns, n))
				}
			}
			b.ReportMetric(oursRate, "ours-pairs/s")
			b.ReportMetric(ztRate, "ztest-pairs/s")
			b.ReportMetric(oursRate/ztRate, "ratio")
		})
	}
}
