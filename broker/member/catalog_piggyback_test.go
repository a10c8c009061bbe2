package member

import (
	"context"
	"reflect"
	"testing"

	"github.com/illgw/illgw/internal/testenv"
	"github.com/illgw/illgw/z3950"
	"github.com/illgw/illgw/z3950/ber"
)

// TestSearchPiggybackSameRecords: a search that brings its records along
// (small-set piggyback) gives the same hit count, records and error as a
// search and a present, whether the result fits in Max or not, and when
// the target cannot give the records asked for.
func TestSearchPiggybackSameRecords(t *testing.T) {
	srv := testenv.YazZtest(t)
	ctx := context.Background()
	zc, err := z3950.Dial(ctx, srv.Addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer zc.Close(ctx)
	// searchPresent is the search without piggyback, then one present.
	searchPresent := func(req SearchRequest) (*SearchResult, error) {
		sr, err := zc.Search(ctx, []string{"Default"}, z3950.Query{RPN: req.Query}, nil)
		if err != nil {
			return nil, err
		}
		res := &SearchResult{Hits: sr.ResultCount}
		if n := min(req.Max, sr.ResultCount); n > 0 {
			syntax := req.Syntax
			if syntax == nil {
				syntax = z3950.OIDUSMARC
			}
			recs, err := zc.Present(ctx, "", 1, n, syntax, "F")
			res.Records = make([]Record, 0, n)
			for _, r := range recs {
				res.Records = append(res.Records, z3950Record(r))
			}
			if err != nil {
				return res, err
			}
		}
		return res, nil
	}
	for _, tc := range []struct {
		query  string
		max    int
		syntax ber.OID
	}{
		{"@attr 1=4 computer", 100, nil},              // 23 hits: all piggybacked
		{"@attr 1=4 computer", 100, z3950.OIDOPAC},    // with holdings
		{"@attr 1=4 computer", 23, z3950.OIDOPAC},     // exactly Max
		{"@attr 1=4 computer", 5, nil},                // more hits than Max: presented
		{"@attr 1=4 computer", 0, nil},                // the hit count only
		{"@attr 1=4 computer", 100, ber.OID{1, 2, 3}}, // a syntax the target refuses
		{"@attr 1=4 0", 100, nil},                     // no hits
	} {
		q, err := z3950.ParsePQF(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		req := SearchRequest{Query: q, Max: tc.max, Syntax: tc.syntax}
		got, gerr := searchZ3950(ctx, zc, "Default", req)
		want, werr := searchPresent(req)
		if errString(gerr) != errString(werr) || !reflect.DeepEqual(got, want) {
			t.Errorf("%s max %d syntax %v:\n piggyback %+v, %v\n present   %+v, %v", tc.query, tc.max, tc.syntax, got, gerr, want, werr)
		}
		if gerr == nil && got.Hits > 0 && len(got.Records) != min(tc.max, got.Hits) {
			t.Errorf("%s max %d: %d records of %d hits", tc.query, tc.max, len(got.Records), got.Hits)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
