package z3950_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/illgw/illgw/internal/testenv"
	"github.com/illgw/illgw/z3950"
	"github.com/illgw/illgw/z3950/cql"
	"github.com/illgw/illgw/z3950/memory"
)

// sampleBackend is the in-memory backend over the 24 sample records, database "Default".
func sampleBackend(t testing.TB) *memory.Backend {
	t.Helper()
	data, err := os.ReadFile("testdata/sample-marc.mrc")
	if err != nil {
		t.Fatal(err)
	}
	db, err := memory.NewDatabase("Default", data)
	if err != nil {
		t.Fatal(err)
	}
	if db.Len() != 24 {
		t.Fatalf("sample database has %d records", db.Len())
	}
	return &memory.Backend{Databases: map[string]*memory.Database{"Default": db}}
}

// startServer runs srv on a loopback port and stops it at cleanup.
func startServer(t testing.TB, srv *z3950.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != z3950.ErrServerClosed {
			t.Errorf("Serve returned %v", err)
		}
	})
	return ln.Addr().String()
}

// yazClient runs yaz-client in batch mode with the given commands and returns its output.
func yazClient(t *testing.T, addr string, cmds ...string) string {
	t.Helper()
	bin := testenv.Require(t, "yaz-client", "yaz")
	script := "open tcp:" + addr + "/Default\n" + strings.Join(cmds, "\n") + "\nclose\nquit\n"
	return testenv.RunClient(t, bin, script, "-f")
}

func hits(out string) []string {
	var n []string
	for _, m := range regexp.MustCompile(`Number of hits: (\d+)`).FindAllStringSubmatch(out, -1) {
		n = append(n, m[1])
	}
	return n
}

func TestYazClientAgainstServer(t *testing.T) {
	addr := startServer(t, &z3950.Server{Backend: sampleBackend(t)})
	out := yazClient(t, addr,
		"find @attr 1=4 computer",      // 9: Zebra over the same file gives 9 (one more has it only in 245 $c)
		"find @attr 1=1003 collins",    // 2 records with Collins in 100/110/700
		"find @attr 1=7 0839108826",    // exactly one ISBN
		"find @attr 1=1016 computer",   // any word: at least the titles
		"find @attr 1=4 @attr 5=1 com", // right truncation
		"find @attr 1=4 computer",
		"format usmarc", "elements F", "show 1+2",
		"format xml", "elements marcxml", "show 3+1",
		"format sutrs", "show 1+1",
		"format opac", "show 1+1",
		"scan @attr 1=4 computer",
		"sort 1=4 i<",
		"show 1+1",
		"show 500+1",
		"base nosuchdb", "find foo",
	)
	h := hits(out)
	if len(h) < 6 || h[0] != "9" || h[1] != "2" || h[2] != "1" || h[5] != "9" {
		t.Fatalf("hit counts %v\n%s", h, out)
	}
	for _, want := range []string{
		"Connection accepted by v3 target",
		"ID     : illgw",
		"Record type: USmarc",
		`<record xmlns="http://www.loc.gov/MARC21/slim">`,
		"Record type: SUTRS",
		"Record type: OPAC",
		"20 entries, position=1",
		"* computer (9)",
		"Received SortResponse: status=success",
		"[13] Present request out of range -- v2 addinfo '500'",
		"[109] Database unavailable",
		"nosuchdb",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("yaz-client output lacks %q\n%s", want, out)
		}
	}
	// Sorted by title, the first of the nine is "A plan for community college computer development".
	if _, after, _ := strings.Cut(out, "status=success"); !strings.Contains(after[:min(len(after), 3000)], "itemId: 77637075") {
		t.Errorf("first record after sort is not the one titled \"A plan ...\"\n%s", after)
	}
	var anyHits int
	fmt.Sscan(h[3], &anyHits)
	if anyHits < 10 { // 245 $c of a tenth record also says computer
		t.Errorf("any-word computer gives %d hits, fewer than the title search", anyHits)
	}
}

// yaz-client sends CQL as a type-104 query; the server maps it with the shipped mapping.
func TestYazClientCQL(t *testing.T) {
	addr := startServer(t, &z3950.Server{Backend: sampleBackend(t), MapCQL: cql.Default().MapCQL})
	out := yazClient(t, addr, "querytype cql", "find dc.title=computer and dc.creator=collins", "find dc.nosuch=x", "find (((")
	if h := hits(out); len(h) == 0 || h[0] != "2" {
		t.Fatalf("CQL hits %v\n%s", h, out)
	}
	if !strings.Contains(out, "[114]") || !strings.Contains(out, "[108]") {
		t.Fatalf("CQL diagnostics 114 (unsupported index) and 108 (syntax) missing\n%s", out)
	}
}

// A refused Init carries its diagnostic in the form yaz-client reads.
func TestYazClientInitRefused(t *testing.T) {
	be := sampleBackend(t)
	be.Users = map[string]string{"alice": "secret"}
	addr := startServer(t, &z3950.Server{Backend: be})
	out := yazClient(t, addr)
	if !strings.Contains(out, "Connection rejected by v3 target") || !strings.Contains(out, "1011") {
		t.Fatalf("yaz-client output:\n%s", out)
	}
}

// A query type we do not support (CCL, type-2) is a search diagnostic, not a dropped association.
func TestYazClientUnsupportedQueryType(t *testing.T) {
	addr := startServer(t, &z3950.Server{Backend: sampleBackend(t)})
	out := yazClient(t, addr, "querytype ccl", "find ti=computer", "querytype prefix", "find @attr 1=4 computer")
	if !strings.Contains(out, "[107]") {
		t.Fatalf("CCL query: no diagnostic 107\n%s", out)
	}
	if h := hits(out); len(h) != 2 || h[1] != "9" {
		t.Fatalf("association unusable after the diagnostic: hits %v\n%s", h, out)
	}
}
