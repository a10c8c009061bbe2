package adapter_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/illgw/illgw/broker"
	"github.com/illgw/illgw/broker/member"
	"github.com/illgw/illgw/broker/state"
	"github.com/illgw/illgw/internal/sim"
	"github.com/illgw/illgw/internal/testenv"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
	"github.com/illgw/illgw/z3950"
	"github.com/illgw/illgw/z3950/adapter"
	"github.com/illgw/illgw/z3950/cql"
	"github.com/illgw/illgw/z3950/sru"
)

// gateway is the catalogue front end as cmd/illgw wires it: a broker over
// the simulated members, the adapter over its gRPC client, and a Z39.50
// server that answers SRU on the same port.
type gateway struct {
	addr string
	sim  *sim.Consortium
}

func startGateway(t *testing.T, timeout time.Duration) *gateway {
	t.Helper()
	c, err := sim.Start(context.Background(), sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	st, err := state.Open(context.Background(), state.Options{Driver: "embedded", Path: filepath.Join(t.TempDir(), "s.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var mcs []member.Config
	var bms []broker.Member
	var codes []string
	for _, m := range c.Members {
		mcs = append(mcs, member.Config{Code: m.Code, Catalog: &member.CatalogConfig{Z3950: m.Z3950Addr + "/" + m.Code, Timeout: timeout}})
		bms = append(bms, broker.Member{Code: m.Code})
		codes = append(codes, m.Code)
	}
	reg, err := member.New(member.Options{Members: mcs, Flags: st, Breaker: member.BreakerConfig{Failures: 3, OpenFor: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	b := broker.New(broker.Options{Store: st, Members: bms, Databases: map[string][]string{"consortium": codes}, Registry: reg,
		Search: broker.SearchOptions{CacheTTL: 0}})
	gs := grpc.NewServer()
	b.Register(gs)
	ln := bufconn.Listen(1 << 20)
	go gs.Serve(ln)
	cc, err := grpc.NewClient("passthrough:///bufconn",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return ln.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close(); gs.Stop() })
	client := illgwv1.NewCatalogClient(cc)
	srv := &z3950.Server{Backend: &adapter.Backend{Client: client}, MapCQL: cql.Default().MapCQL,
		HTTPHandler: &sru.Server{Backend: &adapter.Backend{Client: client, Protocol: "sru"}, ResultSetTTL: time.Minute}}
	zl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(zl)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return &gateway{addr: zl.Addr().String(), sim: c}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestZ3950ThroughTheBroker(t *testing.T) {
	g := startGateway(t, 300*time.Millisecond)
	ctx := ctxT(t)
	c, err := z3950.Dial(ctx, g.addr, &z3950.ClientOptions{UTF8: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	search := func(db, pqf string) *z3950.SearchResponse {
		t.Helper()
		q, err := z3950.ParsePQF(pqf)
		if err != nil {
			t.Fatal(err)
		}
		sr, err := c.Search(ctx, []string{db}, z3950.Query{RPN: q}, nil)
		if err != nil {
			t.Fatalf("search %s %s: %v", db, pqf, err)
		}
		return sr
	}
	merged := search("consortium", "@attr 1=4 computer").ResultCount
	sum := 0
	for _, code := range []string{"NORTH", "SOUTH", "EAST"} {
		sum += search(code, "@attr 1=4 computer").ResultCount
	}
	if merged == 0 || merged >= sum {
		t.Fatalf("consortium: %d hits, members together %d", merged, sum)
	}
	if n := search("consortium", "@attr 1=7 0839108826").ResultCount; n != 1 {
		t.Fatalf("ISBN 0839108826: %d hits", n)
	}
	recs, err := c.Present(ctx, "default", 1, 1, z3950.OIDOPAC, "F")
	if err != nil || len(recs) != 1 || recs[0].Record == nil {
		t.Fatalf("present OPAC: %v %v", recs, err)
	}
	o, err := z3950.DecodeOPAC(recs[0].Record)
	if err != nil {
		t.Fatal(err)
	}
	members := map[string]bool{}
	for _, h := range o.Holdings {
		members[h.NucCode] = true
		if len(h.Circulation) == 0 || !h.Circulation[0].AvailableNow {
			t.Fatalf("holding %+v lacks availability", h)
		}
	}
	if len(members) < 2 {
		t.Fatalf("ISBN 0839108826 held by %v, want two members", members)
	}

	// Scan merges the members' term lists; Sort sorts the merged set.
	sc, err := c.Scan(ctx, "consortium", z3950.AttrTerm{Attrs: []z3950.Attribute{{Type: 1, Value: 4}}, Term: "comp"}, 5, 1)
	if err != nil || len(sc.Entries) != 5 || sc.Entries[0].Occurrences == nil || *sc.Entries[0].Occurrences < 2 {
		t.Fatalf("scan: %+v %v", sc, err)
	}
	search("consortium", "@attr 1=4 computer")
	so, err := c.Sort(ctx, "default", "bytitle", []z3950.SortKey{{Attrs: []z3950.Attribute{{Type: 1, Value: 4}}}})
	if err != nil || so.ResultCount == nil || *so.ResultCount != merged {
		t.Fatalf("sort: %+v %v", so, err)
	}
	if recs, err := c.Present(ctx, "bytitle", 1, 2, z3950.OIDXML, "marcxml"); err != nil || len(recs) != 2 || recs[0].Record == nil {
		t.Fatalf("present of the sorted set: %v %v", recs, err)
	}

	// SOUTH black-holed: the search answers after SOUTH's deadline with
	// SOUTH named in the additional search information.
	if err := g.sim.Member("SOUTH").SetFaults(sim.Faults{Down: sim.BlackHole}, sim.Catalog); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	sr := search("consortium", "@attr 1=4 computer")
	if took := time.Since(start); took > 300*time.Millisecond+time.Second {
		t.Fatalf("search with SOUTH black-holed took %v", took)
	}
	if !sr.SearchStatus || sr.ResultCount == 0 || len(sr.AdditionalSearchInfo) != 1 || !strings.Contains(sr.AdditionalSearchInfo[0], "SOUTH") {
		t.Fatalf("partial search: status %v, %d hits, info %q", sr.SearchStatus, sr.ResultCount, sr.AdditionalSearchInfo)
	}
	// Only SOUTH asked: no member answered, so the search fails.
	q, _ := z3950.ParsePQF("@attr 1=4 computer")
	if _, err := c.Search(ctx, []string{"south"}, z3950.Query{RPN: q}, nil); err == nil {
		t.Fatal("search of a dead member alone succeeded")
	}
	if _, err := c.Search(ctx, []string{"nowhere"}, z3950.Query{RPN: q}, nil); !isDiag(err, 109) {
		t.Fatalf("unknown database: %v", err)
	}
}

func isDiag(err error, code int) bool {
	d, ok := err.(*z3950.Diagnostic)
	return ok && d.Code == code
}

func TestSRUThroughTheBroker(t *testing.T) {
	g := startGateway(t, 300*time.Millisecond)
	get := func(q string) string {
		t.Helper()
		resp, err := http.Get("http://" + g.addr + "/consortium?version=1.2&operation=searchRetrieve&" + q)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	body := get("query=dc.title%3Dcomputer&maximumRecords=2&recordSchema=marcxml")
	n := numberOf(t, body)
	if n == 0 || strings.Count(body, "<zs:recordData>") != 2 || strings.Contains(body, "diagnostic") {
		t.Fatalf("SRU searchRetrieve:\n%s", body)
	}
	xmllint(t, body)
	m := regexp.MustCompile(`<zs:resultSetId>([^<]+)</zs:resultSetId>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no resultSetId:\n%s", body)
	}
	next := get("query=cql.resultSetId%3D%22" + m[1] + "%22&startRecord=2&maximumRecords=1")
	if numberOf(t, next) != n || !strings.Contains(next, "<zs:recordPosition>2</zs:recordPosition>") {
		t.Fatalf("continuing %s:\n%s", m[1], next)
	}
	if err := g.sim.Member("EAST").SetFaults(sim.Faults{Down: sim.Refused}, sim.Catalog); err != nil {
		t.Fatal(err)
	}
	partial := get("query=dc.title%3Dcomputer&maximumRecords=1")
	if numberOf(t, partial) == 0 || !strings.Contains(partial, "<zs:recordData>") || !strings.Contains(partial, "EAST") {
		t.Fatalf("SRU with EAST down lacks records or the diagnostic:\n%s", partial)
	}
	xmllint(t, partial)
}

func numberOf(t *testing.T, body string) int {
	t.Helper()
	m := regexp.MustCompile(`<zs:numberOfRecords>(\d+)</zs:numberOfRecords>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no numberOfRecords:\n%s", body)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func xmllint(t *testing.T, doc string) {
	t.Helper()
	bin := testenv.Require(t, "xmllint", "libxml2-utils")
	cmd := exec.Command(bin, "--noout", "-")
	cmd.Stdin = strings.NewReader(doc)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("xmllint: %v\n%s", err, out)
	}
}

// TestRealClients drives the front end with YAZ's own clients.
func TestRealClients(t *testing.T) {
	g := startGateway(t, 5*time.Second)
	yaz := testenv.Require(t, "yaz-client", "yaz")
	out := testenv.RunClient(t, yaz, "open tcp:"+g.addr+"/consortium\nfind @attr 1=4 computer\nshow 1\nfind @attr 1=7 0839108826\nclose\nquit\n", "-f")
	hits := regexp.MustCompile(`Number of hits: (\d+)`).FindAllStringSubmatch(out, -1)
	if len(hits) != 2 || hits[1][1] != "1" || hits[0][1] == "0" {
		t.Fatalf("yaz-client:\n%s", out)
	}
	zoomsh := testenv.Require(t, "zoomsh", "yaz")
	zo := testenv.RunClient(t, zoomsh, "", "connect tcp:"+g.addr+"/consortium", "search @attr 1=7 0839108826", "show 0 1", "quit")
	if !strings.Contains(zo, ": 1 hits") || !strings.Contains(zo, "0839108826") {
		t.Fatalf("zoomsh:\n%s", zo)
	}
}
