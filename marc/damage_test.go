package marc

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func testRecord(title string) *Record {
	return &Record{Leader: DefaultLeader, Fields: []Field{
		ControlField("001", "id-"+title),
		DataField("245", '1', '0', Subfield{'a', title}, Subfield{'c', "someone"}),
		DataField("650", ' ', '0', Subfield{'a', "Subject"}),
	}}
}

func encoded(t *testing.T, title string) []byte {
	b, err := Encode(testRecord(title))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type readResult struct {
	recs     []*Record
	dropped  int
	problems []Problem
}

func readDamaged(t *testing.T, data []byte, setup func(*Reader)) readResult {
	t.Helper()
	r := NewReader(bytes.NewReader(data))
	if setup != nil {
		setup(r)
	}
	var res readResult
	for i := 0; i < 100; i++ {
		rec, err := r.Read()
		res.problems = append(res.problems, r.Problems()...)
		if errors.Is(err, io.EOF) {
			return res
		}
		var re *RecordError
		if errors.As(err, &re) {
			res.dropped++
			continue
		}
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		res.recs = append(res.recs, rec)
	}
	t.Fatal("reader did not reach EOF")
	return res
}

func hasProblem(ps []Problem, sub string) bool {
	for _, p := range ps {
		if strings.Contains(p.Msg, sub) {
			return true
		}
	}
	return false
}

func TestDamagedISO2709(t *testing.T) {
	one, two := encoded(t, "One"), encoded(t, "Two")
	cases := []struct {
		name    string
		data    []byte
		recs    int
		dropped int
		problem string // substring of a reported problem; "" for none
	}{
		{"clean", cat(one, two), 2, 0, ""},
		{"filler between and after", cat(one, []byte("\x1d\x00\n  "), two, []byte("\x1d\x1d\x00")), 2, 0, "filler"},
		{"record length too small", cat(set(one, 0, "00050"), two), 2, 0, "record length says 50"},
		{"record length too large", cat(set(one, 0, "00300"), two), 2, 0, "record length says 300"},
		{"non-digit record length", cat(set(one, 0, "0x1a4"), two), 2, 0, "not a number"},
		{"wrong base address", cat(set(one, 12, "00099"), two), 2, 0, "base address"},
		{"missing record terminator between records", cat(one[:len(one)-1], two), 2, 0, "missing record terminator"},
		{"missing record terminator at end", cat(one, two[:len(two)-1]), 2, 0, "missing record terminator"},
		{"non-digit directory length", cat(set(one, 24+3, "00x2"), two), 2, 0, "directory"},
		{"directory start beyond data", cat(set(one, 24+12+7, "09999"), two), 2, 0, "directory"},
		{"missing field terminator", cat(missingFT(one), two), 2, 0, "field terminator"},
		{"bad indicator", cat(bytes.Replace(one, []byte("\x1e10\x1f"), []byte("\x1e\x0a0\x1f"), 1), two), 2, 0, "bad indicator"},
		{"truncated garbage at end", cat(one, []byte("0012")), 1, 1, ""},
		{"no field terminators at all", cat(bytes.ReplaceAll(one, []byte{0x1e}, []byte{'x'}), two), 2, 0, "directory terminator missing"},
		{"no directory terminator", cat(dropDirTerminator(one), two), 2, 0, "directory terminator missing"},
		{"no terminators, no base address", cat(set(bytes.ReplaceAll(one, []byte{0x1e}, []byte{'x'}), 12, "abcde"), two), 1, 1, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := readDamaged(t, c.data, nil)
			if len(res.recs) != c.recs || res.dropped != c.dropped {
				t.Fatalf("%d records, %d dropped; want %d, %d (problems %v)", len(res.recs), res.dropped, c.recs, c.dropped, res.problems)
			}
			if c.problem == "" && c.dropped == 0 && len(res.problems) > 0 {
				t.Errorf("unexpected problems %v", res.problems)
			}
			if c.problem != "" && !hasProblem(res.problems, c.problem) {
				t.Errorf("problems %v, want one containing %q", res.problems, c.problem)
			}
			// Every recovered record keeps its title.
			for _, r := range res.recs {
				if f := r.Field("245"); f == nil || (f.Subfield('a') != "One" && f.Subfield('a') != "Two") {
					t.Errorf("recovered record lost its title: %+v", r.Fields)
				}
			}
		})
	}
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func set(b []byte, at int, s string) []byte {
	c := append([]byte(nil), b...)
	copy(c[at:], s)
	return c
}

func TestISO2709Limits(t *testing.T) {
	// A record larger than MaxRecordSize is dropped and the next one read.
	big := testRecord(strings.Repeat("x", 5000))
	bigData, _ := Encode(big)
	res := readDamaged(t, cat(bigData, encoded(t, "One")), func(r *Reader) { r.MaxRecordSize = 1000 })
	if len(res.recs) != 1 || res.dropped != 1 {
		t.Errorf("size limit: %d records, %d dropped", len(res.recs), res.dropped)
	}
	// A record with more fields than MaxFields is dropped.
	many := &Record{Leader: DefaultLeader}
	for range 50 {
		many.Fields = append(many.Fields, DataField("500", ' ', ' ', Subfield{'a', "n"}))
	}
	manyData, _ := Encode(many)
	res = readDamaged(t, cat(manyData, encoded(t, "Two")), func(r *Reader) { r.MaxFields = 10 })
	if len(res.recs) != 1 || res.dropped != 1 {
		t.Errorf("field limit: %d records, %d dropped", len(res.recs), res.dropped)
	}
	// A directory bomb: a leader and a directory claiming a million
	// fields in a small record must fail before allocating for them.
	bomb := append([]byte("99999nam a2200000 a 4500"), bytes.Repeat([]byte("245999900000"), 20000)...)
	bomb = append(bomb, 0x1e, 0x1d)
	res = readDamaged(t, bomb, nil)
	if res.dropped != 1 {
		t.Errorf("directory bomb: %d dropped", res.dropped)
	}
	// Endless input without a record terminator stops at the limit.
	res = readDamaged(t, bytes.Repeat([]byte("1"), 3*DefaultMaxRecordSize), nil)
	if len(res.recs) != 0 || res.dropped == 0 {
		t.Errorf("endless record: %d records, %d dropped", len(res.recs), res.dropped)
	}
	// Encoding refuses what ISO 2709 cannot hold.
	huge := testRecord(strings.Repeat("y", 10000))
	if _, err := Encode(huge); !errors.Is(err, ErrTooLong) {
		t.Errorf("Encode of a 10000-byte field: %v", err)
	}
}

func TestXMLHostile(t *testing.T) {
	cases := map[string]string{
		"nesting bomb":     "<collection>" + strings.Repeat("<a>", 100000) + strings.Repeat("</a>", 100000) + "</collection>",
		"record bomb":      `<record><datafield tag="245" ind1=" " ind2=" ">` + strings.Repeat("<subfield code='a'><x>", 50000),
		"undefined entity": `<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><record><leader>&b;</leader></record>`,
		"not xml":          "\x00\x01\x02",
		"unclosed":         `<collection><record><leader>00000nam a2200000 a 4500</leader>`,
	}
	for name, doc := range cases {
		_, err := readXML(doc, nil)
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// A text node larger than the limit is refused without reading it all.
	doc := `<record><controlfield tag="001">` + strings.Repeat("x", 1<<20) + `</controlfield></record>`
	if _, err := readXML(doc, func(r *XMLReader) { r.MaxRecordSize = 64 << 10 }); err == nil || !strings.Contains(err.Error(), "size limit") {
		t.Errorf("huge text: %v", err)
	}
	// More fields than MaxFields.
	doc = `<record>` + strings.Repeat(`<controlfield tag="001">x</controlfield>`, 100) + `</record>`
	if _, err := readXML(doc, func(r *XMLReader) { r.MaxFields = 10 }); err == nil {
		t.Error("field limit not enforced")
	}
}

func readXML(doc string, setup func(*XMLReader)) ([]*Record, error) {
	r := NewXMLReader(strings.NewReader(doc))
	if setup != nil {
		setup(r)
	}
	var out []*Record
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, rec)
	}
}

func TestXMLWriterWellFormed(t *testing.T) {
	rec := &Record{Leader: DefaultLeader, Fields: []Field{
		ControlField("001", "a\x01b\x1bc"),
		ControlField("004", "ab\x1fcvalue"), // subfield delimiters in a 00X field
		DataField("245", '1', '0', Subfield{'a', "x <&> \"q\" \xff\ufffe"}),
	}}
	var buf bytes.Buffer
	w := NewXMLWriter(&buf)
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	w.Close()
	out := buf.String()
	for _, bad := range []string{"\x01", "\x1b", "\x1f", "\xff", "\ufffe"} {
		if strings.Contains(out, bad) {
			t.Errorf("output contains %q:\n%s", bad, out)
		}
	}
	if !strings.Contains(out, `<datafield tag="004" ind1="a" ind2="b">`) || !strings.Contains(out, `<subfield code="c">value</subfield>`) {
		t.Errorf("00X with delimiters not written as a data field:\n%s", out)
	}
	back, err := readXML(out, nil)
	if err != nil || len(back) != 1 {
		t.Fatalf("reading our own output: %v", err)
	}
	if got := back[0].Field("245").Subfield('a'); got != "x <&> \"q\" \uFFFD\uFFFD" {
		t.Errorf("245a = %q", got)
	}
}

func TestJSONHostile(t *testing.T) {
	for name, doc := range map[string]string{
		"nesting": strings.Repeat("[", 100000),
		"syntax":  `{"leader": 12}`,
		"fields":  `{"leader":"x","fields":[{"001":"a","002":"b"}]}`,
	} {
		r := NewJSONReader(strings.NewReader(doc))
		rec, err := r.Read()
		if name == "fields" {
			if err != nil || len(r.Problems()) == 0 || len(rec.Fields) != 0 {
				t.Errorf("%s: %v %v", name, err, r.Problems())
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// missingFT removes the field terminator after 001 and shortens the
// directory entries to match, as a writer that forgot it would.
func missingFT(rec []byte) []byte {
	r, _, _ := Decode(rec)
	var out []byte
	out, _ = Encode(r)
	i := bytes.Index(out, []byte("id-One\x1e"))
	out = append(out[:i+6:i+6], out[i+7:]...)
	// 001 is now one byte shorter: its entry says 7 (0007), others start one earlier.
	dir := out[24:]
	copy(dir[3:7], "0006")
	for e := 12; dir[e] != 0x1e; e += 12 {
		start, _ := atoiDigits(dir[e+7 : e+12])
		putDigits(dir[e+7:e+12], start-1)
	}
	return out
}

// dropDirTerminator removes the directory's field terminator; the base
// address and record length still count it.
func dropDirTerminator(rec []byte) []byte {
	base, _ := atoiDigits(rec[12:17])
	return append(append([]byte(nil), rec[:base-1]...), rec[base:]...)
}
