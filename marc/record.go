package marc

import (
	"strconv"
	"strings"
)

// Record is one MARC 21 record: a leader and its variable fields in the
// order they appear on the wire (ISO 2709 directory order, MARCXML and
// MARC-in-JSON document order).
type Record struct {
	Leader Leader
	Fields []Field
}

// Leader is the 24-character record leader (MARC 21 Bibliographic, Leader).
type Leader [24]byte

// DefaultLeader is the leader of a new record: length and base address
// are filled in when the record is written.
var DefaultLeader = Leader{'0', '0', '0', '0', '0', 'n', 'a', 'm', ' ', 'a', '2', '2',
	'0', '0', '0', '0', '0', ' ', ' ', ' ', '4', '5', '0', '0'}

// String returns the leader as its 24 characters.
func (l Leader) String() string { return string(l[:]) }

// Status returns leader/05, the record status.
func (l Leader) Status() byte { return l[5] }

// Type returns leader/06, the type of record ('a' language material, ...).
func (l Leader) Type() byte { return l[6] }

// BibLevel returns leader/07, the bibliographic level ('m' monograph, 's' serial, ...).
func (l Leader) BibLevel() byte { return l[7] }

// IsUTF8 reports whether leader/09 declares UCS/Unicode ('a'); blank
// declares MARC-8 (MARC 21 Leader/09, character coding scheme).
func (l Leader) IsUTF8() bool { return l[9] == 'a' }

// IsMARC21 reports whether positions 10-11 and 20-23 hold the values every
// MARC 21 record carries ("22" and "4500"). Records from other formats
// (danMARC, UNIMARC) served under a MARC 21 syntax often do not.
func (l Leader) IsMARC21() bool {
	return l[10] == '2' && l[11] == '2' && string(l[20:24]) == "4500"
}

// ParseLeader copies s (at most 24 bytes, padded with blanks) into a Leader.
func ParseLeader(s string) Leader {
	var l Leader
	for i := range l {
		l[i] = ' '
	}
	copy(l[:], s)
	return l
}

func (l *Leader) setNumber(pos, width, n int) {
	s := strconv.Itoa(n)
	for len(s) < width {
		s = "0" + s
	}
	copy(l[pos:pos+width], s[len(s)-width:])
}

// Field is one variable field. A control field (tags 001-009) has its data
// in Value and zero indicators; a data field has two indicator characters
// (never zero) and subfields. Use ControlField and DataField to build them.
type Field struct {
	Tag       string
	Value     string
	Ind1      byte
	Ind2      byte
	Subfields []Subfield
}

// Subfield is one subfield of a data field: a one-byte code and its data.
type Subfield struct {
	Code  byte
	Value string
}

// ControlField returns a control field (MARC 21 00X) holding value.
func ControlField(tag, value string) Field {
	return Field{Tag: tag, Value: value}
}

// DataField returns a data field with the given indicators and subfields.
// A zero indicator is stored as a blank.
func DataField(tag string, ind1, ind2 byte, subfields ...Subfield) Field {
	if ind1 == 0 {
		ind1 = ' '
	}
	if ind2 == 0 {
		ind2 = ' '
	}
	return Field{Tag: tag, Ind1: ind1, Ind2: ind2, Subfields: subfields}
}

// IsControl reports whether f is a control field.
func (f *Field) IsControl() bool { return f.Ind1 == 0 }

// Subfield returns the value of the first subfield with the given code, or "".
func (f *Field) Subfield(code byte) string {
	for _, s := range f.Subfields {
		if s.Code == code {
			return s.Value
		}
	}
	return ""
}

// SubfieldValues returns the values of every subfield with one of the given codes, in order.
func (f *Field) SubfieldValues(codes string) []string {
	var out []string
	for _, s := range f.Subfields {
		if strings.IndexByte(codes, s.Code) >= 0 {
			out = append(out, s.Value)
		}
	}
	return out
}

// Text joins the values of the subfields whose codes are in codes
// (all subfields when codes is empty) with single blanks; for a control
// field it is the field's value.
func (f *Field) Text(codes string) string {
	if f.IsControl() {
		return f.Value
	}
	var b strings.Builder
	for _, s := range f.Subfields {
		if codes != "" && strings.IndexByte(codes, s.Code) < 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s.Value)
	}
	return b.String()
}

// Field returns the first field with the given tag, or nil.
func (r *Record) Field(tag string) *Field {
	for i := range r.Fields {
		if r.Fields[i].Tag == tag {
			return &r.Fields[i]
		}
	}
	return nil
}

// FieldsByTag returns every field whose tag matches pattern, in record
// order. In pattern an 'X' or 'x' matches any character ("1XX", "6XX").
func (r *Record) FieldsByTag(pattern string) []*Field {
	var out []*Field
	for i := range r.Fields {
		if tagMatch(pattern, r.Fields[i].Tag) {
			out = append(out, &r.Fields[i])
		}
	}
	return out
}

// ControlValue returns the value of the first control field with the given tag, or "".
func (r *Record) ControlValue(tag string) string {
	if f := r.Field(tag); f != nil && f.IsControl() {
		return f.Value
	}
	return ""
}

// Clone returns a deep copy of r.
func (r *Record) Clone() *Record {
	c := &Record{Leader: r.Leader, Fields: make([]Field, len(r.Fields))}
	copy(c.Fields, r.Fields)
	for i := range c.Fields {
		if c.Fields[i].Subfields != nil {
			c.Fields[i].Subfields = append([]Subfield(nil), c.Fields[i].Subfields...)
		}
	}
	return c
}

func tagMatch(pattern, tag string) bool {
	if len(pattern) != len(tag) {
		return false
	}
	for i := 0; i < len(pattern); i++ {
		if pattern[i] != tag[i] && pattern[i] != 'X' && pattern[i] != 'x' {
			return false
		}
	}
	return true
}
