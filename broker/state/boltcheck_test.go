package state

import (
	"context"
	"encoding/binary"
	"errors"
	"hash/fnv"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// boltStore writes a closed store with loans loans and returns its bytes,
// the page size and the meta bbolt opens it with.
func boltStore(t *testing.T, loans int) (raw []byte, m boltMeta) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "illgw.db")
	s := openTestEmbedded(t, path, Options{Partitions: 4, NoSnapshotSocket: true})
	populate(t, s, loans)
	s.Close()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m0, ok0 := parseBoltMeta(raw[boltPageHeader:])
	m1, ok1 := parseBoltMeta(raw[int(m0.pageSize)+boltPageHeader:])
	if !ok0 || !ok1 {
		t.Fatal("fresh store has a damaged meta")
	}
	if m1.tx > m0.tx {
		m0 = m1
	}
	return raw, m0
}

// inspectWithin runs Inspect on raw written to a file and fails the test
// when it does not return within a generous bound (a hang is a failure, not
// a stuck test run).
func inspectWithin(t *testing.T, raw []byte) error {
	t.Helper()
	path := filepath.Join(t.TempDir(), "damaged.db")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := Inspect(path); done <- err }()
	select {
	case err := <-done:
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("Inspect did not return within 20s")
		return nil
	}
}

// TestInspectHostileBoltPages: files whose bbolt pages point outside the
// file, into themselves or past their page are refused as ErrCorrupt.
// Before checkBoltBounds, the freelist case ran the process out of memory
// in bbolt's Check, the inline-bucket case was accepted as a sound store,
// and the self-pointing branch hung Inspect for ever; a damaged page could
// also fault inside bbolt's Check goroutine, which kills the process
// (seen once as a crash of TestRestore under -race -count=3).
func TestInspectHostileBoltPages(t *testing.T) {
	raw, m := boltStore(t, 8)
	ps := int(m.pageSize)
	root := int(m.root) * ps
	// The root page is a leaf of buckets; find an inline one (root 0).
	elem := func(i int) int { return root + boltPageHeader + i*boltElem }
	inline := -1
	for i := range int(binary.LittleEndian.Uint16(raw[root+10:])) {
		e := elem(i)
		pos, ksize := binary.LittleEndian.Uint32(raw[e+4:]), binary.LittleEndian.Uint32(raw[e+8:])
		v := e + int(pos) + int(ksize)
		if binary.LittleEndian.Uint32(raw[e:])&boltBucketLeaf != 0 && binary.LittleEndian.Uint64(raw[v:]) == 0 {
			inline = v + 16
			break
		}
	}
	if inline < 0 || m.freelist == boltNoFreelist {
		t.Fatal("fixture store has no inline bucket or no freelist page")
	}
	cases := []struct {
		name string
		mod  func(b []byte)
	}{
		{"freelist overflow 0xFFFFFFFF", func(b []byte) { binary.LittleEndian.PutUint32(b[int(m.freelist)*ps+12:], 0xFFFFFFFF) }},
		{"inline bucket page flags 0x3b02", func(b []byte) { binary.LittleEndian.PutUint16(b[inline+8:], 0x3b02) }},
		{"root page is a branch pointing to itself", func(b []byte) {
			binary.LittleEndian.PutUint16(b[root+8:], boltBranch)
			binary.LittleEndian.PutUint64(b[elem(0)+8:], m.root)
		}},
		{"leaf element past its page", func(b []byte) { binary.LittleEndian.PutUint32(b[elem(0)+4:], 0x7FFFFFFF) }},
		{"root page past the high-water mark", func(b []byte) {
			// Point the meta at a page beyond the file, and fix its checksum.
			for _, at := range []int{boltPageHeader, ps + boltPageHeader} {
				if mm, _ := parseBoltMeta(b[at:]); mm.tx == m.tx {
					binary.LittleEndian.PutUint64(b[at+16:], 1<<40)
					binary.LittleEndian.PutUint64(b[at+56:], fnv64a(b[at:at+56]))
				}
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := append([]byte(nil), raw...)
			c.mod(b)
			if err := inspectWithin(t, b); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Inspect = %v, want ErrCorrupt", err)
			}
		})
	}
}

// TestInspectTallStore: a store large enough for branch pages and overflow
// pages passes the page check and Inspect counts all its loans.
func TestInspectTallStore(t *testing.T) {
	raw, m := boltStore(t, 300)
	path := filepath.Join(t.TempDir(), "tall.db")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	var branches int
	for id := uint64(2); id < m.pgid; id++ {
		if binary.LittleEndian.Uint16(raw[int(id)*int(m.pageSize)+8:]) == boltBranch {
			branches++
		}
	}
	if branches == 0 {
		t.Fatal("fixture store has no branch page; make it taller")
	}
	info, err := Inspect(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Loans != 300 {
		t.Fatalf("Inspect counted %d loans, want 300", info.Loans)
	}
}

func fnv64a(b []byte) uint64 {
	h := fnv.New64a()
	h.Write(b)
	return h.Sum64()
}

// FuzzInspect: whatever bytes the file holds, Inspect returns within the
// bound of inspectWithin, without a fault or a runaway allocation killing
// the process, and what it refuses it calls corrupt.
func FuzzInspect(f *testing.F) {
	path := filepath.Join(f.TempDir(), "seed.db")
	s, err := Open(context.Background(), Options{Driver: "embedded", Path: path, Partitions: 4, NoSnapshotSocket: true})
	if err != nil {
		f.Fatal(err)
	}
	populate(f, s, 3)
	s.Close()
	seed, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<20 {
			return
		}
		if err := inspectWithin(t, b); err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrFormat) {
			t.Fatalf("Inspect = %v, want nil, ErrCorrupt or ErrFormat", err)
		}
	})
}
