package marc

import (
	"sync"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// marc8Code is where a Unicode character lives in MARC-8.
type marc8Code struct {
	set       byte   // final byte of the set
	code      uint32 // G0 form: 0x21-0x7E, three bytes for EACC
	combining bool
}

// encodePriority orders the sets the encoder tries for a character found
// in several: ASCII and ANSEL first (no escape needed), then the other
// sets; within EACC the lowest code wins.
var encodePriority = []byte{'B', 'E', 'S', 'N', 'Q', '2', '3', '4', 'g', 'b', 'p'}

var marc8Reverse = sync.OnceValue(func() map[rune]marc8Code {
	m := make(map[rune]marc8Code, len(eaccTable)+1200)
	for _, f := range encodePriority {
		s := &marc8Sets[marc8Index[f]]
		for pos, r := range s.chars {
			if r == 0 {
				continue
			}
			if _, ok := m[r]; !ok {
				m[r] = marc8Code{set: f, code: uint32(0x21 + pos), combining: s.combining[pos]}
			}
		}
	}
	for c, r := range marc8C1 {
		if _, ok := m[r]; !ok {
			m[r] = marc8Code{set: 0, code: uint32(c)}
		}
	}
	for _, e := range eaccTable {
		r := rune(uint32(e))
		if _, ok := m[r]; !ok {
			m[r] = marc8Code{set: finalEACC, code: uint32(e >> 32)}
		}
	}
	return m
})

// EncodeMARC8 converts UTF-8 text to MARC-8. Each character is looked up
// as it is and, when MARC-8 lacks it, decomposed (keeping precomposed
// parts MARC-8 has, such as O with horn) so that its base and diacritics
// can be written; combining marks are written before their base, and a
// double diacritic (U+0361, U+0360) gets its right half before the next
// base. A character that cannot be represented becomes a numeric
// character reference &#xXXXX; (as OCLC and YAZ's marc8lossless do) and
// is counted in unmappable. The output ends with G0 back at ASCII, as
// MARC 21 Specifications Part 2 ("Default character sets") requires at
// the end of each field.
func EncodeMARC8(s string) (out []byte, unmappable int) {
	rev := marc8Reverse()
	e := marc8Encoder{rev: rev, g0: finalASCII}
	units := make([]marc8Code, 0, len(s))
	s = norm.NFC.String(s)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if c, ok := rev[r]; ok {
			units = append(units, c)
			continue
		}
		if r < 0x21 || r == 0x7F {
			units = append(units, marc8Code{set: finalASCII, code: uint32(r)})
			continue
		}
		if us, ok := decomposeMARC8(rev, r); ok {
			units = append(units, us...)
			continue
		}
		unmappable++
		for _, c := range ncr(r) {
			units = append(units, marc8Code{set: finalASCII, code: uint32(c)})
		}
	}
	return e.write(make([]byte, 0, len(s)+8), units), unmappable
}

// decomposeMARC8 splits r into a base MARC-8 has and marks MARC-8 has,
// taking the longest composed prefix of its decomposition that MARC-8
// holds as one character.
func decomposeMARC8(rev map[rune]marc8Code, r rune) ([]marc8Code, bool) {
	d := []rune(norm.NFD.String(string(r)))
	if len(d) < 2 {
		return nil, false
	}
	for k := len(d); k >= 1; k-- {
		head := []rune(norm.NFC.String(string(d[:k])))
		if len(head) != 1 {
			continue
		}
		base, ok := rev[head[0]]
		if !ok {
			continue
		}
		out := []marc8Code{base}
		for _, m := range d[k:] {
			c, ok := rev[m]
			if !ok {
				return nil, false
			}
			out = append(out, c)
		}
		return out, true
	}
	return nil, false
}

func ncr(r rune) string {
	const hex = "0123456789ABCDEF"
	b := []byte("&#x")
	started := false
	for shift := 20; shift >= 0; shift -= 4 {
		d := (r >> uint(shift)) & 15
		if d == 0 && !started && shift > 12 {
			continue
		}
		started = true
		b = append(b, hex[d])
	}
	return string(append(b, ';'))
}

type marc8Encoder struct {
	rev map[rune]marc8Code
	g0  byte
}

// write emits units, moving each run of combining marks before the base
// that precedes it in Unicode order.
func (e *marc8Encoder) write(dst []byte, units []marc8Code) []byte {
	rightHalf := uint32(0)
	for i := 0; i < len(units); {
		base := units[i]
		j := i + 1
		if !base.combining {
			for j < len(units) && units[j].combining {
				j++
			}
		}
		if rightHalf != 0 && !base.combining {
			dst = e.put(dst, marc8Code{set: finalANSEL, code: rightHalf})
			rightHalf = 0
		}
		for _, m := range units[i+1 : j] {
			dst = e.put(dst, m)
			switch m.code {
			case 0x6B: // ligature left half / double inverted breve
				if m.set == finalANSEL {
					rightHalf = 0x6C
				}
			case 0x7A: // double tilde left half
				if m.set == finalANSEL {
					rightHalf = 0x7B
				}
			}
		}
		dst = e.put(dst, base)
		i = j
	}
	if e.g0 != finalASCII {
		dst = e.designate(dst, finalASCII)
	}
	return dst
}

func (e *marc8Encoder) designate(dst []byte, set byte) []byte {
	switch {
	case set == 'g' || set == 'b' || set == 'p':
		dst = append(dst, esc, set)
	case set == finalASCII && (e.g0 == 'g' || e.g0 == 'b' || e.g0 == 'p'):
		dst = append(dst, esc, 's')
	case set == finalEACC:
		dst = append(dst, esc, '$', '1')
	default:
		dst = append(dst, esc, '(', set)
	}
	e.g0 = set
	return dst
}

func (e *marc8Encoder) put(dst []byte, c marc8Code) []byte {
	switch c.set {
	case 0: // C1 control defined by ANSEL
		return append(dst, byte(c.code))
	case finalANSEL:
		return append(dst, byte(c.code)|0x80)
	}
	if c.set == finalASCII && (c.code < 0x21 || c.code == 0x7F) {
		return append(dst, byte(c.code)) // blank and controls read alike in every G0 set
	}
	if e.g0 != c.set {
		dst = e.designate(dst, c.set)
	}
	if c.set == finalEACC {
		return append(dst, byte(c.code>>16), byte(c.code>>8), byte(c.code))
	}
	return append(dst, byte(c.code))
}
