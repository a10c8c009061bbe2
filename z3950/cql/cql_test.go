package cql

import (
	"errors"
	"strings"
	"testing"

	"github.com/illgw/illgw/z3950"
)

func TestParsePrint(t *testing.T) {
	cases := map[string]string{
		"computer":          "computer",
		"dc.title=computer": "dc.title=computer",
		"dc.title = computer and dc.creator=collins": "dc.title=computer and dc.creator=collins",
		`dc.creator="jack collins" and dc.date>1990`: `dc.creator="jack collins" and dc.date>1990`,
		"a or b and c":                                       "(a or b) and c",
		"a or (b and c)":                                     "a or (b and c)",
		"dc.title any/relevant \"a b\"":                      `dc.title any/relevant "a b"`,
		"a prox/unit=word/distance<=3 b":                     "a prox/unit=word/distance<=3 b",
		"dc.title=x sortBy dc.date/sort.descending dc.title": "dc.title=x sortBy dc.date/sort.descending dc.title",
		`"and"`:                `"and"`,
		`title == "a \"q\" b"`: `title=="a \"q\" b"`,
		`> dc = "info:srw/cql-context-set/1/dc-v1.1" dc.title=x`: "dc.title=x",
		"AND": "", // reserved word as a bare term is an error
	}
	for in, want := range cases {
		q, err := Parse(in)
		if want == "" {
			if err == nil {
				t.Errorf("%q: accepted", in)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if got := q.String(); got != want {
			t.Errorf("%q printed %q, want %q", in, got, want)
		}
		q2, err := Parse(q.String())
		if err != nil || q2.String() != q.String() {
			t.Errorf("%q: reprint not stable: %v", in, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"", "(((", "a and", "dc.title=", `"open`, "a)", "=x", "a / b", "x sortby",
		strings.Repeat("(", MaxDepth+2) + "x" + strings.Repeat(")", MaxDepth+2)} {
		_, err := Parse(in)
		var ce *Error
		if !errors.As(err, &ce) || ce.Code != 10 || !errors.Is(err, ErrSyntax) {
			t.Errorf("%q: %v, want diagnostic 10", in, err)
		}
	}
}

// The conversions YAZ's cql2rpn makes with its shipped pqf.properties (reference §1.1).
func TestToRPNGolden(t *testing.T) {
	m := Default()
	cases := map[string]string{
		"dc.title=computer and dc.creator=collins": "@and @attr 1=4 @attr 5=100 @attr 6=1 @attr 3=3 @attr 4=1 @attr 2=3 computer " +
			"@attr 1=1003 @attr 5=100 @attr 6=1 @attr 3=3 @attr 4=1 @attr 2=3 collins",
		`dc.creator="jack collins" and dc.date>1990`: `@and @attr 1=1003 @attr 5=100 @attr 6=1 @attr 3=3 @attr 4=1 @attr 2=3 "jack collins" ` +
			"@attr 1=30 @attr 5=100 @attr 6=1 @attr 3=3 @attr 4=1 @attr 2=5 1990",
		"bath.isbn=0839108826":        "@attr 1=7 @attr 5=100 @attr 6=1 @attr 3=3 @attr 4=1 @attr 2=3 0839108826",
		"computer*":                   "@attr 1=1016 @attr 5=1 @attr 6=1 @attr 3=3 @attr 4=1 @attr 2=3 computer",
		`cql.resultSetId="abc" and x`: "@and @set abc @attr 1=1016 @attr 5=100 @attr 6=1 @attr 3=3 @attr 4=1 @attr 2=3 x",
		"rec.id=11224466":             "@attr 1=12 @attr 5=100 @attr 6=1 @attr 3=3 @attr 4=1 @attr 2=3 11224466",
		"dc.title all \"a b\"":        "@and @attr 1=4 @attr 5=100 @attr 6=1 @attr 3=3 @attr 4=1 @attr 2=3 a @attr 1=4 @attr 5=100 @attr 6=1 @attr 3=3 @attr 4=1 @attr 2=3 b",
		"a prox/unit=word/distance<=2 b": "@prox 0 2 0 2 k 2 @attr 1=1016 @attr 5=100 @attr 6=1 @attr 3=3 @attr 4=1 @attr 2=3 a " +
			"@attr 1=1016 @attr 5=100 @attr 6=1 @attr 3=3 @attr 4=1 @attr 2=3 b",
	}
	for in, want := range cases {
		q, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		r, err := m.ToRPN(q)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if got := z3950.PQF(r); got != want {
			t.Errorf("%q\n got %s\nwant %s", in, got, want)
		}
	}
	for in, code := range map[string]int{"foo.bar=x": 15, "dc.nosuch=x": 16, "dc.title encloses x": 19, "dc.title=/nosuch x": 20} {
		q, err := Parse(in)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		_, err = m.ToRPN(q)
		var me *MappingError
		if !errors.As(err, &me) || me.Code != code {
			t.Errorf("%q: %v, want diagnostic %d", in, err, code)
		}
	}
}

func TestFromRPN(t *testing.T) {
	m := Default()
	cases := map[string]string{
		"@attr 1=4 computer":                                     "dc.title=computer",
		"@attr 1=4 @attr 5=1 comput":                             "dc.title=comput*",
		"@and @attr 1=1003 knuth @attr 1=7 0839108826":           "dc.creator=knuth and bath.isbn=0839108826",
		`@attr 1=4 @attr 4=1 "how to program"`:                   `dc.title="how to program"`,
		"@or a @not b c":                                         "a or (b not c)",
		"@attr 1=30 @attr 2=5 1990":                              "dc.date>1990",
		"@prox 0 3 1 2 k 2 @attr 1=4 computer @attr 1=4 program": "dc.title=computer prox/unit=word/distance<=3/ordered dc.title=program",
		"@attr 1=12 11224466":                                    "rec.id=11224466",
		`@attr 1=4 "a*b"`:                                        `dc.title=a\*b`,
	}
	for in, want := range cases {
		r, err := z3950.ParsePQF(in)
		if err != nil {
			t.Fatal(err)
		}
		q, err := m.FromRPN(r)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if got := q.String(); got != want {
			t.Errorf("%q -> %q, want %q", in, got, want)
		}
		if _, err := Parse(q.String()); err != nil {
			t.Errorf("%q: output does not parse: %v", in, err)
		}
	}
	r, _ := z3950.ParsePQF("@attr 1=9999 x")
	var me *MappingError
	if _, err := m.FromRPN(r); !errors.As(err, &me) || me.Code != 16 {
		t.Errorf("unmapped use: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"dc.title=computer and dc.creator=collins", `a prox/unit=word "b c"`, "(((", "x sortBy y/asc",
		`> dc = "u" dc.title any "a b"`, "computer*"} {
		f.Add(s)
	}
	m := Default()
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Parse(s)
		if err != nil {
			return
		}
		out := q.String()
		q2, err := Parse(out)
		if err != nil {
			t.Fatalf("printed %q does not parse: %v", out, err)
		}
		if q2.String() != out {
			t.Fatalf("not stable: %q -> %q", out, q2.String())
		}
		if r, err := m.ToRPN(q); err == nil {
			_ = z3950.PQF(r)
		}
	})
}
