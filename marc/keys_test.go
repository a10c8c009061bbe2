package marc

import (
	"reflect"
	"testing"
)

func TestNormalizeISBN(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"0839108826", "9780839108825", true},
		{"0-8391-0882-6 (pbk.)", "9780839108825", true},
		{"0879832355 (pbk.) : $4.95", "9780879832353", true},
		{"080442957X", "9780804429573", true},
		{"0-8044-2957-x", "9780804429573", true},
		{"978-0-306-40615-7", "9780306406157", true},
		{"9790000000001 (score)", "9790000000001", true},
		{"978 0 306 40615 7", "9780306406157", true},
		{"0 8391 0882 6", "9780839108825", true},
		{"0839108826 9780306406157", "9780839108825", true},
		{"0839108827", "", false},    // bad ISBN-10 check digit
		{"9780306406158", "", false}, // bad ISBN-13 check digit
		{"9770306406155", "", false}, // not a 978/979 prefix
		{"12345", "", false},
		{"", "", false},
		{"X839108826", "", false},
	}
	for _, c := range cases {
		got, ok := NormalizeISBN(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("NormalizeISBN(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestNormalizeISSN(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"0378-5955", "0378-5955", true},
		{"03785955", "0378-5955", true},
		{"2434-561x", "2434-561X", true},
		{"0378-5954", "", false},
		{"0378-595", "", false},
	}
	for _, c := range cases {
		got, ok := NormalizeISSN(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("NormalizeISSN(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// TestNormalizeLCCN uses the examples of LC's "LCCN Namespace" page.
func TestNormalizeLCCN(t *testing.T) {
	for in, want := range map[string]string{
		"n78-890351":            "n78890351",
		"n78-89035":             "n78089035",
		"n 78890351 ":           "n78890351",
		" 85000002 ":            "85000002",
		"85-2 ":                 "85000002",
		"2001-000002":           "2001000002",
		"75-425165//r75":        "75425165",
		" 79139101 /AC/r932":    "79139101",
		"   76357895 /MAP/r82":  "76357895",
		"   91758335 ":          "91758335",
		"sn 85-2 ":              "sn85000002",
		"agr25000003 //r59":     "agr25000003",
		"   2001050268 ":        "2001050268",
		"n  2001050268 ":        "n2001050268",
		"":                      "",
		"abc-defg":              "abcdefg",
		"   00000002 //r99":     "00000002",
		"   79-139101 /AC/r932": "79139101",
	} {
		if got := NormalizeLCCN(in); got != want {
			t.Errorf("NormalizeLCCN(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOCLCNumbers(t *testing.T) {
	rec := &Record{Leader: DefaultLeader, Fields: []Field{
		ControlField("001", "ocm00054321"),
		DataField("035", ' ', ' ', Subfield{'a', "(OCoLC)ocm00012345"}),
		DataField("035", ' ', ' ', Subfield{'a', "(OCoLC)00012345"}),
		DataField("035", ' ', ' ', Subfield{'a', "(OCoLC)ocn123456789"}),
		DataField("035", ' ', ' ', Subfield{'a', "(OCoLC)on1234567890"}),
		DataField("035", ' ', ' ', Subfield{'a', "(DLC)  91758335"}),
		DataField("035", ' ', ' ', Subfield{'a', "(OCoLC)garbage"}),
		DataField("035", ' ', ' ', Subfield{'a', "ocm777"}),
	}}
	got := MatchKeys(rec).OCLC
	want := []string{"12345", "123456789", "1234567890", "777", "54321"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("OCLC = %q, want %q", got, want)
	}
	// 001 with 003 OCoLC is an OCLC number; without it, it is not.
	rec = &Record{Fields: []Field{ControlField("001", "000987"), ControlField("003", "OCoLC")}}
	if got := MatchKeys(rec).OCLC; !reflect.DeepEqual(got, []string{"987"}) {
		t.Errorf("001/003 OCoLC: %q", got)
	}
	rec = &Record{Fields: []Field{ControlField("001", "000987"), ControlField("003", "DLC")}}
	if got := MatchKeys(rec).OCLC; got != nil {
		t.Errorf("001/003 DLC taken as OCLC: %q", got)
	}
}

func book(title, author, date, lccn string, isbns ...string) *Record {
	r := &Record{Leader: DefaultLeader, Fields: []Field{
		ControlField("008", "910710s"+date+"    nju           00010 eng  "),
	}}
	if lccn != "" {
		r.Fields = append(r.Fields, DataField("010", ' ', ' ', Subfield{'a', lccn}))
	}
	for _, i := range isbns {
		r.Fields = append(r.Fields, DataField("020", ' ', ' ', Subfield{'a', i}))
	}
	r.Fields = append(r.Fields,
		DataField("100", '1', ' ', Subfield{'a', author}),
		DataField("245", '1', '4', Subfield{'a', title}))
	return r
}

func TestSameRecord(t *testing.T) {
	a := MatchKeys(book("The Puget Sound Region :", "Mairs, John W.", "1974", "   76357895 /MAP/r82"))
	cases := []struct {
		name string
		b    *Record
		same bool
	}{
		{"same LCCN, other punctuation", book("The Puget sound region.", "Mairs, J.", "1974", "76357895"), true},
		{"same title, different LCCN", book("The Puget Sound Region :", "Mairs, John W.", "1974", "76357896"), false},
		{"same title, no identifiers", book("The Pugét Sound Region", "MAIRS, John", "1974", ""), true},
		{"same title, other date", book("The Puget Sound Region", "Mairs, John", "1980", ""), false},
		{"other title", book("The Puget Sound Atlas", "Mairs, John", "1974", ""), false},
	}
	for _, c := range cases {
		if got := SameRecord(a, MatchKeys(c.b)); got != c.same {
			t.Errorf("%s: SameRecord = %v; keys %+v vs %+v", c.name, got, a, MatchKeys(c.b))
		}
	}
	x := MatchKeys(book("Title", "A", "2000", "", "0839108826"))
	y := MatchKeys(book("Other title", "B", "2001", "", "978-0-8391-0882-5 (pbk.)"))
	if !SameRecord(x, y) {
		t.Error("shared ISBN (10 vs 13) not matched")
	}
	z := MatchKeys(book("Title", "A", "2000", "", "9780306406157"))
	if SameRecord(x, z) {
		t.Error("different ISBNs matched on title")
	}
}

func TestSampleKeys(t *testing.T) {
	recs := readFile(t, "testdata/sample-marc.mrc")
	var found bool
	for i, r := range recs {
		ToUTF8(r, CharsetAuto)
		k := MatchKeys(r)
		if k.Title == "" {
			t.Errorf("record %d: no title key", i+1)
		}
		if contains(k.ISBN, "9780839108825") {
			found = true
		}
		for j := range recs[:i] {
			if SameRecord(k, MatchKeys(recs[j])) {
				t.Errorf("records %d and %d matched: %v", j+1, i+1, k.Strings())
			}
		}
	}
	if !found {
		t.Error("ISBN 0839108826 not found in the sample")
	}
	if k := MatchKeys(recs[23]); k.LCCN != "" {
		t.Errorf("danMARC record 24: its 010 (an agency code) became LCCN %q", k.LCCN)
	}
	k := MatchKeys(recs[0])
	if k.LCCN != "11224466" || k.Title != "how to program a computer/jack/1991" {
		t.Errorf("record 1 keys %+v", k)
	}
	if got := recs[4].Title(); got != "The Puget Sound Region : a portfolio of thematic computer maps" {
		t.Errorf("record 5 title %q", got)
	}
	if got := MatchKeys(recs[4]).Title; got != "puget sound region a portfolio of thematic computer maps/mairs/1974" {
		t.Errorf("record 5 title key %q", got)
	}
}

func TestFieldAccess(t *testing.T) {
	r := book("Four psalms :", "Smith, George Adam,", "1980", "80082329", "0879832355 (pbk.) : $4.95")
	r.Fields = append(r.Fields,
		DataField("260", ' ', ' ', Subfield{'a', "New Canaan, Conn. :"}, Subfield{'b', "Keats Pub.,"}, Subfield{'c', "c1980."}),
		DataField("035", ' ', ' ', Subfield{'a', "(OCoLC)123"}))
	r.AddHolding(Holding{Institution: "NORTH", Location: "Main", CallNumber: "BS1430 .S6", Summary: "v.1-3"})
	if r.Title() != "Four psalms" || r.MainEntry() != "Smith, George Adam" || r.Date() != "1980" || r.Publisher() != "Keats Pub." {
		t.Errorf("title %q, main entry %q, date %q, publisher %q", r.Title(), r.MainEntry(), r.Date(), r.Publisher())
	}
	if r.LCCN() != "80082329" || len(r.ISBNs()) != 1 || r.SystemNumbers()[0] != "(OCoLC)123" {
		t.Errorf("identifiers %q %q %q", r.LCCN(), r.ISBNs(), r.SystemNumbers())
	}
	h := r.Holdings()
	if len(h) != 1 || h[0] != (Holding{Institution: "NORTH", Location: "Main", CallNumber: "BS1430 .S6", Summary: "v.1-3"}) {
		t.Errorf("holdings %+v", h)
	}
	r.Fields[0] = ControlField("008", "910710s    ")
	if r.Date() != "1980" {
		t.Errorf("date from 260 $c: %q", r.Date())
	}
	if got := len(r.FieldsByTag("2XX")); got != 2 {
		t.Errorf("FieldsByTag(2XX) = %d fields", got)
	}
}
