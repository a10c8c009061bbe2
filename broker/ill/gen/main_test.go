package main

import (
	"bytes"
	"os"
	"testing"
)

// TestGeneratedIsCurrent checks that znames.go is what gen makes from
// names.txt today, byte for byte.
func TestGeneratedIsCurrent(t *testing.T) {
	secs, err := parse("../names.txt")
	if err != nil {
		t.Fatal(err)
	}
	want, err := render(secs)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../znames.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("znames.go is stale: run go generate ./broker/ill")
	}
	again, _ := render(secs)
	if !bytes.Equal(want, again) {
		t.Error("render is not deterministic")
	}
}

func TestParseErrors(t *testing.T) {
	dir := t.TempDir()
	for name, in := range map[string]string{
		"value first":  "New 1 new created\n",
		"short type":   "type State stateNames\n",
		"gap":          "type S s doc\nA 1 a x\nB 3 b y\n",
		"zero":         "type S s doc\nA 0 a x\n",
		"dup name":     "type S s doc\nA 1 a x\nB 2 a y\n",
		"dup ident":    "type S s doc\nA 1 a x\ntype T t doc\nA 1 b y\n",
		"bad name":     "type S s doc\nA 1 a_b x\n",
		"no comment":   "type S s doc\nA 1 a\n",
		"empty type":   "type S s doc\n",
		"number words": "type S s doc\nA one a x\n",
	} {
		p := dir + "/n.txt"
		if err := os.WriteFile(p, []byte(in), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := parse(p); err == nil {
			t.Errorf("%s: parse accepted %q", name, in)
		}
	}
}
