package state

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// bbolt's on-disk layout (go.etcd.io/bbolt, internal/common: page.go,
// meta.go, bucket.go), as far as checkBoltBounds reads it. Every page
// starts with a 16-byte header: id u64, flags u16, count u16, overflow u32.
// Pages 0 and 1 hold a meta after that header: magic u32, version u32,
// pageSize u32, flags u32, root bucket {root u64, sequence u64}, freelist
// u64, pgid (the high-water mark) u64, txid u64, checksum u64 (FNV-64a of
// what precedes it). Branch elements are {pos u32, ksize u32, pgid u64},
// leaf elements {flags u32, pos u32, ksize u32, vsize u32}, pos counted
// from the element; a leaf value with flag 1 is a bucket {root u64,
// sequence u64}, followed by its inline leaf page when root is 0. Integers
// are in the machine's byte order; illgw runs on little-endian machines.
const (
	boltPageHeader = 16
	boltElem       = 16
	boltMetaSize   = 64
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	boltNoFreelist = ^uint64(0)
	boltMinPage    = 512
	boltMaxPage    = 1 << 16
	boltBranch     = 0x01
	boltLeaf       = 0x02
	boltBucketLeaf = 0x01
	// boltMaxDepth bounds bucket and tree nesting; illgw's stores nest two
	// buckets deep and their trees are a few levels high.
	boltMaxDepth = 64
)

// checkBoltBounds checks the structure of the bbolt file at path that
// bbolt will read: the newest valid meta, its freelist page, and every page
// of every bucket's tree, each inside the high-water mark, reached once
// (no cycles), with every element inside its page. It returns an
// ErrCorrupt error naming the first fault.
//
// It reads the file with bounds-checked slices, never through bbolt's
// memory map, because bbolt trusts the file: its Tx.Check runs in a
// goroutine of its own, where a fault on a page past the mapping kills the
// process; it loops for ever over a freelist page whose overflow is
// 0xFFFFFFFF; and its cursors follow a branch page that points to itself
// until memory runs out. Inspect calls it while it holds bbolt's shared
// lock, so no writer changes the file meanwhile.
func checkBoltBounds(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	c := boltChecker{f: f, path: path, seen: map[uint64]bool{}}
	m, err := c.meta(uint64(fi.Size()))
	if err != nil {
		return err
	}
	c.ps, c.hwm = uint64(m.pageSize), m.pgid
	if m.freelist != boltNoFreelist {
		b, err := c.page(m.freelist)
		if err != nil {
			return err
		}
		// count 0xFFFF means the real count is the first id slot.
		ids, slots := uint64(binary.LittleEndian.Uint16(b[10:])), uint64(len(b)-boltPageHeader)/8
		if ids == 0xFFFF {
			ids = binary.LittleEndian.Uint64(b[boltPageHeader:]) + 1
		}
		if ids > slots || ids == 0 && binary.LittleEndian.Uint16(b[10:]) == 0xFFFF {
			return c.bad("freelist page %d claims more ids than it has room for", m.freelist)
		}
	}
	return c.tree(m.root, 0)
}

// boltMeta holds the fields of a bbolt meta that checkBoltBounds uses.
type boltMeta struct {
	pageSize                 uint32
	root, freelist, pgid, tx uint64
}

type boltChecker struct {
	f        *os.File
	path     string
	ps, hwm  uint64
	seen     map[uint64]bool
	buf, hdr []byte
}

func (c *boltChecker) bad(format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrCorrupt, c.path, fmt.Sprintf(format, args...))
}

// meta returns the meta bbolt opens the file with: the valid one with the
// higher transaction id. Its pages must fit in a file of size bytes.
func (c *boltChecker) meta(size uint64) (boltMeta, error) {
	var metas []boltMeta
	b := make([]byte, boltPageHeader+boltMetaSize)
	if _, err := c.f.ReadAt(b, 0); err != nil {
		return boltMeta{}, c.bad("no bbolt meta page: %v", err)
	}
	first, ok := parseBoltMeta(b[boltPageHeader:])
	if ok {
		metas = append(metas, first)
	}
	for _, off := range []int64{int64(first.pageSize), int64(os.Getpagesize())} {
		if _, err := c.f.ReadAt(b, off); err == nil {
			if m, ok := parseBoltMeta(b[boltPageHeader:]); ok && int64(m.pageSize) == off {
				metas = append(metas, m)
				break
			}
		}
	}
	if len(metas) == 0 {
		return boltMeta{}, c.bad("both bbolt meta pages are damaged")
	}
	m := metas[0]
	if len(metas) == 2 && metas[1].tx > m.tx {
		m = metas[1]
	}
	if ps := uint64(m.pageSize); m.pgid < 2 || m.pgid > size/ps {
		return boltMeta{}, c.bad("high-water mark %d beyond the file's %d pages", m.pgid, size/ps)
	}
	return m, nil
}

// parseBoltMeta decodes a meta (without its page header) and reports
// whether its magic, version, page size and checksum are right.
func parseBoltMeta(b []byte) (boltMeta, bool) {
	le := binary.LittleEndian
	m := boltMeta{
		pageSize: le.Uint32(b[8:]),
		root:     le.Uint64(b[16:]),
		freelist: le.Uint64(b[32:]),
		pgid:     le.Uint64(b[40:]),
		tx:       le.Uint64(b[48:]),
	}
	h := fnv.New64a()
	h.Write(b[:56])
	ok := le.Uint32(b[0:]) == boltMagic && le.Uint32(b[4:]) == boltVersion &&
		m.pageSize >= boltMinPage && m.pageSize <= boltMaxPage && m.pageSize&(m.pageSize-1) == 0 &&
		h.Sum64() == le.Uint64(b[56:])
	return m, ok
}

// page reads page id with its overflow pages, after checking that they lie
// below the high-water mark and were not reached before.
func (c *boltChecker) page(id uint64) ([]byte, error) {
	if id < 2 || id >= c.hwm {
		return nil, c.bad("page %d outside 2..%d", id, c.hwm-1)
	}
	if c.seen[id] {
		return nil, c.bad("page %d reached twice", id)
	}
	c.seen[id] = true
	if c.hdr == nil {
		c.hdr = make([]byte, boltPageHeader)
	}
	if _, err := c.f.ReadAt(c.hdr, int64(id*c.ps)); err != nil && err != io.EOF {
		return nil, c.bad("page %d unreadable: %v", id, err)
	}
	overflow := uint64(binary.LittleEndian.Uint32(c.hdr[12:]))
	if overflow >= c.hwm-id {
		return nil, c.bad("page %d runs %d pages past the high-water mark", id, overflow)
	}
	n := (overflow + 1) * c.ps
	if uint64(cap(c.buf)) < n {
		c.buf = make([]byte, n)
	}
	b := c.buf[:n]
	if _, err := c.f.ReadAt(b, int64(id*c.ps)); err != nil && err != io.EOF {
		return nil, c.bad("page %d unreadable: %v", id, err)
	}
	return b, nil
}

// tree checks the bucket tree whose root is page id.
func (c *boltChecker) tree(id uint64, depth int) error {
	if depth > boltMaxDepth {
		return c.bad("buckets or tree levels nested deeper than %d", boltMaxDepth)
	}
	b, err := c.page(id)
	if err != nil {
		return err
	}
	// b is c.buf, which deeper pages reuse: keep a copy of this page.
	return c.node(append([]byte(nil), b...), id, depth)
}

// node checks the elements of a branch or leaf page b (id 0: inline) and
// descends into its children and sub-buckets.
func (c *boltChecker) node(b []byte, id uint64, depth int) error {
	le := binary.LittleEndian
	if len(b) < boltPageHeader {
		return c.bad("inline page shorter than its header in page %d", id)
	}
	flags, count := le.Uint16(b[8:]), int(le.Uint16(b[10:]))
	if count*boltElem > len(b)-boltPageHeader {
		return c.bad("page %d claims %d elements", id, count)
	}
	if flags != boltBranch && flags != boltLeaf || flags == boltBranch && id == 0 {
		// bbolt tells a leaf by flags == leaf, and takes anything else
		// for a branch; an inline page is always a leaf.
		return c.bad("page %d is neither a branch nor a leaf (flags %#x)", id, flags)
	}
	if flags == boltBranch && count == 0 {
		// bbolt's cursor would read the first element anyway.
		return c.bad("branch page %d has no elements", id)
	}
	for i := range count {
		at := boltPageHeader + i*boltElem
		e := b[at : at+boltElem]
		switch {
		case flags == boltBranch:
			pos, ksize := uint64(le.Uint32(e[0:])), uint64(le.Uint32(e[4:]))
			if uint64(at)+pos+ksize > uint64(len(b)) {
				return c.bad("page %d element %d outside its page", id, i)
			}
			if err := c.tree(le.Uint64(e[8:]), depth+1); err != nil {
				return err
			}
		default:
			pos, ksize, vsize := uint64(le.Uint32(e[4:])), uint64(le.Uint32(e[8:])), uint64(le.Uint32(e[12:]))
			end := uint64(at) + pos + ksize + vsize
			if end > uint64(len(b)) {
				return c.bad("page %d element %d outside its page", id, i)
			}
			if le.Uint32(e[0:])&boltBucketLeaf == 0 {
				continue
			}
			v := b[end-vsize : end]
			if len(v) < 16 {
				return c.bad("page %d element %d: bucket header cut short", id, i)
			}
			if root := le.Uint64(v); root != 0 {
				if err := c.tree(root, depth+1); err != nil {
					return err
				}
			} else if err := c.node(v[16:], 0, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}
