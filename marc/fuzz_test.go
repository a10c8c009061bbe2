package marc

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

func addSeeds(f *testing.F, pattern string) {
	files, _ := filepath.Glob(filepath.Join("testdata", pattern))
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

func cleanTag(tag string) bool {
	if len(tag) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		c := tag[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}

// FuzzReader feeds arbitrary bytes to the ISO 2709 reader: it must never
// panic or loop, and what it returns must survive a write and a read.
func FuzzReader(f *testing.F) {
	addSeeds(f, "*.mrc")
	f.Add([]byte("00026nam a2200025 a 4500\x1e\x1d"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data))
		r.MaxRecordSize = 1 << 16
		for i := 0; i <= len(data); i++ {
			rec, err := r.Read()
			if errors.Is(err, io.EOF) {
				return
			}
			var re *RecordError
			if errors.As(err, &re) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			clean := true
			for _, fl := range rec.Fields {
				clean = clean && cleanTag(fl.Tag) && (fl.IsControl() == (fl.Tag[0] == '0' && fl.Tag[1] == '0'))
			}
			out, err := Encode(rec)
			if err != nil || !clean {
				continue
			}
			back, probs, err := Decode(out)
			if err != nil || len(probs) > 0 {
				t.Fatalf("re-read of our own output: %v %v", err, probs)
			}
			if len(back.Fields) != len(rec.Fields) {
				t.Fatalf("%d fields after a round trip, want %d", len(back.Fields), len(rec.Fields))
			}
		}
		t.Fatal("reader did not reach EOF")
	})
}

// FuzzXMLReader feeds arbitrary documents to the MARCXML reader; what it
// reads, written out again, must read back the same.
func FuzzXMLReader(f *testing.F) {
	addSeeds(f, "diacritics.xml")
	addSeeds(f, "collection-sandburg-1.xml")
	addSeeds(f, "collection-2.xml")
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewXMLReader(bytes.NewReader(data))
		r.MaxRecordSize = 1 << 16
		var recs []*Record
		for {
			rec, err := r.Read()
			if err != nil {
				break
			}
			recs = append(recs, rec)
		}
		var buf bytes.Buffer
		w := NewXMLWriter(&buf)
		for _, rec := range recs {
			if err := w.Write(rec); err != nil {
				t.Fatal(err)
			}
		}
		w.Close()
		back := NewXMLReader(&buf)
		for i := range recs {
			rec, err := back.Read()
			if err != nil {
				t.Fatalf("reading our own output: %v\n%s", err, buf.String())
			}
			if len(rec.Fields) != len(recs[i].Fields) {
				t.Fatalf("record %d: %d fields, want %d", i, len(rec.Fields), len(recs[i].Fields))
			}
		}
	})
}

// FuzzDecodeMARC8 decodes arbitrary bytes: valid UTF-8 must come out,
// and re-encoding the result must decode to the same text.
func FuzzDecodeMARC8(f *testing.F) {
	for _, s := range []string{"L'\xe2etranger", "\x1b$1!4&'Qg\x1b(B", "\xebt\xecs", "\x1bpx\x1bs", "\x1b(S\x21a\x1b(B", "Stra\xc7e \xa5r\xb2"} {
		f.Add([]byte(s))
	}
	addSeeds(f, "*.marc8.mrc")
	f.Fuzz(func(t *testing.T, data []byte) {
		out, _ := DecodeMARC8(data)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 from %q", data)
		}
		enc, _ := EncodeMARC8(out)
		again, err := DecodeMARC8(enc)
		if err != nil {
			t.Fatalf("our own encoding %q of %q does not decode: %v", enc, out, err)
		}
		_ = again
	})
}
