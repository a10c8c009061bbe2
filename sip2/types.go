package sip2

import (
	"strings"
	"time"
)

// Message is one typed SIP2 message: a request from the SC (self-check
// terminal) or a response from the ACS (circulation system). The concrete
// types (Login, Checkout, CheckoutResponse, ...) are generated from
// gen/sip2.txt; see zmessages.go.
type Message interface {
	// Code returns the two-digit message code, such as "11".
	Code() string
	fixedLen() int
	appendTo(*encoder)
	decodeFrom(*decoder)
}

// Field is one variable-length field: a two-character identifier and its
// value (without the '|' delimiter), SIP2 §"Variable length fields".
type Field struct {
	ID    string
	Value string
}

// FieldName returns the spec's name for a field identifier, or "" when the
// identifier is not one of SIP2 2.00's (or the 3M extensions').
func FieldName(id string) string { return fieldInfo[id].name }

// IsSecret reports whether a field carries a password (AC terminal password,
// AD patron PIN, CO login password). Such values are never logged.
func IsSecret(id string) bool { return fieldInfo[id].secret }

// Flag is an optional Y/N variable field such as BL (valid patron): the zero
// value leaves the field out.
type Flag byte

// Flag values.
const (
	Unset Flag = 0
	Yes   Flag = 'Y'
	No    Flag = 'N'
)

// FlagOf returns Yes or No.
func FlagOf(b bool) Flag {
	if b {
		return Yes
	}
	return No
}

// flagOf reads a received flag: Y or N in either case; another value keeps
// its first character (upper case; '?' if not printable ASCII), an empty
// value is Unset.
func flagOf(v string) Flag {
	if v == "" {
		return Unset
	}
	c := v[0]
	switch {
	case c >= 'a' && c <= 'z':
		c -= 'a' - 'A'
	case c <= ' ' || c >= 0x7F || c == '|':
		c = '?'
	}
	return Flag(c)
}

// Count is a fixed-width count such as the hold items count of message 64.
// Unsupported is sent as blanks, which the spec allows for counts the ACS
// does not keep.
type Count int

// Unsupported is the Count sent as blanks.
const Unsupported Count = -1

// PatronStatus is the 14-position patron status of messages 24, 26 and 64:
// each set bit is sent as 'Y' (condition true, privilege denied), each clear
// bit as a blank. SIP2 §"Patron Status Response".
type PatronStatus uint16

// Has reports whether every bit of s2 is set in s.
func (s PatronStatus) Has(s2 PatronStatus) bool { return s&s2 == s2 }

// String returns the status as it is sent: 14 'Y' or ' ' characters.
func (s PatronStatus) String() string {
	var b [14]byte
	for i := range b {
		b[i] = ' '
		if s&(1<<i) != 0 {
			b[i] = 'Y'
		}
	}
	return string(b[:])
}

// AllDenied is the status sent for an unknown patron (Koha and Evergreen send
// Y in the first four positions).
const AllDenied = ChargeDenied | RenewalDenied | RecallDenied | HoldDenied

// SupportedMessages builds the 16-character supported messages field (BX) of
// the ACS status from a predicate on request codes, SIP2 §"ACS Status".
func SupportedMessages(supports func(code string) bool) string {
	var b [16]byte
	for i, c := range supportedOrder {
		b[i] = 'N'
		if supports(c) {
			b[i] = 'Y'
		}
	}
	return string(b[:])
}

// Supports reports whether a supported messages field (BX) says Y for the
// request code.
func Supports(bx, code string) bool {
	for i, c := range supportedOrder {
		if c == code {
			return i < len(bx) && (bx[i] == 'Y' || bx[i] == 'y')
		}
	}
	return false
}

// FormatTimestamp returns t in the 18-character SIP2 form
// YYYYMMDDZZZZHHMMSS, SIP2 §"Fixed length fields": with four blanks as ZZZZ
// in loc (local time), or with "   Z" in UTC when utc is set. The zero time is
// 18 blanks.
func FormatTimestamp(t time.Time, loc *time.Location, utc bool) string {
	if t.IsZero() {
		return strings.Repeat(" ", 18)
	}
	if utc {
		return t.UTC().Format("20060102   Z150405")
	}
	if loc == nil {
		loc = time.Local
	}
	return t.In(loc).Format("20060102    150405")
}

// ParseTimestamp reads an 18-character SIP2 timestamp leniently: ZZZZ may be
// four blanks (local time in loc), "0000" (seen from Sierra; local), "   Z"
// (UTC) or a military zone letter "   A".."   Y". 18 blanks is the zero time
// and ok. Anything else is not ok.
func ParseTimestamp(s string, loc *time.Location) (t time.Time, ok bool) {
	if len(s) != 18 {
		return time.Time{}, false
	}
	if strings.TrimSpace(s) == "" {
		return time.Time{}, true
	}
	if loc == nil {
		loc = time.Local
	}
	zone := s[8:12]
	switch {
	case zone == "    " || zone == "0000":
	case strings.HasPrefix(zone, "   ") && zone[3] >= 'A' && zone[3] <= 'Z' && zone[3] != 'J':
		loc = militaryZone(zone[3])
	default:
		return time.Time{}, false
	}
	t, err := time.ParseInLocation("20060102150405", s[:8]+s[12:], loc)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// militaryZone maps a NATO zone letter to a fixed offset: A..I = +1..+9,
// K..M = +10..+12, N..Y = -1..-12, Z = UTC.
func militaryZone(c byte) *time.Location {
	var h int
	switch {
	case c == 'Z':
		return time.UTC
	case c >= 'A' && c <= 'I':
		h = int(c-'A') + 1
	case c >= 'K' && c <= 'M':
		h = int(c-'K') + 10
	default:
		h = -(int(c-'N') + 1)
	}
	return time.FixedZone(string(c), h*3600)
}
