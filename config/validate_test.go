package config

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// want is one expected problem, written in a test file as
// "# want: LINE KEY: REASON" (REASON is a prefix of the message's reason).
type want struct {
	line   int
	key    string
	reason string
}

var wantLine = regexp.MustCompile(`^# want: (\d+) (\S*?): (.+)$`)

func readWants(t *testing.T, path string) []want {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ws []want
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if m := wantLine.FindStringSubmatch(sc.Text()); m != nil {
			n, _ := strconv.Atoi(m[1])
			ws = append(ws, want{n, m[2], m[3]})
		}
	}
	return ws
}

// TestInvalid loads every file under testdata/invalid and checks that the
// problems reported are exactly the ones its "# want:" lines name, each
// with its file, line, key and reason.
func TestInvalid(t *testing.T) {
	t.Setenv("ILLGW_TEST_EMPTY_VARIABLE", "")
	t.Setenv("ILLGW_TEST_UNSET_VARIABLE", "x")
	os.Unsetenv("ILLGW_TEST_UNSET_VARIABLE")
	files, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".yaml"), func(t *testing.T) {
			ws := readWants(t, path)
			if len(ws) == 0 {
				t.Fatal("file has no # want: lines")
			}
			_, err := Load(path)
			if err == nil {
				t.Fatal("Load accepted the file")
			}
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error is %T, want ErrorList", err)
			}
			used := make([]bool, len(list))
			for _, w := range ws {
				found := false
				for i, e := range list {
					if !used[i] && e.Line == w.line && e.Key == w.key && strings.HasPrefix(e.Reason, w.reason) {
						used[i], found = true, true
						break
					}
				}
				if !found {
					t.Errorf("missing %d %s: %s", w.line, w.key, w.reason)
				}
			}
			for i, e := range list {
				if !used[i] {
					t.Errorf("unexpected: %v", e)
				}
				if e.File != path {
					t.Errorf("error names file %q, want %q", e.File, path)
				}
				prefix := fmt.Sprintf("%s:%d: ", path, e.Line)
				if !strings.HasPrefix(e.Error(), prefix) {
					t.Errorf("%q does not start with %q", e.Error(), prefix)
				}
			}
			if t.Failed() {
				t.Logf("all errors:\n%v", err)
			}
			if strings.Contains(err.Error(), "canary") {
				t.Errorf("a secret value leaked into the error:\n%v", err)
			}
		})
	}
}
