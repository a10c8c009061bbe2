package illgwv1

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGeneratedCodeIsReproducible regenerates the Go code into a temporary
// folder and compares it byte for byte with the committed files, so that
// `make generate` leaves git clean and nobody edits generated code by hand.
func TestGeneratedCodeIsReproducible(t *testing.T) {
	if _, err := exec.LookPath("protoc"); err != nil {
		if os.Getenv("ILLGW_REQUIRE_SERVERS") == "1" {
			t.Fatal("protoc not found: install the Debian package protobuf-compiler")
		}
		t.Skip("protoc not found: install the Debian package protobuf-compiler")
	}
	if testing.Short() {
		t.Skip("builds the protoc plugins")
	}
	out := t.TempDir()
	cmd := exec.Command("sh", "generate.sh", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("generate.sh: %v\n%s", err, b)
	}
	committed, err := filepath.Glob("*.pb.go")
	if err != nil {
		t.Fatal(err)
	}
	generated, err := filepath.Glob(filepath.Join(out, "illgw", "v1", "*.pb.go"))
	if err != nil {
		t.Fatal(err)
	}
	if len(committed) == 0 || len(committed) != len(generated) {
		t.Fatalf("committed %d .pb.go files, generated %d", len(committed), len(generated))
	}
	for _, name := range committed {
		want, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(out, "illgw", "v1", name))
		if err != nil {
			t.Fatalf("%s was not generated: %v", name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what generate.sh produces: run `make generate`", name)
		}
	}
}
