package z3950

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/illgw/illgw/z3950/ber"
)

func golden(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// definite returns b re-encoded with definite lengths (YAZ sends some PDUs indefinite).
func definite(t testing.TB, b []byte) []byte {
	tr, err := ber.Parse(b, ber.Limits{MaxSize: ber.DefaultTargetPDU})
	if err != nil {
		t.Fatal(err)
	}
	var e ber.Encoder
	reencode(&e, tr.Root())
	return e.Bytes()
}

// Every captured PDU decodes, and re-encodes to the same bytes (definite form).
func TestGoldenPDURoundTrip(t *testing.T) {
	files, _ := filepath.Glob("testdata/session*/*.ber")
	if len(files) < 30 {
		t.Fatalf("only %d golden PDUs", len(files))
	}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		p, err := Decode(b, ber.Limits{MaxSize: ber.DefaultTargetPDU})
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if got, want := Encode(p), definite(t, b); !bytes.Equal(got, want) {
			t.Errorf("%s: %T re-encodes differently\n got %x\nwant %x", f, p, got, want)
		}
	}
}

func decodeGolden[T PDU](t *testing.T, name string) T {
	t.Helper()
	p, err := Decode(golden(t, name), ber.Limits{MaxSize: ber.DefaultTargetPDU})
	if err != nil {
		t.Fatal(err)
	}
	v, ok := p.(T)
	if !ok {
		t.Fatalf("%s decoded as %T", name, p)
	}
	return v
}

func TestGoldenFields(t *testing.T) {
	init := decodeGolden[*InitRequest](t, "session2/01-req-init-charset-auth.ber")
	if init.Auth == nil || init.Auth.Open != "alice/secret" || init.Charset == nil || !init.Charset.UTF8 {
		t.Errorf("init auth/charset: %+v %+v", init.Auth, init.Charset)
	}
	if init.Options&OptSearch == 0 || init.Options&OptScan == 0 || init.Version&Version3 == 0 {
		t.Errorf("init options %b version %b", init.Options, init.Version)
	}
	if init.ImplementationName != "YAZ" || init.PreferredMessageSize != 1<<26 {
		t.Errorf("init impl %q size %d", init.ImplementationName, init.PreferredMessageSize)
	}
	iresp := decodeGolden[*InitResponse](t, "session2/02-resp-init-charset-auth.ber")
	if !iresp.Result || iresp.Charset == nil || len(iresp.Charset.Private) != 1 || iresp.Charset.Private[0] != "ISO-8859-1" {
		t.Errorf("init response %+v charset %+v", iresp, iresp.Charset)
	}

	s := decodeGolden[*SearchRequest](t, "session1/13-req-search-and.ber")
	if got := PQF(s.Query.RPN); got != "@and @attr 1=1003 knuth @attr 5=1 @attr 1=4 computer" {
		t.Errorf("search query %q", got)
	}
	if s.ResultSetName != "2" || len(s.Databases) != 1 || s.Databases[0] != "Default" {
		t.Errorf("result set %q", s.ResultSetName)
	}
	prox := decodeGolden[*SearchRequest](t, "session2/03-req-search-pqf-prox.ber")
	if got := PQF(prox.Query.RPN); got != "@prox 0 3 1 2 k 2 @attr 1=4 computer @attr 1=4 program" {
		t.Errorf("prox query %q", got)
	}
	sr := decodeGolden[*SearchResponse](t, "session1/04-resp-search-title.ber")
	if sr.ResultCount != 23 || !sr.SearchStatus {
		t.Errorf("search response %+v", sr)
	}
	bad := decodeGolden[*SearchResponse](t, "session1/22-resp-search-baddb.ber")
	if len(bad.Diagnostics) != 1 || bad.Diagnostics[0].Code != 109 || bad.Diagnostics[0].AddInfo != "nosuchdb" {
		t.Errorf("bad db diagnostics %+v", bad.Diagnostics)
	}
	pr := decodeGolden[*PresentResponse](t, "session1/06-resp-present-usmarc.ber")
	if len(pr.Records) != 2 || !pr.Records[0].Record.OID.Equal(OIDUSMARC) || pr.Records[0].Database != "Default" ||
		!bytes.HasPrefix(pr.Records[0].Record.Octets, []byte("00366nam")) {
		t.Errorf("present usmarc %+v", pr.Records)
	}
	oor := decodeGolden[*PresentResponse](t, "session1/16-resp-present-out-of-range.ber")
	if oor.PresentStatus != PresentFailure || len(oor.Diagnostics) != 1 || oor.Diagnostics[0].Code != 13 {
		t.Errorf("out of range %+v", oor)
	}
	opac := decodeGolden[*PresentResponse](t, "session1/10-resp-present-opac.ber")
	o, err := DecodeOPAC(opac.Records[0].Record)
	if err != nil || o.Bibliographic == nil || len(o.Holdings) != 1 || o.Holdings[0].CallNumber != "MLCM 89/00602 (N)" {
		t.Errorf("opac %+v %v", o, err)
	}
	scan := decodeGolden[*ScanResponse](t, "session1/18-resp-scan.ber")
	if len(scan.Entries) != 3 || scan.Entries[0].Term != "COMPUTER" || *scan.Entries[0].Occurrences != 23 {
		t.Errorf("scan %+v", scan.Entries)
	}
	sortReq := decodeGolden[*SortRequest](t, "session1/19-req-sort.ber")
	if len(sortReq.Keys) != 1 || sortReq.Keys[0].Attrs[0].Value != 4 || !sortReq.Keys[0].CaseInsensitive {
		t.Errorf("sort %+v", sortReq)
	}
	cl := decodeGolden[*Close](t, "session1/24-resp-close.ber")
	if cl.Reason != CloseFinished || cl.Diagnostic != "Association terminated by client" {
		t.Errorf("close %+v", cl)
	}
}

func TestDecodeRejects(t *testing.T) {
	cases := map[string][]byte{
		"not-apdu":       {0x30, 0x00},
		"unsupported":    {0xbf, 0x2e, 0x00},                   // [46] extended services
		"init-empty":     {0xb4, 0x00},                         // no mandatory fields
		"search-noquery": {0xb6, 0x04, 0xb2, 0x02, 0x9f, 0x69}, // truncated
		"bad-int":        {0xb8, 0x0a, 0x9f, 0x1f, 0x01, 0x31, 0x9e, 0x00, 0x9d, 0x01, 0x01},
	}
	for name, b := range cases {
		if p, err := Decode(b, ber.Limits{}); err == nil {
			t.Errorf("%s: accepted as %T", name, p)
		}
	}
	if _, err := Decode([]byte{0xbf, 0x2e, 0x00}, ber.Limits{}); !errors.Is(err, ErrUnsupportedPDU) {
		t.Errorf("extended services: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/session*/*.ber")
	for _, file := range files {
		b, _ := os.ReadFile(file)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Decode(b, ber.Limits{MaxSize: 1 << 16})
		if err != nil {
			return
		}
		// What decodes must encode and decode again to the same encoding.
		enc := Encode(p)
		p2, err := Decode(enc, ber.Limits{MaxSize: 1 << 20})
		if err != nil {
			t.Fatalf("re-decoding %T: %v", p, err)
		}
		if !bytes.Equal(Encode(p2), enc) {
			t.Fatalf("%T not stable", p)
		}
		if pr, ok := p.(*PresentResponse); ok {
			for _, r := range pr.Records {
				if r.Record != nil {
					_, _ = DecodeOPAC(r.Record)
				}
			}
		}
	})
}
