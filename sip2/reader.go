package sip2

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// maxDiscard is how many bytes of an over-long message a Reader skips,
// looking for its terminator, before it gives up on the stream.
const maxDiscard = 1 << 20

// ErrStreamBroken: an over-long message ran past maxDiscard without a
// terminator; the stream cannot be resynchronised and should be closed.
var ErrStreamBroken = errors.New("sip2: no terminator within 1 MiB, closing")

// Reader cuts a byte stream into SIP2 messages. The terminator is CR
// (SIP2 §"Message format"); LF alone also ends a message, the LF of a CRLF
// and stray leading LFs are dropped, as are leading control bytes and telnet
// negotiation (IAC) sequences some kiosks send in telnet mode. A message
// longer than the limit is never buffered whole: the Reader skips to its
// terminator and returns an error wrapping ErrTooLarge, so the caller may
// answer 96 and read on.
type Reader struct {
	br   *bufio.Reader
	max  int
	buf  []byte
	term string
}

// NewReader returns a Reader of r refusing messages over max bytes (0 means
// DefaultMaxMessage).
func NewReader(r io.Reader, max int) *Reader {
	if max <= 0 {
		max = DefaultMaxMessage
	}
	return &Reader{br: bufio.NewReaderSize(r, 512), max: max}
}

// ReadMessage returns the next message without its terminator. The slice is
// valid until the next call. An empty message (a bare CR) is returned as an
// empty slice, for the caller to answer. At end of stream a partial message
// without terminator is dropped and io.EOF returned.
func (r *Reader) ReadMessage() ([]byte, error) {
	r.buf = r.buf[:0]
	if err := r.skipLeading(); err != nil {
		return nil, err
	}
	for {
		c, err := r.br.ReadByte()
		if err != nil {
			if err == io.EOF && len(r.buf) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		if c == '\r' || c == '\n' {
			r.term = string(c)
			if c == '\r' && r.br.Buffered() > 0 {
				if b, _ := r.br.Peek(1); b[0] == '\n' {
					r.br.ReadByte()
					r.term = "\r\n"
				}
			}
			return r.buf, nil
		}
		if len(r.buf) == r.max {
			return nil, r.discard()
		}
		r.buf = append(r.buf, c)
	}
}

// skipLeading drops LF, control bytes other than CR and telnet IAC
// sequences before a message.
func (r *Reader) skipLeading() error {
	for {
		b, err := r.br.Peek(1)
		if err != nil {
			return err
		}
		switch c := b[0]; {
		case c == 0xFF: // telnet IAC
			if err := r.skipIAC(); err != nil {
				return err
			}
		case c < ' ' && c != '\r':
			r.br.ReadByte()
		default:
			return nil
		}
	}
}

// skipIAC drops one telnet command: IAC WILL/WONT/DO/DONT opt, IAC SB ... IAC
// SE, or IAC and one byte.
func (r *Reader) skipIAC() error {
	r.br.ReadByte() // IAC
	cmd, err := r.br.ReadByte()
	if err != nil {
		return err
	}
	switch {
	case cmd >= 0xFB && cmd <= 0xFE:
		_, err = r.br.ReadByte()
	case cmd == 0xFA: // SB: skip to IAC SE, bounded
		for n, prev := 0, byte(0); n < r.max; n++ {
			c, err := r.br.ReadByte()
			if err != nil {
				return err
			}
			if prev == 0xFF && c == 0xF0 {
				return nil
			}
			prev = c
		}
	}
	return err
}

// Terminator returns how the last message ReadMessage returned ended: "\r",
// "\n" or "\r\n" (when the LF had arrived with the CR).
func (r *Reader) Terminator() string { return r.term }

// discard skips the rest of an over-long message up to its terminator.
func (r *Reader) discard() error {
	for n := 0; n < maxDiscard; n++ {
		c, err := r.br.ReadByte()
		if err != nil {
			return err
		}
		if c == '\r' || c == '\n' {
			return fmt.Errorf("%w: over %d bytes", ErrTooLarge, r.max)
		}
	}
	return ErrStreamBroken
}
