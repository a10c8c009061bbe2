package ber

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func goldenFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("../testdata/session*/*.ber")
	if err != nil || len(files) < 30 {
		t.Fatalf("golden PDUs missing: %v (%d files)", err, len(files))
	}
	return files
}

// reencode rebuilds a tree with definite lengths through the Encoder.
func reencode(e *Encoder, v Value) {
	if !v.Tag().Constructed {
		e.Primitive(v.Tag(), v.Bytes())
		return
	}
	e.Constructed(v.Tag(), func(e *Encoder) {
		for c := v.First(); c.Valid(); c = c.Next() {
			reencode(e, c)
		}
	})
}

func TestGoldenRoundTrip(t *testing.T) {
	for _, f := range goldenFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fr, err := ReadFrame(bufio.NewReader(bytes.NewReader(b)), Limits{})
		if err != nil {
			t.Fatalf("%s: ReadFrame: %v", f, err)
		}
		if !bytes.Equal(fr, b) {
			t.Fatalf("%s: frame is %d bytes, file %d", f, len(fr), len(b))
		}
		tr, err := Parse(b, Limits{})
		if err != nil {
			t.Fatalf("%s: Parse: %v", f, err)
		}
		var e Encoder
		reencode(&e, tr.Root())
		if b[1] != 0x80 && !bytes.Equal(e.Bytes(), b) {
			t.Errorf("%s: re-encoding differs\n got %x\nwant %x", f, e.Bytes(), b)
		}
		// Indefinite-length PDUs (YAZ sends some) re-encode definite with the same tree.
		tr2, err := Parse(e.Bytes(), Limits{})
		if err != nil || tr2.Len() != tr.Len() {
			t.Fatalf("%s: definite re-encoding does not parse the same: %v", f, err)
		}
	}
}

func TestFramesBackToBack(t *testing.T) {
	var stream []byte
	files := goldenFiles(t)
	for _, f := range files {
		b, _ := os.ReadFile(f)
		stream = append(stream, b...)
	}
	// Add an indefinite-length PDU as YAZ sends Init: [20] { [3] 0x00e0, SEQUENCE{ INTEGER 5 } }.
	indef := []byte{0xb4, 0x80, 0x83, 0x02, 0x00, 0xe0, 0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00, 0x00, 0x00}
	stream = append(stream, indef...)
	r := bufio.NewReader(bytes.NewReader(stream))
	for i := range len(files) + 1 {
		fr, err := ReadFrame(r, Limits{})
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if _, err := Parse(fr, Limits{}); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if i == len(files) {
			if !bytes.Equal(fr, indef) {
				t.Fatalf("indefinite frame %x", fr)
			}
			tr, _ := Parse(fr, Limits{})
			seq := tr.Root().First().Next()
			n, err := seq.First().Int()
			if err != nil || n != 5 || !seq.Is(U(TagSequence)) {
				t.Fatalf("indefinite content: %v %d %v", err, n, seq.Tag())
			}
		}
	}
	if _, err := ReadFrame(r, Limits{}); !errors.Is(err, io.EOF) {
		t.Fatalf("after last frame: %v, want EOF", err)
	}
}

func TestPrimitives(t *testing.T) {
	var e Encoder
	e.Constructed(U(TagSequence), func(e *Encoder) {
		e.Int(C(1), -129)
		e.Int(C(2), 1<<40)
		e.Bool(C(3), true)
		e.OID(U(TagOID), MustOID("1.2.840.10003.5.10"))
		e.BitString(C(4), []bool{true, true, true, false, false, false, false, false, false, true})
		e.String(C(5000), "x") // high tag number
		e.Null(C(6))
	})
	tr, err := Parse(e.Bytes(), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	c := tr.Root().Children()
	if len(c) != 7 {
		t.Fatalf("children %d", len(c))
	}
	if n, _ := c[0].Int(); n != -129 {
		t.Errorf("int %d", n)
	}
	if n, _ := c[1].Int(); n != 1<<40 {
		t.Errorf("int %d", n)
	}
	if b, _ := c[2].Bool(); !b {
		t.Error("bool")
	}
	if o, _ := c[3].OID(); o.String() != "1.2.840.10003.5.10" {
		t.Errorf("oid %v", o)
	}
	bits, _ := c[4].BitString()
	if len(bits) != 10 || !bits[0] || !bits[2] || bits[3] || !bits[9] {
		t.Errorf("bits %v", bits)
	}
	if c[5].Tag().Num != 5000 || c[5].Tag().Class != Context {
		t.Errorf("tag %v", c[5].Tag())
	}
}

// Hostile inputs: each must be refused with the right error well within a second.
func hostile() map[string]struct {
	in   []byte
	want error
} {
	// 4 MB of nested SEQUENCE headers with indefinite length (the go-asn1-ber stack bomb).
	bomb := bytes.Repeat([]byte{0x30, 0x80}, 2<<20)
	// The same bomb with definite lengths that each claim the rest of the input.
	defBomb := make([]byte, 0, 4<<20)
	for len(defBomb) < 4<<20-6 {
		defBomb = append(defBomb, 0x30, 0x84, 0, 0, 0, 0)
	}
	for i := 0; i+6 <= len(defBomb); i += 6 {
		n := len(defBomb) - i - 6
		defBomb[i+2], defBomb[i+3], defBomb[i+4], defBomb[i+5] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	}
	huge := []byte{0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x02, 0x01, 0x00}
	mib20 := append([]byte{0xb4, 0x84, 0x01, 0x40, 0x00, 0x00}, make([]byte, 20<<20)...)
	bigTag := []byte{0xbf, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00}
	return map[string]struct {
		in   []byte
		want error
	}{
		"nested-indefinite-4MB": {bomb, ErrTooLarge}, // Parse: 4 MB > 1 MiB; see TestHostileFrame for depth
		"nested-definite-4MB":   {defBomb, ErrTooLarge},
		"length-2^31-1":         {huge, ErrTooLarge},
		"pdu-20MiB":             {mib20, ErrTooLarge},
		"tag-oversized":         {bigTag, ErrTagTooLarge},
		"length-5-octets":       {[]byte{0x30, 0x85, 1, 0, 0, 0, 0}, ErrLength},
		"primitive-indefinite":  {[]byte{0x02, 0x80, 0, 0}, ErrLength},
		"truncated":             {[]byte{0x30, 0x05, 0x02, 0x01}, ErrTruncated},
		"stray-eoc":             {[]byte{0x30, 0x02, 0x00, 0x00}, ErrMalformed},
		"child-overruns-parent": {[]byte{0x30, 0x03, 0x04, 0x05, 0x41, 0x41, 0x41, 0x41, 0x41}, ErrTruncated},
		"indef-overruns-parent": {[]byte{0x30, 0x04, 0x30, 0x80, 0x05, 0x00, 0x00, 0x00}, ErrLength},
		"trailing-bytes":        {[]byte{0x05, 0x00, 0x05}, ErrMalformed},
	}
}

func TestHostileParse(t *testing.T) {
	for name, tc := range hostile() {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			_, err := Parse(tc.in, Limits{MaxSize: DefaultTargetPDU})
			if name == "nested-indefinite-4MB" || name == "nested-definite-4MB" {
				// Under the 16 MiB target limit the size check passes: depth must stop it.
				if !errors.Is(err, ErrTooDeep) {
					t.Fatalf("target limits: %v, want %v", err, ErrTooDeep)
				}
				_, err = Parse(tc.in, Limits{})
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if d := time.Since(start); d > time.Second {
				t.Fatalf("took %v", d)
			}
		})
	}
}

func TestHostileFrame(t *testing.T) {
	for name, tc := range hostile() {
		t.Run(name, func(t *testing.T) {
			want := tc.want
			switch name {
			case "nested-indefinite-4MB":
				want = ErrTooDeep
			case "truncated", "child-overruns-parent", "indef-overruns-parent", "stray-eoc", "trailing-bytes":
				return // framing only sees the outer element; Parse catches these
			}
			start := time.Now()
			_, err := ReadFrame(bufio.NewReader(bytes.NewReader(tc.in)), Limits{})
			if !errors.Is(err, want) {
				t.Fatalf("got %v, want %v", err, want)
			}
			if d := time.Since(start); d > time.Second {
				t.Fatalf("took %v", d)
			}
		})
	}
}

// A peer that announces 20 MiB must be refused before it sends a byte of content: the reader
// below would block forever if ReadFrame tried to read the content.
func TestFrameRefusesBeforeReading(t *testing.T) {
	pr, pw := io.Pipe()
	defer pr.Close()
	go func() { _, _ = pw.Write([]byte{0xb4, 0x84, 0x01, 0x40, 0x00, 0x00}) }()
	done := make(chan error, 1)
	go func() {
		_, err := ReadFrame(bufio.NewReader(pr), Limits{})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("got %v", err)
		}
	case <-time.After(time.Second):
		t.Fatal("ReadFrame waited for content it should have refused")
	}
	pw.Close()
}

func TestElementLimit(t *testing.T) {
	var e Encoder
	e.Constructed(U(TagSequence), func(e *Encoder) {
		for range 100 {
			e.Null(U(TagNull))
		}
	})
	if _, err := Parse(e.Bytes(), Limits{MaxElements: 50}); !errors.Is(err, ErrTooManyElements) {
		t.Fatalf("got %v", err)
	}
	if _, err := Parse(e.Bytes(), Limits{MaxElements: 101}); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkRejectBombs(b *testing.B) {
	for name, tc := range hostile() {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Parse(tc.in, Limits{MaxSize: DefaultTargetPDU}); err == nil {
					b.Fatal("accepted")
				}
			}
		})
		b.Run(name+"/frame", func(b *testing.B) {
			for b.Loop() {
				_, _ = ReadFrame(bufio.NewReader(bytes.NewReader(tc.in)), Limits{})
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, file := range goldenFiles(f) {
		b, _ := os.ReadFile(file)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		lim := Limits{MaxSize: 1 << 16, MaxDepth: 16}
		fr, err := ReadFrame(bufio.NewReader(bytes.NewReader(b)), lim)
		tr, perr := Parse(b, lim)
		if perr != nil {
			return
		}
		if err != nil || !bytes.Equal(fr, b) {
			t.Fatalf("Parse accepted what ReadFrame refused: %v", err)
		}
		// Walk every element and its accessors; nothing may panic.
		var walk func(v Value, d int)
		walk = func(v Value, d int) {
			if d > 16 {
				t.Fatal("depth beyond limit")
			}
			_, _ = v.Int()
			_, _ = v.OID()
			_, _ = v.BitString()
			_ = v.String()
			for c := v.First(); c.Valid(); c = c.Next() {
				walk(c, d+1)
			}
		}
		walk(tr.Root(), 0)
	})
}
