package sip2_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/illgw/illgw/sip2"
)

var fuzzCodec = sip2.Codec{Location: time.UTC, Now: func() time.Time { return ts("20260101000000") }}

// FuzzDecode: Decode never panics, and whatever it accepts encodes to bytes
// that decode and encode again to the same bytes.
func FuzzDecode(f *testing.F) {
	good, bad := vectors(f)
	for _, v := range append(good, bad...) {
		f.Add([]byte(v))
	}
	for _, s := range []string{
		"1700120261127    031355AOMAIN|AB0001|ACsecret|",
		"64              000201610210000142637000000000000000000000000AOnypl |AA12345|AESHELDON, ALICE|BZ0030|",
		"2300120261127    031716AOMAIN|AA12345|ACsecret|AD||||", "", "9", "99", "11", "\xff\xfe",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, cs := range []sip2.Charset{sip2.ASCII, sip2.IBM850, sip2.UTF8} {
			c := fuzzCodec
			c.Charset = cs
			p, err := c.Decode(b)
			if err != nil {
				if !errors.Is(err, sip2.ErrSyntax) && !errors.Is(err, sip2.ErrChecksum) && !errors.Is(err, sip2.ErrUnknownMessage) && !errors.Is(err, sip2.ErrTooLarge) {
					t.Fatalf("unexpected error kind: %v", err)
				}
				continue
			}
			b1 := c.Encode(p.Message, p.Seq)
			p2, err := c.Decode(b1)
			if err != nil {
				t.Fatalf("re-decode of %q: %v", b1, err)
			}
			if b2 := c.Encode(p2.Message, p2.Seq); !bytes.Equal(b1, b2) {
				t.Fatalf("unstable:\n%q\n%q", b1, b2)
			}
		}
	})
}

// TestHostile feeds fixed hostile inputs: each gets a clear error, no panic.
func TestHostile(t *testing.T) {
	c := sip2.Codec{}
	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"oversized", append([]byte("64"), bytes.Repeat([]byte("A"), 5000)...), sip2.ErrTooLarge},
		{"binary garbage", []byte("\x00\xff\xfe\x80\x01garbage\x7f"), sip2.ErrUnknownMessage},
		{"huge field count", append([]byte("2300120261127    031716"), bytes.Repeat([]byte("|"), 4000)...), sip2.ErrSyntax},
		{"huge field count 2", append([]byte("2300120261127    031716"), bytes.Repeat([]byte("A|"), 1000)...), sip2.ErrSyntax},
		{"short fixed part", []byte("11YN2026"), sip2.ErrSyntax},
		{"code only", []byte("1"), sip2.ErrSyntax},
		{"empty", nil, sip2.ErrSyntax},
		{"bad checksum", []byte("9900302.00AY1AZFCA6"), sip2.ErrChecksum},
		{"unknown code", []byte("XS0|"), sip2.ErrUnknownMessage},
	} {
		_, err := c.Decode(tc.in)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
		if err != nil && bytes.ContainsAny([]byte(err.Error()), "\x00") {
			t.Errorf("%s: raw bytes in error %q", tc.name, err)
		}
	}
	// Many fields under the limit decode, all kept.
	p, err := c.Decode(append([]byte("2300120261127    031716"), bytes.Repeat([]byte("ZZ|"), 400)...))
	if err != nil || len(p.Message.(*sip2.PatronStatusRequest).Extra) != 400 {
		t.Errorf("400 fields: %v", err)
	}
}
