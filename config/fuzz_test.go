package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzParse checks that no input makes Parse panic, that every failure is
// an ErrorList naming the file with lines inside it, and that whatever
// Parse accepts also passes Validate. Seeds: every YAML file in testdata.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/*.yaml", "testdata/invalid/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte("listen: &a {<<: [*a, *a]}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tm := time.AfterFunc(10*time.Second, func() { panic(fmt.Sprintf("hang on %q", data)) })
		defer tm.Stop()
		c, err := Parse(data, "f.yaml")
		if err != nil {
			if c != nil {
				t.Fatal("config returned with an error")
			}
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 || len(list) > maxErrors+1 {
				t.Fatalf("error %T with %d entries", err, len(list))
			}
			lines := strings.Count(string(data), "\n") + strings.Count(string(data), "\r") + 1
			for _, e := range list {
				if e.File != "f.yaml" || e.Line < 0 || e.Line > lines || e.Reason == "" {
					t.Fatalf("bad error %#v", e)
				}
				if strings.ContainsFunc(e.Error(), isControl) {
					t.Fatalf("control character in %q", e.Error())
				}
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse accepted what Validate refuses: %v", err)
		}
	})
}
