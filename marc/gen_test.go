package marc

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGeneratedTablesUpToDate runs the generator and checks that its
// output is the committed zmarc8.go, byte for byte.
func TestGeneratedTablesUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the generator")
	}
	out := filepath.Join(t.TempDir(), "zmarc8.go")
	cmd := exec.Command("go", "run", "./gen", "-in", "gen/codetables.tsv", "-out", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run ./gen: %v\n%s", err, msg)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("zmarc8.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("zmarc8.go is not what go generate makes from gen/codetables.tsv; run go generate ./marc")
	}
}

// TestCodeTableFromPerl checks gen/codetables.tsv against the Perl table it
// was derived from, when libmarc-charset-perl is installed.
func TestCodeTableFromPerl(t *testing.T) {
	if _, err := os.Stat("/usr/share/perl5/MARC/Charset/Table.pm"); err != nil {
		t.Skip("libmarc-charset-perl not installed (apt-get install libmarc-charset-perl); gen/codetables.tsv is the committed copy")
	}
	got, err := exec.Command("perl", "gen/dump-marc-charset.pl").Output()
	if err != nil {
		t.Fatalf("perl gen/dump-marc-charset.pl: %v", err)
	}
	want, err := os.ReadFile("gen/codetables.tsv")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("gen/codetables.tsv differs from what dump-marc-charset.pl derives from libmarc-charset-perl")
	}
}
