package z3950_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/illgw/illgw/internal/testenv"
	"github.com/illgw/illgw/z3950"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestClientAgainstYazZtest(t *testing.T) {
	srv := testenv.YazZtest(t)
	ctx := ctxT(t)
	// A small message size forces the target to answer Present in pieces (partial-2).
	c, err := z3950.Dial(ctx, srv.Addr, &z3950.ClientOptions{PreferredMessageSize: 1024, UTF8: true,
		Auth: &z3950.Auth{Open: "alice/secret"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if !strings.Contains(c.Init.ImplementationName, "GFS/YAZ") || c.Init.PreferredMessageSize != 1024 {
		t.Fatalf("init: %q size %d", c.Init.ImplementationName, c.Init.PreferredMessageSize)
	}
	// yaz-ztest makes a numeric leading term the hit count.
	sr, err := c.Search(ctx, []string{"Default"}, z3950.Query{RPN: mustPQF(t, "@attr 1=4 12")}, nil)
	if err != nil || sr.ResultCount != 12 {
		t.Fatalf("search: %v %+v", err, sr)
	}
	recs, err := c.Present(ctx, "", 1, 12, z3950.OIDUSMARC, "F")
	if err != nil || len(recs) != 12 {
		t.Fatalf("present 12 USMARC records in pieces: %d, %v", len(recs), err)
	}
	// yaz-ztest replaces a record larger than the 1024-byte message with surrogate
	// diagnostic 16; every other position carries a USMARC record.
	var marc int
	for _, r := range recs {
		switch {
		case r.Diagnostic != nil && r.Diagnostic.Code == 16:
		case r.Record != nil && r.Record.OID.Equal(z3950.OIDUSMARC) && len(r.Record.Octets) >= 24:
			marc++
		default:
			t.Fatalf("record %+v", r)
		}
	}
	if marc < 6 {
		t.Fatalf("only %d of 12 positions carry a record", marc)
	}
	xml, err := c.Present(ctx, "", 2, 1, z3950.OIDXML, "marcxml")
	if err != nil || len(xml) != 1 || !bytes.Contains(xml[0].Record.Octets, []byte("<record")) {
		t.Fatalf("present XML: %v %+v", err, xml)
	}
	if _, err := c.Present(ctx, "", 13, 1, z3950.OIDUSMARC, ""); !isDiag(err, 13) {
		t.Fatalf("out of range: %v", err)
	}
	scan, err := c.Scan(ctx, "Default", z3950.AttrTerm{Attrs: []z3950.Attribute{{Type: 1, Value: 4}}, Term: "computer"}, 5, 1)
	if err != nil || len(scan.Entries) == 0 || scan.Entries[0].Term != "COMPUTER" {
		t.Fatalf("scan: %v %+v", err, scan)
	}
	if _, err := c.Sort(ctx, "default", "sorted", []z3950.SortKey{{Attrs: []z3950.Attribute{{Type: 1, Value: 4}}}}); err != nil {
		t.Fatalf("sort: %v", err)
	}
	if _, err := c.Search(ctx, []string{"nosuchdb"}, z3950.Query{RPN: mustPQF(t, "foo")}, nil); !isDiag(err, 109) {
		t.Fatalf("missing database: %v", err)
	}
	// The connection is still usable after a diagnostic.
	if !c.Healthy() {
		t.Fatal("connection unusable after diagnostic")
	}
	// Stopping the server breaks the connection: a typed error, not a hang.
	srv.Stop(t)
	if _, err := c.Search(ctx, []string{"Default"}, z3950.Query{RPN: mustPQF(t, "x")}, nil); !errors.Is(err, z3950.ErrConnectionLost) {
		t.Fatalf("after stop: %v", err)
	}
}

func isDiag(err error, code int) bool {
	var d *z3950.Diagnostic
	return errors.As(err, &d) && d.Code == code
}

func TestClientAgainstZebra(t *testing.T) {
	zs := testenv.Zebra(t, "testdata/sample-marc.mrc")
	ctx := ctxT(t)
	c, err := z3950.Dial(ctx, zs.Addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	for _, tc := range []struct {
		pqf  string
		hits int
	}{
		{"@attr 1=4 computer", 9},
		{"@attr 1=1003 collins", 2},
		{"@attr 1=7 0839108826", 1},
		{"@attr 1=1016 computer", -1}, // any word: at least the title hits
	} {
		sr, err := c.Search(ctx, []string{zs.Database}, z3950.Query{RPN: mustPQF(t, tc.pqf)}, nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.pqf, err)
		}
		if (tc.hits >= 0 && sr.ResultCount != tc.hits) || (tc.hits < 0 && sr.ResultCount < 9) {
			t.Errorf("%s: %d hits, want %d", tc.pqf, sr.ResultCount, tc.hits)
		}
	}
	sr, err := c.Search(ctx, []string{zs.Database}, z3950.Query{RPN: mustPQF(t, "@attr 1=7 0839108826")}, &z3950.SearchOptions{ResultSet: "isbn"})
	if err != nil || sr.ResultCount != 1 {
		t.Fatal(err)
	}
	recs, err := c.Present(ctx, "isbn", 1, 1, z3950.OIDUSMARC, "F")
	if err != nil || len(recs) != 1 || !bytes.Contains(recs[0].Record.Octets, []byte("0839108826")) {
		t.Fatalf("present USMARC: %v %+v", err, recs)
	}
	xml, err := c.Present(ctx, "isbn", 1, 1, z3950.OIDXML, "marcxml")
	if err != nil || len(xml) != 1 || !bytes.Contains(xml[0].Record.Octets, []byte("0839108826")) {
		t.Fatalf("present XML: %v %+v", err, xml)
	}
	scan, err := c.Scan(ctx, zs.Database, z3950.AttrTerm{Attrs: []z3950.Attribute{{Type: 1, Value: 4}}, Term: "computer"}, 5, 1)
	if err != nil || len(scan.Entries) == 0 || !strings.HasPrefix(strings.ToLower(scan.Entries[0].Term), "computer") {
		t.Fatalf("scan: %v %+v", err, scan)
	}
	if _, err := c.Search(ctx, []string{"nosuchdb"}, z3950.Query{RPN: mustPQF(t, "foo")}, nil); !isDiag(err, 109) {
		t.Fatalf("missing database: %v", err)
	}
}

// slowSession delays searches, to test client deadlines.
type slowSession struct{ z3950.Session }

func (s slowSession) Search(ctx context.Context, q *z3950.SearchQuery) (*z3950.SearchResult, error) {
	select {
	case <-time.After(2 * time.Second):
	case <-ctx.Done():
	}
	return s.Session.Search(ctx, q)
}

type slowInit struct{ z3950.Backend }

func (b slowInit) Init(ctx context.Context, info *z3950.InitInfo) (z3950.Session, error) {
	s, err := b.Backend.Init(ctx, info)
	return slowSession{s}, err
}

func TestClientErrors(t *testing.T) {
	// Connect failure: a port nobody listens on.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()
	var ce *z3950.ConnectError
	if _, err := z3950.Dial(ctxT(t), dead, nil); !errors.As(err, &ce) {
		t.Fatalf("dial dead port: %v", err)
	}
	// Timeout: the deadline passes during a slow search; the connection is then unusable.
	addr := startServer(t, &z3950.Server{Backend: slowInit{sampleBackend(t)}})
	c, err := z3950.Dial(ctxT(t), addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := c.Search(ctx, []string{"Default"}, z3950.Query{RPN: mustPQF(t, "x")}, nil); !errors.Is(err, z3950.ErrTimeout) {
		t.Fatalf("slow search: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("timeout took %v", d)
	}
	if c.Healthy() {
		t.Fatal("connection reused after a timeout")
	}
	// Init refused with a diagnostic.
	be := sampleBackend(t)
	be.Users = map[string]string{"u": "p"}
	if _, err := z3950.Dial(ctxT(t), startServer(t, &z3950.Server{Backend: be}), nil); !isDiag(err, 1011) {
		t.Fatalf("refused init: %v", err)
	}
	// Decoding failure: a "server" that answers garbage.
	gl, _ := net.Listen("tcp", "127.0.0.1:0")
	defer gl.Close()
	go func() {
		nc, err := gl.Accept()
		if err == nil {
			buf := make([]byte, 512)
			_, _ = nc.Read(buf)
			_, _ = nc.Write([]byte{0x30, 0x03, 0x02, 0x01, 0x00})
			time.Sleep(100 * time.Millisecond)
			nc.Close()
		}
	}()
	if _, err := z3950.Dial(ctxT(t), gl.Addr().String(), nil); !errors.Is(err, z3950.ErrBadResponse) {
		t.Fatalf("garbage answer: %v", err)
	}
}

// The client against our own server: the same script as against yaz-ztest.
func TestClientAgainstOwnServer(t *testing.T) {
	addr := startServer(t, &z3950.Server{Backend: sampleBackend(t)})
	ctx := ctxT(t)
	c, err := z3950.Dial(ctx, addr, &z3950.ClientOptions{PreferredMessageSize: 1024})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	sr, err := c.Search(ctx, []string{"Default"}, z3950.Query{RPN: mustPQF(t, "@attr 1=4 computer")}, nil)
	if err != nil || sr.ResultCount != 9 {
		t.Fatalf("%v %+v", err, sr)
	}
	recs, err := c.Present(ctx, "", 1, 9, z3950.OIDUSMARC, "")
	if err != nil || len(recs) != 9 {
		t.Fatalf("present 9 in pieces: %d %v", len(recs), err)
	}
	if _, err := c.Sort(ctx, "default", "s", []z3950.SortKey{{Field: "title"}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, "s"); err != nil {
		t.Fatal(err)
	}
}

func TestPoolReusesHealthyClients(t *testing.T) {
	srv := &z3950.Server{Backend: sampleBackend(t)}
	addr := startServer(t, srv)
	p := &z3950.Pool{}
	defer p.Close()
	ctx := ctxT(t)
	c1, err := p.Get(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c1.Search(ctx, []string{"Default"}, z3950.Query{RPN: mustPQF(t, "computer")}, nil); err != nil {
		t.Fatal(err)
	}
	p.Put(c1)
	c2, err := p.Get(ctx, addr)
	if err != nil || c2 != c1 {
		t.Fatalf("pool dialled again instead of reusing: %v", err)
	}
	// A client that timed out is not handed back out.
	short, cancel := context.WithTimeout(ctx, time.Nanosecond)
	defer cancel()
	<-short.Done()
	_, _ = c2.Search(short, []string{"Default"}, z3950.Query{RPN: mustPQF(t, "computer")}, nil)
	p.Put(c2)
	c3, err := p.Get(ctx, addr)
	if err != nil || c3 == c2 {
		t.Fatalf("broken client reused: %v", err)
	}
	p.Put(c3)
}

// Shutdown lets an in-flight search finish and answer before the association is closed.
func TestShutdownFinishesInFlight(t *testing.T) {
	srv := &z3950.Server{Backend: slowInit{sampleBackend(t)}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	c, err := z3950.Dial(ctxT(t), ln.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	idle, err := z3950.Dial(ctxT(t), ln.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		sr, err := c.Search(ctxT(t), []string{"Default"}, z3950.Query{RPN: mustPQF(t, "@attr 1=4 computer")}, nil)
		if err == nil && sr.ResultCount != 9 {
			err = errors.New("wrong count")
		}
		done <- err
	}()
	time.Sleep(200 * time.Millisecond) // the search is now inside the slow backend
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("in-flight search: %v", err)
	}
	if idle.Healthy() {
		if _, err := idle.Search(ctxT(t), []string{"Default"}, z3950.Query{RPN: mustPQF(t, "x")}, nil); err == nil {
			t.Fatal("idle association still served after shutdown")
		}
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Fatal("listener still accepting after shutdown")
	}
}

// Records go out as UTF-8 by default; a MARC-8 listener serves MARC-8 to clients that do not
// negotiate UTF-8, and UTF-8 to those that do.
func TestRecordCharsets(t *testing.T) {
	leader9 := func(addr string, utf8 bool) byte {
		ctx := ctxT(t)
		c, err := z3950.Dial(ctx, addr, &z3950.ClientOptions{UTF8: utf8})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		if _, err := c.Search(ctx, []string{"Default"}, z3950.Query{RPN: mustPQF(t, "@attr 1=4 computer")}, nil); err != nil {
			t.Fatal(err)
		}
		recs, err := c.Present(ctx, "", 1, 1, z3950.OIDUSMARC, "F")
		if err != nil || len(recs) != 1 {
			t.Fatal(err)
		}
		return recs[0].Record.Octets[9]
	}
	plain := startServer(t, &z3950.Server{Backend: sampleBackend(t)})
	marc8 := startServer(t, &z3950.Server{Backend: sampleBackend(t), MARC8: true})
	if got := leader9(plain, false); got != 'a' {
		t.Errorf("default server: leader/09 %q, want 'a'", got)
	}
	if got := leader9(marc8, false); got != ' ' {
		t.Errorf("MARC-8 server, no negotiation: leader/09 %q, want blank", got)
	}
	if got := leader9(marc8, true); got != 'a' {
		t.Errorf("MARC-8 server, UTF-8 negotiated: leader/09 %q, want 'a'", got)
	}
}
