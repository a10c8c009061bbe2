package marc

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/illgw/illgw/internal/testenv"
)

func TestDiacriticsMARC8ToUTF8(t *testing.T) {
	m8 := readFile(t, "testdata/diacritics.marc8.mrc")
	u8 := readFile(t, "testdata/diacritics.utf8.mrc")
	if probs := ToUTF8(m8[0], CharsetAuto); len(probs) != 0 {
		t.Errorf("problems: %v", probs)
	}
	ToUTF8(u8[0], CharsetAuto)
	sameRecords(t, "marc8->utf8", u8, m8, false)
	if got := m8[0].Field("245").Subfield('a'); got != "L'étranger /" || !norm.NFC.IsNormalString(got) {
		t.Errorf("245a = %q", got)
	}
	if m8[0].Leader[9] != 'a' {
		t.Errorf("leader/09 = %q, want a", m8[0].Leader[9])
	}
	if got := m8[0].Field("880").Subfield('a'); got != "加缪" {
		t.Errorf("880a = %q", got)
	}
}

// TestSampleToUTF8 converts sample-marc.mrc and compares it with
// yaz-marcdump's conversion (NFC-normalised), except for record 24, whose
// Latin-1 bytes YAZ reads as MARC-8 diacritics.
func TestSampleToUTF8(t *testing.T) {
	ours := readFile(t, "testdata/sample-marc.mrc")
	yaz := readFile(t, "testdata/sample-marc.yaz-utf8.xml")
	for i, r := range ours {
		probs := ToUTF8(r, CharsetAuto)
		if i == 23 {
			if len(probs) != 1 || !strings.Contains(probs[0].Msg, "Latin-1") {
				t.Errorf("record 24 problems %v, want one naming Latin-1", probs)
			}
			if got := r.Field("245").Subfield('a'); got != "Strækøvelser" {
				t.Errorf("record 24 245a = %q", got)
			}
			yaz[i] = r
			continue
		}
		if len(probs) != 0 {
			t.Errorf("record %d: %v", i+1, probs)
		}
		ToUTF8(yaz[i], CharsetUTF8)
	}
	sameRecords(t, "sample utf8", yaz, ours, false)
}

func TestMislabelledCharsets(t *testing.T) {
	build := func(leader9 byte, value string) *Record {
		r := &Record{Leader: DefaultLeader}
		r.Leader[9] = leader9
		r.Fields = []Field{DataField("245", '1', '0', Subfield{'a', value})}
		return r
	}
	cases := []struct {
		name    string
		leader9 byte
		value   string
		want    string
		problem bool
	}{
		{"zebra: MARC-8 under a UTF-8 leader", 'a', "A\xe8ida.", "Aïda.", true},
		{"UTF-8 under a MARC-8 leader", ' ', "Aïda.", "Aïda.", true},
		{"honest MARC-8", ' ', "A\xe8ida.", "Aïda.", false},
		{"honest UTF-8, decomposed", 'a', "Ai\u0308da.", "Aïda.", false},
		{"Latin-1 under a UTF-8 leader", 'a', "A\xefda\xff", "Aïdaÿ", true},
		{"invalid MARC-8 means Latin-1", ' ', "Stra\xdfe", "Straße", true},
		{"7-bit EACC under a UTF-8 leader", 'a', "\x1b$1!4&'Qg\x1b(B", "加缪", true},
	}
	for _, c := range cases {
		r := build(c.leader9, c.value)
		probs := ToUTF8(r, CharsetAuto)
		if got := r.Fields[0].Subfield('a'); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
		if (len(probs) > 0) != c.problem {
			t.Errorf("%s: problems %v", c.name, probs)
		}
	}
}

func TestDecodeMARC8Errors(t *testing.T) {
	for _, in := range []string{"\x1b", "\x1b(", "\x1b(Z", "a\x80b", "\x1b$1\x21\x30", "\xff", "\x1b$1\x7e\x7e\x7e", "\xaf"} {
		out, err := DecodeMARC8([]byte(in))
		if err == nil {
			t.Errorf("%q: no error (got %q)", in, out)
			continue
		}
		if !strings.Contains(out, "\uFFFD") {
			t.Errorf("%q: bad input not marked with U+FFFD: %q", in, out)
		}
	}
	// Double diacritic: ligature halves around "ts" give one U+0361.
	if out, err := DecodeMARC8([]byte("\xebt\xecs")); err != nil || out != "t\u0361s" {
		t.Errorf("ligature: %q %v", out, err)
	}
}

func TestEncodeMARC8(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Dvořák Łódź", "Dvo\xe9r\xe2ak \xa1\xe2od\xe2z"},
		{"L'étranger", "L'\xe2etranger"},
		{"加缪", "\x1b$1!4&'Qg\x1b(B"},
		{"Ở", "\xe0\xac"}, // O with horn and hook above: ANSEL has O with horn
		{"t\u0361s", "\xebt\xecs"},
		{"α", "\x1b(Sa\x1b(B"},
		{"x²", "x\x1bp2\x1bs"},
	}
	for _, c := range cases {
		got, n := EncodeMARC8(c.in)
		if string(got) != c.want || n != 0 {
			t.Errorf("EncodeMARC8(%q) = %q (%d unmappable), want %q", c.in, got, n, c.want)
		}
	}
	got, n := EncodeMARC8("a😀b€")
	if string(got) != "a&#x1F600;b\xc8" || n != 1 {
		t.Errorf("unmappable: %q %d", got, n)
	}
}

// TestEncodeEveryCharacter encodes every character MARC-8 has and decodes
// it again, with our decoder and with yaz-marcdump.
func TestEncodeEveryCharacter(t *testing.T) {
	var runes []rune
	for r := range marc8Reverse() {
		runes = append(runes, r)
	}
	var encoded [][]byte
	for _, r := range runes {
		s := string(r)
		if marc8Reverse()[r].combining {
			s = "o" + s
		}
		out, n := EncodeMARC8(s)
		if n != 0 {
			t.Errorf("%U: unmappable", r)
		}
		back, err := DecodeMARC8(out)
		if err != nil || norm.NFC.String(back) != norm.NFC.String(s) {
			t.Errorf("%U: encoded %q decodes to %q (%v)", r, out, back, err)
		}
		encoded = append(encoded, out)
	}
	yaz := testenv.Require(t, "yaz-marcdump", "yaz")
	var in bytes.Buffer
	w := NewWriter(&in)
	for start := 0; start < len(encoded); start += 2000 {
		rec := &Record{Leader: DefaultLeader}
		rec.Leader[9] = ' '
		for f := start; f < min(start+2000, len(encoded)); f += 200 {
			df := DataField("500", ' ', ' ')
			for i := f; i < min(f+200, len(encoded)); i++ {
				df.Subfields = append(df.Subfields, Subfield{Code: 'a', Value: string(encoded[i])})
			}
			rec.Fields = append(rec.Fields, df)
		}
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(yaz, "-f", "marc8", "-t", "utf8", "-o", "marcxml", "/dev/stdin")
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	for _, rec := range readAll(t, NewXMLReader(bytes.NewReader(out))) {
		for _, f := range rec.Fields {
			for _, sf := range f.Subfields {
				want := string(runes[i])
				if marc8Reverse()[runes[i]].combining {
					want = "o" + want
				}
				if norm.NFC.String(sf.Value) != norm.NFC.String(want) && !(runes[i] == 0xFE21 || runes[i] == 0xFE23) {
					t.Errorf("%U: yaz decodes our %q as %q", runes[i], encoded[i], sf.Value)
				}
				i++
			}
		}
	}
	if i != len(runes) {
		t.Errorf("yaz returned %d characters, want %d", i, len(runes))
	}
}

// TestToMARC8Record converts a UTF-8 record to MARC-8 ISO 2709 and back,
// with our decoder and with yaz-marcdump: every character survives,
// including ř and ź, which YAZ's own encoder drops.
func TestToMARC8Record(t *testing.T) {
	orig := readFile(t, "testdata/diacritics.xml")[0]
	ToUTF8(orig, CharsetUTF8)
	m8 := orig.Clone()
	if n := ToMARC8(m8); n != 0 {
		t.Errorf("%d unmappable characters", n)
	}
	if m8.Leader[9] != ' ' {
		t.Errorf("leader/09 = %q after ToMARC8", m8.Leader[9])
	}
	data, err := Encode(m8)
	if err != nil {
		t.Fatal(err)
	}
	back, _, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if probs := ToUTF8(back, CharsetAuto); len(probs) != 0 {
		t.Errorf("problems: %v", probs)
	}
	sameRecords(t, "utf8->marc8->utf8", []*Record{orig}, []*Record{back}, false)

	yaz := testenv.Require(t, "yaz-marcdump", "yaz")
	cmd := exec.Command(yaz, "-f", "marc8", "-t", "utf8", "-o", "marcxml", "/dev/stdin")
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	fromYAZ := readAll(t, NewXMLReader(bytes.NewReader(out)))
	ToUTF8(fromYAZ[0], CharsetUTF8)
	sameRecords(t, "yaz decoding our MARC-8", []*Record{orig}, fromYAZ, false)
	if got := fromYAZ[0].Field("246").Subfield('a'); !strings.Contains(got, "Łódź Dvořák") {
		t.Errorf("246a through yaz: %q", got)
	}
}

func TestForcedCharsets(t *testing.T) {
	r := &Record{Leader: DefaultLeader, Fields: []Field{DataField("245", '1', '0', Subfield{'a', "A\xffb"})}}
	probs := ToUTF8(r, CharsetUTF8)
	if got := r.Fields[0].Subfield('a'); got != "A\uFFFDb" || len(probs) != 1 || !strings.Contains(probs[0].String(), "field 245: invalid UTF-8") {
		t.Errorf("forced UTF-8: %q %v", got, probs)
	}
	r = &Record{Leader: DefaultLeader, Fields: []Field{DataField("245", '1', '0', Subfield{'a', "A\xe8ida \xaf"})}}
	probs = ToUTF8(r, CharsetMARC8)
	if got := r.Fields[0].Subfield('a'); got != "Aïda \uFFFD" || len(probs) != 1 || !strings.Contains(probs[0].Msg, `\xAF`) {
		t.Errorf("forced MARC-8: %q %v", got, probs)
	}
	_, err := DecodeMARC8([]byte("ab\x1b(Zc"))
	if err == nil || err.Error() != `marc: invalid MARC-8 sequence \x1B\x28\x5A at offset 2` {
		t.Errorf("error message: %v", err)
	}
	for in, want := range map[string]Charset{"auto": CharsetAuto, "marc-8": CharsetMARC8, "utf8": CharsetUTF8, "iso-8859-1": CharsetLatin1} {
		if got, ok := ParseCharset(in); !ok || got != want {
			t.Errorf("ParseCharset(%q) = %v %v", in, got, ok)
		}
	}
	if _, ok := ParseCharset("ebcdic"); ok {
		t.Error("ParseCharset accepted ebcdic")
	}
}

// TestZebraMislabelledRecord reads a record that YAZ converted to MARC-8
// without changing leader/09 (as Zebra serves them): the data is read as
// MARC-8 and nothing is lost.
func TestZebraMislabelledRecord(t *testing.T) {
	rec := readFile(t, "testdata/mislabelled-utf8-leader.mrc")[0]
	if !rec.Leader.IsUTF8() {
		t.Fatal("fixture leader/09 should claim UTF-8")
	}
	probs := ToUTF8(rec, CharsetAuto)
	if len(probs) != 1 || !strings.Contains(probs[0].Msg, "read as MARC-8") {
		t.Errorf("problems %v", probs)
	}
	want := readFile(t, "testdata/diacritics.marc8.mrc")[0]
	ToUTF8(want, CharsetMARC8)
	sameRecords(t, "zebra", []*Record{want}, []*Record{rec}, false)
	if got := rec.Field("245").Subfield('a'); got != "L'étranger /" {
		t.Errorf("245a %q", got)
	}
}
