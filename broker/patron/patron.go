package patron

import (
	"errors"
	"time"
)

// Sentinel errors of Lookup and Authenticate; test them with errors.Is. Each
// has a screen message for a self-check kiosk (ScreenMessage).
var (
	// ErrUnknownPatron: no directory entry has this barcode (or the barcode
	// could not belong to anyone: empty, too long, control characters).
	// SIP2: BL N.
	ErrUnknownPatron = errors.New("patron: unknown patron")
	// ErrAmbiguous: the search found more than one entry for the barcode.
	// Nobody is authenticated; this is a directory data problem for staff.
	ErrAmbiguous = errors.New("patron: barcode matches more than one directory entry")
	// ErrBadPIN: the PIN is empty, too long or wrong. SIP2: CQ N.
	ErrBadPIN = errors.New("patron: wrong PIN")
	// ErrLocked: too many wrong PINs; the patron is locked for
	// AttemptOptions.LockFor and no PIN is checked meanwhile. The attempt
	// that reaches the limit returns an error that is both ErrBadPIN and
	// ErrLocked.
	ErrLocked = errors.New("patron: locked after too many wrong PINs")
	// ErrUnavailable: the directory (or the attempt-counting store) could not
	// be reached or answered in time, or the breaker is open. Fail closed:
	// the patron is not authenticated.
	ErrUnavailable = errors.New("patron: directory unavailable")
	// ErrExpired and ErrBlocked are returned by Patron.Problem, not by
	// Authenticate: a right PIN is a right PIN (SIP2 CQ Y) even on an
	// expired or blocked account, and the caller decides what the patron
	// may still do (SIP2 patron status, charge privileges denied).
	ErrExpired = errors.New("patron: library card expired")
	ErrBlocked = errors.New("patron: account blocked")
)

// Patron is a directory entry mapped onto what circulation needs.
type Patron struct {
	Barcode string    // as the kiosk sent it
	Name    string    // Attributes.Name, first value
	Email   string    // Attributes.Email, first value
	Expiry  time.Time // Attributes.Expiry; zero when the entry has none
	Blocked bool      // Attributes.Blocked present and not false/no/0/off
	Type    string    // Attributes.Type, first value (patron category)
	// Valid is true when exactly one directory entry has the barcode (SIP2
	// BL Y). Lookup and Authenticate only return a Patron with Valid set.
	Valid bool
	// PINVerified is true when Authenticate checked the PIN (SIP2 CQ Y).
	PINVerified bool

	dn string // the entry's DN: used for the PIN bind, never logged
}

// Expired reports whether the card has expired at now.
func (p Patron) Expired(now time.Time) bool {
	return !p.Expiry.IsZero() && !now.Before(p.Expiry)
}

// Problem returns ErrBlocked or ErrExpired when the patron may not borrow at
// now (blocked is reported first), or nil for a patron in good standing.
func (p Patron) Problem(now time.Time) error {
	switch {
	case p.Blocked:
		return ErrBlocked
	case p.Expired(now):
		return ErrExpired
	}
	return nil
}

// screenMessages are the kiosk texts for each sentinel, most specific first
// (an error that is both ErrLocked and ErrBadPIN shows the lock).
var screenMessages = []struct {
	err error
	msg string
}{
	{ErrUnavailable, "Patron accounts cannot be checked at the moment. Please try again later or ask at the desk."},
	{ErrLocked, "Too many incorrect PINs. Your account is locked for now; please ask at the desk."},
	{ErrBadPIN, "Incorrect PIN. Please try again."},
	{ErrUnknownPatron, "Library card not recognised. Please ask at the desk."},
	{ErrAmbiguous, "This card cannot be used here. Please ask at the desk."},
	{ErrBlocked, "Your account is blocked. Please ask at the desk."},
	{ErrExpired, "Your library card has expired. Please ask at the desk."},
}

// ScreenMessage returns the text a self-check kiosk shows for err (SIP2 AF
// screen message): one sentence, no internal detail, no patron data. It is ""
// for nil and a generic "ask at the desk" for any other error.
func ScreenMessage(err error) string {
	if err == nil {
		return ""
	}
	for _, m := range screenMessages {
		if errors.Is(err, m.err) {
			return m.msg
		}
	}
	return "Your account cannot be checked here. Please ask at the desk."
}
