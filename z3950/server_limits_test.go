package z3950_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/illgw/illgw/internal/testenv"
	"github.com/illgw/illgw/z3950"
	"github.com/illgw/illgw/z3950/ber"
)

// rawConn talks PDUs to a server by hand.
type rawConn struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawConn{t: t, nc: nc, br: bufio.NewReader(nc)}
}

func (r *rawConn) roundTrip(p z3950.PDU) z3950.PDU {
	r.t.Helper()
	if _, err := r.nc.Write(z3950.Encode(p)); err != nil {
		r.t.Fatal(err)
	}
	_ = r.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := ber.ReadFrame(r.br, ber.Limits{MaxSize: ber.DefaultTargetPDU})
	if err != nil {
		r.t.Fatalf("reading reply to %T: %v", p, err)
	}
	resp, err := z3950.Decode(b, ber.Limits{MaxSize: ber.DefaultTargetPDU})
	if err != nil {
		r.t.Fatal(err)
	}
	return resp
}

func initReq(msgSize int) *z3950.InitRequest {
	return &z3950.InitRequest{
		Version: z3950.Version2 | z3950.Version3, Options: z3950.OptSearch | z3950.OptPresent | z3950.OptScan | z3950.OptSort,
		PreferredMessageSize: msgSize, ExceptionalRecordSize: msgSize, ImplementationName: "test",
	}
}

func mustPQF(t testing.TB, s string) *z3950.RPNQuery {
	q, err := z3950.ParsePQF(s)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// expectClosed reads until the server closes the connection, within a second.
func expectClosed(t *testing.T, nc net.Conn) {
	t.Helper()
	_ = nc.SetReadDeadline(time.Now().Add(time.Second))
	start := time.Now()
	_, err := io.Copy(io.Discard, nc)
	// A reset is a close too: the server closed with our unread bomb in its buffer.
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("connection not closed by the server: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("took %v to close", d)
	}
}

func TestServerRefusesBombs(t *testing.T) {
	addr := startServer(t, &z3950.Server{Backend: sampleBackend(t), PDUTimeout: 300 * time.Millisecond})
	bombs := map[string][]byte{
		"nested-4MB":   bytes.Repeat([]byte{0x30, 0x80}, 2<<20),
		"len-2^31-1":   {0xb4, 0x84, 0x7f, 0xff, 0xff, 0xff},
		"pdu-20MiB":    {0xb4, 0x84, 0x01, 0x40, 0x00, 0x00},
		"tag-oversize": {0xbf, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00},
		"not-apdu":     {0x30, 0x03, 0x02, 0x01, 0x00},
	}
	for name, b := range bombs {
		t.Run(name, func(t *testing.T) {
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			go func() { _, _ = nc.Write(b) }()
			expectClosed(t, nc)
		})
	}
	// A PDU that announces 100 kB and stalls is cut off by PDUTimeout.
	t.Run("stall", func(t *testing.T) {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		_, _ = nc.Write([]byte{0xb4, 0x83, 0x01, 0x86, 0xa0, 0x83})
		expectClosed(t, nc)
	})
	// The server is still healthy.
	r := dialRaw(t, addr)
	if resp, ok := r.roundTrip(initReq(1 << 20)).(*z3950.InitResponse); !ok || !resp.Result {
		t.Fatalf("init after bombs: %+v", resp)
	}
}

func TestServerPresentPartialAndPiggyback(t *testing.T) {
	addr := startServer(t, &z3950.Server{Backend: sampleBackend(t)})
	r := dialRaw(t, addr)
	ir := r.roundTrip(initReq(2000)).(*z3950.InitResponse)
	if ir.PreferredMessageSize != 2000 || ir.Options&z3950.OptScan == 0 {
		t.Fatalf("init %+v", ir)
	}
	// Piggy-back: 9 hits <= smallSetUpperBound 10 gives all nine records.
	sr := r.roundTrip(&z3950.SearchRequest{
		SmallSetUpperBound: 10, LargeSetLowerBound: 11, ReplaceIndicator: true, ResultSetName: "a",
		Databases: []string{"Default"}, Query: z3950.Query{RPN: mustPQF(t, "@attr 1=4 computer")},
		PreferredRecordSyntax: z3950.OIDUSMARC,
	}).(*z3950.SearchResponse)
	if sr.ResultCount != 9 || sr.NumberOfRecordsReturned == 0 || len(sr.Records) != sr.NumberOfRecordsReturned {
		t.Fatalf("piggyback: %d hits, %d returned", sr.ResultCount, sr.NumberOfRecordsReturned)
	}
	if sr.NumberOfRecordsReturned == 9 || sr.PresentStatus == nil || *sr.PresentStatus != z3950.PresentPartial2 {
		t.Fatalf("2000-byte messages cannot hold nine records: returned %d status %v", sr.NumberOfRecordsReturned, sr.PresentStatus)
	}
	// Continue with Present from nextResultSetPosition until all nine are in.
	got := sr.NumberOfRecordsReturned
	next := sr.NextResultSetPosition
	for got < 9 {
		pr := r.roundTrip(&z3950.PresentRequest{ResultSetID: "a", Start: next, Count: 9 - got}).(*z3950.PresentResponse)
		if pr.NumberOfRecordsReturned == 0 {
			t.Fatalf("present from %d returned nothing (%+v)", next, pr.Diagnostics)
		}
		got += pr.NumberOfRecordsReturned
		next = pr.NextResultSetPosition
	}
	// Named result sets: replace indicator off on an existing name gives 21.
	sr = r.roundTrip(&z3950.SearchRequest{ResultSetName: "a", Databases: []string{"Default"},
		Query: z3950.Query{RPN: mustPQF(t, "x")}}).(*z3950.SearchResponse)
	if len(sr.Diagnostics) != 1 || sr.Diagnostics[0].Code != 21 {
		t.Fatalf("replace off: %+v", sr.Diagnostics)
	}
	// @set refers to a named set.
	sr = r.roundTrip(&z3950.SearchRequest{ResultSetName: "b", ReplaceIndicator: true, Databases: []string{"Default"},
		Query: z3950.Query{RPN: mustPQF(t, "@and @set a @attr 1=1003 collins")}}).(*z3950.SearchResponse)
	if sr.ResultCount != 2 {
		t.Fatalf("@set a AND collins: %d", sr.ResultCount)
	}
	// Unsupported use attribute: 114.
	sr = r.roundTrip(&z3950.SearchRequest{ResultSetName: "c", ReplaceIndicator: true, Databases: []string{"Default"},
		Query: z3950.Query{RPN: mustPQF(t, "@attr 1=9999 x")}}).(*z3950.SearchResponse)
	if len(sr.Diagnostics) != 1 || sr.Diagnostics[0].Code != 114 || sr.Diagnostics[0].AddInfo != "9999" {
		t.Fatalf("use 9999: %+v", sr.Diagnostics)
	}
	// Delete, then Present from the deleted set: 30.
	if dr := r.roundTrip(&z3950.DeleteRequest{ResultSets: []string{"a"}}).(*z3950.DeleteResponse); dr.Status != 0 {
		t.Fatalf("delete status %d", dr.Status)
	}
	pr := r.roundTrip(&z3950.PresentRequest{ResultSetID: "a", Start: 1, Count: 1}).(*z3950.PresentResponse)
	if len(pr.Diagnostics) != 1 || pr.Diagnostics[0].Code != 30 {
		t.Fatalf("present from deleted set: %+v", pr.Diagnostics)
	}
	cl := r.roundTrip(&z3950.Close{Reason: z3950.CloseFinished}).(*z3950.Close)
	if cl.Reason != z3950.CloseFinished {
		t.Fatalf("close %+v", cl)
	}
}

func TestServerInitAuthAndCharset(t *testing.T) {
	be := sampleBackend(t)
	be.Users = map[string]string{"alice": "secret"}
	addr := startServer(t, &z3950.Server{Backend: be})

	bad := initReq(1 << 20)
	bad.Auth = &z3950.Auth{Open: "alice/wrong"}
	r := dialRaw(t, addr)
	ir := r.roundTrip(bad).(*z3950.InitResponse)
	if ir.Result || ir.UserInformation == nil {
		t.Fatalf("bad password accepted: %+v", ir)
	}
	expectClosed(t, r.nc)

	good := initReq(1 << 20)
	good.Auth = &z3950.Auth{IDPass: true, User: "alice", Password: "secret"}
	good.Options |= z3950.OptNegotiation
	yes := true
	good.Charset = &z3950.CharsetProposal{UTF8: true, RecordsInSelectedCharSets: &yes}
	r = dialRaw(t, addr)
	ir = r.roundTrip(good).(*z3950.InitResponse)
	if !ir.Result || ir.Charset == nil || !ir.Charset.UTF8 || ir.Options&z3950.OptNegotiation == 0 {
		t.Fatalf("idPass + UTF-8: %+v charset %+v", ir, ir.Charset)
	}
}

func TestServerRequiresInitAndAllowedNets(t *testing.T) {
	addr := startServer(t, &z3950.Server{Backend: sampleBackend(t)})
	r := dialRaw(t, addr)
	cl, ok := r.roundTrip(&z3950.SearchRequest{Databases: []string{"Default"}, Query: z3950.Query{RPN: mustPQF(t, "x")}}).(*z3950.Close)
	if !ok || cl.Reason != z3950.CloseProtocolError {
		t.Fatalf("search before init: %+v", cl)
	}
	// 127.0.0.1 is not in 10.0.0.0/8: closed without a word.
	srv := &z3950.Server{Backend: sampleBackend(t)}
	srv.AllowedNets = append(srv.AllowedNets, mustPrefix(t, "10.0.0.0/8"))
	nc, err := net.Dial("tcp", startServer(t, srv))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	expectClosed(t, nc)
}

func TestServerConnectionLimitsAndIdle(t *testing.T) {
	addr := startServer(t, &z3950.Server{Backend: sampleBackend(t), MaxConnectionsPerIP: 1, IdleTimeout: 300 * time.Millisecond})
	first := dialRaw(t, addr)
	if ir := first.roundTrip(initReq(1 << 20)).(*z3950.InitResponse); !ir.Result {
		t.Fatal("first connection refused")
	}
	// A second connection from the same address is closed at once.
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	expectClosed(t, nc)
	// The first, left idle, gets Close(lackOfActivity) and is closed.
	_ = first.nc.SetReadDeadline(time.Now().Add(2 * time.Second))
	b, err := ber.ReadFrame(first.br, ber.Limits{})
	if err != nil {
		t.Fatalf("no Close on idle timeout: %v", err)
	}
	p, err := z3950.Decode(b, ber.Limits{})
	if cl, ok := p.(*z3950.Close); err != nil || !ok || cl.Reason != z3950.CloseLackOfActivity {
		t.Fatalf("idle: %v %+v", err, p)
	}
	expectClosed(t, first.nc)
}

func TestYazClientCharsetNegotiation(t *testing.T) {
	bin := testenv.Require(t, "yaz-client", "yaz")
	addr := startServer(t, &z3950.Server{Backend: sampleBackend(t)})
	file := t.TempDir() + "/cmds"
	script := "charset UTF-8\nopen tcp:" + addr + "/Default\nfind @attr 1=4 computer\nclose\nquit\n"
	if err := os.WriteFile(file, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-f", file)
	cmd.Dir = t.TempDir()
	out, _ := cmd.CombinedOutput()
	if !strings.Contains(string(out), "Accepted character set : UTF-8") || !strings.Contains(string(out), "negotiationModel") ||
		!strings.Contains(string(out), "Number of hits: 9") {
		t.Fatalf("yaz-client with charset UTF-8:\n%s", out)
	}
}

type panicBackend struct{ z3950.Backend }

type panicSession struct{ z3950.Session }

func (panicSession) Search(context.Context, *z3950.SearchQuery) (*z3950.SearchResult, error) {
	panic("backend bug")
}

func (b panicBackend) Init(ctx context.Context, info *z3950.InitInfo) (z3950.Session, error) {
	s, err := b.Backend.Init(ctx, info)
	return panicSession{s}, err
}

// A panic in the backend closes that association with Close(systemProblem); the server lives on.
func TestServerSurvivesBackendPanic(t *testing.T) {
	srv := &z3950.Server{Backend: panicBackend{sampleBackend(t)}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	addr := startServer(t, srv)
	for range 2 {
		r := dialRaw(t, addr)
		r.roundTrip(initReq(1 << 20))
		cl, ok := r.roundTrip(&z3950.SearchRequest{Databases: []string{"Default"}, Query: z3950.Query{RPN: mustPQF(t, "x")}}).(*z3950.Close)
		if !ok || cl.Reason != z3950.CloseSystemProblem {
			t.Fatalf("after panic: %+v", cl)
		}
	}
}

func TestZoomshAgainstServer(t *testing.T) {
	bin := testenv.Require(t, "zoomsh", "yaz")
	addr := startServer(t, &z3950.Server{Backend: sampleBackend(t)})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin,
		"connect tcp:"+addr+"/Default", "search @attr 1=1003 collins", "show 0 1",
		"set preferredRecordSyntax xml", "set elementSetName marcxml", "show 1 1", "quit")
	cmd.Dir = os.TempDir()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("zoomsh: %v\n%s", err, out)
	}
	s := string(out)
	if !strings.Contains(s, ": 2 hits") || !strings.Contains(s, "Jack Collins") || !strings.Contains(s, `<record xmlns="http://www.loc.gov/MARC21/slim">`) {
		t.Fatalf("zoomsh output:\n%s", s)
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	// Goroutine-leak check: every server and connection goroutine must be gone.
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		if !bytes.Contains(buf[:n], []byte("z3950.(*conn)")) && !bytes.Contains(buf[:n], []byte("z3950.(*Server).Serve")) {
			os.Exit(code)
		}
		time.Sleep(20 * time.Millisecond)
	}
	buf := make([]byte, 1<<20)
	n := runtime.Stack(buf, true)
	os.Stderr.Write(buf[:n])
	os.Stderr.WriteString("leaked z3950 goroutines\n")
	os.Exit(1)
}

func mustPrefix(t testing.TB, s string) netip.Prefix {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The diagnostics a cataloguer's client meets, each from its own request.
func TestServerDiagnostics(t *testing.T) {
	r := dialRaw(t, startServer(t, &z3950.Server{Backend: sampleBackend(t)}))
	r.roundTrip(initReq(1 << 20))
	search := func(dbs []string, pqf string) []z3950.Diagnostic {
		sr := r.roundTrip(&z3950.SearchRequest{ReplaceIndicator: true, Databases: dbs,
			Query: z3950.Query{RPN: mustPQF(t, pqf)}}).(*z3950.SearchResponse)
		return sr.Diagnostics
	}
	for _, tc := range []struct {
		dbs  []string
		pqf  string
		code int
	}{
		{[]string{"Default", "Other"}, "x", 23},
		{[]string{"Default"}, "@attr 1=4 @attr 2=6 x", 117},
		{[]string{"Default"}, "@attr 1=4 @attr 5=104 x", 120},
		{[]string{"Default"}, "@attr 9=1 x", 113},
		{[]string{"Default"}, "@attrset gils @attr 1=4 x", 121},
		{[]string{"Default"}, "@and x @set nosuchset", 30},
	} {
		if d := search(tc.dbs, tc.pqf); len(d) != 1 || d[0].Code != tc.code {
			t.Errorf("%v %s: %+v, want %d", tc.dbs, tc.pqf, d, tc.code)
		}
	}
	if d := search([]string{"Default"}, "@attr 1=1003 collins"); d != nil {
		t.Fatal(d)
	}
	// Per-record (surrogate) diagnostics: unknown syntax 239, bad XML element set 25.
	pr := r.roundTrip(&z3950.PresentRequest{ResultSetID: "default", Start: 1, Count: 2,
		PreferredRecordSyntax: ber.MustOID("1.2.840.10003.5.105")}).(*z3950.PresentResponse)
	if len(pr.Records) != 2 || pr.Records[0].Diagnostic == nil || pr.Records[0].Diagnostic.Code != 239 || pr.PresentStatus != z3950.PresentPartial4 {
		t.Errorf("GRS-1: %+v status %d", pr.Records, pr.PresentStatus)
	}
	pr = r.roundTrip(&z3950.PresentRequest{ResultSetID: "default", Start: 1, Count: 1, ElementSetName: "zz",
		PreferredRecordSyntax: z3950.OIDXML}).(*z3950.PresentResponse)
	if len(pr.Records) != 1 || pr.Records[0].Diagnostic == nil || pr.Records[0].Diagnostic.Code != 25 {
		t.Errorf("XML esn zz: %+v", pr.Records)
	}
	// Brief USMARC holds fewer bytes than full.
	full := r.roundTrip(&z3950.PresentRequest{ResultSetID: "default", Start: 1, Count: 1, ElementSetName: "F"}).(*z3950.PresentResponse)
	brief := r.roundTrip(&z3950.PresentRequest{ResultSetID: "default", Start: 1, Count: 1, ElementSetName: "B"}).(*z3950.PresentResponse)
	if len(brief.Records[0].Record.Octets) >= len(full.Records[0].Record.Octets) {
		t.Errorf("brief %d bytes, full %d", len(brief.Records[0].Record.Octets), len(full.Records[0].Record.Octets))
	}
	// Scan: non-zero step 205, unsupported use 114.
	two := 2
	sc := r.roundTrip(&z3950.ScanRequest{Databases: []string{"Default"}, StepSize: &two, NumberOfTerms: 5,
		Term: z3950.AttrTerm{Attrs: []z3950.Attribute{{Type: 1, Value: 4}}, Term: "a"}}).(*z3950.ScanResponse)
	if len(sc.Diagnostics) != 1 || sc.Diagnostics[0].Code != 205 {
		t.Errorf("scan step 2: %+v", sc.Diagnostics)
	}
	sc = r.roundTrip(&z3950.ScanRequest{Databases: []string{"Default"}, NumberOfTerms: 5,
		Term: z3950.AttrTerm{Attrs: []z3950.Attribute{{Type: 1, Value: 9999}}, Term: "a"}}).(*z3950.ScanResponse)
	if len(sc.Diagnostics) != 1 || sc.Diagnostics[0].Code != 114 {
		t.Errorf("scan use 9999: %+v", sc.Diagnostics)
	}
	// Sort by an attribute the backend cannot sort by: 207.
	so := r.roundTrip(&z3950.SortRequest{Inputs: []string{"default"}, Output: "s",
		Keys: []z3950.SortKey{{Attrs: []z3950.Attribute{{Type: 1, Value: 9999}}}}}).(*z3950.SortResponse)
	if so.Status != z3950.SortFailure || len(so.Diagnostics) != 1 || so.Diagnostics[0].Code != 207 {
		t.Errorf("sort by 9999: %+v", so)
	}
	// Medium-set piggy-back: 2 hits, small bound 0, large bound 5, medium number 1.
	sr := r.roundTrip(&z3950.SearchRequest{LargeSetLowerBound: 5, MediumSetPresentNumber: 1, ReplaceIndicator: true,
		Databases: []string{"Default"}, MediumSetElementSetName: "B",
		Query: z3950.Query{RPN: mustPQF(t, "@attr 1=1003 collins")}}).(*z3950.SearchResponse)
	if sr.ResultCount != 2 || sr.NumberOfRecordsReturned != 1 || sr.NextResultSetPosition != 2 {
		t.Errorf("medium set: %d hits, %d returned, next %d", sr.ResultCount, sr.NumberOfRecordsReturned, sr.NextResultSetPosition)
	}
}
