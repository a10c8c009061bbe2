package state

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterr "go.etcd.io/bbolt/errors"
)

// The embedded driver keeps everything in one bbolt file. Every write is one
// function run inside a bbolt read-write transaction, so the loan, its
// events, the feed entries, the timer and the dedup record are committed
// (and fsynced) together. Writes that arrive while another is committing
// share one commit through bbolt's DB.Batch (see batch), so many kiosks
// pay for one fsync instead of one each.
//
// Buckets:
//
//	meta               "partitions" -> decimal count, fixed at creation;
//	                   "format" -> FormatVersion (format.go)
//	ttl                key -> expiry (8 bytes, unix ns, big endian) + value
//	ctr                key -> expiry (8) + count (8)
//	p<N>/loans         loan id -> loan record (see entry.go)
//	p<N>/events        loan id 0x00 seq(8) -> event entry
//	p<N>/feed          pos(8) -> event entry; the bucket sequence is the last pos
//	p<N>/timers        due(8) loan id -> kind
//	p<N>/timerOf       loan id -> due(8) + kind
//	p<N>/dedup         loan id 0x00 dedup key -> dedup record; tail "<expiry ns>,<fingerprint>"
var (
	bMeta    = []byte("meta")
	bTTL     = []byte("ttl")
	bCtr     = []byte("ctr")
	bLoans   = []byte("loans")
	bEvents  = []byte("events")
	bFeed    = []byte("feed")
	bTimers  = []byte("timers")
	bTimerOf = []byte("timerOf")
	bDedup   = []byte("dedup")
	kParts   = []byte("partitions")
	kFormat  = []byte("format")
)

type embedded struct {
	db      *bolt.DB
	writers atomic.Int64 // batch calls in progress
	path    string
	n       int
	closed  atomic.Bool
	stop    chan struct{}
	wg      sync.WaitGroup
	snap    *snapshotServer // nil when the snapshot socket is off or failed
	now     func() time.Time
}

func openEmbedded(ctx context.Context, o Options) (*embedded, error) {
	if o.Path == "" {
		return nil, fmt.Errorf("%w: embedded driver needs a path", ErrInvalid)
	}
	if err := os.MkdirAll(filepath.Dir(o.Path), 0o750); err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	db, err := lockedOpen(o.Path)
	if err != nil {
		return nil, err
	}
	db.MaxBatchDelay = batchDelay
	s := &embedded{db: db, path: o.Path, n: o.Partitions, stop: make(chan struct{}), now: time.Now}
	if err := db.Update(s.initBuckets); err != nil {
		db.Close()
		return nil, err
	}
	every := o.SweepInterval
	if every <= 0 {
		every = time.Minute
	}
	if !o.NoSnapshotSocket {
		s.serveSnapshots(SnapshotSocket(o.Path))
	}
	s.wg.Add(1)
	go s.sweeper(every)
	return s, nil
}

func (s *embedded) initBuckets(tx *bolt.Tx) error {
	meta, err := tx.CreateBucketIfNotExists(bMeta)
	if err != nil {
		return err
	}
	if v := meta.Get(kParts); v != nil {
		if string(v) != strconv.Itoa(s.n) {
			return fmt.Errorf("%w: store was created with %s partitions, asked for %d", ErrInvalid, clip(v), s.n)
		}
		f, err := parseFormat(meta.Get(kFormat))
		if err != nil {
			return err
		}
		if err := checkFormat(s.path, f); err != nil {
			return err
		}
		if f < FormatVersion {
			for v := f; v < FormatVersion; v++ {
				slog.Info("state: migrating the embedded store", "path", s.path, "from", v, "to", v+1, "step", formatMigrations[v])
			}
		}
	} else if err := meta.Put(kParts, []byte(strconv.Itoa(s.n))); err != nil {
		return err
	}
	if cur := []byte(strconv.Itoa(FormatVersion)); !bytes.Equal(meta.Get(kFormat), cur) {
		if err := meta.Put(kFormat, cur); err != nil {
			return err
		}
	}
	for _, name := range [][]byte{bTTL, bCtr} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	for p := range s.n {
		pb, err := tx.CreateBucketIfNotExists(partBucket(p))
		if err != nil {
			return err
		}
		for _, name := range [][]byte{bLoans, bEvents, bFeed, bTimers, bTimerOf, bDedup} {
			if _, err := pb.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
	}
	return nil
}

func partBucket(p int) []byte { return []byte("p" + strconv.Itoa(p)) }

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// begin refuses calls on a closed store or with a finished context.
func (s *embedded) begin(ctx context.Context) error {
	if s.closed.Load() {
		return fmt.Errorf("%w: store closed", ErrUnavailable)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return nil
}

func (s *embedded) update(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	return s.wrap(s.db.Update(fn))
}

// batchDelay is how long a batch of writes waits for more writers before it
// commits (bbolt's DB.MaxBatchDelay, 10ms by default). Writers that arrive
// during a commit's fsync gather in the next batch anyway, so a short
// window is enough and keeps the added latency small.
const batchDelay = 200 * time.Microsecond

// soloWriters is how many writes at once still commit one by one: with
// one writer waiting behind a commit, a batch would add its delay and a
// goroutine hop and save no fsync (measured: CAS from 2 goroutines fell
// from ~1600 to ~750 ops/s when every second writer batched).
const soloWriters = 2

// batch runs fn in a read-write transaction that it may share with other
// writers (bbolt DB.Batch): while at most soloWriters writes are in
// progress it commits on its own like update; beyond that it joins the
// current batch, which commits every writer's changes with one fsync.
//
// DB.Batch may run fn more than once, each time in a new transaction: when
// another function in the batch fails, the batch is rolled back and rerun
// without it, and the failing function is rerun alone. So fn must be
// idempotent: it sets every result it hands back on each run, decides from
// what the transaction reads, and returns an error only to roll back (a
// refusal it wants to report without writing is kept in a variable that
// fn resets, and fn returns nil, so it does not cost the others a retry).
func (s *embedded) batch(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	if s.writers.Add(1) <= soloWriters {
		defer s.writers.Add(-1)
		return s.wrap(s.db.Update(fn))
	}
	defer s.writers.Add(-1)
	return s.wrap(s.db.Batch(fn))
}

func (s *embedded) view(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	return s.wrap(s.db.View(fn))
}

func (s *embedded) wrap(err error) error {
	if errors.Is(err, bolterr.ErrDatabaseNotOpen) {
		return fmt.Errorf("%w: store closed", ErrUnavailable)
	}
	return err
}

func (s *embedded) part(tx *bolt.Tx, p int, name []byte) *bolt.Bucket {
	return tx.Bucket(partBucket(p)).Bucket(name)
}

func (s *embedded) Partitions() int               { return s.n }
func (s *embedded) PartitionOf(loanID string) int { return partitionOf(loanID, s.n) }

func (s *embedded) CompareAndSet(ctx context.Context, loanID string, expect uint64, data []byte, events []Event, timer *Timer, dedup string) (Loan, error) {
	return compareAndSet(ctx, s, loanID, expect, data, events, timer, dedup)
}

// Apply implements Store.Apply in one bbolt transaction, which concurrent
// writers may share (see batch). Every check comes before the first write,
// so a refused mutation has written nothing when it returns nil to the
// batch.
func (s *embedded) Apply(ctx context.Context, m Mutation) (Result, error) {
	now := s.now()
	if err := prepare(&m, s.n, now); err != nil {
		return Result{}, err
	}
	p := partitionOf(m.LoanID, s.n)
	fp := fingerprint(&m)
	var res Result
	var refused error // a refusal is reported without rolling back the batch
	err := s.batch(ctx, func(tx *bolt.Tx) error {
		res, refused = Result{}, nil
		loans := s.part(tx, p, bLoans)
		dedup := s.part(tx, p, bDedup)
		dk := append([]byte(m.LoanID+"\x00"), m.DedupKey...)
		if m.DedupKey != "" {
			if rec := dedup.Get(dk); rec != nil {
				v, at, tail, err := decodeRecord(rec)
				if err != nil {
					return err
				}
				exp, fpOld, err := cutUint(tail, "dedup expiry")
				if err != nil {
					return err
				}
				if int64(exp) > now.UnixNano() {
					if string(fpOld) != fp {
						refused = fmt.Errorf("%w: dedup key %q was used for a different write", ErrConflict, m.DedupKey)
						return nil
					}
					res = Result{Loan: Loan{ID: m.LoanID, Partition: p, Version: v, Data: m.Data, UpdatedAt: at}, Replayed: true}
					return nil
				}
			}
		}
		var cur uint64
		if rec := loans.Get([]byte(m.LoanID)); rec != nil {
			v, _, _, err := decodeRecord(rec)
			if err != nil {
				return err
			}
			cur = v
		}
		switch {
		case m.ExpectVersion == 0 && cur != 0:
			refused = fmt.Errorf("%w: loan %s", ErrExists, m.LoanID)
			return nil
		case m.ExpectVersion != 0 && cur == 0:
			refused = fmt.Errorf("%w: loan %s", ErrNotFound, m.LoanID)
			return nil
		case m.ExpectVersion != cur:
			refused = fmt.Errorf("%w: loan %s is at version %d, not %d", ErrConflict, m.LoanID, cur, m.ExpectVersion)
			return nil
		}
		next := cur + 1
		if err := loans.Put([]byte(m.LoanID), encodeRecord(next, now, m.Data)); err != nil {
			return err
		}
		evs, err := s.appendEvents(tx, p, m.LoanID, m.Events)
		if err != nil {
			return err
		}
		if m.Timer != nil || m.CancelTimer {
			if err := s.setTimer(tx, p, m.LoanID, m.Timer); err != nil {
				return err
			}
		}
		if m.DedupKey != "" {
			tail := strconv.AppendInt(nil, now.Add(DedupTTL).UnixNano(), 10)
			tail = append(append(tail, ','), fp...)
			if err := dedup.Put(dk, encodeRecord(next, now, tail)); err != nil {
				return err
			}
		}
		res = Result{Loan: Loan{ID: m.LoanID, Partition: p, Version: next, Data: m.Data, UpdatedAt: now}, Events: evs}
		return nil
	})
	if err == nil {
		err = refused
	}
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

func (s *embedded) appendEvents(tx *bolt.Tx, p int, id string, in []Event) ([]Event, error) {
	if len(in) == 0 {
		return nil, nil
	}
	events, feed := s.part(tx, p, bEvents), s.part(tx, p, bFeed)
	prefix := []byte(id + "\x00")
	var seq uint64
	c := events.Cursor()
	k, _ := c.Seek([]byte(id + "\x01"))
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	if k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8 {
		seq = binary.BigEndian.Uint64(k[len(prefix):])
	}
	out := make([]Event, len(in))
	for i, e := range in {
		pos, err := feed.NextSequence()
		if err != nil {
			return nil, err
		}
		seq++
		e.Seq, e.Pos = seq, pos
		entry := encodeEntry(pos, seq, encodeEventBlob(e))
		if err := events.Put(append(bytes.Clone(prefix), u64(seq)...), entry); err != nil {
			return nil, err
		}
		if err := feed.Put(u64(pos), entry); err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}

// setTimer replaces the loan's timer with t, or removes it when t is nil.
func (s *embedded) setTimer(tx *bolt.Tx, p int, id string, t *Timer) error {
	timers, of := s.part(tx, p, bTimers), s.part(tx, p, bTimerOf)
	if old := of.Get([]byte(id)); len(old) >= 8 {
		if err := timers.Delete(append(bytes.Clone(old[:8]), id...)); err != nil {
			return err
		}
		if err := of.Delete([]byte(id)); err != nil {
			return err
		}
	}
	if t == nil {
		return nil
	}
	due := u64(uint64(max(t.Due.UnixNano(), 0)))
	if err := timers.Put(append(bytes.Clone(due), id...), []byte(t.Kind)); err != nil {
		return err
	}
	return of.Put([]byte(id), append(due, t.Kind...))
}

// Get implements Store.Get.
func (s *embedded) Get(ctx context.Context, id string) (Loan, error) {
	if err := checkID("loan id", id, MaxIDLen); err != nil {
		return Loan{}, err
	}
	p := s.PartitionOf(id)
	var l Loan
	err := s.view(ctx, func(tx *bolt.Tx) error {
		rec := s.part(tx, p, bLoans).Get([]byte(id))
		if rec == nil {
			return fmt.Errorf("%w: loan %s", ErrNotFound, id)
		}
		var err error
		l, err = loanFromRecord(id, p, rec)
		return err
	})
	return l, err
}

func loanFromRecord(id string, p int, rec []byte) (Loan, error) {
	v, at, data, err := decodeRecord(rec)
	if err != nil {
		return Loan{}, err
	}
	return Loan{ID: id, Partition: p, Version: v, Data: bytes.Clone(data), UpdatedAt: at}, nil
}

// Events implements Store.Events (at most maxLoanEvents entries).
func (s *embedded) Events(ctx context.Context, id string) ([]Event, error) {
	if err := checkID("loan id", id, MaxIDLen); err != nil {
		return nil, err
	}
	p := s.PartitionOf(id)
	var out []Event
	err := s.view(ctx, func(tx *bolt.Tx) error {
		prefix := []byte(id + "\x00")
		c := s.part(tx, p, bEvents).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(out) < maxLoanEvents; k, v = c.Next() {
			e, err := decodeEntry(v)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// List implements Store.List.
func (s *embedded) List(ctx context.Context, o ListOptions) ([]Loan, string, error) {
	if err := checkPartition(o.Partition, s.n); err != nil {
		return nil, "", err
	}
	limit := listLimit(o.Limit)
	var out []Loan
	next := ""
	err := s.view(ctx, func(tx *bolt.Tx) error {
		c := s.part(tx, o.Partition, bLoans).Cursor()
		k, v := c.First()
		if o.After != "" {
			k, v = c.Seek([]byte(o.After))
			if k != nil && string(k) == o.After {
				k, v = c.Next()
			}
		}
		for ; k != nil; k, v = c.Next() {
			if len(out) == limit {
				next = out[len(out)-1].ID
				return nil
			}
			l, err := loanFromRecord(string(k), o.Partition, v)
			if err != nil {
				return err
			}
			out = append(out, l)
		}
		return nil
	})
	return out, next, err
}

// Feed implements Store.Feed.
func (s *embedded) Feed(ctx context.Context, partition int, from uint64, limit int) ([]Event, error) {
	if err := checkPartition(partition, s.n); err != nil {
		return nil, err
	}
	limit = listLimit(limit)
	var out []Event
	err := s.view(ctx, func(tx *bolt.Tx) error {
		c := s.part(tx, partition, bFeed).Cursor()
		for k, v := c.Seek(u64(from + 1)); k != nil && len(out) < limit; k, v = c.Next() {
			e, err := decodeEntry(v)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// ClaimDue implements Store.ClaimDue; the removal and the read are one
// transaction, so two claimers never get the same timer.
func (s *embedded) ClaimDue(ctx context.Context, partition int, now time.Time, limit int) ([]Timer, error) {
	if err := checkPartition(partition, s.n); err != nil {
		return nil, err
	}
	limit = listLimit(limit)
	var out []Timer
	err := s.update(ctx, func(tx *bolt.Tx) error {
		out = out[:0]
		timers, of := s.part(tx, partition, bTimers), s.part(tx, partition, bTimerOf)
		var keys [][]byte
		c := timers.Cursor()
		for k, v := c.First(); k != nil && len(out) < limit; k, v = c.Next() {
			if len(k) < 8 {
				return fmt.Errorf("state: bad timer key")
			}
			due := int64(binary.BigEndian.Uint64(k[:8]))
			if due > now.UnixNano() {
				break
			}
			id := string(k[8:])
			out = append(out, Timer{LoanID: id, Partition: partition, Due: time.Unix(0, due), Kind: string(v)})
			keys = append(keys, bytes.Clone(k))
		}
		for i, k := range keys {
			if err := timers.Delete(k); err != nil {
				return err
			}
			if err := of.Delete([]byte(out[i].LoanID)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Ping implements Store.Ping: a read transaction proves the file is open.
func (s *embedded) Ping(ctx context.Context) error {
	return s.view(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bMeta) == nil {
			return fmt.Errorf("%w: meta bucket missing", ErrUnavailable)
		}
		return nil
	})
}

// Close stops the sweeper and closes the file; later calls get ErrUnavailable.
func (s *embedded) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	close(s.stop)
	s.wg.Wait()
	if s.snap != nil {
		s.snap.close()
	}
	return s.db.Close()
}
