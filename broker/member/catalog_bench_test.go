package member

import (
	"context"
	"testing"
	"time"

	"github.com/illgw/illgw/internal/testenv"
	"github.com/illgw/illgw/z3950"
)

// BenchmarkCatalogSearch: one member search of yaz-ztest through the
// registry (breaker, pooled association), retrieving 1, 10 or 100 records
// as USMARC or OPAC: what the gateway pays per member before merging.
func BenchmarkCatalogSearch(b *testing.B) {
	srv := testenv.YazZtest(b)
	r, err := New(Options{Members: []Config{catalogMember("ZT", srv.Addr+"/Default", "", 5*time.Second)}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { r.Close() })
	cat := r.Member("ZT").Catalog()
	q, _ := z3950.ParsePQF("@attr 1=4 computer")
	ctx := context.Background()
	for _, bc := range []struct {
		name   string
		max    int
		syntax []uint32
	}{{"usmarc-1", 1, nil}, {"usmarc-10", 10, nil}, {"opac-10", 10, z3950.OIDOPAC}, {"opac-100", 100, z3950.OIDOPAC}} {
		b.Run(bc.name, func(b *testing.B) {
			n := 0
			for b.Loop() {
				res, err := cat.Search(ctx, SearchRequest{Query: q, Max: bc.max, Syntax: bc.syntax})
				if err != nil {
					b.Fatal(err)
				}
				n = len(res.Records)
			}
			b.ReportMetric(float64(n), "records")
		})
	}
}
