package adapter_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/illgw/illgw/broker/member"
	"github.com/illgw/illgw/internal/testenv"
	"github.com/illgw/illgw/z3950"
	"github.com/illgw/illgw/z3950/adapter"
	"github.com/illgw/illgw/z3950/cql"
)

// BenchmarkSearchPresent: one search and a present of one USMARC record
// over one Z39.50 association, to yaz-ztest directly and through the
// gateway's front end (adapter, gRPC, broker, member client) to the same
// yaz-ztest, cache off; then through the gateway to three members served
// by that yaz-ztest. It reports the gateway's time as a ratio of the
// direct time measured in the same run.
func BenchmarkSearchPresent(b *testing.B) {
	zt := testenv.YazZtest(b)
	cat := catalog(b, []catTarget{
		{code: "ZT", z3950: zt.Addr + "/Default", timeout: 5 * time.Second},
		{code: "A", z3950: zt.Addr + "/Default", timeout: 5 * time.Second},
		{code: "B", z3950: zt.Addr + "/Default", timeout: 5 * time.Second},
	}, map[string][]string{"fan": {"ZT", "A", "B"}}, member.BreakerConfig{})
	srv := &z3950.Server{Backend: &adapter.Backend{Client: cat}, MapCQL: cql.Default().MapCQL}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	q, _ := z3950.ParsePQF("@attr 1=4 computer")
	run := func(b *testing.B, addr, db string) time.Duration {
		ctx := context.Background()
		c, err := z3950.Dial(ctx, addr, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close(ctx)
		start := time.Now()
		for b.Loop() {
			if _, err := c.Search(ctx, []string{db}, z3950.Query{RPN: q}, nil); err != nil {
				b.Fatal(err)
			}
			if _, err := c.Present(ctx, "default", 1, 1, z3950.OIDUSMARC, "F"); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start) / time.Duration(b.N)
	}
	var direct time.Duration
	b.Run("direct", func(b *testing.B) { direct = run(b, zt.Addr, "Default") })
	b.Run("gateway", func(b *testing.B) {
		gw := run(b, ln.Addr().String(), "ZT")
		if direct > 0 {
			b.ReportMetric(float64(gw)/float64(direct), "x-direct")
		}
	})
	// Three members (the same records): fan-out, normalising and merging.
	b.Run("gateway-fan3", func(b *testing.B) {
		gw := run(b, ln.Addr().String(), "fan")
		if direct > 0 {
			b.ReportMetric(float64(gw)/float64(direct), "x-direct")
		}
	})
}
