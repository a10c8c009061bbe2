package ill

import (
	"errors"
	"strings"
)

// Loan ids. An id is IDLen characters of IDAlphabet, five bits each, taken
// from IDBytes random bytes that the caller supplies (the broker reads them
// from crypto/rand), so this package stays free of I/O and ids are
// reproducible in tests.
const (
	// IDAlphabet is digits and capitals without 0, 1, I and O, which kiosk
	// staff misread; every character is URL-safe and survives a SIP2 field.
	IDAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
	// IDBytes is how many random bytes ShortID needs: 40 bits.
	IDBytes = 5
	// IDLen is the length of a loan id.
	IDLen = 8
	// TemporaryItemPrefix starts every temporary ILL item barcode (DESIGN.md
	// "The broker").
	TemporaryItemPrefix = "ILL"
)

// ErrShortRandom is returned by ShortID when given fewer than IDBytes bytes.
var ErrShortRandom = errors.New("ill: short id needs 5 random bytes")

// ShortID derives a loan id from the first IDBytes bytes of random: their 40
// bits, five at a time, most significant first, each picking one
// character of IDAlphabet. Equal bytes give equal ids; every id is reached
// by exactly one input, so there is no bias.
func ShortID(random []byte) (string, error) {
	if len(random) < IDBytes {
		return "", ErrShortRandom
	}
	var v uint64
	for _, b := range random[:IDBytes] {
		v = v<<8 | uint64(b)
	}
	var out [IDLen]byte
	for i := IDLen - 1; i >= 0; i-- {
		out[i] = IDAlphabet[v&31]
		v >>= 5
	}
	return string(out[:]), nil
}

// ValidID reports whether s has the form of a loan id.
func ValidID(s string) bool {
	if len(s) != IDLen {
		return false
	}
	for i := range len(s) {
		if strings.IndexByte(IDAlphabet, s[i]) < 0 {
			return false
		}
	}
	return true
}

// TemporaryBarcode is the barcode of the temporary item the requester's ILS
// creates on AcceptItem: "ILL" followed by the loan id.
func TemporaryBarcode(id string) string { return TemporaryItemPrefix + id }

// LoanIDFromBarcode returns the loan id of a temporary ILL item barcode, or
// false when the barcode is not one (a kiosk checkout of an ordinary item).
// Letters are compared in upper case, as scanners and kiosks may send either.
func LoanIDFromBarcode(barcode string) (string, bool) {
	if len(barcode) != len(TemporaryItemPrefix)+IDLen {
		return "", false
	}
	b := strings.ToUpper(barcode)
	id, ok := strings.CutPrefix(b, TemporaryItemPrefix)
	if !ok || !ValidID(id) {
		return "", false
	}
	return id, true
}
