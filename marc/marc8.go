package marc

import (
	"sort"
	"unicode/utf8"
)

// MARC-8 escape sequences (MARC 21 Specifications for Record Structure,
// Character Sets and Exchange Media, Part 2 §"Alternate character set
// designation"): ESC ( F, ESC , F designate set F as G0; ESC ) F, ESC - F
// as G1; ESC $ F, ESC $ ( F, ESC $ , F designate a multibyte set (EACC,
// F = '1') as G0 and ESC $ ) F, ESC $ - F as G1. The technique-1 escapes
// ESC g, ESC b, ESC p select Greek symbols, subscripts and superscripts as
// G0 and ESC s returns G0 to ASCII.
const (
	esc        = 0x1B
	finalASCII = 'B'
	finalANSEL = 'E'
	finalEACC  = '1'
)

// marc8Index finds a single-byte set by its final byte.
var marc8Index = func() [128]int8 {
	var idx [128]int8
	for i := range idx {
		idx[i] = -1
	}
	for i, s := range marc8Sets {
		idx[s.final] = int8(i)
	}
	// Technique-1 final bytes and the alternate ASCII final.
	idx['s'] = idx[finalASCII]
	idx['(' /* never a final */] = -1
	return idx
}()

// MARC8Error reports bytes a MARC-8 decoder could not map.
type MARC8Error struct {
	Offset int    // offset of the first bad byte in the input
	Bytes  []byte // the first bad sequence
	Count  int    // how many bad sequences in all
}

func (e *MARC8Error) Error() string {
	return "marc: invalid MARC-8 sequence " + quoteBytes(e.Bytes) + " at offset " + itoa(e.Offset)
}

type marc8Decoder struct {
	g0, g1 byte // final bytes of the designated sets
	err    *MARC8Error
}

func newMARC8Decoder() marc8Decoder { return marc8Decoder{g0: finalASCII, g1: finalANSEL} }

func (d *marc8Decoder) bad(off int, b []byte) {
	if d.err == nil {
		d.err = &MARC8Error{Offset: off, Bytes: append([]byte(nil), b...)}
	}
	d.err.Count++
}

// DecodeMARC8 converts MARC-8 bytes to UTF-8. Combining marks, which
// MARC-8 puts before their base character, come out after it, as Unicode
// wants; the result is not normalised (see ToUTF8). A byte or escape
// sequence MARC-8 does not define becomes U+FFFD and is reported in a
// *MARC8Error; decoding goes on after it. (MARC 21 Specifications for
// Record Structure, Character Sets and Exchange Media, Part 2 "MARC-8
// Environment" and the code tables of Part 3.)
func DecodeMARC8(src []byte) (string, error) {
	d := newMARC8Decoder()
	out := d.decode(make([]byte, 0, len(src)+len(src)/4), src)
	if d.err != nil {
		return string(out), d.err
	}
	return string(out), nil
}

// decode appends the UTF-8 form of src to dst.
func (d *marc8Decoder) decode(dst, src []byte) []byte {
	var marks [8]rune
	nm := 0
	pending := marks[:0]
	// double is set after a base that carries a double diacritic (U+0361,
	// U+0360): the right half MARC-8 writes before the next base is then
	// dropped, as Unicode's double diacritics have no right half.
	double := false
	emit := func(r rune) {
		dst = utf8.AppendRune(dst, r)
		double = false
		for _, m := range pending {
			dst = utf8.AppendRune(dst, m)
			if m == 0x0361 || m == 0x0360 {
				double = true
			}
		}
		pending = marks[:0]
		nm = 0
	}
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == esc:
			n := d.escape(src[i:])
			if n == 0 {
				d.bad(i, src[i:min(i+3, len(src))])
				emit(utf8.RuneError)
				n = 1
			}
			i += n
			continue
		case c < 0x20 || c == 0x7F:
			emit(rune(c))
			i++
			continue
		case c == 0x20:
			emit(' ')
			i++
			continue
		case c >= 0x80 && c <= 0xA0:
			if r, ok := marc8C1[c]; ok {
				emit(r)
			} else {
				d.bad(i, src[i:i+1])
				emit(utf8.RuneError)
			}
			i++
			continue
		case c == 0xFF:
			d.bad(i, src[i:i+1])
			emit(utf8.RuneError)
			i++
			continue
		}
		set := d.g0
		if c >= 0x80 {
			set = d.g1
		}
		if set == finalEACC {
			if i+3 > len(src) {
				d.bad(i, src[i:])
				emit(utf8.RuneError)
				i = len(src)
				continue
			}
			code := uint32(src[i]&0x7F)<<16 | uint32(src[i+1]&0x7F)<<8 | uint32(src[i+2]&0x7F)
			if r, ok := eaccLookup(code); ok && (src[i+1]&0x80 == c&0x80) && (src[i+2]&0x80 == c&0x80) {
				emit(r)
			} else {
				d.bad(i, src[i:i+3])
				emit(utf8.RuneError)
			}
			i += 3
			continue
		}
		si := marc8Index[set]
		pos := int(c&0x7F) - 0x21
		if si < 0 {
			d.bad(i, src[i:i+1])
			emit(utf8.RuneError)
			i++
			continue
		}
		s := &marc8Sets[si]
		r := s.chars[pos]
		switch {
		case r == 0:
			d.bad(i, src[i:i+1])
			emit(utf8.RuneError)
		case (r == 0xFE21 || r == 0xFE23) && double:
			double = false
		case s.combining[pos] && nm < len(marks):
			pending = append(pending, r)
			nm++
		default:
			emit(r)
		}
		i++
	}
	if len(pending) > 0 {
		// Marks with no base: keep them rather than lose them.
		for _, m := range pending {
			dst = utf8.AppendRune(dst, m)
		}
	}
	return dst
}

// escape applies the escape sequence at the start of b and returns its
// length, or 0 when it is not one MARC-8 defines.
func (d *marc8Decoder) escape(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	switch b[1] {
	case 'g', 'b', 'p':
		d.g0 = b[1]
		return 2
	case 's':
		d.g0 = finalASCII
		return 2
	case '(', ',', ')', '-':
		if len(b) < 3 || !knownSingle(b[2]) {
			return 0
		}
		if b[1] == '(' || b[1] == ',' {
			d.g0 = b[2]
		} else {
			d.g1 = b[2]
		}
		return 3
	case '$':
		if len(b) < 3 {
			return 0
		}
		if b[2] == finalEACC {
			d.g0 = finalEACC
			return 3
		}
		if len(b) < 4 || b[3] != finalEACC {
			return 0
		}
		switch b[2] {
		case '(', ',':
			d.g0 = finalEACC
		case ')', '-':
			d.g1 = finalEACC
		default:
			return 0
		}
		return 4
	}
	return 0
}

func knownSingle(f byte) bool {
	return f < 128 && marc8Index[f] >= 0 && f != 's'
}

func eaccLookup(code uint32) (rune, bool) {
	i := sort.Search(len(eaccTable), func(i int) bool { return uint32(eaccTable[i]>>32) >= code })
	if i < len(eaccTable) && uint32(eaccTable[i]>>32) == code {
		return rune(uint32(eaccTable[i])), true
	}
	return 0, false
}

func quoteBytes(b []byte) string {
	const hex = "0123456789ABCDEF"
	out := make([]byte, 0, 4*len(b))
	for _, c := range b {
		out = append(out, '\\', 'x', hex[c>>4], hex[c&15])
	}
	return string(out)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
