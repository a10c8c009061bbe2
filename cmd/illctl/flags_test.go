package main

import (
	"flag"
	"io"
	"slices"
	"testing"
)

func TestParseInterleaved(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		reason string
		pos    []string
	}{
		{[]string{"-reason", "no copy", "AB12CD34", "mark-unfilled"}, "no copy", []string{"AB12CD34", "mark-unfilled"}},
		{[]string{"AB12CD34", "mark-unfilled", "-reason", "no copy"}, "no copy", []string{"AB12CD34", "mark-unfilled"}},
		{[]string{"AB12CD34", "-reason=x", "mark-unfilled"}, "x", []string{"AB12CD34", "mark-unfilled"}},
		{[]string{"AB12CD34", "--", "-reason", "x"}, "", []string{"AB12CD34", "-reason", "x"}},
		{nil, "", nil},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		reason := fs.String("reason", "", "")
		if err := parseInterleaved(fs, tc.args); err != nil {
			t.Fatalf("%q: %v", tc.args, err)
		}
		if *reason != tc.reason || !slices.Equal(fs.Args(), tc.pos) && len(tc.pos)+len(fs.Args()) > 0 {
			t.Errorf("%q: reason %q args %q, want %q %q", tc.args, *reason, fs.Args(), tc.reason, tc.pos)
		}
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := parseInterleaved(fs, []string{"ID", "-nosuchflag"}); err == nil {
		t.Error("an unknown flag after the arguments was accepted")
	}
}
