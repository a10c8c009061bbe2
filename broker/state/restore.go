package state

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterr "go.etcd.io/bbolt/errors"
)

// ErrCorrupt reports a store file that fails its checks.
var ErrCorrupt = errors.New("state: store fails its checks")

// maxCheckErrors is how many problems Inspect reports before it stops.
const maxCheckErrors = 10

// Info describes an embedded store file that passed Inspect.
type Info struct {
	Format     int
	Partitions int
	Loans      int
	Events     int // entries of every loan's log (each is also in its partition's feed)
	Timers     int
	TTL        int // TTL entries, live or expired but not yet swept
	Size       int64
}

// Inspect opens the bbolt file at path read-only and checks it: the page
// structure bbolt will walk (checkBoltBounds, on the file's bytes, since
// bbolt trusts them), bbolt's own page check (Tx.Check), the meta bucket (partition count, FormatVersion),
// and the store's own invariants: every record decodes, each loan's log is
// numbered 1..n, each feed entry is under its position and is the same
// entry as in its loan's log, and timers and their index agree. It is what
// Restore runs on a snapshot before it puts it back. A file that another
// process has open gives ErrInUse.
func Inspect(path string) (info Info, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Info{}, fmt.Errorf("state: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return Info{}, fmt.Errorf("%w: %s is not a regular file", ErrCorrupt, path)
	}
	// A damaged file can make bbolt read outside its mapping; turn that
	// fault into a panic, and every panic into an error.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %s: %v", ErrCorrupt, path, r)
		}
	}()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: lockProbe})
	if err != nil {
		if errors.Is(err, bolterr.ErrTimeout) {
			return Info{}, fmt.Errorf("%w: %s is open in another process", ErrInUse, path)
		}
		return Info{}, fmt.Errorf("%w: %s is not a bbolt file: %v", ErrCorrupt, path, err)
	}
	defer db.Close()
	if err := checkBoltBounds(path); err != nil {
		return Info{}, err
	}
	info.Size = fi.Size()
	err = db.View(func(tx *bolt.Tx) error {
		// bbolt's Check runs in a goroutine of its own, where a fault on a
		// damaged page is fatal to the process. So this goroutine, where a
		// fault is a panic, first reads every page Check will read.
		if err := inspectTx(tx, path, &info); err != nil {
			return err
		}
		var problems []error
		for e := range tx.Check() {
			if len(problems) < maxCheckErrors {
				problems = append(problems, e)
			}
		}
		if len(problems) > 0 {
			return fmt.Errorf("%w: %s: bbolt check: %w", ErrCorrupt, path, errors.Join(problems...))
		}
		return nil
	})
	return info, err
}

func inspectTx(tx *bolt.Tx, path string, info *Info) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrCorrupt, path, fmt.Sprintf(format, args...))
	}
	meta := tx.Bucket(bMeta)
	if meta == nil {
		return bad("no meta bucket: not an illgw store")
	}
	n, err := strconv.Atoi(string(meta.Get(kParts)))
	if err != nil || n < 1 || n > MaxPartitions {
		return bad("partition count %q not in 1..%d", clip(meta.Get(kParts)), MaxPartitions)
	}
	info.Partitions = n
	if info.Format, err = parseFormat(meta.Get(kFormat)); err != nil {
		return err
	}
	if err := checkFormat(path, info.Format); err != nil {
		return err
	}
	ttl := tx.Bucket(bTTL)
	if ttl == nil || tx.Bucket(bCtr) == nil {
		return bad("ttl or ctr bucket missing")
	}
	info.TTL = ttl.Stats().KeyN
	for p := range n {
		pb := tx.Bucket(partBucket(p))
		if pb == nil {
			return bad("partition %d missing", p)
		}
		for _, name := range [][]byte{bLoans, bEvents, bFeed, bTimers, bTimerOf, bDedup} {
			if pb.Bucket(name) == nil {
				return bad("partition %d has no %s bucket", p, name)
			}
		}
		if err := inspectPartition(pb, p, n, info); err != nil {
			return bad("partition %d: %v", p, err)
		}
	}
	return nil
}

// inspectPartition checks one partition's invariants and counts it.
func inspectPartition(pb *bolt.Bucket, p, n int, info *Info) error {
	loans := pb.Bucket(bLoans)
	if err := loans.ForEach(func(k, v []byte) error {
		if partitionOf(string(k), n) != p {
			return fmt.Errorf("loan %q is in the wrong partition", clip(k))
		}
		if _, _, _, err := decodeRecord(v); err != nil {
			return fmt.Errorf("loan %q: %v", clip(k), err)
		}
		info.Loans++
		return nil
	}); err != nil {
		return err
	}
	events := 0
	var lastID []byte
	var lastSeq uint64
	if err := pb.Bucket(bEvents).ForEach(func(k, v []byte) error {
		i := bytes.IndexByte(k, 0)
		if i < 1 || len(k) != i+9 {
			return fmt.Errorf("bad event key %q", clip(k))
		}
		id, seq := k[:i], binary.BigEndian.Uint64(k[i+1:])
		if !bytes.Equal(id, lastID) {
			lastID, lastSeq = bytes.Clone(id), 0
			if loans.Get(id) == nil {
				return fmt.Errorf("events of loan %q, which does not exist", clip(id))
			}
		}
		if seq != lastSeq+1 {
			return fmt.Errorf("loan %q: event %d follows %d", clip(id), seq, lastSeq)
		}
		lastSeq = seq
		e, err := decodeEntry(v)
		if err != nil {
			return fmt.Errorf("loan %q event %d: %v", clip(id), seq, err)
		}
		if e.Seq != seq || e.LoanID != string(id) {
			return fmt.Errorf("loan %q event %d holds event %d of %q", clip(id), seq, e.Seq, clip([]byte(e.LoanID)))
		}
		if f := pb.Bucket(bFeed).Get(u64(e.Pos)); !bytes.Equal(f, v) {
			return fmt.Errorf("loan %q event %d is not at feed position %d", clip(id), seq, e.Pos)
		}
		events++
		return nil
	}); err != nil {
		return err
	}
	feed := pb.Bucket(bFeed)
	if got := feed.Stats().KeyN; got != events {
		return fmt.Errorf("feed has %d entries, the loans' logs %d", got, events)
	}
	if k, _ := feed.Cursor().Last(); k != nil && (len(k) != 8 || binary.BigEndian.Uint64(k) > feed.Sequence()) {
		return fmt.Errorf("feed position %x is past the feed's sequence %d", k, feed.Sequence())
	}
	info.Events += events
	of := pb.Bucket(bTimerOf)
	timers := 0
	if err := pb.Bucket(bTimers).ForEach(func(k, v []byte) error {
		if len(k) < 9 {
			return fmt.Errorf("bad timer key %q", clip(k))
		}
		if x := of.Get(k[8:]); len(x) < 8 || !bytes.Equal(x[:8], k[:8]) {
			return fmt.Errorf("timer of loan %q has no matching index entry", clip(k[8:]))
		}
		timers++
		return nil
	}); err != nil {
		return err
	}
	if got := of.Stats().KeyN; got != timers {
		return fmt.Errorf("timer index has %d entries, timers %d", got, timers)
	}
	info.Timers += timers
	return nil
}

// RestoreResult says what Restore did.
type RestoreResult struct {
	Info     Info   // of the snapshot restored
	Previous string // where the store it replaced was kept; "" when there was none
}

// Restore puts the snapshot at from (a file written by Backup) in place of
// the embedded store at path. It first checks the snapshot (Inspect) and,
// when partitions is not 0, that it has that many partitions; then it takes
// the store's lock, refusing with ErrInUse when a running gateway has it;
// copies the snapshot beside the store, syncs it, keeps the store it
// replaces as "<path>.pre-restore-<UTC time>" (a hard link) and renames the
// copy over path. A gateway that starts meanwhile either fails to get the
// lock or opens the restored file (lockedOpen checks the inode).
func Restore(ctx context.Context, from, path string, partitions int) (RestoreResult, error) {
	info, err := Inspect(from)
	if err != nil {
		return RestoreResult{}, err
	}
	if partitions != 0 && partitions != info.Partitions {
		return RestoreResult{}, fmt.Errorf("%w: the snapshot has %d partitions and the configuration asks for %d", ErrInvalid, info.Partitions, partitions)
	}
	res := RestoreResult{Info: info}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return res, fmt.Errorf("state: %w", err)
	}
	old, err := os.OpenFile(path, os.O_RDWR, 0)
	switch {
	case err == nil:
		defer old.Close()
		if err := syscall.Flock(int(old.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return res, fmt.Errorf("%w: %s is open in a running illgw (it holds the file lock): stop it before restoring", ErrInUse, path)
			}
			return res, fmt.Errorf("state: lock %s: %w", path, err)
		}
	case !errors.Is(err, os.ErrNotExist):
		return res, fmt.Errorf("state: %w", err)
	}
	tmp := path + ".restoring"
	if err := copyFileSync(ctx, from, tmp); err != nil {
		os.Remove(tmp)
		return res, err
	}
	if old != nil {
		res.Previous = path + ".pre-restore-" + time.Now().UTC().Format("20060102T150405Z")
		if err := os.Link(path, res.Previous); err != nil {
			os.Remove(tmp)
			return res, fmt.Errorf("state: keeping the current store: %w", err)
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return res, fmt.Errorf("state: %w", err)
	}
	return res, syncDir(filepath.Dir(path))
}

// copyFileSync copies from to a new file to (mode 0600) and syncs it.
func copyFileSync(ctx context.Context, from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	if _, err := io.Copy(out, ctxReader{ctx, in}); err != nil {
		out.Close()
		return fmt.Errorf("state: copying %s: %w", from, err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return fmt.Errorf("state: %w", err)
	}
	return out.Close()
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("state: sync %s: %w", dir, err)
	}
	return nil
}

// ctxReader stops a copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// lockedOpen opens the bbolt file at path with its exclusive lock. The
// lock timeout turns a second process on the same file into an error
// instead of a hang. A file that Restore renamed over path while this call
// waited for the lock of the old one is opened again, so the store that
// ends up open is the one path names.
func lockedOpen(path string) (*bolt.DB, error) {
	for range 3 {
		var file *os.File // the descriptor bbolt locks
		openFile := func(name string, flag int, perm os.FileMode) (*os.File, error) {
			f, err := os.OpenFile(name, flag, perm)
			if file == nil {
				file = f
			}
			return f, err
		}
		db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, OpenFile: openFile})
		if err != nil {
			if errors.Is(err, bolterr.ErrTimeout) {
				return nil, fmt.Errorf("%w: %s is locked by another process", ErrUnavailable, path)
			}
			return nil, fmt.Errorf("state: open %s: %w", path, err)
		}
		fi, err1 := os.Stat(path)
		fo, err2 := file.Stat()
		if err1 == nil && err2 == nil && os.SameFile(fi, fo) {
			return db, nil
		}
		db.Close()
	}
	return nil, fmt.Errorf("%w: %s keeps being replaced while it is opened", ErrUnavailable, path)
}
