package sip2

import (
	"bytes"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// DefaultMaxMessage is the largest message, in bytes without the terminator,
// that a Codec, Reader, Server or Client accepts unless told otherwise.
const DefaultMaxMessage = 4096

// DefaultMaxFields is the most variable fields a Codec decodes in one message
// unless told otherwise.
const DefaultMaxFields = 512

// maxValue is the longest variable field value sent, SIP2 §"Variable length
// fields" (0-255 characters).
const maxValue = 255

// Codec turns typed messages into wire bytes and back. The zero value is
// ready: ASCII, local time, 4 KiB and 512-field limits. A Codec holds no
// state between messages and may be shared.
type Codec struct {
	// Charset of field values on the wire. Zero is ASCII.
	Charset Charset
	// Location is the time zone of timestamps sent or received with a blank
	// zone ("    "). Nil means time.Local.
	Location *time.Location
	// UTC makes Encode send timestamps in UTC with the zone "   Z".
	UTC bool
	// MaxMessage is the largest message Decode accepts, in bytes without
	// the terminator. 0 means DefaultMaxMessage.
	MaxMessage int
	// MaxFields is the most variable fields Decode accepts in one message.
	// 0 means DefaultMaxFields.
	MaxFields int
	// Now returns the time sent in zero "now" timestamps (transaction
	// dates). Nil means time.Now.
	Now func() time.Time
}

// Packet is a decoded message with its error-detection trailer.
type Packet struct {
	Message Message
	// Seq is the sequence number (AY, 0-9), or -1 when the message had none.
	Seq int
	// Checked reports that the message carried a checksum (AZ) and that it
	// verified.
	Checked bool
}

// NoSeq, given to Encode, sends a message without error detection.
const NoSeq = -1

// Encode returns the wire form of m without the terminator. With seq >= 0
// error detection is on: the message ends with AY<seq mod 10>AZ<checksum>,
// or only AZ<checksum> for 96 and 97, which carry no sequence number
// (SIP2 §"Error Detection"). The checksum is over the encoded bytes.
func (c Codec) Encode(m Message, seq int) []byte {
	return c.AppendEncode(nil, m, seq)
}

// AppendEncode is Encode appending to dst.
func (c Codec) AppendEncode(dst []byte, m Message, seq int) []byte {
	start := len(dst)
	e := encoder{c: &c, buf: append(dst, m.Code()...)}
	m.appendTo(&e)
	if seq < 0 {
		return e.buf
	}
	if code := m.Code(); code != CodeRequestACSResend && code != CodeRequestSCResend {
		e.buf = append(e.buf, 'A', 'Y', byte('0'+seq%10))
	}
	e.buf = append(e.buf, 'A', 'Z')
	return append(e.buf[:start], appendChecksum(e.buf[start:])...)
}

// Decode reads one message, b, as the Reader returns it (no terminator, no
// leading LF). A trailing AZ checksum is verified over the received bytes
// and a sequence number before it is returned in the Packet. Errors wrap
// ErrTooLarge, ErrChecksum, ErrUnknownMessage or ErrSyntax; variable fields
// may come in any order, repeatable ones are kept in order and unknown ones
// land in the message's Extra.
func (c Codec) Decode(b []byte) (Packet, error) {
	p := Packet{Seq: -1}
	if len(b) > c.maxMessage() {
		return p, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(b), c.maxMessage())
	}
	body := b
	if n := len(b); n >= 6 && b[n-6] == 'A' && b[n-5] == 'Z' {
		if want, ok := parseHex4(b[n-4:]); ok {
			if got := Checksum(b[:n-4]); got != want {
				return p, fmt.Errorf("%w: message says %04X, bytes give %04X", ErrChecksum, want, got)
			}
			p.Checked = true
			body = b[:n-6]
			if k := len(body); k >= 5 && body[k-3] == 'A' && body[k-2] == 'Y' && body[k-1] >= '0' && body[k-1] <= '9' {
				p.Seq = int(body[k-1] - '0')
				body = body[:k-3]
			}
		}
	}
	if len(body) < 2 {
		return p, fmt.Errorf("%w: no message code", ErrSyntax)
	}
	code := string(body[:2])
	m := newMessage(code)
	if m == nil {
		return p, fmt.Errorf("%w %q", ErrUnknownMessage, code)
	}
	rest := body[2:]
	fl := m.fixedLen()
	if fl == 18 && len(rest) >= 21 && languagePrefixed(rest, c.Location) {
		// Koha's sip_cli_emulator puts a 3-digit language before the
		// date of messages whose fixed part is only a date (17).
		rest = rest[3:]
	}
	if len(rest) < fl {
		return p, fmt.Errorf("%w: message %s needs %d bytes of fixed fields, has %d", ErrSyntax, code, fl, len(rest))
	}
	fields, err := c.splitFields(rest[fl:])
	if err != nil {
		return p, err
	}
	d := decoder{fixed: rest[:fl], fields: fields, loc: c.Location}
	m.decodeFrom(&d)
	p.Message = m
	return p, nil
}

// languagePrefixed reports whether rest starts with three digits and a
// timestamp after them, where a timestamp was expected at the start.
func languagePrefixed(rest []byte, loc *time.Location) bool {
	if _, ok := ParseTimestamp(string(rest[:18]), loc); ok {
		return false
	}
	for _, c := range rest[:3] {
		if c < '0' || c > '9' {
			return false
		}
	}
	t, ok := ParseTimestamp(string(rest[3:21]), loc)
	return ok && !t.IsZero()
}

// splitFields cuts the variable part of a message into fields. Empty pieces
// (a trailing "|||", a doubled '|') are dropped; a last field without its
// '|' is kept.
func (c Codec) splitFields(b []byte) ([]Field, error) {
	n := bytes.Count(b, []byte{'|'}) + 1
	if n > c.maxFields() {
		return nil, fmt.Errorf("%w: %d fields, limit %d", ErrSyntax, n, c.maxFields())
	}
	fields := make([]Field, 0, n)
	for len(b) > 0 {
		seg := b
		if i := bytes.IndexByte(b, '|'); i >= 0 {
			seg, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if len(bytes.TrimSpace(seg)) == 0 {
			continue
		}
		if len(seg) < 2 {
			fields = append(fields, Field{ID: string(seg)})
			continue
		}
		fields = append(fields, Field{ID: string(seg[:2]), Value: c.Charset.decodeValue(seg[2:])})
	}
	return fields, nil
}

func (c Codec) maxMessage() int {
	if c.MaxMessage > 0 {
		return c.MaxMessage
	}
	return DefaultMaxMessage
}

func (c Codec) maxFields() int {
	if c.MaxFields > 0 {
		return c.MaxFields
	}
	return DefaultMaxFields
}

func (c Codec) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// encoder appends a message's fields; generated appendTo methods call it.
type encoder struct {
	c   *Codec
	buf []byte
}

func (e *encoder) yn(v bool) {
	if v {
		e.buf = append(e.buf, 'Y')
	} else {
		e.buf = append(e.buf, 'N')
	}
}

func (e *encoder) ok(v bool) {
	if v {
		e.buf = append(e.buf, '1')
	} else {
		e.buf = append(e.buf, '0')
	}
}

func (e *encoder) char(v, def byte) {
	if v < ' ' || v >= utf8.RuneSelf || v == '|' {
		v = def
	}
	e.buf = append(e.buf, v)
}

// str appends a fixed-width ASCII field, blank-padded or cut to n.
func (e *encoder) str(v string, n int, def string) {
	if strings.TrimSpace(fixedASCII(v)) == "" {
		v = def
	}
	v = fixedASCII(v)
	for i := 0; i < n; i++ {
		c := byte(' ')
		if i < len(v) {
			c = v[i]
		}
		e.buf = append(e.buf, c)
	}
}

// fixedASCII replaces bytes a fixed field cannot carry (non-ASCII, control,
// '|') with blanks.
func fixedASCII(v string) string {
	b := []byte(v)
	for i, c := range b {
		if c < ' ' || c >= utf8.RuneSelf || c == '|' {
			b[i] = ' '
		}
	}
	return string(b)
}

func (e *encoder) count(v Count, n int) {
	if v < 0 {
		e.buf = append(e.buf, strings.Repeat(" ", n)...)
		return
	}
	s := fmt.Sprintf("%0*d", n, int(v))
	if len(s) > n {
		s = strings.Repeat("9", n)
	}
	e.buf = append(e.buf, s...)
}

func (e *encoder) date(t time.Time, now bool) {
	if t.IsZero() && now {
		t = e.c.now()
	}
	e.buf = append(e.buf, FormatTimestamp(t, e.c.Location, e.c.UTC)...)
}

func (e *encoder) status(s PatronStatus) { e.buf = append(e.buf, s.String()...) }

// field appends ID, value and '|'; an optional empty field is left out. The
// value is cut to 255 characters and '|', CR, LF and NUL are replaced.
func (e *encoder) field(id, v string, req bool) {
	if v == "" && !req {
		return
	}
	e.buf = append(e.buf, id...)
	e.buf = e.c.Charset.appendValue(e.buf, clean(v))
	e.buf = append(e.buf, '|')
}

func (e *encoder) list(id string, vs []string) {
	for _, v := range vs {
		e.field(id, v, true)
	}
}

func (e *encoder) flag(id string, f Flag) {
	if f != Unset {
		e.field(id, string(rune(f)), true)
	}
}

func (e *encoder) extra(fs []Field) {
	for _, f := range fs {
		if len(f.ID) == 2 {
			e.field(f.ID, f.Value, true)
		}
	}
}

// clean makes a value safe to send: at most 255 characters, no delimiter,
// terminator or NUL.
func clean(v string) string {
	if strings.ContainsAny(v, "|\r\n\x00") {
		v = strings.Map(func(r rune) rune {
			switch r {
			case '|', '\r', '\n':
				return ' '
			case 0:
				return -1
			}
			return r
		}, v)
	}
	if utf8.RuneCountInString(v) > maxValue {
		n := 0
		for i := range v {
			if n == maxValue {
				return v[:i]
			}
			n++
		}
	}
	return v
}

// decoder reads a message's fixed fields in order; generated decodeFrom
// methods call it. Decode has checked that fixed is exactly the message's
// fixed length, so no read goes out of range.
type decoder struct {
	fixed  []byte
	pos    int
	fields []Field
	loc    *time.Location
}

func (d *decoder) take(n int) []byte {
	b := d.fixed[d.pos : d.pos+n]
	d.pos += n
	return b
}

func (d *decoder) yn() bool   { c := d.take(1)[0]; return c == 'Y' || c == 'y' }
func (d *decoder) ok() bool   { c := d.take(1)[0]; return c == '1' || c == 'Y' || c == 'y' }
func (d *decoder) char() byte { return d.take(1)[0] }

func (d *decoder) str(n int) string { return strings.TrimRight(fixedASCII(string(d.take(n))), " ") }

func (d *decoder) count(n int) Count {
	b := d.take(n)
	v := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return Unsupported
		}
		v = v*10 + int(c-'0')
	}
	return Count(v)
}

func (d *decoder) date() time.Time {
	t, _ := ParseTimestamp(string(d.take(18)), d.loc)
	return t
}

func (d *decoder) status() PatronStatus {
	var s PatronStatus
	for i, c := range d.take(14) {
		if c == 'Y' || c == 'y' {
			s |= 1 << i
		}
	}
	return s
}

// first reports whether bit i is not yet set in *seen, and sets it: the
// first occurrence of a non-repeatable field wins.
func first(seen *uint64, i int) bool {
	if *seen&(1<<i) != 0 {
		return false
	}
	*seen |= 1 << i
	return true
}
