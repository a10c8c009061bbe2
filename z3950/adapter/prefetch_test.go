package adapter_test

import (
	"context"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/illgw/illgw/broker/member"
	"github.com/illgw/illgw/internal/testenv"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
	"github.com/illgw/illgw/z3950"
	"github.com/illgw/illgw/z3950/adapter"
)

// countingCatalog counts the Present calls that reach the broker; with
// noPrefetch it asks for no records with a search, as the adapter did
// before it prefetched.
type countingCatalog struct {
	illgwv1.CatalogClient
	noPrefetch bool
	presents   atomic.Int32
}

func (c *countingCatalog) Search(ctx context.Context, in *illgwv1.SearchRequest, opts ...grpc.CallOption) (*illgwv1.SearchResponse, error) {
	if c.noPrefetch {
		in.Count, in.RecordSyntax, in.ElementSet, in.Charset = 0, "", "", ""
	}
	return c.CatalogClient.Search(ctx, in, opts...)
}

func (c *countingCatalog) Present(ctx context.Context, in *illgwv1.PresentRequest, opts ...grpc.CallOption) (*illgwv1.PresentResponse, error) {
	c.presents.Add(1)
	return c.CatalogClient.Present(ctx, in, opts...)
}

// TestPrefetchSameAnswers runs one sequence of searches, presents, a sort
// and a delete on two sessions over the same broker: one whose searches
// bring the first records along, one that asks the broker for every
// present. A client must see the same records and errors from both, and
// the prefetching session must spare the presents that follow a search in
// the shape of the last present.
func TestPrefetchSameAnswers(t *testing.T) {
	zt := testenv.YazZtest(t)
	cat := catalog(t, []catTarget{{code: "ZT", z3950: zt.Addr + "/Default", timeout: 5 * time.Second}}, nil, member.BreakerConfig{})
	type step struct {
		search, sort, del string // a PQF query, a sort output, a set to delete
		fetch             *z3950.FetchRequest
	}
	usmarc := func(start, n int) *z3950.FetchRequest {
		return &z3950.FetchRequest{ResultSet: "default", Start: start, Count: n, Syntax: z3950.OIDUSMARC, ElementSet: "F"}
	}
	opac := &z3950.FetchRequest{ResultSet: "default", Start: 1, Count: 2, Syntax: z3950.OIDOPAC, ElementSet: "F"}
	steps := []step{
		{search: "@attr 1=4 computer"}, {fetch: usmarc(1, 1)}, // learns the shape
		{search: "@attr 1=4 computer"}, {fetch: usmarc(1, 1)}, // prefetched
		{fetch: usmarc(2, 1)},                      // beyond the prefetch
		{fetch: opac},                              // another syntax
		{search: "@attr 1=4 water"}, {fetch: opac}, // prefetched as OPAC
		{sort: "default"}, {fetch: opac}, // the set was replaced
		{search: "@attr 1=4 water"}, {del: "default"}, {fetch: opac}, // deleted: Bib-1 30 or 13
		{search: "@attr 1=4 nosuchtermatall"}, {fetch: opac}, // prefetched again
	}
	run := func(cc *countingCatalog) []any {
		ctx := context.Background()
		zs, err := (&adapter.Backend{Client: cc}).Init(ctx, &z3950.InitInfo{})
		if err != nil {
			t.Fatal(err)
		}
		sess := zs.(*adapter.Session)
		defer sess.Close(ctx)
		var out []any
		for _, st := range steps {
			switch {
			case st.search != "":
				q, err := z3950.ParsePQF(st.search)
				if err != nil {
					t.Fatal(err)
				}
				res, err := sess.Search(ctx, &z3950.SearchQuery{ResultSet: "default", Databases: []string{"ZT"}, Query: z3950.Query{RPN: q}})
				out = append(out, res, errString(err))
			case st.sort != "":
				n, err := sess.Sort(ctx, &z3950.SortQuery{Inputs: []string{"default"}, Output: st.sort,
					Keys: []z3950.SortKey{{Attrs: []z3950.Attribute{{Type: 1, Value: 4}}, Descending: true}}})
				out = append(out, n, errString(err))
			case st.del != "":
				out = append(out, errString(sess.Delete(ctx, []string{st.del})))
			default:
				recs, err := sess.Fetch(ctx, st.fetch)
				out = append(out, recs, errString(err))
			}
		}
		return out
	}
	plain := &countingCatalog{CatalogClient: cat, noPrefetch: true}
	pre := &countingCatalog{CatalogClient: cat}
	want, got := run(plain), run(pre)
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("answer %d with prefetch: %+v, without: %+v", i, got[i], want[i])
		}
	}
	// Answers 6-7 are the first prefetched present: one USMARC record.
	if recs, _ := got[6].([]z3950.Record); len(recs) != 1 || len(recs[0].Data) < 24 {
		t.Errorf("prefetched present: %+v", got[6])
	}
	if p, w := pre.presents.Load(), plain.presents.Load(); p != w-3 {
		t.Errorf("presents to the broker: %d with prefetch, %d without; want 3 fewer", p, w)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
