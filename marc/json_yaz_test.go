package marc

import (
	"bytes"
	"os/exec"
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/illgw/illgw/internal/testenv"
)

// TestJSONAgainstYAZ: we read yaz-marcdump's MARC-in-JSON, and
// yaz-marcdump reads ours, with the same fields either way.
func TestJSONAgainstYAZ(t *testing.T) {
	yaz := testenv.Require(t, "yaz-marcdump", "yaz")
	for _, name := range []string{"collection-2.xml", "collection-subjmrc.xml", "diacritics.xml"} {
		want := readFile(t, "testdata/"+name)
		out, err := exec.Command(yaz, "-i", "marcxml", "-o", "json", "testdata/"+name).Output()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := readAll(t, NewJSONReader(bytes.NewReader(out)))
		sameRecords(t, name+" from yaz JSON", want, got, false)

		// yaz-marcdump -i json reads one record per file.
		for i, rec := range want[:min(3, len(want))] {
			js, err := MarshalJSON(rec)
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(yaz, "-i", "json", "-o", "marcxml", "/dev/stdin")
			cmd.Stdin = bytes.NewReader(js)
			xml, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s record %d: yaz-marcdump -i json: %v", name, i+1, err)
			}
			back := readAll(t, NewXMLReader(bytes.NewReader(xml)))
			if len(back) == 1 {
				back[0].Leader[9] = rec.Leader[9] // YAZ's MARCXML always says UTF-8
			}
			sameRecords(t, name+" through yaz", []*Record{rec}, back, false)
		}
	}
}

// TestTextAgainstYAZ: TextWriter writes what yaz-marcdump's line format
// shows, once both are in NFC.
func TestTextAgainstYAZ(t *testing.T) {
	yaz := testenv.Require(t, "yaz-marcdump", "yaz")
	for _, name := range []string{"collection-opera-43.xml", "collection-namemrc.xml"} {
		want, err := exec.Command(yaz, "-i", "marcxml", "testdata/"+name).Output()
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		w := NewTextWriter(&got)
		for _, rec := range readFile(t, "testdata/"+name) {
			l9 := rec.Leader[9]
			ToUTF8(rec, CharsetUTF8)
			rec.Leader[9] = l9
			w.Write(rec)
		}
		w.Close()
		if norm.NFC.String(string(want)) != got.String() {
			t.Errorf("%s: text output differs from yaz-marcdump's", name)
		}
	}
}

// TestXMLWellFormedByXmllint: xmllint accepts what the writer makes of
// records full of bytes XML forbids, and of the sample file.
func TestXMLWellFormedByXmllint(t *testing.T) {
	xmllint := testenv.Require(t, "xmllint", "libxml2-utils")
	var all []byte
	for i := 0; i < 256; i++ {
		all = append(all, byte(i))
	}
	hostile := &Record{Leader: ParseLeader("\x00\x01<>&\"'\xff"), Fields: []Field{
		ControlField("001", string(all)),
		ControlField("00\x1f", "a\x1fb\x1ec"),
		{Tag: "<&>", Ind1: '"', Ind2: '\'', Subfields: []Subfield{{Code: 0, Value: string(all)}, {Code: '<', Value: "\ufffe\uffff\U0010FFFF"}}},
	}}
	recs := append(readFile(t, "testdata/sample-marc.mrc"), hostile)
	var buf bytes.Buffer
	w := NewXMLWriter(&buf)
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	cmd := exec.Command(xmllint, "--noout", "-")
	cmd.Stdin = &buf
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("xmllint: %v\n%s", err, out)
	}
}
