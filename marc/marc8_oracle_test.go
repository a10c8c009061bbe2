package marc

import (
	"bytes"
	"fmt"
	"os/exec"
	"testing"

	"github.com/illgw/illgw/internal/testenv"
)

// oracleItem is one MARC-8 character written so that yaz-iconv decodes it
// on its own: designate its set, the character (a combining one followed
// by an ASCII base "o"), back to ASCII, and a record separator (0x1E; the
// marc8 decoder of YAZ drops line feeds).
type oracleItem struct {
	set  byte
	g1   bool
	code uint32
	in   []byte
}

func oracleItems() []oracleItem {
	var items []oracleItem
	for _, s := range marc8Sets {
		for g1 := range 2 {
			for pos, r := range s.chars {
				if r == 0 {
					continue
				}
				var b bytes.Buffer
				c := byte(0x21 + pos)
				if g1 == 1 {
					b.Write([]byte{esc, ')', s.final})
					c |= 0x80
				} else {
					b.Write([]byte{esc, '(', s.final})
				}
				b.WriteByte(c)
				b.Write([]byte{esc, '(', 'B', esc, ')', 'E'})
				if s.combining[pos] {
					b.WriteByte('o')
				}
				items = append(items, oracleItem{set: s.final, g1: g1 == 1, code: uint32(c), in: b.Bytes()})
			}
		}
	}
	for _, e := range eaccTable {
		code := uint32(e >> 32)
		in := []byte{esc, '$', '1', byte(code >> 16), byte(code >> 8), byte(code), esc, '(', 'B'}
		items = append(items, oracleItem{set: finalEACC, code: code, in: in})
		in = []byte{esc, '$', ')', '1', byte(code>>16) | 0x80, byte(code>>8) | 0x80, byte(code) | 0x80, esc, ')', 'E'}
		items = append(items, oracleItem{set: finalEACC, g1: true, code: code | 0x808080, in: in})
	}
	return items
}

// yazDifferences lists the codes where YAZ 5 and the Library of Congress
// table disagree; we follow LC (see DESIGN notes in doc.go).
func yazDifference(it oracleItem, ours, yaz string) string {
	switch {
	case (ours == "o\uFE21" || ours == "o\uFE23") && yaz == "o":
		// A right half with no left half before it: YAZ drops it, we keep
		// it (after a left half we drop it too).
		return "lone right half kept"
	}
	return ""
}

// TestMARC8AgainstYAZ decodes every code point of every MARC-8 set (in G0
// and G1, EACC included) with our decoder and with
// yaz-marcdump -f marc8 -t utf8, and compares. The characters travel as
// subfields of MARC-8 records (yaz-iconv itself loses a character each
// time its output buffer fills, so it cannot check thousands in one run).
func TestMARC8AgainstYAZ(t *testing.T) {
	yaz := testenv.Require(t, "yaz-marcdump", "yaz")
	items := oracleItems()
	var in bytes.Buffer
	w := NewWriter(&in)
	for start := 0; start < len(items); start += 400 {
		rec := &Record{Leader: DefaultLeader}
		rec.Leader[9] = ' '
		rec.Fields = append(rec.Fields, ControlField("001", fmt.Sprint(start)))
		for f := start; f < min(start+400, len(items)); f += 50 {
			df := DataField("500", ' ', ' ')
			for i := f; i < min(f+50, len(items)); i++ {
				df.Subfields = append(df.Subfields, Subfield{Code: 'a', Value: string(items[i].in)})
			}
			rec.Fields = append(rec.Fields, df)
		}
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(yaz, "-f", "marc8", "-t", "utf8", "-o", "marcxml", "/dev/stdin")
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("yaz-marcdump: %v\n%s", err, stderr.Bytes())
	}
	var got []string
	for _, rec := range readAll(t, NewXMLReader(bytes.NewReader(out))) {
		for _, f := range rec.FieldsByTag("500") {
			for _, sf := range f.Subfields {
				got = append(got, sf.Value)
			}
		}
	}
	if len(got) != len(items) {
		t.Fatalf("yaz-marcdump gave %d items, want %d", len(got), len(items))
	}
	perSet := map[string]int{}
	diffs := map[string]int{}
	for i, it := range items {
		ours, derr := DecodeMARC8(it.in)
		if derr != nil {
			t.Errorf("set %c code %X: %v", it.set, it.code, derr)
			continue
		}
		perSet[string(it.set)]++
		if ours == got[i] {
			continue
		}
		if why := yazDifference(it, ours, got[i]); why != "" {
			diffs[why]++
			continue
		}
		t.Errorf("set %c (G1 %v) code %X: ours %q (%U), yaz %q (%U)", it.set, it.g1, it.code, ours, []rune(ours), got[i], []rune(got[i]))
	}
	t.Logf("compared %d code points per set %v; documented differences %v", len(items), perSet, diffs)
}
