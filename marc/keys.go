package marc

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Keys are the match keys of a record: its normalised identifiers and a
// title/author/date key for records without them.
type Keys struct {
	ISBN  []string // ISBN-13, check digit verified (020 $a; ISBN-10 converted)
	ISSN  []string // NNNN-NNNC, check digit verified (022 $a)
	LCCN  string   // normalised per LC (010 $a)
	OCLC  []string // OCLC numbers without prefix or leading zeros (035 $a, 001 with 003 OCoLC)
	Title string   // "title/author/date", lower case, no diacritics or punctuation
}

// MatchKeys computes rec's match keys. Identifiers whose check digit
// fails are left out: a mistyped ISBN must not merge two records.
func MatchKeys(rec *Record) Keys {
	var k Keys
	for _, s := range rec.ISBNs() {
		if n, ok := NormalizeISBN(s); ok && !contains(k.ISBN, n) {
			k.ISBN = append(k.ISBN, n)
		}
	}
	for _, s := range rec.ISSNs() {
		if n, ok := NormalizeISSN(s); ok && !contains(k.ISSN, n) {
			k.ISSN = append(k.ISSN, n)
		}
	}
	if l := NormalizeLCCN(rec.LCCN()); validLCCN(l) {
		k.LCCN = l
	}
	for _, s := range rec.SystemNumbers() {
		if n, ok := normalizeOCLC(s, true); ok && !contains(k.OCLC, n) {
			k.OCLC = append(k.OCLC, n)
		}
	}
	if id := rec.ControlValue("001"); id != "" {
		org := strings.TrimSpace(rec.ControlValue("003"))
		if n, ok := normalizeOCLC(id, strings.EqualFold(org, "OCoLC")); ok && !contains(k.OCLC, n) {
			k.OCLC = append(k.OCLC, n)
		}
	}
	if t := normalizeText(filingTitle(rec)); t != "" {
		author := normalizeText(rec.MainEntry())
		if i := strings.IndexByte(author, ' '); i > 0 {
			author = author[:i] // the surname, or the first word of a body's name
		}
		k.Title = t + "/" + author + "/" + rec.Date()
	}
	return k
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Strings returns the keys as prefixed strings ("isbn:9780...", "issn:",
// "lccn:", "oclc:", "title:"), identifiers first.
func (k Keys) Strings() []string {
	var out []string
	for _, s := range k.ISBN {
		out = append(out, "isbn:"+s)
	}
	for _, s := range k.ISSN {
		out = append(out, "issn:"+s)
	}
	if k.LCCN != "" {
		out = append(out, "lccn:"+k.LCCN)
	}
	for _, s := range k.OCLC {
		out = append(out, "oclc:"+s)
	}
	if k.Title != "" {
		out = append(out, "title:"+k.Title)
	}
	return out
}

// SameRecord reports whether two records are the same bibliographic
// record. Different LCCNs or OCLC numbers say they are not, whatever else
// matches; a shared identifier says they are; different ISBNs or ISSNs
// (and none shared) say they are not; otherwise the title/author/date keys
// decide.
func SameRecord(a, b Keys) bool {
	if a.LCCN != "" && b.LCCN != "" && a.LCCN != b.LCCN {
		return false
	}
	if len(a.OCLC) > 0 && len(b.OCLC) > 0 && !intersects(a.OCLC, b.OCLC) {
		return false
	}
	if (a.LCCN != "" && a.LCCN == b.LCCN) || intersects(a.OCLC, b.OCLC) ||
		intersects(a.ISBN, b.ISBN) || intersects(a.ISSN, b.ISSN) {
		return true
	}
	if (len(a.ISBN) > 0 && len(b.ISBN) > 0) || (len(a.ISSN) > 0 && len(b.ISSN) > 0) {
		return false
	}
	return a.Title != "" && a.Title == b.Title
}

func intersects(a, b []string) bool {
	for _, x := range a {
		if contains(b, x) {
			return true
		}
	}
	return false
}

// NormalizeISBN returns the ISBN-13 form of an ISBN as catalogued
// ("0-8391-0882-6 (pbk.)"): hyphens, blanks and qualifiers stripped, an
// ISBN-10 converted, and the check digit verified (ISO 2108:2017 §6, §7).
func NormalizeISBN(s string) (string, bool) {
	var d []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			d = append(d, c)
		case (c == 'X' || c == 'x') && len(d) == 9:
			d = append(d, 'X')
		case c == '-' || c == ' ' && len(d) > 0 && len(d) != 10 && len(d) < 13 && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
		case len(d) == 0 && (c == ' ' || c == ':' || c == '('):
		default:
			goto done
		}
		if len(d) > 13 {
			return "", false
		}
	}
done:
	switch len(d) {
	case 10:
		sum := 0
		for i := 0; i < 10; i++ {
			v := int(d[i] - '0')
			if d[i] == 'X' {
				v = 10
			}
			sum += v * (10 - i)
		}
		if sum%11 != 0 {
			return "", false
		}
		isbn13 := append([]byte("978"), d[:9]...)
		return string(append(isbn13, isbn13Check(isbn13))), true
	case 13:
		if d[12] == 'X' || isbn13Check(d[:12]) != d[12] || (string(d[:3]) != "978" && string(d[:3]) != "979") {
			return "", false
		}
		return string(d), true
	}
	return "", false
}

func isbn13Check(d []byte) byte {
	sum := 0
	for i, c := range d[:12] {
		w := 1
		if i%2 == 1 {
			w = 3
		}
		sum += int(c-'0') * w
	}
	return byte('0' + (10-sum%10)%10)
}

// NormalizeISSN returns an ISSN as NNNN-NNNC after verifying its check
// digit (ISO 3297:2022 §4).
func NormalizeISSN(s string) (string, bool) {
	var d []byte
	for i := 0; i < len(s) && len(d) < 8; i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			d = append(d, c)
		case (c == 'X' || c == 'x') && len(d) == 7:
			d = append(d, 'X')
		case c == '-' || c == ' ':
		default:
			return "", false
		}
	}
	if len(d) != 8 {
		return "", false
	}
	sum := 0
	for i := 0; i < 7; i++ {
		sum += int(d[i]-'0') * (8 - i)
	}
	check := (11 - sum%11) % 11
	want := byte('0' + check)
	if check == 10 {
		want = 'X'
	}
	if d[7] != want {
		return "", false
	}
	return string(d[:4]) + "-" + string(d[4:]), true
}

// NormalizeLCCN applies the Library of Congress's LCCN normalisation
// (https://www.loc.gov/marc/lccn-namespace.html, "Normalization"): remove
// blanks; drop a slash and what follows; drop a hyphen and left-pad the
// digits after it with zeros to six.
func NormalizeLCCN(s string) string {
	s = strings.ReplaceAll(s, " ", "")
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s = s[:i]
	}
	if i := strings.IndexByte(s, '-'); i >= 0 {
		right := s[i+1:]
		if _, ok := atoiDigits([]byte(right)); ok && len(right) < 6 {
			right = strings.Repeat("0", 6-len(right)) + right
		}
		s = s[:i] + right
	}
	return s
}

// validLCCN reports whether a normalised LCCN has LC's structure: an
// alphabetic prefix of up to three letters, then 8 or 10 digits (year and
// serial number). Other formats put other data in 010 (danMARC: the
// agency), which must not become a match key.
func validLCCN(s string) bool {
	i := 0
	for i < len(s) && i < 3 && s[i] >= 'a' && s[i] <= 'z' {
		i++
	}
	digits := s[i:]
	_, ok := atoiDigits([]byte(digits))
	return ok && (len(digits) == 8 || len(digits) == 10)
}

// normalizeOCLC extracts an OCLC number from "(OCoLC)ocm00012345" and its
// variants (ocm, ocn, on prefixes; leading zeros dropped). Without the
// (OCoLC) prefix a number counts only with an ocm/ocn/on prefix, unless
// bare says the caller knows it is OCLC's.
func normalizeOCLC(s string, bare bool) (string, bool) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "(OCoLC)") {
		s = strings.TrimSpace(s[len("(OCoLC)"):])
		bare = true
	} else if strings.HasPrefix(s, "(") {
		return "", false
	}
	prefixed := false
	for _, p := range []string{"ocm", "ocn", "on"} {
		if strings.HasPrefix(s, p) {
			s, prefixed = s[len(p):], true
			break
		}
	}
	if !prefixed && !bare {
		return "", false
	}
	s = strings.TrimSpace(s)
	if _, ok := atoiDigits([]byte(s)); !ok {
		return "", false
	}
	s = strings.TrimLeft(s, "0")
	return s, s != ""
}

// normalizeText lower-cases s, strips diacritics and punctuation, and
// collapses blanks, for title and author keys.
func normalizeText(s string) string {
	var b strings.Builder
	space := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(unicode.ToLower(r))
		case r == '\'' || r == '’':
			// Elisions: "l'étranger" keys as "letranger".
		default:
			space = true
		}
	}
	return b.String()
}

// filingTitle is the title without its nonfiling characters (245 second
// indicator: "The " has four).
func filingTitle(rec *Record) string {
	t := rec.Title()
	if f := rec.Field("245"); f != nil && f.Ind2 >= '1' && f.Ind2 <= '9' {
		n := int(f.Ind2 - '0')
		for i := range t {
			if n == 0 {
				return t[i:]
			}
			n--
		}
		return ""
	}
	return t
}
