package main

import (
	"bytes"
	"os"
	"testing"
)

// TestGeneratedIsCurrent checks that zproblems.go is what gen makes from
// problems.txt today, byte for byte.
func TestGeneratedIsCurrent(t *testing.T) {
	schemes, err := parse("../problems.txt")
	if err != nil {
		t.Fatal(err)
	}
	want, err := render(schemes)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../zproblems.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("zproblems.go is stale: run go generate ./ncip")
	}
	again, _ := render(schemes)
	if !bytes.Equal(want, again) {
		t.Error("render is not deterministic")
	}
}

func TestParseErrors(t *testing.T) {
	dir := t.TempDir()
	for name, in := range map[string]string{
		"value first": "Unknown User\n",
		"bad scheme":  "scheme OnlyName\n",
	} {
		p := dir + "/p.txt"
		if err := os.WriteFile(p, []byte(in), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := parse(p); err == nil {
			t.Errorf("%s: parse accepted %q", name, in)
		}
	}
}
