package sip2

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"
)

// Charset is the character set of field values on the wire. SIP2 §"Variable
// length fields" leaves it to "a mutually agreed upon character set"; kiosks
// in the field use ASCII, IBM850, ISO-8859-1 or UTF-8 (reference/sip2.md
// §1.9), so it is chosen per terminal. The message structure (codes, fixed
// fields, identifiers, '|') is ASCII in all four.
type Charset int

// The supported character sets. The zero value is ASCII, which the spec
// expects when nothing else was agreed.
const (
	ASCII Charset = iota
	IBM850
	ISO88591
	UTF8
)

var charsetNames = [...]string{"ascii", "ibm850", "iso-8859-1", "utf-8"}

// String returns the charset's configuration name.
func (c Charset) String() string {
	if c < 0 || int(c) >= len(charsetNames) {
		return fmt.Sprintf("Charset(%d)", int(c))
	}
	return charsetNames[c]
}

// ParseCharset accepts the usual spellings of the four character sets
// ("utf-8", "utf8", "ibm850", "cp850", "iso-8859-1", "latin1", "ascii", ...).
func ParseCharset(name string) (Charset, error) {
	switch strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(name, "-", ""), "_", "")) {
	case "ascii", "usascii", "":
		return ASCII, nil
	case "ibm850", "cp850", "850":
		return IBM850, nil
	case "iso88591", "latin1", "l1":
		return ISO88591, nil
	case "utf8":
		return UTF8, nil
	}
	return 0, fmt.Errorf("sip2: unknown charset %q (want ascii, ibm850, iso-8859-1 or utf-8)", name)
}

// decodeValue turns wire bytes into a UTF-8 string. It never fails: bytes a
// charset cannot hold become U+FFFD.
func (c Charset) decodeValue(b []byte) string {
	ascii := true
	for _, x := range b {
		if x >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return string(b)
	}
	switch c {
	case IBM850, ISO88591:
		cm := charmap.CodePage850
		if c == ISO88591 {
			cm = charmap.ISO8859_1
		}
		var sb strings.Builder
		sb.Grow(len(b) + len(b)/2)
		for _, x := range b {
			sb.WriteRune(cm.DecodeByte(x))
		}
		return sb.String()
	default:
		// UTF-8, and ASCII leniently: a kiosk that sends UTF-8 on an ASCII
		// account keeps its accents.
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
}

// appendValue appends s, a UTF-8 string, in charset c. Characters the charset
// cannot hold are replaced: ASCII first drops accents ("é" becomes "e"), then
// anything still outside the set becomes '?'.
func (c Charset) appendValue(dst []byte, s string) []byte {
	switch c {
	case UTF8:
		return append(dst, s...)
	case IBM850, ISO88591:
		cm := charmap.CodePage850
		if c == ISO88591 {
			cm = charmap.ISO8859_1
		}
		for _, r := range s {
			if r < utf8.RuneSelf {
				dst = append(dst, byte(r))
				continue
			}
			if x, ok := cm.EncodeRune(r); ok {
				dst = append(dst, x)
				continue
			}
			dst = append(dst, asciiFold(r)...)
		}
		return dst
	default:
		for _, r := range s {
			if r < utf8.RuneSelf {
				dst = append(dst, byte(r))
				continue
			}
			dst = append(dst, asciiFold(r)...)
		}
		return dst
	}
}

// asciiFold returns r without its accents if that leaves ASCII, else "?".
func asciiFold(r rune) string {
	var out []byte
	for _, d := range norm.NFD.String(string(r)) {
		switch {
		case d < utf8.RuneSelf:
			out = append(out, byte(d))
		case unicode.Is(unicode.Mn, d):
		default:
			return "?"
		}
	}
	if len(out) == 0 {
		return "?"
	}
	return string(out)
}
