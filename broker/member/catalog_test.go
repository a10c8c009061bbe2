package member

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/illgw/illgw/internal/testenv"
	"github.com/illgw/illgw/z3950"
	"github.com/illgw/illgw/z3950/sru"
)

func pqf(t *testing.T, s string) *z3950.RPNQuery {
	t.Helper()
	q, err := z3950.ParsePQF(s)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func catalogMember(code, z, sruURL string, timeout time.Duration) Config {
	return Config{Code: code, Catalog: &CatalogConfig{Z3950: z, SRU: sruURL, Charset: "marc8", Timeout: timeout}}
}

func TestCatalogZ3950(t *testing.T) {
	srv := testenv.YazZtest(t)
	r := newRegistry(t, Options{Members: []Config{
		catalogMember("NORTH", srv.Addr+"/Default", "", 5*time.Second),
		catalogMember("GONE", srv.Addr+"/nosuchdb", "", 5*time.Second),
	}, Breaker: BreakerConfig{Failures: 2, MinRequests: 2}})
	ctx := context.Background()
	cat := r.Member("NORTH").Catalog()
	if cat.Protocol() != Z3950 || cat.Charset() != "marc8" {
		t.Fatalf("protocol %s charset %s", cat.Protocol(), cat.Charset())
	}
	// yaz-ztest makes a numeric leading term the hit count.
	res, err := cat.Search(ctx, SearchRequest{Query: pqf(t, "@attr 1=4 12"), Max: 5})
	if err != nil {
		t.Fatal(err)
	}
	if res.Hits != 12 || len(res.Records) != 5 {
		t.Fatalf("hits %d, %d records; want 12 and 5", res.Hits, len(res.Records))
	}
	for i, rec := range res.Records {
		if rec.Diagnostic != nil || !rec.Syntax.Equal(z3950.OIDUSMARC) || len(rec.Data) < 24 {
			t.Fatalf("record %d: %+v", i, rec)
		}
	}
	// The association went back to the pool and serves the next search.
	if n := len(cat.idle); n != 1 {
		t.Fatalf("%d idle associations, want 1", n)
	}
	if res, err = cat.Search(ctx, SearchRequest{Query: pqf(t, "@attr 1=4 3"), Max: 0}); err != nil || res.Hits != 3 || len(res.Records) != 0 {
		t.Fatalf("count-only search: %v %+v", err, res)
	}
	terms, err := cat.Scan(ctx, z3950.AttrTerm{Attrs: []z3950.Attribute{{Type: 1, Value: 4}}, Term: "computer"}, 5, 1)
	if err != nil || len(terms) == 0 || terms[0].Value != "COMPUTER" || terms[0].Count != 9 {
		t.Fatalf("scan: %v %+v", err, terms)
	}

	// A Bib-1 diagnostic (109 database unavailable) is an answer: it comes
	// back as *z3950.Diagnostic and does not trip the breaker.
	gone := r.Member("GONE").Catalog()
	for range 5 {
		_, err := gone.Search(ctx, SearchRequest{Query: pqf(t, "x"), Max: 1})
		var d *z3950.Diagnostic
		if !errors.As(err, &d) || d.Code != 109 {
			t.Fatalf("err = %v, want diagnostic 109", err)
		}
	}
	if h := health(t, r, "GONE", Z3950); h.Breaker != gobreaker.StateClosed || h.Answers != 5 {
		t.Fatalf("health = %+v", h)
	}
}

// A member whose target dies trips its breaker, is skipped while open,
// and is used again after it comes back (half-open probe).
func TestCatalogTargetDiesAndReturns(t *testing.T) {
	srv := testenv.YazZtest(t)
	openFor := time.Second
	r := newRegistry(t, Options{Members: []Config{catalogMember("NORTH", srv.Addr+"/Default", "", 2*time.Second)},
		Breaker: BreakerConfig{Failures: 3, OpenFor: openFor, Probes: 1}})
	ctx := context.Background()
	cat := r.Member("NORTH").Catalog()
	q := SearchRequest{Query: pqf(t, "@attr 1=4 2"), Max: 1}
	if _, err := cat.Search(ctx, q); err != nil {
		t.Fatal(err)
	}
	srv.Stop(t)
	calls := 0
	for ; calls < 10; calls++ {
		_, err := cat.Search(ctx, q)
		if errors.Is(err, ErrOpen) {
			break
		}
		if !errors.As(err, new(*CallError)) {
			t.Fatalf("call %d to a stopped target: %v", calls+1, err)
		}
	}
	if calls != 3 {
		t.Fatalf("breaker opened after %d failed calls, want 3", calls)
	}
	start := time.Now()
	if _, err := cat.Search(ctx, q); !errors.Is(err, ErrOpen) {
		t.Fatalf("while open: %v", err)
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("refusal took %v", el)
	}
	srv.Start(t)
	time.Sleep(openFor + 50*time.Millisecond)
	res, err := cat.Search(ctx, q)
	if err != nil || res.Hits != 2 {
		t.Fatalf("probe after the target came back: %v %+v", err, res)
	}
	if st := breakerState(t, r, "NORTH", Z3950); st != gobreaker.StateClosed {
		t.Fatalf("state after a good probe: %v", st)
	}
}

// A black-holed Z39.50 target (accepts TCP, never answers Init) fails
// within the deadline plus a small margin.
func TestCatalogBlackHoleDeadline(t *testing.T) {
	addr := testenv.BlackHole(t)
	const deadline = 300 * time.Millisecond
	r := newRegistry(t, Options{Members: []Config{catalogMember("EAST", addr+"/Default", "", deadline)}})
	cat := r.Member("EAST").Catalog()
	var worst time.Duration
	for range 3 {
		start := time.Now()
		_, err := cat.Search(context.Background(), SearchRequest{Query: pqf(t, "x"), Max: 1})
		el := time.Since(start)
		worst = max(worst, el)
		if !errors.Is(err, z3950.ErrTimeout) || !errors.As(err, new(*CallError)) {
			t.Fatalf("err = %v, want a CallError wrapping z3950.ErrTimeout", err)
		}
	}
	t.Logf("black-holed Z39.50 member: deadline %v, slowest failure %v (overshoot %v)", deadline, worst, worst-deadline)
	if worst > deadline+time.Second {
		t.Fatalf("slowest failure %v, deadline %v", worst, deadline)
	}
}

func TestCatalogSRU(t *testing.T) {
	srv := testenv.YazZtest(t)
	r := newRegistry(t, Options{Members: []Config{catalogMember("NAT", "", "http://"+srv.Addr+"/Default", 5*time.Second)}})
	cat := r.Member("NAT").Catalog()
	if cat.Protocol() != SRU || cat.Charset() != "utf-8" {
		t.Fatalf("protocol %s charset %s", cat.Protocol(), cat.Charset())
	}
	res, err := cat.Search(context.Background(), SearchRequest{Query: pqf(t, "@attr 1=4 computer"), Max: 3})
	var d *sru.Diagnostic
	if errors.As(err, &d) {
		t.Logf("SRU diagnostic %v", d)
	}
	if err != nil {
		t.Fatalf("SRU search: %v", err)
	}
	t.Logf("SRU: %d hits, %d records", res.Hits, len(res.Records))
	if res.Hits == 0 || len(res.Records) == 0 {
		t.Fatalf("result %+v", res)
	}
	for _, rec := range res.Records {
		if rec.Diagnostic == nil && (!rec.Syntax.Equal(z3950.OIDXML) || !bytes.Contains(rec.Data, []byte("<record"))) {
			t.Fatalf("record %+v", rec)
		}
	}
}

// SRU credentials go out as HTTP Basic; a 401 without an SRU body is a
// failure, and the password stays out of the health report.
func TestCatalogSRUCredentials(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "cat" || p != "l1brary" {
			http.Error(w, "unauthorised", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		_, _ = io.WriteString(w, `<?xml version="1.0"?><searchRetrieveResponse xmlns="http://www.loc.gov/zing/srw/">`+
			`<version>1.2</version><numberOfRecords>7</numberOfRecords></searchRetrieveResponse>`)
	}))
	defer ts.Close()
	good := catalogMember("NAT", "", ts.URL+"/db", 2*time.Second)
	good.Catalog.User, good.Catalog.Password = "cat", "l1brary"
	bad := catalogMember("BAD", "", ts.URL+"/db", 2*time.Second)
	bad.Catalog.User, bad.Catalog.Password = "cat", "wr0ng-pw"
	r := newRegistry(t, Options{Members: []Config{good, bad}})
	res, err := r.Member("NAT").Catalog().Search(context.Background(), SearchRequest{Query: pqf(t, "@attr 1=4 computer")})
	if err != nil || res.Hits != 7 {
		t.Fatalf("with credentials: %v %+v", err, res)
	}
	if _, err := r.Member("BAD").Catalog().Search(context.Background(), SearchRequest{Query: pqf(t, "@attr 1=4 computer")}); !errors.As(err, new(*CallError)) {
		t.Fatalf("wrong password: %v, want a failure", err)
	}
	if h := health(t, r, "BAD", SRU); h.Failures != 1 || strings.Contains(h.LastError, "wr0ng-pw") {
		t.Fatalf("health %+v", h)
	}
}

// A member backed by zebrasrv over the sample records: an ISBN search
// finds one MARC-8 record, which comes back as the target sent it.
func TestCatalogZebra(t *testing.T) {
	zs := testenv.Zebra(t, "testdata/sample-marc.mrc")
	r := newRegistry(t, Options{Members: []Config{catalogMember("SOUTH", zs.Addr+"/"+zs.Database, "", 5*time.Second)}})
	cat := r.Member("SOUTH").Catalog()
	res, err := cat.Search(context.Background(), SearchRequest{Query: pqf(t, "@attr 1=7 0839108826"), Max: 10})
	if err != nil {
		t.Fatal(err)
	}
	if res.Hits != 1 || len(res.Records) != 1 {
		t.Fatalf("ISBN search: %d hits, %d records; want 1 and 1", res.Hits, len(res.Records))
	}
	rec := res.Records[0]
	if !rec.Syntax.Equal(z3950.OIDUSMARC) || len(rec.Data) < 24 || !bytes.Contains(rec.Data, []byte("0839108826")) {
		t.Fatalf("record %q", rec.Data)
	}
	if rec.Data[9] != ' ' || cat.Charset() != "marc8" {
		t.Fatalf("leader/09 %q, charset %s: want a MARC-8 record as configured", rec.Data[9], cat.Charset())
	}
	res, err = cat.Search(context.Background(), SearchRequest{Query: pqf(t, "@attr 1=4 computer"), Max: 100})
	if err != nil || res.Hits < 2 || len(res.Records) != res.Hits {
		t.Fatalf("title search: %v, %+v", err, res)
	}
}

// Asking for OPAC records brings each record's holdings (call number,
// availability) beside its MARC data, as yaz-ztest sends them.
func TestCatalogOPACHoldings(t *testing.T) {
	srv := testenv.YazZtest(t)
	r := newRegistry(t, Options{Members: []Config{catalogMember("NORTH", srv.Addr+"/Default", "", 5*time.Second)}})
	res, err := r.Member("NORTH").Catalog().Search(context.Background(), SearchRequest{Query: pqf(t, "@attr 1=4 3"), Max: 3, Syntax: z3950.OIDOPAC})
	if err != nil || len(res.Records) != 3 {
		t.Fatalf("%v %+v", err, res)
	}
	for i, rec := range res.Records {
		if !rec.Syntax.Equal(z3950.OIDOPAC) || len(rec.Data) < 24 || len(rec.Holdings) == 0 {
			t.Fatalf("record %d: %+v", i, rec)
		}
		h := rec.Holdings[0]
		if h.CallNumber == "" || len(h.Circulation) == 0 || !h.Circulation[0].AvailableNow {
			t.Fatalf("record %d holdings %+v", i, h)
		}
	}
}
