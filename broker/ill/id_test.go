package ill

import (
	"bytes"
	"errors"
	"net/url"
	"testing"
)

func TestShortID(t *testing.T) {
	for _, c := range []struct {
		in   []byte
		want string
	}{
		{[]byte{0, 0, 0, 0, 0}, "22222222"},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0xff}, "ZZZZZZZZ"},
		// 0x0842108421 = 00001 00001 ... : every 5-bit group is 1.
		{[]byte{0x08, 0x42, 0x10, 0x84, 0x21}, "33333333"},
		// Bytes past the fifth are not used.
		{[]byte{0x08, 0x42, 0x10, 0x84, 0x21, 0xff, 0xff}, "33333333"},
		{[]byte{0x80, 0, 0, 0, 0}, "J2222222"},
	} {
		got, err := ShortID(c.in)
		if err != nil || got != c.want {
			t.Errorf("ShortID(% x) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	if _, err := ShortID([]byte{1, 2, 3, 4}); !errors.Is(err, ErrShortRandom) {
		t.Errorf("4 bytes: %v", err)
	}
}

// TestShortIDInjective checks that different inputs give different ids over
// a sweep of single-bit changes, and that every id is valid and URL-safe.
func TestShortIDInjective(t *testing.T) {
	seen := map[string][]byte{}
	base := []byte{0x5a, 0xa5, 0x3c, 0xc3, 0x99}
	for bit := range 40 {
		in := bytes.Clone(base)
		in[bit/8] ^= 1 << (bit % 8)
		id, err := ShortID(in)
		if err != nil {
			t.Fatal(err)
		}
		if prev, dup := seen[id]; dup {
			t.Fatalf("ShortID(% x) = ShortID(% x) = %s", in, prev, id)
		}
		seen[id] = in
		if !ValidID(id) || url.PathEscape(id) != id {
			t.Fatalf("id %q is not valid or not URL-safe", id)
		}
	}
}

func TestTemporaryBarcode(t *testing.T) {
	id, _ := ShortID([]byte{1, 2, 3, 4, 5})
	bc := TemporaryBarcode(id)
	if bc != "ILL"+id {
		t.Fatalf("barcode %q", bc)
	}
	for _, c := range []struct {
		in   string
		want string
		ok   bool
	}{
		{bc, id, true},
		{"ill" + id, id, true}, // a scanner sending lower case
		{"NI0001", "", false},
		{"ILL", "", false},
		{"ILL" + id + "2", "", false},
		{"ILLK7QW3XZ0", "", false}, // 0 is not in the alphabet
		{"XLL" + id, "", false},
	} {
		got, ok := LoanIDFromBarcode(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("LoanIDFromBarcode(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func FuzzShortID(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0})
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		id, err := ShortID(b)
		if len(b) < IDBytes {
			if err == nil {
				t.Fatal("short input accepted")
			}
			return
		}
		if err != nil || !ValidID(id) {
			t.Fatalf("ShortID(% x) = %q, %v", b, id, err)
		}
		back, ok := LoanIDFromBarcode(TemporaryBarcode(id))
		if !ok || back != id {
			t.Fatalf("barcode round trip of %q gave %q", id, back)
		}
	})
}
