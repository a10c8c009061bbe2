package marc

import (
	"bytes"
	"io"
	"os"
	"testing"
)

func benchData(b *testing.B, name string) []byte {
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

func BenchmarkReadISO2709(b *testing.B) {
	data := benchData(b, "sample-marc.mrc")
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r := NewReader(bytes.NewReader(data))
		for {
			if _, err := r.Read(); err == io.EOF {
				break
			}
		}
	}
}

func BenchmarkWriteISO2709(b *testing.B) {
	recs := readFile(b, "testdata/sample-marc.mrc")
	b.ResetTimer()
	for b.Loop() {
		w := NewWriter(io.Discard)
		for _, r := range recs {
			w.Write(r)
		}
	}
}

func BenchmarkReadMARCXML(b *testing.B) {
	data := benchData(b, "collection-opera-43.xml")
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r := NewXMLReader(bytes.NewReader(data))
		for {
			if _, err := r.Read(); err != nil {
				break
			}
		}
	}
}

func BenchmarkWriteMARCXML(b *testing.B) {
	recs := readFile(b, "testdata/collection-opera-43.xml")
	b.ResetTimer()
	for b.Loop() {
		w := NewXMLWriter(io.Discard)
		for _, r := range recs {
			w.Write(r)
		}
		w.Close()
	}
}

// BenchmarkToUTF8 converts the 24 MARC-8 sample records (charset checks
// included).
func BenchmarkToUTF8(b *testing.B) {
	recs := readFile(b, "testdata/sample-marc.mrc")
	recs = append(recs, readFile(b, "testdata/diacritics.marc8.mrc")...)
	b.ResetTimer()
	for b.Loop() {
		for _, r := range recs {
			ToUTF8(r.Clone(), CharsetAuto)
		}
	}
}

func BenchmarkDecodeMARC8(b *testing.B) {
	in := []byte("Dvo\xe9r\xe2ak, Anton\xedin ; L'\xe2etranger \x1b$1!4&'Qg\x1b(B M\xe8uller Stra\xc7e")
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		DecodeMARC8(in)
	}
}

func BenchmarkEncodeMARC8(b *testing.B) {
	in := "Dvořák, Antonín ; L'étranger 加缪 Müller Straße"
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		EncodeMARC8(in)
	}
}

// BenchmarkConvertToMARCXML is the work of `illctl marc convert -to
// marcxml`: ISO 2709 MARC-8 in, UTF-8 NFC MARCXML out.
func BenchmarkConvertToMARCXML(b *testing.B) {
	data := bytes.Repeat(benchData(b, "sample-marc.mrc"), 20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r := NewReader(bytes.NewReader(data))
		w := NewXMLWriter(io.Discard)
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			ToUTF8(rec, CharsetAuto)
			w.Write(rec)
		}
		w.Close()
	}
}
