package patron

import (
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-ldap/ldap/v3"
)

// MaxAttrLen caps a mapped attribute value kept in a Patron; longer values
// are cut at a rune boundary.
const MaxAttrLen = 256

// requested returns the attribute list of the search: only the mapped ones
// ("1.1", no attributes, when none is mapped; RFC 4511 §4.5.1.8).
func (a Attributes) requested() []string {
	var out []string
	for _, n := range []string{a.Name, a.Email, a.Expiry, a.Blocked, a.Type} {
		if n != "" {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return []string{"1.1"}
	}
	return out
}

// patronOf maps entry onto a Patron. An expiry value that cannot be parsed
// makes the card expired (fail closed) and is reported as errBadExpiry.
func (a Attributes) patronOf(barcode string, e *ldap.Entry) (Patron, error) {
	first := func(attr string) string {
		if attr == "" {
			return ""
		}
		return clip(e.GetEqualFoldAttributeValue(attr))
	}
	p := Patron{
		Barcode: barcode,
		Name:    first(a.Name),
		Email:   first(a.Email),
		Type:    first(a.Type),
		Valid:   true,
		dn:      e.DN,
	}
	if a.Blocked != "" {
		for _, v := range e.GetEqualFoldAttributeValues(a.Blocked) {
			if blockedValue(v) {
				p.Blocked = true
			}
		}
	}
	var err error
	if v := first(a.Expiry); v != "" {
		if p.Expiry, err = parseExpiry(v); err != nil {
			p.Expiry = time.Unix(0, 0).UTC()
		}
	}
	return p, err
}

var errBadExpiry = errors.New("patron: unparseable expiry value")

// blockedValue reports whether a value of the blocked attribute blocks the
// patron: any value but false/no/n/0/off (any case, spaces trimmed) or empty.
func blockedValue(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "false", "no", "n", "0", "off":
		return false
	}
	return true
}

// parseExpiry reads an expiry date: GeneralizedTime (RFC 4517 §3.3.13, e.g.
// 20270131235959Z, with optional fraction and offset), a date 2027-01-31 or
// 20270131 (valid through that day, UTC), an RFC 2307 shadowExpire (days
// since 1970, up to 6 digits; the card expires at the start of that day,
// -1 means never), or an Active Directory accountExpires FILETIME (100 ns
// ticks since 1601, more than 8 digits; 0 and 2^63-1 mean never).
func parseExpiry(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	for _, layout := range []string{"2006-01-02", "20060102"} {
		if len(v) == len(layout) {
			if t, err := time.Parse(layout, v); err == nil {
				return t.AddDate(0, 0, 1), nil
			}
		}
	}
	if len(v) >= 11 && (strings.HasSuffix(v, "Z") || strings.ContainsAny(v[10:], "+-")) {
		for _, layout := range []string{"20060102150405Z0700", "20060102150405.999999999Z0700", "200601021504Z0700", "2006010215Z0700"} {
			if t, err := time.Parse(layout, v); err == nil {
				return t.UTC(), nil
			}
		}
		return time.Time{}, errBadExpiry
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		switch {
		case len(v) > 8: // FILETIME
			if n <= 0 || n == 1<<63-1 {
				return time.Time{}, nil
			}
			const ticksTo1970 = 116444736000000000
			return time.Unix((n-ticksTo1970)/1e7, 0).UTC(), nil
		case len(v) <= 6: // shadowExpire
			if n < 0 {
				return time.Time{}, nil
			}
			return time.Unix(n*86400, 0).UTC(), nil
		}
	}
	return time.Time{}, errBadExpiry
}

// clip cuts s to at most MaxAttrLen bytes at a rune boundary.
func clip(s string) string {
	if len(s) <= MaxAttrLen {
		return s
	}
	cut := MaxAttrLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
