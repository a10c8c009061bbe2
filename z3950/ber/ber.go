// Package ber frames and decodes BER (ITU-T X.690) with hard limits on depth, length and size, for Z39.50.
//
// A PDU is read from a stream with [ReadFrame], parsed with [Parse] into a flat, bounded tree of
// [Value]s, and encoded with an [Encoder]. Every limit ([Limits]) is checked before the memory it
// guards is allocated; nesting is walked iteratively, never by unbounded recursion.
package ber

import (
	"errors"
	"fmt"
)

// Class is the class of a BER tag (X.690 §8.1.2.2).
type Class uint8

// Tag classes.
const (
	Universal   Class = 0
	Application Class = 1
	Context     Class = 2
	Private     Class = 3
)

// Universal tag numbers used by Z39.50 (X.680 §8.4 table 1).
const (
	TagEOC         = 0
	TagBoolean     = 1
	TagInteger     = 2
	TagBitString   = 3
	TagOctetString = 4
	TagNull        = 5
	TagOID         = 6
	TagExternal    = 8
	TagEnumerated  = 10
	TagSequence    = 16
	TagSet         = 17
	TagGeneralStr  = 27
	TagVisibleStr  = 26
	TagGeneralTime = 24
)

// Tag identifies a BER element: class, form and number (X.690 §8.1.2).
type Tag struct {
	Class       Class
	Constructed bool
	Num         uint32
}

// String prints a tag the way ASN.1 does: [APPLICATION 20], [110], UNIVERSAL 16.
func (t Tag) String() string {
	c := ""
	switch t.Class {
	case Universal:
		return fmt.Sprintf("UNIVERSAL %d", t.Num)
	case Application:
		c = "APPLICATION "
	case Private:
		c = "PRIVATE "
	}
	return fmt.Sprintf("[%s%d]", c, t.Num)
}

// C returns a context-specific tag, primitive form.
func C(n uint32) Tag { return Tag{Class: Context, Num: n} }

// CC returns a context-specific tag, constructed form.
func CC(n uint32) Tag { return Tag{Class: Context, Constructed: true, Num: n} }

// U returns a universal tag, primitive form (constructed for SEQUENCE, SET and EXTERNAL).
func U(n uint32) Tag {
	return Tag{Class: Universal, Num: n, Constructed: n == TagSequence || n == TagSet || n == TagExternal}
}

// Limits bounds what a decoder accepts. A zero field means its default.
type Limits struct {
	// MaxSize is the largest PDU in bytes. 0 means 1 MiB (DefaultClientPDU).
	MaxSize int
	// MaxDepth is the deepest nesting of constructed elements. 0 means 64.
	MaxDepth int
	// MaxElements is the most elements one PDU may hold. 0 means MaxSize/2 (every element
	// takes at least two bytes), capped at 1<<20.
	MaxElements int
}

// Default limits. Z39.50 servers read client PDUs with DefaultClientPDU; clients read target PDUs
// (which carry records) with DefaultTargetPDU.
const (
	DefaultClientPDU = 1 << 20
	DefaultTargetPDU = 16 << 20
	DefaultMaxDepth  = 64
	// MaxTagNum is the largest tag number accepted: three base-128 octets. Z39.50-2003 uses
	// tags below 5000; anything wider is an oversized tag.
	MaxTagNum = 1<<21 - 1
)

func (l Limits) norm() Limits {
	if l.MaxSize <= 0 {
		l.MaxSize = DefaultClientPDU
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxElements <= 0 {
		l.MaxElements = min(l.MaxSize/2+1, 1<<20)
	}
	return l
}

// Errors returned by the decoder; each is wrapped in a *SyntaxError carrying the offset.
var (
	ErrTooLarge        = errors.New("ber: PDU exceeds size limit")
	ErrTooDeep         = errors.New("ber: nesting exceeds depth limit")
	ErrTooManyElements = errors.New("ber: element count exceeds limit")
	ErrTagTooLarge     = errors.New("ber: tag number too large")
	ErrLength          = errors.New("ber: bad length")
	ErrTruncated       = errors.New("ber: truncated element")
	ErrMalformed       = errors.New("ber: malformed encoding")
)

// SyntaxError reports where in a PDU decoding stopped.
type SyntaxError struct {
	Offset int
	Err    error
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%v at offset %d", e.Err, e.Offset) }

// Unwrap returns the sentinel error.
func (e *SyntaxError) Unwrap() error { return e.Err }

func errAt(off int, err error) error { return &SyntaxError{Offset: off, Err: err} }

// lengthIndefinite marks the indefinite form (X.690 §8.1.3.6).
const lengthIndefinite = -1

// parseHeader reads the identifier and length octets at b[0:]. It returns the tag, the content
// length (lengthIndefinite for the indefinite form) and the header size. It needs no allocation.
// need > 0 means b is too short and at least need bytes are required to go on.
func parseHeader(b []byte) (t Tag, length int, hdr int, need int, err error) {
	if len(b) < 2 {
		return t, 0, 0, 2, nil
	}
	id := b[0]
	t.Class = Class(id >> 6)
	t.Constructed = id&0x20 != 0
	n := uint32(id & 0x1f)
	i := 1
	if n == 0x1f {
		n = 0
		for {
			if i >= len(b) {
				return t, 0, 0, i + 2, nil
			}
			c := b[i]
			i++
			if n == 0 && c == 0x80 {
				return t, 0, 0, 0, ErrMalformed // X.690 §8.1.2.4.2 c: no leading 0x80
			}
			n = n<<7 | uint32(c&0x7f)
			if n > MaxTagNum {
				return t, 0, 0, 0, ErrTagTooLarge
			}
			if c&0x80 == 0 {
				break
			}
		}
	}
	t.Num = n
	if i >= len(b) {
		return t, 0, 0, i + 1, nil
	}
	l := b[i]
	i++
	switch {
	case l < 0x80:
		return t, int(l), i, 0, nil
	case l == 0x80:
		if !t.Constructed {
			return t, 0, 0, 0, ErrLength // X.690 §8.1.3.2 a: primitive must be definite
		}
		return t, lengthIndefinite, i, 0, nil
	case l == 0xff:
		return t, 0, 0, 0, ErrLength
	}
	k := int(l & 0x7f)
	if k > 4 {
		return t, 0, 0, 0, ErrLength // more than 2^32-1 bytes is never a Z39.50 PDU
	}
	if len(b) < i+k {
		return t, 0, 0, i + k, nil
	}
	v := 0
	for _, c := range b[i : i+k] {
		v = v<<8 | int(c)
	}
	return t, v, i + k, 0, nil
}
