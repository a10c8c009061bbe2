package state

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func backupTo(t *testing.T, path, out string) (online bool) {
	t.Helper()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, online, err := Backup(context.Background(), path, f)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := f.Stat(); fi.Size() != n || n == 0 {
		t.Fatalf("backup wrote %d bytes, says %d", fi.Size(), n)
	}
	return online
}

// TestBackupOnlineAndOffline: a store that is open is copied through its
// snapshot socket, a closed one from the file; both copies pass Inspect
// and read back as the store did.
func TestBackupOnlineAndOffline(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "illgw.db")
	s := openTestEmbedded(t, path, Options{Partitions: 4})
	populate(t, s, 20)
	if fi, err := os.Stat(SnapshotSocket(path)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("snapshot socket: %v, %v; want mode 0600", fi, err)
	}
	want := readView(t, s)
	if !backupTo(t, path, filepath.Join(dir, "online.db")) {
		t.Fatal("backup of an open store did not use its snapshot socket")
	}
	s.Close()
	if _, err := os.Stat(SnapshotSocket(path)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("snapshot socket left after Close: %v", err)
	}
	if backupTo(t, path, filepath.Join(dir, "offline.db")) {
		t.Fatal("backup of a closed store says online")
	}
	for _, name := range []string{"online.db", "offline.db"} {
		info, err := Inspect(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if info.Partitions != 4 || info.Format != FormatVersion || info.Loans != 20 || info.TTL != 6 || info.Events == 0 || info.Timers == 0 {
			t.Fatalf("%s: %+v", name, info)
		}
		c := openTestEmbedded(t, filepath.Join(dir, name), Options{Partitions: 4})
		if got := readView(t, c); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s reads differently from the store", name)
		}
	}
}

// TestBackupLockedWithoutSocket: a store held by a process that serves no
// snapshots cannot be copied, and Backup says why instead of hanging.
func TestBackupLockedWithoutSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "illgw.db")
	openTestEmbedded(t, path, Options{NoSnapshotSocket: true})
	_, _, err := Backup(context.Background(), path, &bytes.Buffer{})
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), "snapshot socket") {
		t.Fatalf("backup of a locked store without a socket: %v", err)
	}
}

// TestSnapshotSocketRefusesBadRequests: the socket answers nothing but its
// one request line, and a stale socket file does not stop a store opening.
func TestSnapshotSocketRefusesBadRequests(t *testing.T) {
	path := filepath.Join(t.TempDir(), "illgw.db")
	if err := os.WriteFile(SnapshotSocket(path), []byte("stale"), 0o600); err != nil {
		t.Fatal(err)
	}
	openTestEmbedded(t, path, Options{})
	c, err := net.Dial("unix", SnapshotSocket(path))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("GET / HTTP/1.0\r\n\r\n"))
	b := make([]byte, 64)
	n, _ := c.Read(b)
	if got := string(b[:n]); got != "ERR bad request\n" {
		t.Fatalf("reply to a bad request = %q", got)
	}
}

// TestRestore: a snapshot goes back in place of a store, the replaced
// store is kept, and a store in use, a damaged snapshot or another
// partition count are refused before anything changes.
func TestRestore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "illgw.db")
	s := openTestEmbedded(t, path, Options{Partitions: 4})
	populate(t, s, 8)
	want := readView(t, s)
	snap := filepath.Join(dir, "snap.db")
	backupTo(t, path, snap)
	mustCreate(t, s, "AFTER") // not in the snapshot

	if _, err := Restore(ctx, snap, path, 4); !errors.Is(err, ErrInUse) {
		t.Fatalf("restore over an open store: %v, want ErrInUse", err)
	}
	s.Close()
	if _, err := Restore(ctx, snap, path, 8); !errors.Is(err, ErrInvalid) {
		t.Fatalf("restore with another partition count: %v, want ErrInvalid", err)
	}
	garbage := filepath.Join(dir, "garbage.db")
	os.WriteFile(garbage, bytes.Repeat([]byte("illgw"), 5000), 0o600)
	raw, _ := os.ReadFile(snap)
	cut := filepath.Join(dir, "cut.db")
	os.WriteFile(cut, raw[:len(raw)/2], 0o600)
	flipped := filepath.Join(dir, "flipped.db")
	bad := bytes.Clone(raw)
	for i := 3 * 4096; i < len(bad); i += 4096 { // every page header after the metas and freelist
		bad[i+8] ^= 0xff
	}
	os.WriteFile(flipped, bad, 0o600)
	for _, f := range []string{garbage, cut, flipped, filepath.Join(dir, "missing.db")} {
		_, err := Restore(ctx, f, path, 4)
		if err == nil {
			t.Fatalf("restore of %s succeeded", filepath.Base(f))
		}
		t.Logf("%s: %v", filepath.Base(f), err)
	}
	res, err := Restore(ctx, snap, path, 4)
	if err != nil {
		t.Fatal(err)
	}
	if res.Previous == "" || res.Info.Loans != 8 {
		t.Fatalf("restore result %+v", res)
	}
	prev := openTestEmbedded(t, res.Previous, Options{Partitions: 4, NoSnapshotSocket: true})
	if _, err := prev.Get(ctx, "AFTER"); err != nil {
		t.Fatalf("the replaced store was not kept: %v", err)
	}
	r := openTestEmbedded(t, path, Options{Partitions: 4})
	if got := readView(t, r); !reflect.DeepEqual(got, want) {
		t.Fatal("the restored store reads differently from the snapshot")
	}
	if _, err := r.Get(ctx, "AFTER"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a loan written after the snapshot is in the restored store: %v", err)
	}
}

// TestBackupHostileReplies: Backup reads the snapshot socket's reply with
// limits; a lying or broken peer gives an error, never a hang, a panic or
// an allocation of the size it claims.
func TestBackupHostileReplies(t *testing.T) {
	for name, tc := range map[string]struct{ reply, want string }{
		"long header":     {strings.Repeat("A", 4096), "longer than"},
		"refused":         {"ERR another snapshot is in progress\n", "refused the snapshot: another snapshot"},
		"garbage":         {"HTTP/1.0 200 OK\n", "not understood"},
		"negative size":   {"OK -5 1 4\n", "bad size"},
		"newer format":    {"OK 10 99 4\n0123456789", "store format 99"},
		"cut short":       {"OK 1000000000000 1 4\nonly this", "cut after 9 of 1000000000000"},
		"closed silently": {"", "EOF"},
	} {
		path := filepath.Join(t.TempDir(), "illgw.db")
		ln, err := net.Listen("unix", SnapshotSocket(path))
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, len(snapshotRequest))
			c.Read(buf)
			c.Write([]byte(tc.reply))
			c.Close()
		}()
		var out bytes.Buffer
		_, online, err := Backup(context.Background(), path, &out)
		ln.Close()
		if err == nil || !online || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: online %v, %v; want an error with %q", name, online, err, tc.want)
		}
	}
}

// FuzzSnapshotReply: whatever a peer on the snapshot socket answers,
// the client returns (an error or the bytes announced) without panicking,
// and never hands on more bytes than the header announced.
func FuzzSnapshotReply(f *testing.F) {
	for _, s := range []string{"OK 4 1 16\nabcd", "OK 0 1 4\n", "ERR busy\n", "OK 10 99 4\n", strings.Repeat("A", 200), "OK 99999999999 1 4\nxy"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, reply []byte) {
		client, server := net.Pipe()
		go func() {
			buf := make([]byte, len(snapshotRequest))
			io.ReadFull(server, buf)
			server.Write(reply)
			server.Close()
		}()
		var out bytes.Buffer
		n, err := backupOnline(context.Background(), client, &out)
		client.Close()
		if int64(out.Len()) != n {
			t.Fatalf("wrote %d bytes, says %d", out.Len(), n)
		}
		if err == nil && !bytes.HasPrefix(reply, []byte("OK ")) {
			t.Fatalf("reply %q accepted", reply)
		}
	})
}

// TestSnapshotStalledClient: a client that asks for a snapshot and stops
// reading is cut off, so it cannot hold the read transaction (and the
// snapshot slot) for ever.
func TestSnapshotStalledClient(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "illgw.db")
	s := openTestEmbedded(t, path, Options{})
	s.(*embedded).snap.stall = 200 * time.Millisecond
	for i := range 6 { // a file larger than the socket's buffers
		if _, err := s.Apply(ctx, Mutation{LoanID: fmt.Sprintf("BIG%d", i), Data: bytes.Repeat([]byte{byte(i)}, MaxDataLen)}); err != nil {
			t.Fatal(err)
		}
	}
	c, err := net.Dial("unix", SnapshotSocket(path))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, snapshotRequest) // and read nothing
	time.Sleep(50 * time.Millisecond)
	if _, _, err := Backup(ctx, path, io.Discard); err == nil || !strings.Contains(err.Error(), "another snapshot") {
		t.Fatalf("backup beside a stalled one: %v, want it refused while the slot is held", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, _, err := Backup(ctx, path, io.Discard)
		if err == nil && n > 6*MaxDataLen {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stalled client still holds the snapshot after 5s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
