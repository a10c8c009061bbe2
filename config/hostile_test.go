package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHostile feeds fixed hostile files and checks each is refused with a
// clear message, quickly and without a panic.
func TestHostile(t *testing.T) {
	var aliasBomb strings.Builder
	aliasBomb.WriteString("members: [{code: N, sip2: {addr: '127.0.0.1:1'}}]\nterminals:\n  - &t {login: k, member: N, password_hash: x, allowed_cidrs: [")
	for i := range 2000 {
		if i > 0 {
			aliasBomb.WriteString(", ")
		}
		aliasBomb.WriteString("10.0.0.0/8")
	}
	aliasBomb.WriteString("]}\n")
	for range 2000 {
		aliasBomb.WriteString("  - *t\n")
	}
	var manyErrors strings.Builder
	manyErrors.WriteString("listen:\n")
	for i := range 500 {
		manyErrors.WriteString("  k")
		manyErrors.WriteString(strings.Repeat("x", i%7))
		manyErrors.WriteString(string(rune('a'+i%26)) + string(rune('a'+i/26)) + ": 1\n")
	}
	tests := []struct {
		name, src, want string
	}{
		{"too big", strings.Repeat("#", MaxFileSize+1), "t.yaml: file is more than 1048576 bytes"},
		{"deep nesting", "listen: " + strings.Repeat("[", 100_000), "t.yaml: YAML syntax: exceeded max depth"},
		{"deep mappings", "listen: " + strings.Repeat("{a: ", 50_000), "t.yaml: YAML syntax: exceeded max depth"},
		{"alias bomb", aliasBomb.String(), "file expands to more than 200000 values"},
		{"alias to itself", "listen: &a {sip2: *a}", "t.yaml:1: listen.sip2: expected a single value, got a mapping"},
		{"merge of itself", "listen: &a {<<: *a}", "t.yaml:1: listen: merges (<<) nested more than 10 deep"},
		{"wide merge loop", "members: [{code: A, catalog: &a {<<: [*a, *a, *a, *a, *a, *a, *a, *a, *a]}}]", "merges (<<) nested more than 10 deep"},
		{"merge loop", "members: [{code: A, catalog: &a {<<: [*a, *a]}}]", "merges (<<) nested more than 10 deep"},
		{"many errors", manyErrors.String(), "t.yaml: more than 100 problems; fix these first"},
		{"huge key", "listen: {" + strings.Repeat("k", 100_000) + ": 1}", "YAML syntax"},
		{"long key", "listen:\n  " + strings.Repeat("k", 1000) + ": 1", `t.yaml:2: listen."kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk...": unknown key`},
		{"control characters in a key", "listen: {\"a\\nb\\x1b[31m\": 1}", `t.yaml:1: listen."a\nb\x1b[31m": unknown key`},
		{"control characters in a name", "state: {password_env: \"A\\nB\\e\"}", `t.yaml:1: state.password: environment variable A\x0aB\x1b is not set`},
		{"odd database name", "members: [{code: A}]\ndatabases: {\"all of it\": [A]}", `t.yaml:2: databases."all of it": "all of it": a database name is`},
		{"binary", "\x00\xff\xfe", "YAML syntax"},
		{"merge of a scalar", "listen: {<<: 1}", "t.yaml:1: listen: << must name a mapping"},
		{"key as a list", "listen: {[a]: 1}", "t.yaml:1: listen: a key must be a plain name, got a list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			c, err := Parse([]byte(tt.src), "t.yaml")
			if err == nil || c != nil {
				t.Fatalf("accepted: %v", c)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error does not contain %q:\n%.600s", tt.want, err.Error())
			}
			var list ErrorList
			if !errors.As(err, &list) || len(list) > maxErrors+1 {
				t.Errorf("error list of %d", len(list))
			}
			if d := time.Since(start); d > 30*time.Second { // a blow-up, not slowness under load
				t.Errorf("took %v", d)
			}
		})
	}
}

// TestLoadTooBig checks the size limit is applied before a file is read.
func TestLoadTooBig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.yaml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 40); err != nil { // sparse: a terabyte that is never read
		f.Close()
		t.Skipf("cannot make a sparse file: %v", err)
	}
	f.Close()
	_, err = Load(path)
	if err == nil || !strings.Contains(err.Error(), "file is 1099511627776 bytes; the limit is 1048576") {
		t.Fatalf("err = %v", err)
	}
}
