package z3950

import (
	"errors"
	"strings"
	"testing"

	"github.com/illgw/illgw/z3950/ber"
)

func TestPQFRoundTrip(t *testing.T) {
	cases := map[string]string{
		"computer":                               "computer",
		"@attr 1=4 computer":                     "@attr 1=4 computer",
		`@attr 1=4 "how to program"`:             `@attr 1=4 "how to program"`,
		`@attr 1=4 "say \"hi\" \\ now"`:          `@attr 1=4 "say \"hi\" \\ now"`,
		"@attrset bib-1 @attr 1=7 0839108826":    "@attr 1=7 0839108826",
		"@attrset gils @attr 1=2000 x":           "@attrset GILS @attr 1=2000 x",
		"@attr gils 1=2000 @attr 4=1 x":          "@attr GILS 1=2000 @attr 4=1 x",
		"@and @or a b @not c d":                  "@and @or a b @not c d",
		"@prox 0 3 1 2 k 2 a b":                  "@prox 0 3 1 2 k 2 a b",
		"@prox 1 0 0 3 p 9 a b":                  "@prox 1 0 0 3 p 9 a b",
		"@set default":                           "@set default",
		"@and @set r1 @attr 1=1016 x":            "@and @set r1 @attr 1=1016 x",
		"@attr 1=1003 @term string knuth":        "@attr 1=1003 @term string knuth",
		"@term numeric 42":                       "@term numeric 42",
		"@attr 1=4 @attr 5=1 @attr 6=3 comput\n": "@attr 1=4 @attr 5=1 @attr 6=3 comput",
		`@attr 1=title x`:                        `@attr 1=title x`,
		`""`:                                     `""`,
		`"@and"`:                                 `"@and"`,
	}
	for in, want := range cases {
		q, err := ParsePQF(in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		got := PQF(q)
		if got != want {
			t.Errorf("%q printed as %q, want %q", in, got, want)
		}
		// The printed form encodes to the same BER as the original.
		q2, err := ParsePQF(got)
		if err != nil {
			t.Fatalf("%q re-parse: %v", got, err)
		}
		a := Encode(&SearchRequest{Databases: []string{"x"}, Query: Query{RPN: q}})
		b := Encode(&SearchRequest{Databases: []string{"x"}, Query: Query{RPN: q2}})
		if string(a) != string(b) {
			t.Errorf("%q: BER differs after print/parse", in)
		}
	}
}

func TestPQFErrors(t *testing.T) {
	bad := []string{
		"", "@and a", "@or", "@attr 1=4", "@attr x a", "@attr =4 a", "@attr 1= a",
		"@attrset nosuch a", "@prox 0 3 1 2 q 2 a b", "@prox 0 x 1 2 k 2 a b", "a b",
		`"unterminated`, "@bogus a", "@term numeric abc", "@attr 1=4 @and a b",
		strings.Repeat("@and ", MaxPQFDepth+2) + strings.Repeat("a ", MaxPQFDepth+3),
		strings.Repeat("x", MaxPQFLength+1),
	}
	for _, in := range bad {
		_, err := ParsePQF(in)
		var pe *PQFError
		if !errors.As(err, &pe) {
			t.Errorf("%.40q: got %v, want PQFError", in, err)
			continue
		}
		if pe.Diagnostic().Code != 108 {
			t.Errorf("diagnostic %d", pe.Diagnostic().Code)
		}
	}
}

func TestPQFGoldenBER(t *testing.T) {
	// yaz-client's "find @prox 0 3 1 2 k 2 @attr 1=4 computer @attr 1=4 program" on the wire.
	want := decodeGolden[*SearchRequest](t, "session2/03-req-search-pqf-prox.ber")
	q, err := ParsePQF("@prox 0 3 1 2 k 2 @attr 1=4 computer @attr 1=4 program")
	if err != nil {
		t.Fatal(err)
	}
	got := *want
	got.Query = Query{RPN: q}
	if string(Encode(&got)) != string(definite(t, golden(t, "session2/03-req-search-pqf-prox.ber"))) {
		t.Fatal("our PQF encoding differs from yaz-client's")
	}
}

func FuzzPQF(f *testing.F) {
	for _, s := range []string{"@attr 1=4 computer", `@and @attr 1=1003 knuth @attr 1=4 @attr 5=1 "comp uter"`,
		"@prox 0 3 1 2 k 2 a b", "@attrset gils @set x", "@term numeric 5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParsePQF(s)
		if err != nil {
			return
		}
		out := PQF(q)
		q2, err := ParsePQF(out)
		if err != nil {
			t.Fatalf("printed %q does not parse: %v", out, err)
		}
		if PQF(q2) != out {
			t.Fatalf("not stable: %q -> %q", out, PQF(q2))
		}
		enc := Encode(&SearchRequest{Databases: []string{"d"}, Query: Query{RPN: q}})
		if _, err := Decode(enc, ber.Limits{}); err != nil && !strings.Contains(err.Error(), "depth") {
			t.Fatalf("encoded query does not decode: %v", err)
		}
	})
}
