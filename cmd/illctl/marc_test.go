package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/illgw/illgw/internal/testenv"
	"github.com/illgw/illgw/marc"
)

const sample = "../../marc/testdata/sample-marc.mrc"

func runMarcCmd(t *testing.T, stdin []byte, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	var out, errb bytes.Buffer
	status = runMarc(args, bytes.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), status
}

func TestMarcConvertSample(t *testing.T) {
	out, errs, st := runMarcCmd(t, nil, "convert", sample)
	if st != 0 {
		t.Fatalf("status %d, stderr %s", st, errs)
	}
	// Record 24 carries Latin-1 under a MARC-8 leader: a warning names it.
	if !strings.Contains(errs, "record 24") || !strings.Contains(errs, "Latin-1") {
		t.Errorf("stderr does not name record 24's charset: %s", errs)
	}
	r := marc.NewXMLReader(strings.NewReader(out))
	n := 0
	for {
		rec, err := r.Read()
		if err != nil {
			break
		}
		n++
		if rec.Leader[9] != 'a' {
			t.Errorf("record %d: leader/09 %q", n, rec.Leader[9])
		}
		if n == 24 && rec.Title() != "Strækøvelser" {
			t.Errorf("record 24 title %q", rec.Title())
		}
	}
	if n != 24 {
		t.Errorf("%d records in the MARCXML output, want 24", n)
	}
}

// TestMarcConvertAgainstYAZ: the same work as yaz-marcdump -f marc8 -t
// utf8 -o marcxml gives the same records (NFC), save record 24.
func TestMarcConvertAgainstYAZ(t *testing.T) {
	yaz := testenv.Require(t, "yaz-marcdump", "yaz")
	want, err := exec.Command(yaz, "-f", "marc8", "-t", "utf8", "-o", "marcxml", sample).Output()
	if err != nil {
		t.Fatal(err)
	}
	got, _, st := runMarcCmd(t, nil, "convert", "-to", "marcxml", sample)
	if st != 0 {
		t.Fatalf("status %d", st)
	}
	wr, gr := marc.NewXMLReader(bytes.NewReader(want)), marc.NewXMLReader(strings.NewReader(got))
	for i := 1; i <= 24; i++ {
		w, err1 := wr.Read()
		g, err2 := gr.Read()
		if err1 != nil || err2 != nil {
			t.Fatalf("record %d: %v %v", i, err1, err2)
		}
		if i == 24 {
			continue
		}
		marc.ToUTF8(w, marc.CharsetUTF8)
		wb, _ := marc.Encode(w)
		gb, _ := marc.Encode(g)
		if !bytes.Equal(wb[24:], gb[24:]) {
			t.Errorf("record %d differs from yaz-marcdump's", i)
		}
	}
}

func TestMarcConvertDamaged(t *testing.T) {
	data, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	// Record 1 intact, then a chunk of garbage with a record terminator.
	first := bytes.IndexByte(data, 0x1d) + 1
	damaged := append(append([]byte(nil), data[:first]...), []byte("garbage\x1d")...)
	damaged = append(damaged, data[first:]...)
	out, errs, st := runMarcCmd(t, damaged, "convert", "-to", "text")
	if st != 1 {
		t.Errorf("status %d, want 1 (a record was dropped); stderr %s", st, errs)
	}
	if !strings.Contains(errs, "record 2 dropped") {
		t.Errorf("stderr does not name the dropped record: %s", errs)
	}
	if got := strings.Count(out, "\n\n"); got != 24 {
		t.Errorf("%d records written, want 24", got)
	}
	// A wrong record length is repaired: status 0 with a warning.
	repaired := append([]byte("99999"), data[5:]...)
	_, errs, st = runMarcCmd(t, repaired, "convert", "-to", "iso2709")
	if st != 0 || !strings.Contains(errs, "record 1") || !strings.Contains(errs, "record length says 99999") {
		t.Errorf("repaired length: status %d, stderr %s", st, errs)
	}
}

func TestMarcUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"convert", "-to", "pdf"},
		{"convert", "-from", "mods"},
		{"convert", "-charset", "ebcdic"},
		{"convert", "-nosuchflag"},
	} {
		if _, _, st := runMarcCmd(t, nil, args...); st != 2 {
			t.Errorf("%q: status %d, want 2", args, st)
		}
	}
	if _, errs, st := runMarcCmd(t, nil, "convert", filepath.Join(t.TempDir(), "missing.mrc")); st != 1 || errs == "" {
		t.Errorf("missing file: status %d, stderr %q", st, errs)
	}
}

func TestMarcKeys(t *testing.T) {
	out, _, st := runMarcCmd(t, nil, "keys", sample)
	if st != 0 {
		t.Fatalf("status %d", st)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 24 {
		t.Fatalf("%d lines, want 24", len(lines))
	}
	if lines[0] != "1\tlccn:11224466\ttitle:how to program a computer/jack/1991" {
		t.Errorf("line 1: %q", lines[0])
	}
	if !strings.Contains(out, "isbn:9780839108825") {
		t.Error("ISBN 0839108826 missing from the keys")
	}
}

func TestMarcFormatsRoundTrip(t *testing.T) {
	for _, format := range []string{"json", "marcxml", "iso2709"} {
		conv, _, st := runMarcCmd(t, nil, "convert", "-to", format, sample)
		if st != 0 {
			t.Fatalf("%s: status %d", format, st)
		}
		back, errs, st := runMarcCmd(t, []byte(conv), "convert", "-", "-from", format, "-to", "text")
		if st != 0 || errs != "" {
			t.Errorf("%s back: status %d, stderr %s", format, st, errs)
		}
		if !strings.Contains(back, "Strækøvelser") || strings.Count(back, "\n\n") != 24 {
			t.Errorf("%s: lost records or text", format)
		}
	}
}
