package z3950_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/illgw/illgw/z3950"
	"github.com/illgw/illgw/z3950/sru"
)

// warnBackend wraps the sample backend: every search succeeds with a
// warning, as a federated search does when one of its members is down.
type warnBackend struct{ z3950.Backend }

func (b warnBackend) Init(ctx context.Context, info *z3950.InitInfo) (z3950.Session, error) {
	s, err := b.Backend.Init(ctx, info)
	return warnSession{s}, err
}

type warnSession struct{ z3950.Session }

func (s warnSession) Search(ctx context.Context, q *z3950.SearchQuery) (*z3950.SearchResult, error) {
	res, err := s.Session.Search(ctx, q)
	if res != nil {
		res.Warnings = []z3950.Diagnostic{{Code: 109, AddInfo: "SOUTH: member skipped"}}
	}
	return res, err
}

// TestSearchWarnings: warnings go out as additionalSearchInfo text beside a
// successful Z39.50 search (Z39.50-2003 §3.2.2.1.6) and as SRU diagnostics
// beside the records.
func TestSearchWarnings(t *testing.T) {
	b := warnBackend{sampleBackend(t)}
	addr := startServer(t, &z3950.Server{Backend: b})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := z3950.Dial(ctx, addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	q, _ := z3950.ParsePQF("@attr 1=4 computer")
	sr, err := c.Search(ctx, []string{"Default"}, z3950.Query{RPN: q}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !sr.SearchStatus || sr.ResultCount == 0 || len(sr.AdditionalSearchInfo) != 1 ||
		!strings.Contains(sr.AdditionalSearchInfo[0], "109") || !strings.Contains(sr.AdditionalSearchInfo[0], "SOUTH: member skipped") {
		t.Fatalf("search response: status %v, count %d, info %q", sr.SearchStatus, sr.ResultCount, sr.AdditionalSearchInfo)
	}

	hs := httptest.NewServer(&sru.Server{Backend: b})
	defer hs.Close()
	resp, err := http.Get(hs.URL + "/Default?version=1.2&operation=searchRetrieve&query=dc.title%3Dcomputer&maximumRecords=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	s := string(body)
	if !strings.Contains(s, "<zs:recordData>") || !strings.Contains(s, "info:srw/diagnostic/1/") || !strings.Contains(s, "SOUTH: member skipped") {
		t.Fatalf("SRU response lacks the record or the warning:\n%s", s)
	}
}
