package testenv

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// RunClient runs a command-line client such as yaz-client or zoomsh in a
// temporary folder with empty standard input and returns what it printed.
// A non-empty script is written to a file whose path is appended to args
// (so "-f" as the last argument runs `yaz-client -f FILE`). The test fails
// if the client runs for more than a minute; its exit status is left to
// the caller, who reads the output.
func RunClient(t testing.TB, bin, script string, args ...string) string {
	t.Helper()
	if script != "" {
		f := filepath.Join(t.TempDir(), "cmds")
		if err := os.WriteFile(f, []byte(script), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, f)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin = bytes.NewReader(nil)
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("%s timed out: %v\n%s", bin, err, out)
	}
	return string(out)
}
