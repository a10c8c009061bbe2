// Package memory is an in-memory z3950.Backend over MARC 21 records: the reference
// implementation of the Backend/Session interfaces and the fixture the interop tests run
// yaz-client, zoomsh and the SRU clients against.
//
// Records are read with package marc, converted to UTF-8 (NFC) once at load, and served as
// UTF-8 unless the association asks for MARC-8 (z3950.FetchRequest.MARC8).
package memory

import (
	"strings"

	"github.com/illgw/illgw/marc"
)

// record is one loaded record with its ready-made renderings.
type record struct {
	rec   *marc.Record // UTF-8, NFC, leader/09 'a'
	utf8  []byte       // ISO 2709 in UTF-8
	marc8 []byte       // ISO 2709 in MARC-8 (leader/09 blank)
	xml   []byte       // MARCXML
}

func newRecord(rec *marc.Record) (*record, error) {
	marc.ToUTF8(rec, marc.CharsetAuto)
	r := &record{rec: rec, xml: marc.MarshalXML(rec)}
	var err error
	if r.utf8, err = marc.Encode(rec); err != nil {
		return nil, err
	}
	m8 := rec.Clone()
	marc.ToMARC8(m8)
	if r.marc8, err = marc.Encode(m8); err != nil {
		return nil, err
	}
	return r, nil
}

// iso returns the record as ISO 2709 in UTF-8 or MARC-8.
func (r *record) iso(marc8 bool) []byte {
	if marc8 {
		return r.marc8
	}
	return r.utf8
}

// sub returns the values of the subfields with the given codes (all if "") of every field
// with tag; a control field gives its value.
func (r *record) sub(tag, codes string) []string {
	var out []string
	for _, f := range r.rec.FieldsByTag(tag) {
		if f.IsControl() {
			out = append(out, f.Value)
			continue
		}
		for _, s := range f.Subfields {
			if codes == "" || strings.IndexByte(codes, s.Code) >= 0 {
				out = append(out, s.Value)
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

// sutrs renders the record as a simple text record (SUTRS): one line per field.
func (r *record) sutrs() []byte {
	var b strings.Builder
	for _, f := range r.rec.Fields {
		b.WriteString(f.Tag + " ")
		if f.IsControl() {
			b.WriteString(f.Value + "\n")
			continue
		}
		b.WriteByte(f.Ind1)
		b.WriteByte(f.Ind2)
		for _, sf := range f.Subfields {
			b.WriteString(" $" + string(sf.Code) + " " + sf.Value)
		}
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// briefTags are the fields an element set "B" record keeps.
var briefTags = map[string]bool{"001": true, "008": true, "010": true, "020": true, "100": true, "245": true, "260": true}

// brief returns the record with only the brief fields, as ISO 2709.
func (r *record) brief(marc8 bool) ([]byte, error) {
	b := &marc.Record{Leader: r.rec.Leader}
	for _, f := range r.rec.Fields {
		if briefTags[f.Tag] {
			b.Fields = append(b.Fields, f)
		}
	}
	b = b.Clone()
	if marc8 {
		marc.ToMARC8(b)
	}
	return marc.Encode(b)
}
