package testenv

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fakeApt puts a shell script named apt-get first on PATH. The script logs
// its arguments to calls, sets $PKG to its last argument and $BIN to its
// folder, and runs body. It returns the folder.
func fakeApt(t *testing.T, body string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("Require installs only as root")
	}
	sh := Require(t, "sh", "dash")
	dir := t.TempDir()
	script := "#!" + sh + "\nset -e\nBIN=" + dir + "\nfor a; do PKG=$a; done\necho \"$*\" >> $BIN/calls\n" + body + "\n"
	if err := os.WriteFile(filepath.Join(dir, "apt-get"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv(RequireServersEnv, "")
	return dir
}

func aptCalls(dir string) []string {
	b, err := os.ReadFile(filepath.Join(dir, "calls"))
	if err != nil {
		return nil
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// installScript "installs" illgw-fake-srv into $BIN, slowly, and fails if
// two runs overlap.
const installScript = `[ "$1" = install ] || exit 0
mkdir $BIN/busy || { echo overlapping apt-get runs; exit 9; }
sleep 0.3
printf '#!/bin/true\n' > $BIN/illgw-fake-srv
chmod 755 $BIN/illgw-fake-srv
rmdir $BIN/busy`

// As root with apt-get, Require installs the package. Concurrent callers
// queue on the apt lock, and the later one finds the binary installed and
// does not run apt-get again.
func TestRequireInstallsWithApt(t *testing.T) {
	dir := fakeApt(t, installScript)
	var wg sync.WaitGroup
	results := make([]string, 2)
	fakes := make([]*fakeTB, 2)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fakes[i], results[i] = runFake(t, func(tb testing.TB) string { return Require(tb, "illgw-fake-srv", "illgw-fake-pkg") })
		}()
	}
	wg.Wait()
	want := filepath.Join(dir, "illgw-fake-srv")
	for i := range results {
		if fakes[i].skipped != "" || fakes[i].fatal != "" || results[i] != want {
			t.Fatalf("caller %d: path %q skip %q fatal %q", i, results[i], fakes[i].skipped, fakes[i].fatal)
		}
	}
	if c := aptCalls(dir); len(c) != 1 || !strings.HasPrefix(c[0], "install -y") || !strings.HasSuffix(c[0], " illgw-fake-pkg") {
		t.Fatalf("apt-get calls %q, want one install of illgw-fake-pkg", c)
	}
}

// A failed install refreshes the package lists once and tries again.
func TestRequireRetriesAfterAptUpdate(t *testing.T) {
	dir := fakeApt(t, `if [ "$1" = update ]; then : > $BIN/updated; exit 0; fi
[ -e $BIN/updated ] || { echo "E: Unable to locate package $PKG"; exit 100; }
`+installScript)
	f, got := runFake(t, func(tb testing.TB) string { return Require(tb, "illgw-fake-srv", "illgw-fake-pkg") })
	if got == "" {
		t.Fatalf("not installed: skip %q fatal %q", f.skipped, f.fatal)
	}
	c := aptCalls(dir)
	if len(c) != 3 || !strings.HasPrefix(c[0], "install") || !strings.HasPrefix(c[1], "update") || !strings.HasPrefix(c[2], "install") {
		t.Fatalf("apt-get calls %q, want install, update, install", c)
	}
}

// When apt-get cannot install the package, Require skips (or fails under
// ILLGW_REQUIRE_SERVERS=1) with apt-get's own message.
func TestRequireAptFailure(t *testing.T) {
	fakeApt(t, `echo "E: Unable to locate package $PKG"; exit 100`)
	f, _ := runFake(t, func(tb testing.TB) string { return Require(tb, "illgw-fake-srv", "illgw-fake-pkg") })
	if !strings.Contains(f.skipped, "E: Unable to locate package illgw-fake-pkg") || !strings.Contains(f.skipped, "apt-get install illgw-fake-pkg") {
		t.Fatalf("skip message: %q (fatal %q)", f.skipped, f.fatal)
	}
	t.Setenv(RequireServersEnv, "1")
	f, _ = runFake(t, func(tb testing.TB) string { return Require(tb, "illgw-fake-srv", "illgw-fake-pkg") })
	if f.skipped != "" || !strings.Contains(f.fatal, "Unable to locate package illgw-fake-pkg") {
		t.Fatalf("want a failure: skip %q fatal %q", f.skipped, f.fatal)
	}
}
