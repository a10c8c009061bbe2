package sip2

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func readAll(t *testing.T, in string, max int) (msgs []string, errs []error) {
	t.Helper()
	r := NewReader(strings.NewReader(in), max)
	for {
		b, err := r.ReadMessage()
		if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, ErrStreamBroken) {
			errs = append(errs, err)
			return msgs, errs
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		msgs = append(msgs, string(b))
	}
}

func TestReaderFraming(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"CR", "9900302.00\r941\r", []string{"9900302.00", "941"}},
		{"CRLF", "9900302.00\r\n941\r\n", []string{"9900302.00", "941"}},
		{"leading LF", "\n9900302.00\r\n\n941\r", []string{"9900302.00", "941"}},
		{"LF only", "9900302.00\n941\n", []string{"9900302.00", "941"}},
		{"empty line", "\r9900302.00\r", []string{"", "9900302.00"}},
		{"telnet IAC", "\xff\xfb\x01\xff\xfd\x03\xff\xfa\x18\x01\xff\xf09900302.00\r", []string{"9900302.00"}},
		{"control bytes", "\x00\x01 9900302.00\r", []string{" 9900302.00"}},
	} {
		got, errs := readAll(t, tc.in, 0)
		if strings.Join(got, "/") != strings.Join(tc.want, "/") || len(errs) != 1 || errs[0] != io.EOF {
			t.Errorf("%s: got %q %v, want %q", tc.name, got, errs, tc.want)
		}
	}
	// A message cut off by end of stream is not returned.
	got, errs := readAll(t, "941\r9900302", 0)
	if len(got) != 1 || !errors.Is(errs[0], io.ErrUnexpectedEOF) {
		t.Errorf("missing CR: %q %v", got, errs)
	}
}

// endless yields an unending message with no terminator and counts bytes.
type endless struct{ n int }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'A'
	}
	e.n += len(p)
	return len(p), nil
}

// TestReaderRefusesLarge: an over-long message is skipped without being
// buffered; the next message is read; a stream with no terminator at all is
// given up after maxDiscard bytes.
func TestReaderRefusesLarge(t *testing.T) {
	in := strings.Repeat("B", 10000) + "\r9900302.00\r"
	got, errs := readAll(t, in, 4096)
	if len(got) != 1 || got[0] != "9900302.00" || len(errs) != 2 || !errors.Is(errs[0], ErrTooLarge) {
		t.Errorf("got %q %v", got, errs)
	}
	src := &endless{}
	r := NewReader(src, 4096)
	_, err := r.ReadMessage()
	if !errors.Is(err, ErrStreamBroken) {
		t.Fatalf("endless: %v", err)
	}
	if cap(r.buf) > 2*4096 {
		t.Errorf("reader buffered %d bytes for a 4096-byte limit", cap(r.buf))
	}
	if src.n > 4096+maxDiscard+4096 {
		t.Errorf("read %d bytes before giving up", src.n)
	}
}

// FuzzReader: framing never panics, never returns a message over the limit
// or containing a terminator.
func FuzzReader(f *testing.F) {
	for _, s := range []string{"9900302.00\r\n941\r", "\n\xff\xfb\x01\xff\xfa\x18\xff\xf0x\r", "\r\r\n\n", strings.Repeat("A", 300) + "\rB\r"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r := NewReader(strings.NewReader(string(b)), 128)
		for i := 0; i < len(b)+1; i++ {
			m, err := r.ReadMessage()
			if err != nil {
				if errors.Is(err, ErrTooLarge) {
					continue
				}
				return
			}
			if len(m) > 128 || strings.ContainsAny(string(m), "\r\n") {
				t.Fatalf("bad message %q", m)
			}
		}
	})
}

func TestReaderTerminator(t *testing.T) {
	r := NewReader(strings.NewReader("a\r\nb\rc\nd\r"), 0)
	for _, want := range []string{"\r\n", "\r", "\n", "\r"} {
		if _, err := r.ReadMessage(); err != nil || r.Terminator() != want {
			t.Errorf("terminator %q, want %q (%v)", r.Terminator(), want, err)
		}
	}
}
