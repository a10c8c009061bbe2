// Package memory is an in-memory z3950.Backend over ISO 2709 MARC records: the reference
// implementation of the Backend/Session interfaces and the fixture the interop tests run
// yaz-client, zoomsh and the SRU clients against.
//
// It reads records with a minimal ISO 2709 directory walk (ISO 2709:2008 §4), enough to index
// and present them; the full MARC library lives in package marc.
package memory

import (
	"bytes"
	"errors"
	"html"
	"strconv"
	"strings"
	"unicode/utf8"
)

// field is one variable field of a record.
type field struct {
	tag        string
	ind1, ind2 byte
	value      string      // control fields (001-009)
	subfields  [][2]string // code, value
}

// record is a parsed MARC record with its original bytes.
type record struct {
	raw    []byte
	leader string
	fields []field
}

var errRecord = errors.New("memory: malformed ISO 2709 record")

// text returns s as UTF-8: valid UTF-8 as it is, otherwise each byte as Latin-1 (the sample
// file's Danish record carries raw Latin-1).
func text(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// parseRecord walks the leader and directory of one ISO 2709 record.
func parseRecord(raw []byte) (*record, error) {
	if len(raw) < 25 {
		return nil, errRecord
	}
	base, err := strconv.Atoi(string(raw[12:17]))
	if err != nil || base < 25 || base > len(raw) {
		return nil, errRecord
	}
	rec := &record{raw: raw, leader: string(raw[:24])}
	dir := raw[24 : base-1]
	for len(dir) >= 12 {
		tag := string(dir[:3])
		n, err1 := strconv.Atoi(string(dir[3:7]))
		at, err2 := strconv.Atoi(string(dir[7:12]))
		dir = dir[12:]
		if err1 != nil || err2 != nil || n < 1 || base+at+n > len(raw) {
			return nil, errRecord
		}
		data := raw[base+at : base+at+n-1] // drop the field terminator
		f := field{tag: tag}
		if tag < "010" {
			f.value = text(data)
		} else {
			if len(data) < 2 {
				return nil, errRecord
			}
			f.ind1, f.ind2 = data[0], data[1]
			for _, sf := range bytes.Split(data[2:], []byte{0x1f}) {
				if len(sf) == 0 {
					continue
				}
				f.subfields = append(f.subfields, [2]string{string(sf[:1]), text(sf[1:])})
			}
		}
		rec.fields = append(rec.fields, f)
	}
	return rec, nil
}

// splitRecords cuts a file of concatenated ISO 2709 records at their record terminators.
func splitRecords(data []byte) ([][]byte, error) {
	var out [][]byte
	for {
		// Files often end (or records are separated) with stray terminators, NULs or newlines.
		data = bytes.TrimLeft(data, "\x1d\x00\r\n")
		if len(data) == 0 {
			break
		}
		if len(data) < 5 {
			return nil, errRecord
		}
		n, err := strconv.Atoi(string(data[:5]))
		if err != nil || n < 25 || n > len(data) {
			return nil, errRecord
		}
		out = append(out, data[:n:n])
		data = data[n:]
	}
	return out, nil
}

// sub returns the subfield values of every field with tag, restricted to codes (all if "").
func (r *record) sub(tag, codes string) []string {
	var out []string
	for _, f := range r.fields {
		if f.tag != tag {
			continue
		}
		if f.tag < "010" {
			out = append(out, f.value)
			continue
		}
		for _, sf := range f.subfields {
			if codes == "" || strings.Contains(codes, sf[0]) {
				out = append(out, sf[1])
			}
		}
	}
	return out
}

func (r *record) first(tag, codes string) string {
	if v := r.sub(tag, codes); len(v) > 0 {
		return strings.TrimSpace(v[0])
	}
	return ""
}

// marcXML renders the record as MARCXML (http://www.loc.gov/MARC21/slim).
func (r *record) marcXML() []byte {
	var b strings.Builder
	b.WriteString(`<record xmlns="http://www.loc.gov/MARC21/slim">` + "\n")
	leader := []byte(r.leader)
	leader[9] = 'a' // the XML is UTF-8
	b.WriteString("  <leader>" + xmlText(string(leader)) + "</leader>\n")
	for _, f := range r.fields {
		if f.tag < "010" {
			b.WriteString(`  <controlfield tag="` + f.tag + `">` + xmlText(f.value) + "</controlfield>\n")
			continue
		}
		b.WriteString(`  <datafield tag="` + f.tag + `" ind1="` + xmlText(string(f.ind1)) +
			`" ind2="` + xmlText(string(f.ind2)) + `">` + "\n")
		for _, sf := range f.subfields {
			b.WriteString(`    <subfield code="` + xmlText(sf[0]) + `">` + xmlText(sf[1]) + "</subfield>\n")
		}
		b.WriteString("  </datafield>\n")
	}
	b.WriteString("</record>\n")
	return []byte(b.String())
}

// xmlText escapes s for XML character data and attributes, replacing characters XML 1.0
// forbids (C0 controls other than tab, LF, CR; the sample's Danish record has a stray 0x1F)
// with U+FFFD.
func xmlText(s string) string {
	s = html.EscapeString(s)
	if strings.IndexFunc(s, badXMLRune) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if badXMLRune(r) {
			return utf8.RuneError
		}
		return r
	}, s)
}

func badXMLRune(r rune) bool {
	return (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0xFFFE || r == 0xFFFF
}

// sutrs renders the record as a simple text record (SUTRS).
func (r *record) sutrs() []byte {
	var b strings.Builder
	for _, f := range r.fields {
		b.WriteString(f.tag + " ")
		if f.tag < "010" {
			b.WriteString(f.value + "\n")
			continue
		}
		b.WriteByte(f.ind1)
		b.WriteByte(f.ind2)
		for _, sf := range f.subfields {
			b.WriteString(" $" + sf[0] + " " + sf[1])
		}
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// briefTags are the fields an element set "B" record keeps.
var briefTags = map[string]bool{"001": true, "008": true, "010": true, "020": true, "100": true, "245": true, "260": true}

// brief re-encodes the record as ISO 2709 with only the brief fields.
func (r *record) brief() []byte {
	var dir, data bytes.Buffer
	for _, f := range r.fields {
		if !briefTags[f.tag] {
			continue
		}
		start := data.Len()
		if f.tag < "010" {
			data.WriteString(f.value)
		} else {
			data.WriteByte(f.ind1)
			data.WriteByte(f.ind2)
			for _, sf := range f.subfields {
				data.WriteByte(0x1f)
				data.WriteString(sf[0] + sf[1])
			}
		}
		data.WriteByte(0x1e)
		dir.WriteString(f.tag + pad(data.Len()-start, 4) + pad(start, 5))
	}
	dir.WriteByte(0x1e)
	data.WriteByte(0x1d)
	base := 24 + dir.Len()
	total := base + data.Len()
	leader := []byte(r.leader)
	copy(leader[0:5], pad(total, 5))
	copy(leader[12:17], pad(base, 5))
	out := make([]byte, 0, total)
	out = append(out, leader...)
	out = append(out, dir.Bytes()...)
	return append(out, data.Bytes()...)
}

func pad(n, w int) string {
	s := strconv.Itoa(n)
	for len(s) < w {
		s = "0" + s
	}
	return s
}
