package marc

import (
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Charset names the character coding of a record's data.
type Charset int

const (
	// CharsetAuto trusts leader/09 but checks the data against it: UTF-8
	// data under a MARC-8 leader, MARC-8 under a UTF-8 leader (Zebra
	// writes such records) and Latin-1 under a MARC-8 leader are detected.
	CharsetAuto Charset = iota
	CharsetMARC8
	CharsetUTF8
	CharsetLatin1
)

func (c Charset) String() string {
	switch c {
	case CharsetMARC8:
		return "MARC-8"
	case CharsetUTF8:
		return "UTF-8"
	case CharsetLatin1:
		return "Latin-1"
	}
	return "auto"
}

// ParseCharset parses auto, marc8 (marc-8), utf8 (utf-8) or latin1 (iso-8859-1).
func ParseCharset(s string) (Charset, bool) {
	switch s {
	case "auto", "":
		return CharsetAuto, true
	case "marc8", "marc-8":
		return CharsetMARC8, true
	case "utf8", "utf-8":
		return CharsetUTF8, true
	case "latin1", "iso8859-1", "iso-8859-1":
		return CharsetLatin1, true
	}
	return CharsetAuto, false
}

// each calls fn for every string of rec's data: control-field values and
// subfield values.
func each(rec *Record, fn func(tag string, s *string)) {
	for i := range rec.Fields {
		f := &rec.Fields[i]
		if f.IsControl() {
			fn(f.Tag, &f.Value)
			continue
		}
		for j := range f.Subfields {
			fn(f.Tag, &f.Subfields[j].Value)
		}
	}
}

// DetectCharset tells what rec's data is, by the rules CharsetAuto
// describes, and whether that contradicts leader/09.
func DetectCharset(rec *Record) (cs Charset, mislabelled bool) {
	ascii, validUTF8, multibyte, marc8OK := true, true, false, true
	var escSeen bool
	each(rec, func(_ string, s *string) {
		for i := 0; i < len(*s); i++ {
			c := (*s)[i]
			if c >= 0x80 {
				ascii = false
			}
			if c == esc {
				escSeen = true
			}
		}
		if !utf8.ValidString(*s) {
			validUTF8 = false
		} else if !isASCII(*s) {
			multibyte = true
		}
		if marc8OK && (!isASCII(*s) || hasByte(*s, esc)) {
			d := newMARC8Decoder()
			d.decode(nil, []byte(*s))
			marc8OK = d.err == nil
		}
	})
	if ascii && !escSeen {
		if rec.Leader.IsUTF8() {
			return CharsetUTF8, false
		}
		return CharsetMARC8, false
	}
	if rec.Leader.IsUTF8() {
		switch {
		case validUTF8 && !(escSeen && marc8OK):
			// ESC has no place in UTF-8 MARC data: with valid MARC-8
			// escapes (an EACC run is 7-bit) the data is MARC-8.
			return CharsetUTF8, false
		case marc8OK:
			return CharsetMARC8, true
		}
		return CharsetLatin1, true
	}
	switch {
	case validUTF8 && multibyte && !escSeen:
		return CharsetUTF8, true
	case !marc8OK:
		return CharsetLatin1, true
	case !rec.Leader.IsMARC21() && !marc8Composes(rec):
		// Not a MARC 21 record (danMARC, UNIMARC) and not one of its
		// MARC-8 diacritics combines with its base letter: Latin-1 letters
		// (æ, ø) read as MARC-8 diacritics, as in sample-marc.mrc record 24.
		return CharsetLatin1, true
	}
	return CharsetMARC8, false
}

// marc8Composes reports whether any diacritic of rec's MARC-8 data
// combines with its base into a precomposed Unicode character.
func marc8Composes(rec *Record) bool {
	found := false
	each(rec, func(_ string, s *string) {
		if found || isASCII(*s) {
			return
		}
		d := newMARC8Decoder()
		u := string(d.decode(nil, []byte(*s)))
		if len(norm.NFC.String(u)) < len(u) {
			found = true
		}
	})
	return found
}

// ToUTF8 converts rec's data to UTF-8 in place, normalised to NFC, and
// sets leader/09 to 'a' (MARC 21 Leader/09). from is the data's charset;
// CharsetAuto detects it (see DetectCharset). The problems it returns name
// a mislabelled charset and bytes that could not be mapped (they become
// U+FFFD; nothing is dropped).
func ToUTF8(rec *Record, from Charset) []Problem {
	p := &problems{offset: -1}
	if from == CharsetAuto {
		var mislabelled bool
		from, mislabelled = DetectCharset(rec)
		if mislabelled {
			p.add("", "leader/09 %q does not match the data, read as %s", rec.Leader[9], from)
		}
	}
	each(rec, func(tag string, s *string) {
		switch from {
		case CharsetMARC8:
			if isASCII(*s) && !hasByte(*s, esc) {
				return
			}
			d := newMARC8Decoder()
			out := d.decode(make([]byte, 0, len(*s)+8), []byte(*s))
			if d.err != nil {
				p.add(tag, "%d invalid MARC-8 sequences (first %s) replaced by U+FFFD", d.err.Count, quoteBytes(d.err.Bytes))
			}
			*s = norm.NFC.String(string(out))
		case CharsetLatin1:
			if isASCII(*s) {
				return
			}
			b := make([]byte, 0, len(*s)*2)
			for i := 0; i < len(*s); i++ {
				b = utf8.AppendRune(b, rune((*s)[i]))
			}
			*s = norm.NFC.String(string(b))
		default:
			if isASCII(*s) {
				return
			}
			if !utf8.ValidString(*s) {
				p.add(tag, "invalid UTF-8 replaced by U+FFFD")
				*s = toValidUTF8(*s)
			}
			*s = norm.NFC.String(*s)
		}
	})
	rec.Leader[9] = 'a'
	return p.list
}

// ToMARC8 converts rec's UTF-8 data to MARC-8 in place and sets leader/09
// to blank. Characters MARC-8 lacks become numeric character references
// (&#xXXXX;); their count is returned. A record whose leader already says
// MARC-8 is left alone.
func ToMARC8(rec *Record) (unmappable int) {
	if !rec.Leader.IsUTF8() {
		return 0
	}
	each(rec, func(_ string, s *string) {
		if isASCII(*s) {
			return
		}
		out, n := EncodeMARC8(*s)
		unmappable += n
		*s = string(out)
	})
	rec.Leader[9] = ' '
	return unmappable
}

func hasByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

func toValidUTF8(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		b = utf8.AppendRune(b, r)
		i += size
	}
	return string(b)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
