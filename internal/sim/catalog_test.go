package sim

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/illgw/illgw/internal/testenv"
	"github.com/illgw/illgw/z3950"
	zmem "github.com/illgw/illgw/z3950/memory"
)

// TestSplit: every sample record is held somewhere; each record whose 245
// mentions "computer", and the record with ISBN 0839108826, by at least two
// members; the sizes are the documented ones.
func TestSplit(t *testing.T) {
	recs, err := sampleRecords()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 24 {
		t.Fatalf("%d sample records, want 24", len(recs))
	}
	sp, err := Split(DefaultMembers)
	if err != nil {
		t.Fatal(err)
	}
	holders := make([]int, len(recs))
	for _, code := range DefaultMembers {
		for _, i := range sp[code] {
			holders[i]++
		}
	}
	computer, isbn := 0, 0
	for i, rec := range recs {
		if holders[i] == 0 {
			t.Errorf("record %d (%s) held by nobody", i, rec.Title())
		}
		f := rec.Field("245")
		if f != nil && strings.Contains(strings.ToLower(f.Text("")), "computer") {
			computer++
			if holders[i] < 2 {
				t.Errorf("computer record %d (%s) held by %d members", i, rec.Title(), holders[i])
			}
		}
		for _, s := range rec.ISBNs() {
			if strings.HasPrefix(s, "0839108826") {
				isbn++
				if holders[i] < 2 {
					t.Errorf("ISBN 0839108826 held by %d members", holders[i])
				}
			}
		}
	}
	if computer == 0 || isbn != 1 {
		t.Errorf("%d computer records and %d with the ISBN: the property is vacuous", computer, isbn)
	}
	if n, s, e := len(sp["NORTH"]), len(sp["SOUTH"]), len(sp["EAST"]); n != 11 || s != 12 || e != 11 {
		t.Errorf("split sizes NORTH %d SOUTH %d EAST %d, documented 11, 12, 11", n, s, e)
	}
	again, _ := Split(DefaultMembers)
	for _, code := range DefaultMembers {
		if !equalInts(sp[code], again[code]) {
			t.Errorf("split of %s not deterministic", code)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// expectedHits runs a query over all 24 records with z3950/memory and
// counts, per member, the matching records the member holds.
func expectedHits(t *testing.T, c *Consortium, pqf string) (perMember map[string]int, distinct int) {
	t.Helper()
	db, err := zmem.NewDatabase("all", sampleMARC)
	if err != nil {
		t.Fatal(err)
	}
	b := &zmem.Backend{Databases: map[string]*zmem.Database{"all": db}}
	s, err := b.Init(context.Background(), &z3950.InitInfo{UTF8: true})
	if err != nil {
		t.Fatal(err)
	}
	q, err := z3950.ParsePQF(pqf)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Search(context.Background(), &z3950.SearchQuery{ResultSet: "r", Databases: []string{"all"}, Query: z3950.Query{RPN: q}})
	if err != nil {
		t.Fatal(err)
	}
	matching := map[string]bool{}
	if res.Count > 0 {
		recs, err := s.Fetch(context.Background(), &z3950.FetchRequest{ResultSet: "r", Start: 1, Count: res.Count, Syntax: z3950.OIDUSMARC})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			matching[control001(r.Data)] = true
		}
	}
	perMember = map[string]int{}
	for _, m := range c.Members {
		for _, rec := range m.Records {
			if matching[strings.TrimSpace(rec.ControlValue("001"))] {
				perMember[m.Code]++
			}
		}
	}
	return perMember, res.Count
}

// TestCatalogSearch: each member's catalogue answers the project's Z39.50
// client with its share of the hits, and the shared titles make the members'
// hits add up to more than the distinct records.
func TestCatalogSearch(t *testing.T) {
	c := start(t, Options{})
	ctx := ctxT(t)
	for _, tc := range []struct {
		pqf      string
		overlaps bool
	}{
		{"@attr 1=4 computer", true},
		{"@attr 1=7 0839108826", true},
		{"@attr 1=4 internet", false},
	} {
		want, distinct := expectedHits(t, c, tc.pqf)
		sum := 0
		for _, m := range c.Members {
			got := searchCount(t, ctx, m.Z3950Addr, m.Code, tc.pqf)
			if got != want[m.Code] {
				t.Errorf("%s %q: %d hits, want %d", m.Code, tc.pqf, got, want[m.Code])
			}
			sum += got
		}
		t.Logf("%q: NORTH %d, SOUTH %d, EAST %d; %d distinct", tc.pqf, want["NORTH"], want["SOUTH"], want["EAST"], distinct)
		if distinct == 0 {
			t.Errorf("%q matches nothing: the test proves nothing", tc.pqf)
		}
		if tc.overlaps && sum <= distinct {
			t.Errorf("%q: members' hits %d not above the %d distinct records", tc.pqf, sum, distinct)
		}
	}
	if want, _ := expectedHits(t, c, "@attr 1=7 0839108826"); len(want) < 2 {
		t.Errorf("ISBN 0839108826 found at %v, want two members", want)
	}
}

func searchCount(t *testing.T, ctx context.Context, addr, db, pqf string) int {
	t.Helper()
	cl, err := z3950.Dial(ctx, addr, &z3950.ClientOptions{UTF8: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close(ctx)
	q, err := z3950.ParsePQF(pqf)
	if err != nil {
		t.Fatal(err)
	}
	r, err := cl.Search(ctx, []string{db}, z3950.Query{RPN: q}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r.ResultCount
}

// TestCatalogOPACAvailability: OPAC records carry the member's holding with
// the copy's barcode, on the shelf until the copy is charged.
func TestCatalogOPACAvailability(t *testing.T) {
	c := start(t, Options{Members: []string{"NORTH", "SOUTH", "EAST"}})
	ctx := ctxT(t)
	m := c.Member("EAST")
	first := m.Records[0]
	cl, err := z3950.Dial(ctx, m.Z3950Addr, &z3950.ClientOptions{UTF8: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close(ctx)
	holding := func() z3950.Holding {
		t.Helper()
		q, _ := z3950.ParsePQF("@attr 1=12 \"" + strings.TrimSpace(first.ControlValue("001")) + "\"")
		r, err := cl.Search(ctx, []string{"EAST"}, z3950.Query{RPN: q}, nil)
		if err != nil || r.ResultCount != 1 {
			t.Fatalf("search by 001: %v, %+v", err, r)
		}
		recs, err := cl.Present(ctx, "", 1, 1, z3950.OIDOPAC, "F")
		if err != nil || len(recs) != 1 || recs[0].Record == nil {
			t.Fatalf("present OPAC: %v %+v", err, recs)
		}
		o, err := z3950.DecodeOPAC(recs[0].Record)
		if err != nil || len(o.Holdings) != 1 || len(o.Holdings[0].Circulation) != 1 {
			t.Fatalf("OPAC record: %v %+v", err, o)
		}
		return o.Holdings[0]
	}
	h := holding()
	if h.NucCode != "EAST" || h.Circulation[0].ItemID != ItemID("EAST", 1) || !h.Circulation[0].AvailableNow {
		t.Errorf("holding before checkout: %+v", h)
	}
	s := dialSIP(t, m.SIP2Addr)
	s.do("9300CNgw|COgwpass|CPEAST|")
	if r := s.do("11YN" + sipDate + sipDate + "AOEAST|AAE0001|AB" + ItemID("EAST", 1) + "|AC|AD1234|"); !strings.HasPrefix(r, "121") {
		t.Fatalf("checkout %q", r)
	}
	if h := holding(); h.Circulation[0].AvailableNow || h.Circulation[0].AvailabilityDate == "" {
		t.Errorf("holding after checkout: %+v", h)
	}
}

// TestCatalogSRU: the Z39.50 port answers SRU with the same counts.
func TestCatalogSRU(t *testing.T) {
	c := start(t, Options{})
	m := c.Member("SOUTH")
	want := searchCount(t, ctxT(t), m.Z3950Addr, "SOUTH", "@attr 1=4 computer")
	resp, err := http.Get("http://" + m.Z3950Addr + "/SOUTH?version=1.2&operation=searchRetrieve&query=dc.title%3Dcomputer&maximumRecords=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	got := regexp.MustCompile(`numberOfRecords>(\d+)<`).FindSubmatch(body)
	if resp.StatusCode != 200 || got == nil || string(got[1]) != strconv.Itoa(want) {
		t.Errorf("SRU %d: numberOfRecords %q, want %d:\n%.600s", resp.StatusCode, got, want, body)
	}
}

// TestCatalogYazClient: the real yaz-client searches a member and reads a
// record.
func TestCatalogYazClient(t *testing.T) {
	bin := testenv.Require(t, "yaz-client", "yaz")
	c := start(t, Options{})
	m := c.Member("NORTH")
	want := searchCount(t, ctxT(t), m.Z3950Addr, "NORTH", "@attr 1=4 computer")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "tcp:"+m.Z3950Addr+"/NORTH")
	cmd.Stdin = strings.NewReader("find @attr 1=4 computer\nshow 1\nquit\n")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("yaz-client: %v\n%s", err, out.String())
	}
	hits := regexp.MustCompile(`Number of hits: (\d+)`).FindStringSubmatch(out.String())
	if hits == nil || hits[1] != strconv.Itoa(want) {
		t.Errorf("yaz-client hits %v, want %d:\n%s", hits, want, out.String())
	}
	if !strings.Contains(out.String(), "245 ") {
		t.Errorf("yaz-client showed no MARC record:\n%s", out.String())
	}
}
