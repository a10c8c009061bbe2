package sru

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Responses yaz-ztest gave (testdata/sru) decode to what they say.
func TestDecodeYazResponses(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "sru", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for name, want := range map[string]struct{ count, records int }{
		"searchRetrieve-1.1.xml":         {23, 1},
		"searchRetrieve-1.2-marcxml.xml": {23, 1},
		"searchRetrieve-2.0.xml":         {3, 1},
	} {
		res, err := decodeSearch(read(name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if res.Count != want.count || len(res.Records) < want.records ||
			!strings.HasPrefix(string(res.Records[0].Data), `<record xmlns="http://www.loc.gov/MARC21/slim">`) {
			t.Errorf("%s: %+v", name, res)
		}
	}
	res, err := decodeSearch(read("diagnostic-61-first-record-out-of-range.xml"))
	var d *Diagnostic
	if !errors.As(err, &d) || d.Code() != 61 || res.Count != 23 {
		t.Errorf("diagnostic 61: %v %+v", err, res)
	}
	res, err = decodeSearch(read("diagnostic-unknown-schema.xml"))
	if err != nil || len(res.Records) != 1 || res.Records[0].Diagnostic == nil || res.Records[0].Diagnostic.Code() != 63 {
		t.Errorf("surrogate diagnostic: %v %+v", err, res)
	}
	if _, err := decodeSearch(read("scan-1.2.xml")); !errors.Is(err, ErrBadResponse) {
		t.Errorf("a scan response is not a searchRetrieve response: %v", err)
	}
}

func FuzzDecodeSearch(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "sru", "*.xml"))
	for _, file := range files {
		b, _ := os.ReadFile(file)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := decodeSearch(b)
		var d *Diagnostic
		if err != nil && !errors.Is(err, ErrBadResponse) && !errors.As(err, &d) {
			t.Fatalf("untyped error %v", err)
		}
		if err == nil && res == nil {
			t.Fatal("nil result without error")
		}
	})
}
