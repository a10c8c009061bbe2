package memory

import (
	"bytes"
	"encoding/xml"
	"os"
	"testing"
)

func sample(t testing.TB) [][]byte {
	data, err := os.ReadFile("../testdata/sample-marc.mrc")
	if err != nil {
		t.Fatal(err)
	}
	raws, err := splitRecords(data)
	if err != nil || len(raws) != 24 {
		t.Fatalf("%d records, %v", len(raws), err)
	}
	return raws
}

func TestRecordsRenderings(t *testing.T) {
	for i, raw := range sample(t) {
		r, err := parseRecord(raw)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		// MARCXML is well-formed and keeps every field.
		var x struct {
			Leader string     `xml:"leader"`
			Fields []struct{} `xml:"datafield"`
			Ctl    []struct{} `xml:"controlfield"`
		}
		if err := xml.Unmarshal(r.marcXML(), &x); err != nil {
			t.Fatalf("record %d MARCXML: %v", i, err)
		}
		if len(x.Fields)+len(x.Ctl) != len(r.fields) || x.Leader[9] != 'a' {
			t.Fatalf("record %d: %d+%d XML fields for %d", i, len(x.Fields), len(x.Ctl), len(r.fields))
		}
		// The brief record is valid ISO 2709 holding only brief fields.
		b, err := parseRecord(r.brief())
		if err != nil {
			t.Fatalf("record %d brief: %v", i, err)
		}
		for _, f := range b.fields {
			if !briefTags[f.tag] {
				t.Fatalf("record %d brief keeps %s", i, f.tag)
			}
		}
		if r.first("245", "a") != b.first("245", "a") {
			t.Fatalf("record %d brief title %q vs %q", i, b.first("245", "a"), r.first("245", "a"))
		}
	}
}

func TestMalformedRecords(t *testing.T) {
	for _, in := range [][]byte{nil, []byte("00010"), []byte("abcde"), []byte("00030nam  2200099   4500"),
		append([]byte("00040nam  2200030   4500245099999"), bytes.Repeat([]byte{0x1e}, 8)...)} {
		if _, err := splitRecords(in); err == nil && len(in) > 0 {
			if _, err := parseRecord(in); err == nil {
				t.Errorf("%q accepted", in)
			}
		}
	}
}

func FuzzParseRecord(f *testing.F) {
	for _, raw := range sample(f)[:4] {
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		raws, err := splitRecords(b)
		if err != nil {
			return
		}
		for _, raw := range raws {
			r, err := parseRecord(raw)
			if err != nil {
				continue
			}
			_ = r.marcXML()
			_ = r.sutrs()
			if _, err := parseRecord(r.brief()); err != nil {
				t.Fatalf("brief of an accepted record does not parse: %v", err)
			}
		}
	})
}
