package patron

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/go-ldap/ldap/v3"
)

// filterTemplate is a validated search filter template: an RFC 4515 filter
// with one %s where the escaped barcode goes.
type filterTemplate struct {
	before, after string
}

// newFilterTemplate checks that tmpl holds %s exactly once, no other %
// verb, and compiles (with a sample value) as an RFC 4515 filter in which
// the placeholder is the whole value of an equality match.
func newFilterTemplate(tmpl string) (filterTemplate, error) {
	if strings.Count(tmpl, "%s") != 1 {
		return filterTemplate{}, errors.New("patron: the filter must hold %s exactly once, where the barcode goes")
	}
	before, after, _ := strings.Cut(tmpl, "%s")
	if strings.Contains(before+after, "%") {
		return filterTemplate{}, errors.New("patron: the filter may hold no % other than the one %s")
	}
	if !strings.HasSuffix(before, "=") || strings.HasSuffix(before, "~=") ||
		strings.HasSuffix(before, ">=") || strings.HasSuffix(before, "<=") ||
		!strings.HasPrefix(after, ")") {
		return filterTemplate{}, errors.New("patron: %s must be the whole value of an equality match, as in (uid=%s)")
	}
	f := filterTemplate{before: before, after: after}
	if _, err := ldap.CompileFilter(f.build("sample")); err != nil {
		return filterTemplate{}, errors.New("patron: the filter does not parse as an RFC 4515 filter")
	}
	return f, nil
}

// build returns the filter for barcode, escaped with ldap.EscapeFilter so
// that no byte of it can end the value or add a filter component (RFC 4515
// §3: '*', '(', ')', '\' and NUL are escaped as \XX).
func (f filterTemplate) build(barcode string) string {
	return f.before + ldap.EscapeFilter(barcode) + f.after
}

// plausibleBarcode reports whether b could be anyone's barcode: non-empty,
// at most MaxBarcodeLen bytes, valid UTF-8 without control characters.
// Anything else is refused before the directory is asked.
func plausibleBarcode(b string) bool {
	if b == "" || len(b) > MaxBarcodeLen || !utf8.ValidString(b) {
		return false
	}
	for _, r := range b {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return false
		}
	}
	return true
}
