package state

import (
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestSnapshotPeerRefused: a process of another user is refused by
// SO_PEERCRED even when the socket file's mode would let it connect. The
// client is this test binary, copied where that user can run it. Needs
// root (to start a process as nobody).
func TestSnapshotPeerRefused(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run a client as another user")
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	os.Chmod(filepath.Dir(dir), 0o755) // t.TempDir makes both levels 0700
	path := filepath.Join(dir, "illgw.db")
	openTestEmbedded(t, path, Options{})
	os.Chmod(SnapshotSocket(path), 0o666) // only SO_PEERCRED stands in the way now
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "client")
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^TestSnapshotPeerHelper$")
	cmd.Env = append(os.Environ(), "ILLGW_PEER_SOCKET="+SnapshotSocket(path))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("client as nobody: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "REPLY ERR uid 65534 may not read the store") {
		t.Fatalf("a client of another uid got:\n%s", out)
	}
}

// TestSnapshotPeerHelper is the client side of TestSnapshotPeerRefused.
func TestSnapshotPeerHelper(t *testing.T) {
	sock := os.Getenv("ILLGW_PEER_SOCKET")
	if sock == "" {
		t.Skip("helper of TestSnapshotPeerRefused")
	}
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, snapshotRequest)
	b, _ := io.ReadAll(io.LimitReader(c, 256))
	os.Stdout.WriteString("REPLY " + string(b))
}
