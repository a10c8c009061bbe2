package marc

import (
	"strings"
)

// Title returns the title proper and its remainder (245 $a $b $n $p, MARC
// 21 Bibliographic §245) without the closing ISBD punctuation.
func (r *Record) Title() string {
	f := r.Field("245")
	if f == nil || f.IsControl() {
		return ""
	}
	return trimISBD(f.Text("abnp"))
}

// MainEntry returns the main entry heading (100, 110, 111 or 130 $a, MARC
// 21 Bibliographic §1XX) without closing punctuation.
func (r *Record) MainEntry() string {
	for _, f := range r.FieldsByTag("1XX") {
		if !f.IsControl() {
			return trimISBD(f.Subfield('a'))
		}
	}
	return ""
}

// Date returns the year of publication: 008/07-10 when it holds four
// digits (MARC 21 Bibliographic §008, Date 1), else the first four-digit
// year in 260 $c or 264 $c.
func (r *Record) Date() string {
	if v := r.ControlValue("008"); len(v) >= 11 {
		if _, ok := atoiDigits([]byte(v[7:11])); ok {
			return v[7:11]
		}
	}
	for _, tag := range []string{"260", "264"} {
		for _, f := range r.FieldsByTag(tag) {
			for _, c := range f.SubfieldValues("c") {
				if y := firstYear(c); y != "" {
					return y
				}
			}
		}
	}
	return ""
}

func firstYear(s string) string {
	run := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			run++
			if run == 4 && (i+1 == len(s) || s[i+1] < '0' || s[i+1] > '9') {
				return s[i-3 : i+1]
			}
		} else {
			run = 0
		}
	}
	return ""
}

// Publisher returns 260 $b or 264 $b (MARC 21 Bibliographic §260, §264).
func (r *Record) Publisher() string {
	for _, tag := range []string{"260", "264"} {
		if f := r.Field(tag); f != nil && f.Subfield('b') != "" {
			return strings.TrimRight(strings.TrimSpace(f.Subfield('b')), " ,:;/")
		}
	}
	return ""
}

// ISBNs returns the ISBNs of 020 $a as recorded (qualifiers included).
func (r *Record) ISBNs() []string { return r.subfields("020", 'a') }

// ISSNs returns the ISSNs of 022 $a as recorded.
func (r *Record) ISSNs() []string { return r.subfields("022", 'a') }

// LCCN returns 010 $a as recorded (MARC 21 Bibliographic §010).
func (r *Record) LCCN() string {
	if f := r.Field("010"); f != nil {
		return f.Subfield('a')
	}
	return ""
}

// SystemNumbers returns 035 $a, the system control numbers (MARC 21
// Bibliographic §035), such as "(OCoLC)12345".
func (r *Record) SystemNumbers() []string { return r.subfields("035", 'a') }

func (r *Record) subfields(tag string, code byte) []string {
	var out []string
	for _, f := range r.FieldsByTag(tag) {
		for _, s := range f.Subfields {
			if s.Code == code && strings.TrimSpace(s.Value) != "" {
				out = append(out, s.Value)
			}
		}
	}
	return out
}

// Holding is one holding, as MARC 21 Holdings §852 (location) and §866
// (textual holdings) describe it and as the broker attaches to a merged
// record for each member that has the item.
type Holding struct {
	Institution string // 852 $a
	Location    string // 852 $b, the sublocation or collection
	CallNumber  string // 852 $h $i
	Summary     string // 866 $a
	Note        string // 852 $z
}

// Holdings returns the holdings of the record's 852 fields; an 866 that
// follows an 852 gives that holding its Summary.
func (r *Record) Holdings() []Holding {
	var out []Holding
	for i := range r.Fields {
		f := &r.Fields[i]
		switch {
		case f.Tag == "852" && !f.IsControl():
			out = append(out, Holding{
				Institution: f.Subfield('a'),
				Location:    f.Subfield('b'),
				CallNumber:  f.Text("hi"),
				Note:        f.Subfield('z'),
			})
		case f.Tag == "866" && !f.IsControl() && len(out) > 0:
			out[len(out)-1].Summary = f.Subfield('a')
		}
	}
	return out
}

// AddHolding appends h as an 852 (and an 866 when it has a Summary).
func (r *Record) AddHolding(h Holding) {
	f := DataField("852", ' ', ' ')
	add := func(code byte, v string) {
		if v != "" {
			f.Subfields = append(f.Subfields, Subfield{code, v})
		}
	}
	add('a', h.Institution)
	add('b', h.Location)
	add('h', h.CallNumber)
	add('z', h.Note)
	r.Fields = append(r.Fields, f)
	if h.Summary != "" {
		r.Fields = append(r.Fields, DataField("866", ' ', ' ', Subfield{'a', h.Summary}))
	}
}

// trimISBD drops the closing punctuation ISBD puts between elements
// (" /", " :", " ;", ",", ".") and surrounding blanks.
func trimISBD(s string) string {
	s = strings.TrimSpace(s)
	for len(s) > 0 {
		c := s[len(s)-1]
		if c == '/' || c == ':' || c == ';' || c == ',' || c == '=' || (c == '.' && !strings.HasSuffix(s, "..") && !endsWithInitial(s)) {
			s = strings.TrimSpace(s[:len(s)-1])
			continue
		}
		break
	}
	return s
}

// endsWithInitial reports "Smith, J." style endings, whose full stop stays.
func endsWithInitial(s string) bool {
	n := len(s)
	return n >= 3 && s[n-3] == ' ' && s[n-2] >= 'A' && s[n-2] <= 'Z'
}
