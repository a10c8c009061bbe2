package sim

import (
	"strings"
	"testing"
)

// TestControl001Hostile: damaged directories give "" and never panic.
func TestControl001Hostile(t *testing.T) {
	for name, b := range map[string]string{
		"empty":        "",
		"short":        "00010nam",
		"bad base":     "00050nam a22xxxxx  4500001001000000\x1e",
		"past the end": "00050nam a2200037   4500001999900000\x1e",
		"negative":     "00050nam a2200037   4500001-00100000\x1e",
		"no 001":       "00050nam a2200037   4500245000500000\x1eabcd\x1e\x1d",
	} {
		if got := control001([]byte(b)); got != "" {
			t.Errorf("%s: %q", name, got)
		}
	}
	good := "00049nam a2200037   4500001000900000\x1e1122446\x1e\x1d"
	if got := control001([]byte(good)); got != "1122446" {
		t.Errorf("good record: %q", got)
	}
}

// FuzzControl001 reads the 001 of arbitrary bytes, seeded with the sample
// records.
func FuzzControl001(f *testing.F) {
	for _, rec := range strings.SplitAfter(string(sampleMARC), "\x1d") {
		f.Add([]byte(rec))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		id := control001(b)
		if len(id) > len(b) {
			t.Fatalf("001 %q longer than the record", id)
		}
	})
}
