package marc

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type recordReader interface {
	Read() (*Record, error)
	Problems() []Problem
}

func readAll(t testing.TB, rr recordReader) []*Record {
	t.Helper()
	var out []*Record
	for {
		rec, err := rr.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("read record %d: %v", len(out)+1, err)
		}
		out = append(out, rec)
	}
}

func readFile(t testing.TB, path string) []*Record {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	switch filepath.Ext(path) {
	case ".xml":
		return readAll(t, NewXMLReader(bytes.NewReader(data)))
	case ".json":
		return readAll(t, NewJSONReader(bytes.NewReader(data)))
	}
	return readAll(t, NewReader(bytes.NewReader(data)))
}

// sameRecords compares two record lists field by field. Leader positions
// that an ISO 2709 writer computes (00-04, 10-11, 12-16, 20-23) are
// compared only when withLengths is set.
func sameRecords(t *testing.T, what string, want, got []*Record, withLengths bool) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("%s: %d records, want %d", what, len(got), len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		for p := 0; p < 24; p++ {
			computed := p <= 4 || (p >= 10 && p <= 16) || p >= 20
			if (withLengths || !computed) && w.Leader[p] != g.Leader[p] {
				t.Errorf("%s: record %d: leader/%02d = %q, want %q", what, i+1, p, g.Leader[p], w.Leader[p])
			}
		}
		if len(w.Fields) != len(g.Fields) {
			t.Errorf("%s: record %d: %d fields, want %d", what, i+1, len(g.Fields), len(w.Fields))
			continue
		}
		for j := range w.Fields {
			wf, gf := &w.Fields[j], &g.Fields[j]
			if wf.Tag != gf.Tag || wf.IsControl() != gf.IsControl() || wf.Value != gf.Value || wf.Ind1 != gf.Ind1 || wf.Ind2 != gf.Ind2 {
				t.Errorf("%s: record %d field %d: got %+v, want %+v", what, i+1, j, *gf, *wf)
				continue
			}
			if len(wf.Subfields) != len(gf.Subfields) {
				t.Errorf("%s: record %d field %s: %d subfields, want %d", what, i+1, wf.Tag, len(gf.Subfields), len(wf.Subfields))
				continue
			}
			for k := range wf.Subfields {
				if wf.Subfields[k] != gf.Subfields[k] {
					t.Errorf("%s: record %d field %s subfield %d: got %q, want %q", what, i+1, wf.Tag, k,
						gf.Subfields[k].Value, wf.Subfields[k].Value)
				}
			}
		}
	}
}

func writeAll(t *testing.T, format string, recs []*Record) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w interface {
		Write(*Record) error
		Close() error
	}
	switch format {
	case "iso2709":
		w = NewWriter(&buf)
	case "marcxml":
		w = NewXMLWriter(&buf)
	case "json":
		w = NewJSONWriter(&buf)
	}
	for i, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatalf("%s: write record %d: %v", format, i+1, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readBytes(t *testing.T, format string, data []byte) []*Record {
	switch format {
	case "marcxml":
		return readAll(t, NewXMLReader(bytes.NewReader(data)))
	case "json":
		return readAll(t, NewJSONReader(bytes.NewReader(data)))
	}
	return readAll(t, NewReader(bytes.NewReader(data)))
}

// TestRoundTrips reads every test file, writes it in every format, reads
// it back and compares field by field.
func TestRoundTrips(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.mrc")
	xmls, _ := filepath.Glob("testdata/*.xml")
	files = append(files, xmls...)
	if len(files) < 10 {
		t.Fatalf("only %d test files", len(files))
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			orig := readFile(t, path)
			if len(orig) == 0 {
				t.Fatal("no records")
			}
			// XML and JSON carry text: MARC-8 records go there as UTF-8.
			utf := make([]*Record, len(orig))
			for i, r := range orig {
				utf[i] = r.Clone()
				ToUTF8(utf[i], CharsetAuto)
			}
			for _, format := range []string{"iso2709", "marcxml", "json"} {
				orig := orig
				if format != "iso2709" {
					orig = utf
				}
				data := writeAll(t, format, orig)
				back := readBytes(t, format, data)
				sameRecords(t, format, orig, back, false)
				// A second trip must give the same bytes.
				if again := writeAll(t, format, back); !bytes.Equal(again, data) {
					t.Errorf("%s: second round trip changed the output", format)
				}
			}
		})
	}
}

// TestISO2709BytesIdentical: a clean file written back is byte for byte
// the original.
func TestISO2709BytesIdentical(t *testing.T) {
	for _, name := range []string{"diacritics.marc8.mrc", "diacritics.utf8.mrc"} {
		data, _ := os.ReadFile("testdata/" + name)
		r := NewReader(bytes.NewReader(data))
		recs := readAll(t, r)
		if got := writeAll(t, "iso2709", recs); !bytes.Equal(got, data) {
			t.Errorf("%s: rewritten bytes differ", name)
		}
	}
}

// TestSampleAgainstYAZ compares our reading of sample-marc.mrc with
// yaz-marcdump's MARCXML of it (testdata/sample-marc.yaz-utf8.xml, made
// with `yaz-marcdump -f marc8 -t utf8 -o marcxml`): same records, same
// tags, indicators and subfield codes; ASCII values identical.
func TestSampleAgainstYAZ(t *testing.T) {
	ours := readFile(t, "testdata/sample-marc.mrc")
	yaz := readFile(t, "testdata/sample-marc.yaz-utf8.xml")
	if len(ours) != 24 || len(yaz) != 24 {
		t.Fatalf("records: ours %d, yaz %d, want 24", len(ours), len(yaz))
	}
	for i := range ours {
		o, y := ours[i], yaz[i]
		if len(o.Fields) != len(y.Fields) {
			t.Errorf("record %d: %d fields, yaz %d", i+1, len(o.Fields), len(y.Fields))
			continue
		}
		for j := range o.Fields {
			of, yf := o.Fields[j], y.Fields[j]
			if of.Tag != yf.Tag || of.IsControl() != yf.IsControl() || of.Ind1 != yf.Ind1 || of.Ind2 != yf.Ind2 || len(of.Subfields) != len(yf.Subfields) {
				t.Errorf("record %d field %d: %+v, yaz %+v", i+1, j, of, yf)
				continue
			}
			if isASCII(of.Value) && of.Value != yf.Value {
				t.Errorf("record %d field %s: %q, yaz %q", i+1, of.Tag, of.Value, yf.Value)
			}
			for k := range of.Subfields {
				if of.Subfields[k].Code != yf.Subfields[k].Code ||
					isASCII(of.Subfields[k].Value) && of.Subfields[k].Value != yf.Subfields[k].Value {
					t.Errorf("record %d field %s: subfield %q, yaz %q", i+1, of.Tag, of.Subfields[k], yf.Subfields[k])
				}
			}
		}
	}
}

func TestSampleDanMARCRecord(t *testing.T) {
	recs := readFile(t, "testdata/sample-marc.mrc")
	r := recs[23]
	if !strings.HasPrefix(r.Leader.String(), "00725nam0") {
		t.Fatalf("record 24 leader %q", r.Leader)
	}
	f := r.Field("001")
	if f == nil || f.IsControl() || f.Subfield('a') != "D000015937" {
		t.Errorf("001 with subfield delimiters should read as a data field: %+v", f)
	}
}

// TestSRUResponse reads the MARCXML records out of an SRU searchRetrieve
// response (yaz-ztest's), passing over SRU's own record elements.
func TestSRUResponse(t *testing.T) {
	data, err := os.ReadFile("testdata/sru-searchRetrieve-1.2.xml.txt")
	if err != nil {
		t.Fatal(err)
	}
	r := NewXMLReader(bytes.NewReader(data))
	recs := readAll(t, r)
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2", len(recs))
	}
	if got := recs[0].Title(); got != "How to program a computer" {
		t.Errorf("record 1 title %q", got)
	}
	if len(r.Problems()) != 0 {
		t.Errorf("problems: %v", r.Problems())
	}
}

func TestXMLLatin1Declared(t *testing.T) {
	doc := "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<record><leader>00000nam a2200000 a 4500</leader>" +
		"<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">Str\xe6k\xf8velser</subfield></datafield></record>"
	recs, err := readXML(doc, nil)
	if err != nil || len(recs) != 1 || recs[0].Title() != "Strækøvelser" {
		t.Fatalf("%v %v", recs, err)
	}
	if _, err := readXML(`<?xml version="1.0" encoding="EBCDIC"?><record/>`, nil); err == nil || !strings.Contains(err.Error(), "EBCDIC") {
		t.Errorf("unsupported encoding: %v", err)
	}
}

func TestMarshalXMLSingleRecord(t *testing.T) {
	rec := readFile(t, "testdata/diacritics.xml")[0]
	out := MarshalXML(rec)
	if !bytes.HasPrefix(out, []byte(`<record xmlns="http://www.loc.gov/MARC21/slim">`)) || !bytes.HasSuffix(out, []byte("</record>")) {
		t.Errorf("not a standalone record element:\n%s", out)
	}
	back, probs, err := DecodeXML(out)
	if err != nil || len(probs) != 0 {
		t.Fatalf("%v %v", err, probs)
	}
	sameRecords(t, "MarshalXML", []*Record{rec}, []*Record{back}, true)
	if _, _, err := DecodeXML([]byte("<collection/>")); err == nil {
		t.Error("DecodeXML of an empty collection: no error")
	}
}
