package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestSearch: `illctl search -db consortium 'dc.title=computer'` against
// the demo prints merged records, each with its holding members, call
// numbers and availability, then every member's hit count.
func TestSearch(t *testing.T) {
	addr := demo(t)
	code, out, errs := illctl("-addr", addr, "search", "-db", "consortium", "-n", "50", "dc.title=computer")
	if code != 0 {
		t.Fatalf("search: %d %s", code, errs)
	}
	m := regexp.MustCompile(`consortium: (\d+) merged records\n`).FindStringSubmatch(out)
	if m == nil || m[1] == "0" {
		t.Fatalf("search output:\n%s", out)
	}
	for _, want := range []string{"NORTH", "SOUTH", "EAST", "available", "MEMBER", "HITS"} {
		if !strings.Contains(out, want) {
			t.Errorf("search output lacks %q:\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`(?i)\n\s+1\. .*comput`).MatchString(out) {
		t.Errorf("first record is not a computer title:\n%s", out)
	}
	code, out, errs = illctl("-addr", addr, "search", "-pqf", "@attr 1=7 0839108826")
	if code != 0 || !strings.Contains(out, "consortium: 1 merged records") || strings.Count(out, "available") < 2 {
		t.Fatalf("ISBN search: %d %s\n%s", code, errs, out)
	}
	if code, _, errs := illctl("-addr", addr, "search", "-db", "nowhere", "x"); code != 1 || !strings.Contains(errs, "NotFound") {
		t.Fatalf("unknown database: %d %s", code, errs)
	}
	if code, _, _ := illctl("-addr", addr, "search", "((("); code != 2 {
		t.Fatalf("bad CQL: exit %d, want 2", code)
	}
}
