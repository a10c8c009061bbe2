package broker

import (
	"context"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/illgw/illgw/broker/member"
	"github.com/illgw/illgw/broker/state"
	"github.com/illgw/illgw/internal/sim"
	"github.com/illgw/illgw/marc"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
	"github.com/illgw/illgw/z3950"
)

// catFixture is a broker whose members are catalogues reached over real
// sockets: the simulated NORTH, SOUTH and EAST of internal/sim (Z39.50
// servers of this project with OPAC holdings), or any targets given.
type catFixture struct {
	store state.Store
	reg   *member.Registry
	b     *Broker
	cat   illgwv1.CatalogClient
	mem   illgwv1.MembersClient
}

type catTarget struct {
	code    string
	z3950   string // host:port/db
	sru     string
	timeout time.Duration
}

func simTargets(t testing.TB, c *sim.Consortium, timeout time.Duration) []catTarget {
	var out []catTarget
	for _, m := range c.Members {
		out = append(out, catTarget{code: m.Code, z3950: m.Z3950Addr + "/" + m.Code, timeout: timeout})
	}
	return out
}

func startSim(t testing.TB) *sim.Consortium {
	t.Helper()
	c, err := sim.Start(context.Background(), sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func newCatFixture(t testing.TB, targets []catTarget, so SearchOptions, bo member.BreakerConfig, store state.Store) *catFixture {
	t.Helper()
	if store == nil {
		var err error
		store, err = state.Open(context.Background(), state.Options{Driver: "embedded", Path: filepath.Join(t.TempDir(), "illgw.db")})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
	}
	var mcs []member.Config
	var bms []Member
	var codes []string
	for _, tg := range targets {
		mcs = append(mcs, member.Config{Code: tg.code, Catalog: &member.CatalogConfig{Z3950: tg.z3950, SRU: tg.sru, Timeout: tg.timeout}})
		bms = append(bms, Member{Code: tg.code, Protocols: []illgwv1.Protocol{illgwv1.Protocol_PROTOCOL_Z3950}})
		codes = append(codes, tg.code)
	}
	reg, err := member.New(member.Options{Members: mcs, Breaker: bo, Flags: store})
	if err != nil {
		t.Fatal(err)
	}
	b := New(Options{Store: store, Members: bms, Databases: map[string][]string{"consortium": codes},
		Registry: reg, Search: so})
	srv := grpc.NewServer()
	b.Register(srv)
	ln := bufconn.Listen(1 << 20)
	go srv.Serve(ln)
	conn, err := grpc.NewClient("passthrough:///bufconn",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return ln.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		srv.Stop()
		reg.Close()
	})
	return &catFixture{store: store, reg: reg, b: b, cat: illgwv1.NewCatalogClient(conn), mem: illgwv1.NewMembersClient(conn)}
}

// pqfQuery turns PQF into the gRPC query the adapters send.
func pqfQuery(t testing.TB, pqf string) *illgwv1.Query {
	t.Helper()
	q, err := z3950.ParsePQF(pqf)
	if err != nil {
		t.Fatal(err)
	}
	return toProto(q.Root)
}

func toProto(n z3950.Node) *illgwv1.Query {
	var conv func(z3950.Node) *illgwv1.QueryNode
	conv = func(n z3950.Node) *illgwv1.QueryNode {
		switch n := n.(type) {
		case *z3950.AttrTerm:
			at := &illgwv1.AttributesPlusTerm{Term: n.Term}
			for _, a := range n.Attrs {
				at.Attributes = append(at.Attributes, &illgwv1.Attribute{Type: int32(a.Type), Value: &illgwv1.Attribute_Numeric{Numeric: int64(a.Value)}})
			}
			return &illgwv1.QueryNode{Node: &illgwv1.QueryNode_Term{Term: at}}
		case *z3950.SetRef:
			return &illgwv1.QueryNode{Node: &illgwv1.QueryNode_ResultSet{ResultSet: n.Name}}
		case *z3950.Op:
			op := map[z3950.Operator]illgwv1.Combination_Operator{z3950.And: illgwv1.Combination_OPERATOR_AND,
				z3950.Or: illgwv1.Combination_OPERATOR_OR, z3950.AndNot: illgwv1.Combination_OPERATOR_AND_NOT}[n.Op]
			return &illgwv1.QueryNode{Node: &illgwv1.QueryNode_Combination{Combination: &illgwv1.Combination{Operator: op, Left: conv(n.Left), Right: conv(n.Right)}}}
		}
		return nil
	}
	return &illgwv1.Query{Root: conv(n)}
}

// waitCached waits until the search cache holds the consortium search
// for pqf (a session's search is cached in the background).
func (f *catFixture) waitCached(t testing.TB, pqf string) {
	t.Helper()
	q, _ := z3950.ParsePQF(pqf)
	var codes []string
	for _, m := range f.b.members {
		codes = append(codes, m.Code)
	}
	key := keySearchCache + cacheKey(codes, q, f.b.catalog.opts.MaxRecordsPerMember)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, err := f.store.GetTTL(context.Background(), key); err == nil {
			return
		}
	}
	t.Fatalf("search %q never reached the cache", pqf)
}

func (f *catFixture) search(t testing.TB, db, pqf string, count int64) *illgwv1.SearchResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := f.cat.Search(ctx, &illgwv1.SearchRequest{Databases: []string{db}, Query: pqfQuery(t, pqf), Count: count, Session: "t1"})
	if err != nil {
		t.Fatalf("search %s %q: %v", db, pqf, err)
	}
	return resp
}

func TestCatalogMergesSimulatedMembers(t *testing.T) {
	f := newCatFixture(t, simTargets(t, startSim(t), 5*time.Second), SearchOptions{}, member.BreakerConfig{}, nil)
	resp := f.search(t, "consortium", "@attr 1=4 computer", 100)
	sum := int64(0)
	for _, m := range resp.Members {
		if m.Diagnostic != nil || m.HitCount == 0 {
			t.Fatalf("member %s: hits %d, diagnostic %v", m.Member, m.HitCount, m.Diagnostic)
		}
		sum += m.HitCount
	}
	if resp.HitCount == 0 || resp.HitCount >= sum {
		t.Fatalf("merged hit count %d, members' sum %d: want 0 < merged < sum", resp.HitCount, sum)
	}
	if resp.Status != illgwv1.ResultSetStatus_RESULT_SET_STATUS_COMPLETE || int64(len(resp.Records)) != resp.HitCount {
		t.Fatalf("status %v, %d records of %d", resp.Status, len(resp.Records), resp.HitCount)
	}
	shared := 0
	for _, r := range resp.Records {
		rec, _, err := marc.Decode(r.Data)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Leader[9] != 'a' || !strings.Contains(strings.ToLower(rec.Title()), "comput") {
			t.Fatalf("record %d: leader/09 %q, title %q", r.Position, rec.Leader[9], rec.Title())
		}
		if r.Syntax != z3950.OIDUSMARC.String() || r.Charset != "utf-8" || r.MatchKey == "" {
			t.Fatalf("record %d: syntax %s charset %s key %q", r.Position, r.Syntax, r.Charset, r.MatchKey)
		}
		seen := map[string]bool{}
		for _, h := range r.Holdings {
			seen[h.Member] = true
			if h.Availability != illgwv1.Holding_AVAILABILITY_AVAILABLE || h.ItemId == "" {
				t.Fatalf("record %d: holding %v lacks OPAC availability or item", r.Position, h)
			}
		}
		if len(seen) >= 2 {
			shared++
		}
	}
	if shared == 0 {
		t.Fatal("no merged record lists two holding members")
	}

	isbn := f.search(t, "consortium", "@attr 1=7 0839108826", 10)
	if isbn.HitCount != 1 || len(isbn.Records) != 1 || len(isbn.Records[0].Holdings) < 2 {
		t.Fatalf("ISBN 0839108826: %d hits, records %v", isbn.HitCount, isbn.Records)
	}

	one := f.search(t, "north", "@attr 1=4 computer", 0)
	if len(one.Members) != 1 || one.Members[0].Member != "NORTH" || one.HitCount != one.Members[0].HitCount {
		t.Fatalf("database north: %v", one)
	}
}

func TestCatalogPresentSyntaxes(t *testing.T) {
	f := newCatFixture(t, simTargets(t, startSim(t), 5*time.Second), SearchOptions{}, member.BreakerConfig{}, nil)
	resp := f.search(t, "consortium", "@attr 1=4 computer", 0)
	ctx := ctxT(t)
	pr, err := f.cat.Present(ctx, &illgwv1.PresentRequest{ResultSetId: resp.ResultSetId, Session: "t1", Start: 2, Count: 2, RecordSyntax: "marcxml"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pr.Records) != 2 || pr.Records[0].Position != 2 || !strings.Contains(string(pr.Records[0].Data), "<record") {
		t.Fatalf("present marcxml: %v", pr)
	}
	pr, err = f.cat.Present(ctx, &illgwv1.PresentRequest{ResultSetId: resp.ResultSetId, Session: "t1", Start: 1, Count: 1, Charset: "marc-8"})
	if err != nil {
		t.Fatal(err)
	}
	if rec, _, err := marc.Decode(pr.Records[0].Data); err != nil || rec.Leader[9] != ' ' || pr.Records[0].Charset != "marc-8" {
		t.Fatalf("present marc-8: %v %v", err, pr.Records[0].Charset)
	}
	pr, err = f.cat.Present(ctx, &illgwv1.PresentRequest{ResultSetId: resp.ResultSetId, Session: "t1", Start: resp.HitCount + 1, Count: 1})
	if err != nil || len(pr.Diagnostics) != 1 || pr.Diagnostics[0].Code != 13 {
		t.Fatalf("present past the end: %v %v", pr, err)
	}
	pr, err = f.cat.Present(ctx, &illgwv1.PresentRequest{ResultSetId: resp.ResultSetId, Session: "t1", Start: 1, Count: 1, RecordSyntax: "1.2.840.10003.5.1"})
	if err != nil || len(pr.Diagnostics) != 1 || pr.Diagnostics[0].Code != 239 {
		t.Fatalf("present unknown syntax: %v %v", pr, err)
	}
	_, err = f.cat.Present(ctx, &illgwv1.PresentRequest{ResultSetId: resp.ResultSetId, Session: "other", Start: 1, Count: 1})
	wantCode(t, err, codes.NotFound, "Bib-1 30")

	// Sort by title, descending, into a new set of the session.
	so, err := f.cat.Sort(ctx, &illgwv1.SortRequest{InputResultSetIds: []string{resp.ResultSetId}, OutputResultSetName: "sorted", Session: "t1",
		Keys: []*illgwv1.SortKey{{Attributes: []*illgwv1.Attribute{{Type: 1, Value: &illgwv1.Attribute_Numeric{Numeric: 4}}}, Descending: true}}})
	if err != nil || so.HitCount != resp.HitCount {
		t.Fatalf("sort: %v %v", so, err)
	}
	pr, err = f.cat.Present(ctx, &illgwv1.PresentRequest{ResultSetId: so.ResultSetId, Session: "t1", Start: 1, Count: int64(so.HitCount)})
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, r := range pr.Records {
		rec, _, _ := marc.Decode(r.Data)
		titles = append(titles, strings.ToLower(rec.Title()))
	}
	if !slices.IsSortedFunc(titles, func(a, b string) int { return strings.Compare(b, a) }) {
		t.Fatalf("titles not in descending order: %q", titles)
	}

	// Delete ends the session's sets.
	if d, err := f.cat.Delete(ctx, &illgwv1.DeleteRequest{Session: "t1"}); err != nil || d.Deleted != 2 {
		t.Fatalf("delete: %v %v", d, err)
	}
	_, err = f.cat.Present(ctx, &illgwv1.PresentRequest{ResultSetId: resp.ResultSetId, Session: "t1", Start: 1, Count: 1})
	wantCode(t, err, codes.NotFound, "Bib-1 30")
}

func TestCatalogScanMerges(t *testing.T) {
	f := newCatFixture(t, simTargets(t, startSim(t), 5*time.Second), SearchOptions{}, member.BreakerConfig{}, nil)
	ctx := ctxT(t)
	resp, err := f.cat.Scan(ctx, &illgwv1.ScanRequest{Databases: []string{"consortium"}, Count: 5, PositionInResponse: 1,
		Term: &illgwv1.AttributesPlusTerm{Term: "comp", Attributes: []*illgwv1.Attribute{{Type: 1, Value: &illgwv1.Attribute_Numeric{Numeric: 4}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Entries) != 5 || resp.PositionOfTerm != 1 || !strings.HasPrefix(resp.Entries[0].Term, "comp") {
		t.Fatalf("scan: %v", resp)
	}
	e := resp.Entries[0]
	sum := int64(0)
	for _, n := range e.PerMember {
		sum += n
	}
	if len(e.PerMember) < 2 || sum != e.Occurrences {
		t.Fatalf("entry %q: occurrences %d, per member %v", e.Term, e.Occurrences, e.PerMember)
	}
	if !slices.IsSortedFunc(resp.Entries, func(a, b *illgwv1.ScanEntry) int { return strings.Compare(a.Term, b.Term) }) {
		t.Fatalf("scan entries not in order: %v", resp.Entries)
	}
}

func TestCatalogPartialFailure(t *testing.T) {
	c := startSim(t)
	f := newCatFixture(t, simTargets(t, c, 300*time.Millisecond), SearchOptions{CacheTTL: time.Minute},
		member.BreakerConfig{Failures: 3, OpenFor: time.Hour}, nil)
	full := f.search(t, "consortium", "@attr 1=4 computer", 0)
	f.waitCached(t, "@attr 1=4 computer")

	if err := c.Member("SOUTH").SetFaults(sim.Faults{Down: sim.BlackHole}, sim.Catalog); err != nil {
		t.Fatal(err)
	}
	// The identical search is answered from the cache: SOUTH is not asked.
	cached := f.search(t, "consortium", "@attr 1=4 computer", 0)
	if cached.HitCount != full.HitCount || cached.Status != illgwv1.ResultSetStatus_RESULT_SET_STATUS_COMPLETE {
		t.Fatalf("cached search: %d hits, status %v; want %d, complete", cached.HitCount, cached.Status, full.HitCount)
	}
	// Another search meets the black hole: SOUTH's deadline, then a subset.
	for i := range 3 {
		start := time.Now()
		resp := f.search(t, "consortium", "@attr 1=4 programming", 0)
		took := time.Since(start)
		if took > 300*time.Millisecond+time.Second {
			t.Fatalf("search %d took %v with SOUTH black-holed (deadline 300ms)", i, took)
		}
		if resp.Status != illgwv1.ResultSetStatus_RESULT_SET_STATUS_SUBSET || len(resp.Diagnostics) != 1 || resp.Diagnostics[0].Member != "SOUTH" {
			t.Fatalf("search %d: status %v, diagnostics %v", i, resp.Status, resp.Diagnostics)
		}
	}
	// Three failures opened SOUTH's breaker: the next search skips it at once.
	start := time.Now()
	resp := f.search(t, "consortium", "@attr 1=4 library", 0)
	if took := time.Since(start); took > time.Second {
		t.Fatalf("searches with SOUTH's breaker open took %v", took)
	}
	d := resp.Diagnostics
	if len(d) != 1 || d[0].Code != 109 || !strings.Contains(d[0].Message, "breaker is open") {
		t.Fatalf("diagnostics with SOUTH's breaker open: %v", d)
	}
	// Members.Health (illctl health) shows the open breaker and its last error.
	h, err := f.mem.Health(ctxT(t), &illgwv1.HealthRequest{Members: []string{"SOUTH"}})
	if err != nil {
		t.Fatal(err)
	}
	if p := h.Members[0].Protocols[0]; p.Breaker != illgwv1.BreakerState_BREAKER_STATE_OPEN || p.LastError == "" || p.Failures < 3 {
		t.Fatalf("SOUTH's health: %v", p)
	}
}

func TestCatalogSharedSetsAcrossInstances(t *testing.T) {
	c := startSim(t)
	for _, ttl := range []time.Duration{0, time.Minute} {
		f := newCatFixture(t, simTargets(t, c, 5*time.Second), SearchOptions{CacheTTL: ttl}, member.BreakerConfig{}, nil)
		// A second broker over the same store: another gateway instance.
		g := newCatFixture(t, simTargets(t, c, 5*time.Second), SearchOptions{CacheTTL: ttl}, member.BreakerConfig{}, f.store)
		ctx := ctxT(t)
		resp, err := f.cat.Search(ctx, &illgwv1.SearchRequest{Databases: []string{"consortium"}, Query: pqfQuery(t, "@attr 1=4 computer"), Shared: true, Count: 1})
		if err != nil {
			t.Fatal(err)
		}
		want := "s-"
		if ttl > 0 {
			want = "c-"
		}
		if !strings.HasPrefix(resp.ResultSetId, want) || resp.ResultSetTtl.AsDuration() <= 0 {
			t.Fatalf("cache_ttl %v: result set id %q ttl %v", ttl, resp.ResultSetId, resp.ResultSetTtl)
		}
		pr, err := g.cat.Present(ctx, &illgwv1.PresentRequest{ResultSetId: resp.ResultSetId, Start: 2, Count: 3})
		if err != nil {
			t.Fatal(err)
		}
		if pr.HitCount != resp.HitCount || len(pr.Records) != 3 || pr.Records[0].Position != 2 || len(pr.Records[0].Holdings) == 0 {
			t.Fatalf("present on the other instance: %v", pr)
		}
		// SRU's cql.resultSetId="id" continues the set as a search.
		again, err := g.cat.Search(ctx, &illgwv1.SearchRequest{Query: &illgwv1.Query{Root: &illgwv1.QueryNode{Node: &illgwv1.QueryNode_ResultSet{ResultSet: resp.ResultSetId}}}, Shared: true, Start: 3, Count: 1})
		if err != nil || again.HitCount != resp.HitCount || len(again.Records) != 1 || again.Records[0].Position != 3 {
			t.Fatalf("search by result set id: %v %v", again, err)
		}
		// A shared set the client names (the SRU server names each set) is
		// kept under that name.
		named, err := f.cat.Search(ctx, &illgwv1.SearchRequest{Databases: []string{"consortium"}, Query: pqfQuery(t, "@attr 1=4 computer"), Shared: true, ResultSetName: "0123abcd"})
		if err != nil || named.ResultSetId != "0123abcd" {
			t.Fatalf("named shared set: %v %v", named, err)
		}
		if pr, err := g.cat.Present(ctx, &illgwv1.PresentRequest{ResultSetId: "0123abcd", Start: 1, Count: 1}); err != nil || len(pr.Records) != 1 {
			t.Fatalf("present of the named set on the other instance: %v %v", pr, err)
		}
		_, err = g.cat.Present(ctx, &illgwv1.PresentRequest{ResultSetId: "s-" + strings.Repeat("0", 32), Start: 1, Count: 1})
		wantCode(t, err, codes.NotFound, "Bib-1 30")
	}
}

func TestCatalogRefusesBadRequests(t *testing.T) {
	f := newCatFixture(t, nil, SearchOptions{}, member.BreakerConfig{}, nil)
	ctx := ctxT(t)
	deep := &illgwv1.QueryNode{Node: &illgwv1.QueryNode_Term{Term: &illgwv1.AttributesPlusTerm{Term: "x"}}}
	term := deep
	for range 100 {
		deep = &illgwv1.QueryNode{Node: &illgwv1.QueryNode_Combination{Combination: &illgwv1.Combination{Operator: illgwv1.Combination_OPERATOR_AND, Left: deep, Right: term}}}
	}
	for _, tc := range []struct {
		name string
		req  *illgwv1.SearchRequest
		code codes.Code
		msg  string
	}{
		{"no database", &illgwv1.SearchRequest{Query: pqfQuery(t, "x"), Session: "s"}, codes.InvalidArgument, "Bib-1 23"},
		{"unknown database", &illgwv1.SearchRequest{Databases: []string{"nowhere"}, Query: pqfQuery(t, "x"), Session: "s"}, codes.NotFound, "Bib-1 109"},
		{"no query", &illgwv1.SearchRequest{Databases: []string{"consortium"}, Session: "s"}, codes.InvalidArgument, "Bib-1 108"},
		{"deep query", &illgwv1.SearchRequest{Databases: []string{"consortium"}, Query: &illgwv1.Query{Root: deep}, Session: "s"}, codes.InvalidArgument, "deeper"},
		{"no session", &illgwv1.SearchRequest{Databases: []string{"consortium"}, Query: pqfQuery(t, "x")}, codes.InvalidArgument, "session"},
		{"huge count", &illgwv1.SearchRequest{Databases: []string{"consortium"}, Query: pqfQuery(t, "x"), Session: "s", Count: 1 << 40}, codes.InvalidArgument, "count"},
		{"set as term", &illgwv1.SearchRequest{Databases: []string{"consortium"}, Query: pqfQuery(t, "@and @set a x"), Session: "s"}, codes.InvalidArgument, "Bib-1 18"},
		{"bad attribute set", &illgwv1.SearchRequest{Databases: []string{"consortium"}, Query: &illgwv1.Query{AttributeSet: "bib-1", Root: pqfQuery(t, "x").Root}, Session: "s"}, codes.InvalidArgument, "Bib-1 121"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.cat.Search(ctx, tc.req)
			wantCode(t, err, tc.code, tc.msg)
		})
	}
}
