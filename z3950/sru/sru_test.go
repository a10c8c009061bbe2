package sru_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/illgw/illgw/internal/testenv"
	"github.com/illgw/illgw/z3950"
	"github.com/illgw/illgw/z3950/memory"
	"github.com/illgw/illgw/z3950/sru"
)

func backend(t testing.TB) *memory.Backend {
	t.Helper()
	data, err := os.ReadFile("../testdata/sample-marc.mrc")
	if err != nil {
		t.Fatal(err)
	}
	db, err := memory.NewDatabase("Default", data)
	if err != nil {
		t.Fatal(err)
	}
	return &memory.Backend{Databases: map[string]*memory.Database{"Default": db}}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// curl fetches a URL with the real curl binary and checks the XML is well-formed with xmllint.
func curl(t *testing.T, u string) string {
	t.Helper()
	bin := testenv.Require(t, "curl", "curl")
	out, err := exec.Command(bin, "-sS", "--max-time", "10", u).Output()
	if err != nil {
		t.Fatalf("curl %s: %v", u, err)
	}
	xl := testenv.Require(t, "xmllint", "libxml2-utils")
	cmd := exec.Command(xl, "--noout", "-")
	cmd.Stdin = strings.NewReader(string(out))
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("not well-formed XML from %s: %v %s\n%s", u, err, msg, out)
	}
	return string(out)
}

func TestCurlAgainstSRU(t *testing.T) {
	ts := httptest.NewServer(&sru.Server{Backend: backend(t)})
	defer ts.Close()
	base := ts.URL + "/Default?"
	out := curl(t, base+"version=1.2&operation=searchRetrieve&query="+url.QueryEscape("dc.title=computer")+"&maximumRecords=2&recordSchema=marcxml")
	for _, want := range []string{`<zs:version>1.2</zs:version>`, "<zs:numberOfRecords>9</zs:numberOfRecords>",
		`<record xmlns="http://www.loc.gov/MARC21/slim">`, "<zs:recordPosition>2</zs:recordPosition>", "<zs:nextRecordPosition>3</zs:nextRecordPosition>"} {
		if !strings.Contains(out, want) {
			t.Errorf("1.2 searchRetrieve lacks %q\n%s", want, out)
		}
	}
	out = curl(t, base+"version=1.1&operation=searchRetrieve&query="+url.QueryEscape(`bath.isbn=0839108826`)+"&maximumRecords=1&recordSchema=dc")
	if !strings.Contains(out, "<zs:numberOfRecords>1</zs:numberOfRecords>") || !strings.Contains(out, "<dc:title>") {
		t.Errorf("1.1 dc:\n%s", out)
	}
	out = curl(t, base+"operation=searchRetrieve&query="+url.QueryEscape(`dc.creator=collins`)+"&recordSchema=mods")
	if !strings.Contains(out, `xmlns:zs="http://docs.oasis-open.org/ns/search-ws/sruResponse"`) ||
		!strings.Contains(out, "<zs:numberOfRecords>2</zs:numberOfRecords>") || !strings.Contains(out, "<namePart>Jack Collins</namePart>") {
		t.Errorf("2.0 mods:\n%s", out)
	}
	out = curl(t, ts.URL+"/Default")
	if !strings.Contains(out, `<zs:explainResponse xmlns:zs="http://docs.oasis-open.org/ns/search-ws/sruResponse">`) {
		t.Errorf("bare GET is not a 2.0 explain:\n%s", out)
	}
	out = curl(t, base+"version=1.2&operation=explain")
	if !strings.Contains(out, "<zs:explainResponse") || !strings.Contains(out, "<title>dc.title</title>") {
		t.Errorf("explain:\n%s", out)
	}
	out = curl(t, base+"version=1.2&operation=scan&scanClause="+url.QueryEscape("dc.title=computer")+"&maximumTerms=3")
	if !strings.Contains(out, "<zs:value>computer</zs:value><zs:numberOfRecords>9</zs:numberOfRecords>") {
		t.Errorf("scan:\n%s", out)
	}
	for q, code := range map[string]string{
		"version=1.2&operation=searchRetrieve&query=(((":                                       "10",
		"version=1.2&operation=searchRetrieve&query=foo.bar%3Dx":                               "15",
		"version=1.2&operation=searchRetrieve&query=dc.nosuch%3Dx":                             "16",
		"version=1.2&operation=searchRetrieve&query=computer&startRecord=500&maximumRecords=1": "61",
		"version=1.2&operation=searchRetrieve&query=computer&recordSchema=nosuch":              "66",
		"version=1.2&operation=searchRetrieve&query=computer&maximumRecords=-1":                "6",
		"version=3.0&operation=searchRetrieve&query=computer":                                  "5",
		"version=1.2&operation=searchRetrieve":                                                 "7",
		"version=1.2&operation=frobnicate":                                                     "4",
	} {
		out := curl(t, base+q)
		if !strings.Contains(out, "<diag:uri>info:srw/diagnostic/1/"+code+"</diag:uri>") {
			t.Errorf("%s: want diagnostic %s\n%s", q, code, out)
		}
	}
	// An unknown database is the backend's Bib-1 109, which is SRU 235.
	out = curl(t, ts.URL+"/nosuchdb?version=1.2&operation=searchRetrieve&query=x")
	if !strings.Contains(out, "info:srw/diagnostic/1/235") {
		t.Errorf("unknown database:\n%s", out)
	}
}

func TestPOST(t *testing.T) {
	ts := httptest.NewServer(&sru.Server{Backend: backend(t)})
	defer ts.Close()
	resp, err := http.PostForm(ts.URL+"/Default", url.Values{"version": {"1.2"}, "operation": {"searchRetrieve"},
		"query": {"dc.title=computer sortBy dc.title"}, "maximumRecords": {"1"}, "recordSchema": {"dc"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := new(strings.Builder)
	_, _ = io.Copy(buf, resp.Body)
	if !strings.Contains(buf.String(), "<dc:title>A plan for community college computer development</dc:title>") {
		t.Fatalf("POST with sortBy: first record is not the first title\n%s", buf)
	}
}

// SRU on the Z39.50 port: the z3950.Server hands HTTP connections to the SRU handler.
func TestSRUOnZ3950Port(t *testing.T) {
	be := backend(t)
	srv := &z3950.Server{Backend: be, HTTPHandler: &sru.Server{Backend: be}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Shutdown(context.Background())
	c := &sru.Client{BaseURL: "http://" + ln.Addr().String() + "/Default"}
	res, err := c.SearchRetrieve(ctxT(t), "dc.creator=collins", 1, 2, "marcxml")
	if err != nil || res.Count != 2 || len(res.Records) != 2 || !strings.Contains(string(res.Records[0].Data), "Jack Collins") {
		t.Fatalf("%v %+v", err, res)
	}
	// and Z39.50 on the same port still works.
	zc, err := z3950.Dial(ctxT(t), ln.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	zc.Close(ctxT(t))
}

func TestClientAgainstYazZtestSRU(t *testing.T) {
	zt := testenv.YazZtest(t)
	c := &sru.Client{BaseURL: "http://" + zt.Addr + "/Default"}
	ctx := ctxT(t)
	res, err := c.SearchRetrieve(ctx, "computer", 1, 2, "marcxml")
	if err != nil || res.Count == 0 || len(res.Records) == 0 || !strings.Contains(string(res.Records[0].Data), "<record") {
		t.Fatalf("%v %+v", err, res)
	}
	_, err = c.SearchRetrieve(ctx, "computer", 500000, 1, "marcxml")
	var d *sru.Diagnostic
	if !errors.As(err, &d) || d.Code() != 61 {
		t.Fatalf("out of range: %v", err)
	}
	terms, err := c.Scan(ctx, "computer", 3, 1)
	if err != nil || len(terms) == 0 {
		t.Fatalf("scan: %v %+v", err, terms)
	}
}

func TestClientAgainstZebraSRU(t *testing.T) {
	zs := testenv.Zebra(t, "../testdata/sample-marc.mrc")
	c := &sru.Client{BaseURL: zs.SRUURL()}
	res, err := c.SearchRetrieve(ctxT(t), "dc.title=computer and dc.creator=collins", 1, 5, "marcxml")
	if err != nil || res.Count != 2 {
		t.Fatalf("%v %+v", err, res)
	}
}

func TestClientErrors(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	c := &sru.Client{BaseURL: "http://" + addr + "/Default"}
	if _, err := c.SearchRetrieve(ctxT(t), "x", 1, 1, ""); !isErr(err, sru.ErrConnect) {
		t.Fatalf("dead port: %v", err)
	}
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	c = &sru.Client{BaseURL: slow.URL}
	if _, err := c.SearchRetrieve(ctx, "x", 1, 1, ""); !isErr(err, sru.ErrTimeout) {
		t.Fatalf("slow: %v", err)
	}
	junk := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("<not")) }))
	defer junk.Close()
	c = &sru.Client{BaseURL: junk.URL}
	if _, err := c.SearchRetrieve(ctxT(t), "x", 1, 1, ""); !isErr(err, sru.ErrBadResponse) {
		t.Fatalf("junk: %v", err)
	}
}

func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{"version=1.2&operation=searchRetrieve&query=dc.title%3Dcomputer&maximumRecords=1",
		"operation=scan&scanClause=x&responsePosition=0", "version=3.0", "query=x&startRecord=-1", "x-pquery=%40attr+1%3D4+x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := url.ParseQuery(s)
		if err != nil {
			return
		}
		r, err := sru.ParseRequest(v, "Default")
		if err != nil {
			var re *sru.RequestError
			if !errors.As(err, &re) {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		if r.StartRecord < 1 || r.MaximumTerms < 1 || r.MaximumTerms > sru.MaxMaximumTerms {
			t.Fatalf("accepted out-of-range values: %+v", r)
		}
	})
}

func isErr(err, target error) bool { return errors.Is(err, target) }

// Concurrent requests share one server (and its default mapping) without races.
func TestConcurrentRequests(t *testing.T) {
	ts := httptest.NewServer(&sru.Server{Backend: backend(t)})
	defer ts.Close()
	done := make(chan error, 8)
	for range 8 {
		go func() {
			c := &sru.Client{BaseURL: ts.URL + "/Default"}
			res, err := c.SearchRetrieve(context.Background(), "dc.title=computer", 1, 1, "dc")
			if err == nil && res.Count != 9 {
				err = errors.New("wrong count")
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	// Goroutine-leak check: no SRU or Z39.50 server goroutine may outlive the tests.
	deadline := time.Now().Add(2 * time.Second)
	for {
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		if !strings.Contains(string(buf[:n]), "z3950.(*conn)") || time.Now().After(deadline) {
			if strings.Contains(string(buf[:n]), "z3950.(*conn)") {
				os.Stderr.Write(buf[:n])
				code = 1
			}
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	os.Exit(code)
}

// With ResultSetTTL the server names each result set; a later request continues it with
// cql.resultSetId, even from another connection.
func TestResultSetContinuation(t *testing.T) {
	ts := httptest.NewServer(&sru.Server{Backend: backend(t), ResultSetTTL: 30 * time.Second})
	defer ts.Close()
	c := &sru.Client{BaseURL: ts.URL + "/Default"}
	first, err := c.SearchRetrieve(ctxT(t), "dc.title=computer sortBy dc.title", 1, 9, "marcxml")
	if err != nil || first.Count != 9 || len(first.Records) != 9 || first.ResultSetID == "" {
		t.Fatalf("%v %+v", err, first)
	}
	c2 := &sru.Client{BaseURL: ts.URL + "/Default", HTTP: &http.Client{Transport: &http.Transport{}}}
	next, err := c2.SearchRetrieve(ctxT(t), `cql.resultSetId="`+first.ResultSetID+`"`, 5, 2, "marcxml")
	if err != nil || next.Count != 9 || len(next.Records) != 2 || next.Records[0].Position != 5 {
		t.Fatalf("continuation: %v %+v", err, next)
	}
	if string(next.Records[0].Data) != string(first.Records[4].Data) || string(next.Records[1].Data) != string(first.Records[5].Data) {
		t.Fatal("continued records differ from positions 5 and 6 of the sorted set")
	}
	_, err = c.SearchRetrieve(ctxT(t), `cql.resultSetId="nosuchid"`, 1, 1, "")
	var d *sru.Diagnostic
	if !errors.As(err, &d) || d.Code() != 51 {
		t.Fatalf("unknown result set: %v", err)
	}
}

func TestAllowedNets(t *testing.T) {
	ts := httptest.NewServer(&sru.Server{Backend: backend(t), AllowedNets: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	defer ts.Close()
	resp, err := http.Get(ts.URL + "/Default?query=x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("127.0.0.1 outside 10.0.0.0/8 got %s", resp.Status)
	}
}
