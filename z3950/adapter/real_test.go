package adapter_test

import (
	"context"
	"net"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/illgw/illgw/broker"
	"github.com/illgw/illgw/broker/member"
	"github.com/illgw/illgw/broker/state"
	"github.com/illgw/illgw/internal/testenv"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
	"github.com/illgw/illgw/z3950"
	"github.com/illgw/illgw/z3950/adapter"
)

type catTarget struct {
	code, z3950 string
	timeout     time.Duration
}

// catalog is a broker over the given targets, reached over gRPC as the
// adapter reaches it; databases maps virtual databases to member codes.
func catalog(t testing.TB, targets []catTarget, databases map[string][]string, bo member.BreakerConfig) illgwv1.CatalogClient {
	t.Helper()
	st, err := state.Open(context.Background(), state.Options{Driver: "embedded", Path: filepath.Join(t.TempDir(), "s.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var mcs []member.Config
	var bms []broker.Member
	for _, tg := range targets {
		mcs = append(mcs, member.Config{Code: tg.code, Catalog: &member.CatalogConfig{Z3950: tg.z3950, Timeout: tg.timeout}})
		bms = append(bms, broker.Member{Code: tg.code})
	}
	reg, err := member.New(member.Options{Members: mcs, Flags: st, Breaker: bo})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	b := broker.New(broker.Options{Store: st, Members: bms, Databases: databases, Registry: reg})
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
	return illgwv1.NewCatalogClient(cc)
}

// search runs one federated search with the adapter's query conversion.
func search(t testing.TB, c illgwv1.CatalogClient, db, pqf string) *illgwv1.SearchResponse {
	t.Helper()
	q, err := z3950.ParsePQF(pqf)
	if err != nil {
		t.Fatal(err)
	}
	pq, err := adapter.QueryToProto(q)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := c.Search(ctx, &illgwv1.SearchRequest{Databases: []string{db}, Query: pq, Session: "real"})
	if err != nil {
		t.Fatalf("search %s %s: %v", db, pqf, err)
	}
	return resp
}

// blackHole accepts TCP connections and never answers: a member whose host
// is up but whose server hangs.
func blackHole(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return ln.Addr().String()
}

func memberOf(resp *illgwv1.SearchResponse, code string) *illgwv1.MemberResult {
	for _, m := range resp.Members {
		if m.Member == code {
			return m
		}
	}
	return nil
}

// TestCatalogRealTargets: three members backed by two yaz-ztest instances
// and one zebrasrv over the sample records (reference/z3950-sru.md §4).
// The merged count is below the members' sum; a member killed mid-run, or
// black-holed, costs at most its deadline plus a margin, its breaker opens
// within 10 calls, later searches skip it at once, and after it comes back
// a half-open probe puts it back in use.
func TestCatalogRealTargets(t *testing.T) {
	z1, z2 := testenv.YazZtest(t), testenv.YazZtest(t)
	zebra := testenv.Zebra(t, "testdata/sample-marc.mrc")
	const deadline = 500 * time.Millisecond
	const openFor = 1500 * time.Millisecond
	targets := []catTarget{
		{code: "ZT1", z3950: z1.Addr + "/Default", timeout: deadline},
		{code: "ZT2", z3950: z2.Addr + "/Default", timeout: deadline},
		{code: "ZEBRA", z3950: zebra.Addr + "/" + zebra.Database, timeout: deadline},
		{code: "HOLE", z3950: blackHole(t) + "/Default", timeout: deadline},
	}
	f := catalog(t, targets, map[string][]string{"real": {"ZT1", "ZT2", "ZEBRA"}, "consortium": {"ZT1", "ZT2", "ZEBRA", "HOLE"}},
		member.BreakerConfig{Failures: 3, OpenFor: openFor, Probes: 1})

	resp := search(t, f, "real", "@attr 1=4 computer")
	sum := int64(0)
	for _, m := range resp.Members {
		if m.Diagnostic != nil || m.HitCount == 0 {
			t.Fatalf("member %s: %d hits, %v", m.Member, m.HitCount, m.Diagnostic)
		}
		sum += m.HitCount
	}
	if resp.HitCount == 0 || resp.HitCount >= sum {
		t.Fatalf("merged %d hits, members' sum %d", resp.HitCount, sum)
	}
	t.Logf("real targets: merged %d of %d (%v)", resp.HitCount, sum, resp.Members)

	// Kill ZT2 mid-run: each search answers within the deadline plus a
	// margin, with ZT2 as a diagnostic; the breaker opens within 10 calls.
	z2.Stop(t)
	opened := 0
	for i := 1; i <= 10; i++ {
		start := time.Now()
		resp := search(t, f, "real", "@attr 1=4 computer")
		took := time.Since(start)
		if took > deadline+250*time.Millisecond {
			t.Errorf("search %d with ZT2 dead took %v (deadline %v)", i, took, deadline)
		}
		m := memberOf(resp, "ZT2")
		if m.Diagnostic == nil || resp.Status != illgwv1.ResultSetStatus_RESULT_SET_STATUS_SUBSET || memberOf(resp, "ZT1").HitCount == 0 {
			t.Fatalf("search %d: %v", i, resp)
		}
		if strings.Contains(m.Diagnostic.Message, "breaker is open") {
			opened = i
			break
		}
	}
	if opened == 0 {
		t.Fatal("ZT2's breaker did not open within 10 calls")
	}
	start := time.Now()
	for range 20 {
		search(t, f, "zt2", "@attr 1=4 computer")
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("20 searches skipping ZT2 took %v", took)
	}

	// ZT2 comes back: after open_for a half-open probe uses it again.
	z2.Start(t)
	time.Sleep(openFor + 100*time.Millisecond)
	back := search(t, f, "real", "@attr 1=4 computer")
	if m := memberOf(back, "ZT2"); m.Diagnostic != nil || m.HitCount == 0 || back.Status != illgwv1.ResultSetStatus_RESULT_SET_STATUS_COMPLETE {
		t.Fatalf("after ZT2 came back: %v", back)
	}

	// A black-holed member behaves the same.
	for i := 1; ; i++ {
		start := time.Now()
		resp := search(t, f, "consortium", "@attr 1=4 computer")
		if took := time.Since(start); took > deadline+250*time.Millisecond {
			t.Errorf("search %d with HOLE black-holed took %v", i, took)
		}
		if m := memberOf(resp, "HOLE"); m.Diagnostic != nil && strings.Contains(m.Diagnostic.Message, "breaker is open") {
			break
		}
		if i == 10 {
			t.Fatal("HOLE's breaker did not open within 10 calls")
		}
	}
}

// TestCatalogFailedCallsLeakNothing: 10,000 searches of a member whose
// port refuses connections (its breaker never trips here, so every call
// really dials) leave the goroutine count and the heap where they were.
func TestCatalogFailedCallsLeakNothing(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	c := catalog(t, []catTarget{{code: "DEAD", z3950: dead + "/Default", timeout: time.Second}}, nil,
		member.BreakerConfig{Failures: 1 << 30, Ratio: 1, MinRequests: 1 << 30})
	q, _ := z3950.ParsePQF("@attr 1=4 computer")
	pq, _ := adapter.QueryToProto(q)
	calls := 10000
	if testing.Short() {
		calls = 1000
	}
	run := func(n int) {
		var wg sync.WaitGroup
		per := n / 8
		for w := range 8 {
			wg.Go(func() {
				req := &illgwv1.SearchRequest{Databases: []string{"DEAD"}, Query: pq, Session: "leak" + string(rune('a'+w))}
				for range per {
					resp, err := c.Search(context.Background(), req)
					if err != nil || resp.Status != illgwv1.ResultSetStatus_RESULT_SET_STATUS_NONE || resp.Members[0].Diagnostic == nil {
						t.Errorf("a call to a dead member did not fail: %v %v", resp, err)
						return
					}
				}
			})
		}
		wg.Wait()
	}
	run(800) // warm up pools and caches
	g0, h0 := settle()
	start := time.Now()
	run(calls)
	took := time.Since(start)
	g1, h1 := settle()
	t.Logf("%d failed calls in %v: goroutines %d -> %d, heap %d KiB -> %d KiB", calls, took, g0, g1, h0>>10, h1>>10)
	if g1 > g0+2 {
		t.Errorf("goroutines grew from %d to %d", g0, g1)
	}
	if h1 > h0+8<<20 {
		t.Errorf("heap grew from %d to %d bytes", h0, h1)
	}
}

// settle waits for goroutines to end and returns their count and the live
// heap after a collection.
func settle() (int, uint64) {
	var n int
	for range 50 {
		n = runtime.NumGoroutine()
		time.Sleep(20 * time.Millisecond)
		if runtime.NumGoroutine() == n {
			break
		}
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return n, ms.HeapAlloc
}
