package memory

import (
	"bytes"
	"encoding/xml"
	"os"
	"testing"

	"github.com/illgw/illgw/marc"
)

func sampleDB(t testing.TB) *Database {
	data, err := os.ReadFile("../testdata/sample-marc.mrc")
	if err != nil {
		t.Fatal(err)
	}
	db, err := NewDatabase("Default", data)
	if err != nil || db.Len() != 24 {
		t.Fatalf("%v, %d records", err, db.Len())
	}
	return db
}

func TestRecordsRenderings(t *testing.T) {
	for i, r := range sampleDB(t).recs {
		// MARCXML is well-formed and keeps every field.
		var x struct {
			Leader string     `xml:"leader"`
			Fields []struct{} `xml:"datafield"`
			Ctl    []struct{} `xml:"controlfield"`
		}
		if err := xml.Unmarshal(r.xml, &x); err != nil {
			t.Fatalf("record %d MARCXML: %v", i, err)
		}
		if len(x.Fields)+len(x.Ctl) != len(r.rec.Fields) || x.Leader[9] != 'a' {
			t.Fatalf("record %d: %d+%d XML fields for %d", i, len(x.Fields), len(x.Ctl), len(r.rec.Fields))
		}
		// UTF-8 and MARC-8 ISO 2709 say so in leader/09 and read back to the same text.
		if r.utf8[9] != 'a' || r.marc8[9] != ' ' {
			t.Fatalf("record %d leader/09: utf8 %q marc8 %q", i, r.utf8[9], r.marc8[9])
		}
		back, err := marc.NewReader(bytes.NewReader(r.marc8)).Read()
		if err != nil {
			t.Fatal(err)
		}
		marc.ToUTF8(back, marc.CharsetMARC8)
		if got, want := back.Field("245").Text("a"), r.rec.Field("245").Text("a"); got != want {
			t.Fatalf("record %d: MARC-8 round trip of 245 $a: %q vs %q", i, got, want)
		}
		// The brief record holds only brief fields.
		b, err := r.brief(false)
		if err != nil {
			t.Fatal(err)
		}
		br, err := marc.NewReader(bytes.NewReader(b)).Read()
		if err != nil {
			t.Fatalf("record %d brief: %v", i, err)
		}
		for _, f := range br.Fields {
			if !briefTags[f.Tag] {
				t.Fatalf("record %d brief keeps %s", i, f.Tag)
			}
		}
	}
}

// The Danish record carries Latin-1 under a MARC-8 leader; it is read as Latin-1, not garbled.
func TestLatin1RecordDecoded(t *testing.T) {
	db := sampleDB(t)
	found := false
	for _, r := range db.recs {
		if bytes.Contains(r.utf8, []byte("ø")) || bytes.Contains(r.utf8, []byte("æ")) || bytes.Contains(r.utf8, []byte("å")) {
			found = true
		}
		if bytes.Contains(r.utf8, []byte("\uFFFD")) {
			t.Fatalf("replacement character in %q", r.rec.Field("245").Text(""))
		}
	}
	if !found {
		t.Fatal("no Danish letters in the UTF-8 records")
	}
}
