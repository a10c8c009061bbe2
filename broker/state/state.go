package state

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"time"
	"unicode/utf8"
)

// Sentinel errors returned by every driver; test them with errors.Is.
var (
	// ErrNotFound: the loan or entry does not exist (or has expired).
	ErrNotFound = errors.New("state: not found")
	// ErrConflict: the expected version does not match the stored one, or a
	// dedup key was reused for a different write.
	ErrConflict = errors.New("state: version conflict")
	// ErrExists: a create (expected version 0) found the loan already there.
	ErrExists = errors.New("state: already exists")
	// ErrUnavailable: the store could not be reached or did not answer in
	// time. The cause is wrapped. For a write the outcome is unknown: retry
	// with the same dedup key to learn it without applying it twice.
	ErrUnavailable = errors.New("state: store unavailable")
	// ErrInvalid: the call's arguments break a documented limit.
	ErrInvalid = errors.New("state: invalid argument")
)

// Limits checked before anything is written or allocated.
const (
	DefaultPartitions = 16
	MaxPartitions     = 1024
	MaxIDLen          = 128     // loan ids, TTL and counter keys
	MaxDedupKeyLen    = 255     // idempotency keys (Stripe's limit)
	MaxDataLen        = 1 << 20 // loan data, event data, TTL values
	MaxEventsPerWrite = 64
	MaxListLimit      = 1000
	// DedupTTL is how long a dedup key remembers the outcome of its write.
	DedupTTL = 24 * time.Hour
)

// Loan is a loan request as the store keeps it: opaque data plus metadata.
// The broker marshals its own types into Data.
type Loan struct {
	ID        string
	Partition int
	Version   uint64 // 1 after create, +1 on every successful write
	Data      []byte
	UpdatedAt time.Time
}

// Event is one entry of a loan's append-only log and of its partition's
// feed. Seq and Pos are assigned by the store in the write that appends it.
type Event struct {
	Seq    uint64 // 1-based position in the loan's own log
	Pos    uint64 // 1-based position in the partition feed
	LoanID string
	Type   string
	Actor  string
	Data   []byte
	Time   time.Time // zero means "now" at write time
}

// Timer is a due time attached to a loan (at most one per loan). ClaimDue
// hands each timer to exactly one caller and removes it in the same step.
// Due is kept to the millisecond.
type Timer struct {
	LoanID    string
	Partition int
	Due       time.Time
	Kind      string
}

// Mutation is one atomic write: the loan's new data under compare-and-set,
// the events it appends, and an optional timer change.
type Mutation struct {
	LoanID        string
	ExpectVersion uint64 // 0 creates the loan and fails with ErrExists if it is there
	Data          []byte
	Events        []Event
	Timer         *Timer // non-nil sets (replaces) the loan's timer; LoanID/Partition are filled in
	CancelTimer   bool   // removes the loan's timer; ignored when Timer is set
	// DedupKey, when set, makes a retry of the same logical write return
	// the first outcome (Result.Replayed) instead of ErrConflict or a second
	// application. Keys are scoped to the loan and remembered for DedupTTL.
	DedupKey string
}

// Result is the outcome of Apply.
type Result struct {
	Loan     Loan
	Events   []Event // as stored, with Seq, Pos and Time; nil when Replayed
	Replayed bool    // the dedup key had already been applied; nothing was written now
}

// ListOptions selects loans of one partition in id order, after a cursor.
type ListOptions struct {
	Partition int
	After     string // exclusive cursor: the last id of the previous page
	Limit     int    // 0 means 100; capped at MaxListLimit
}

// Store is the broker's state. All methods are safe for concurrent use and
// return ErrUnavailable (wrapping the cause) when the backend cannot be
// reached within the configured timeouts.
type Store interface {
	// Apply performs m atomically: the loan, its events (in its own log and
	// in the partition feed), the timer change and the dedup record.
	Apply(ctx context.Context, m Mutation) (Result, error)
	// CompareAndSet is Apply without a timer; it returns the stored loan.
	CompareAndSet(ctx context.Context, loanID string, expectVersion uint64, newData []byte, events []Event, timer *Timer, dedupKey string) (Loan, error)
	Get(ctx context.Context, loanID string) (Loan, error)
	// Events returns the loan's log in order (empty if none), at most the
	// first 10000 entries.
	Events(ctx context.Context, loanID string) ([]Event, error)
	// List returns loans of one partition and the cursor for the next page
	// ("" when there is none).
	List(ctx context.Context, o ListOptions) ([]Loan, string, error)
	// Feed returns up to limit events of a partition with Pos > fromPos.
	Feed(ctx context.Context, partition int, fromPos uint64, limit int) ([]Event, error)
	// ClaimDue removes and returns up to limit timers of a partition due at
	// or before now. A timer is returned to exactly one caller; a caller that
	// dies before acting on it loses it, so the broker re-arms timers from
	// loan state when it starts.
	ClaimDue(ctx context.Context, partition int, now time.Time, limit int) ([]Timer, error)

	// PutTTL stores value under key until ttl passes.
	PutTTL(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// GetTTL returns the value, or ErrNotFound once expired or deleted.
	GetTTL(ctx context.Context, key string) ([]byte, error)
	DeleteTTL(ctx context.Context, key string) error
	// PutIfAbsent stores value unless a live entry exists; it returns the
	// stored value and whether this call created it (idempotency keys).
	PutIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) (stored []byte, created bool, err error)

	// Incr adds one to a fixed-window counter and returns the new count. The
	// window starts at the first increment; the counter vanishes after it.
	Incr(ctx context.Context, key string, window time.Duration) (int64, error)
	Reset(ctx context.Context, key string) error

	// Partitions is the fixed number of partitions of this store.
	Partitions() int
	// PartitionOf returns the partition that holds loanID.
	PartitionOf(loanID string) int
	// Ping reports whether the store answers (for /readyz).
	Ping(ctx context.Context) error
	Close() error
}

// Options selects and configures a driver. cmd/illgw maps the config file's
// `state` section onto it.
type Options struct {
	Driver string // "embedded" (default) or "redis"
	Path   string // embedded: bbolt file, created if missing

	// Redis: one address is a single node; MasterName selects Sentinel
	// (Addrs are the sentinels); several addresses without it, or Cluster
	// set, Redis Cluster (Addrs are seed nodes).
	Addrs              []string
	Cluster            bool
	MasterName         string
	Username, Password string
	SentinelUsername   string // Sentinel only: credentials for the sentinels themselves
	SentinelPassword   string
	DB                 int
	TLS                *tls.Config
	DialTimeout        time.Duration // 0 means 5s
	ReadTimeout        time.Duration // 0 means 3s
	WriteTimeout       time.Duration // 0 means ReadTimeout
	Partitions         int           // 0 means DefaultPartitions; fixed once the store exists
	SweepInterval      time.Duration // embedded: expired-entry sweep period; 0 means 1m
	// NoSnapshotSocket turns off the embedded store's snapshot socket
	// (SnapshotSocket), and with it online backups.
	NoSnapshotSocket bool
}

// Open opens the store the options name. It records the partition count on
// first open and refuses a store created with a different one.
func Open(ctx context.Context, o Options) (Store, error) {
	if o.Partitions == 0 {
		o.Partitions = DefaultPartitions
	}
	if o.Partitions < 1 || o.Partitions > MaxPartitions {
		return nil, fmt.Errorf("%w: partitions %d not in 1..%d", ErrInvalid, o.Partitions, MaxPartitions)
	}
	switch o.Driver {
	case "", "embedded":
		s, err := openEmbedded(ctx, o)
		if err != nil {
			return nil, err
		}
		return s, nil
	case "redis":
		return openRedis(ctx, o)
	}
	return nil, fmt.Errorf("%w: unknown driver %q (want embedded or redis)", ErrInvalid, o.Driver)
}

// partitionOf is the stable hash (FNV-1a, 32 bit) of id modulo n.
func partitionOf(id string, n int) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % uint32(n))
}

// checkID refuses empty, long or non-printable ids and keys, which also keeps
// them safe inside Redis key names and bbolt keys.
func checkID(what, id string, max int) error {
	if id == "" || len(id) > max {
		return fmt.Errorf("%w: %s length %d not in 1..%d", ErrInvalid, what, len(id), max)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c == 0x7f {
			return fmt.Errorf("%w: %s has a space or control byte at %d", ErrInvalid, what, i)
		}
	}
	return nil
}

func checkPartition(p, n int) error {
	if p < 0 || p >= n {
		return fmt.Errorf("%w: partition %d not in 0..%d", ErrInvalid, p, n-1)
	}
	return nil
}

func checkMutation(m *Mutation) error {
	if err := checkID("loan id", m.LoanID, MaxIDLen); err != nil {
		return err
	}
	if len(m.Data) > MaxDataLen {
		return fmt.Errorf("%w: loan data %d bytes > %d", ErrInvalid, len(m.Data), MaxDataLen)
	}
	if len(m.Events) > MaxEventsPerWrite {
		return fmt.Errorf("%w: %d events > %d per write", ErrInvalid, len(m.Events), MaxEventsPerWrite)
	}
	for i, e := range m.Events {
		if e.LoanID != "" && e.LoanID != m.LoanID {
			return fmt.Errorf("%w: event %d is for loan %q, not %q", ErrInvalid, i, e.LoanID, m.LoanID)
		}
		if len(e.Data) > MaxDataLen || len(e.Type) > MaxIDLen || len(e.Actor) > MaxIDLen {
			return fmt.Errorf("%w: event %d too large", ErrInvalid, i)
		}
		if !utf8.ValidString(e.Type) || !utf8.ValidString(e.Actor) {
			return fmt.Errorf("%w: event %d type or actor is not UTF-8", ErrInvalid, i)
		}
	}
	if m.DedupKey != "" {
		if err := checkID("dedup key", m.DedupKey, MaxDedupKeyLen); err != nil {
			return err
		}
	}
	if m.Timer != nil && len(m.Timer.Kind) > MaxIDLen {
		return fmt.Errorf("%w: timer kind too long", ErrInvalid)
	}
	return nil
}

func checkTTL(key string, value []byte, ttl time.Duration) error {
	if err := checkID("key", key, MaxIDLen); err != nil {
		return err
	}
	if len(value) > MaxDataLen {
		return fmt.Errorf("%w: value %d bytes > %d", ErrInvalid, len(value), MaxDataLen)
	}
	if ttl < time.Millisecond {
		return fmt.Errorf("%w: ttl %v below 1ms", ErrInvalid, ttl)
	}
	return nil
}

// fingerprint identifies the content of a write so a dedup key reused for a
// different write is refused rather than answered with the wrong outcome.
// Event times are left out: a retry may stamp them anew.
func fingerprint(m *Mutation) string {
	h := sha256.New()
	var n [8]byte
	put := func(b []byte) {
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	binary.BigEndian.PutUint64(n[:], m.ExpectVersion)
	h.Write(n[:])
	put(m.Data)
	for _, e := range m.Events {
		put([]byte(e.Type))
		put([]byte(e.Actor))
		put(e.Data)
	}
	return fmt.Sprintf("%x", h.Sum(nil)[:16])
}

// prepare validates m and fills in event and timer defaults.
func prepare(m *Mutation, n int, now time.Time) error {
	if err := checkMutation(m); err != nil {
		return err
	}
	evs := make([]Event, len(m.Events))
	for i, e := range m.Events {
		e.LoanID = m.LoanID
		if e.Time.IsZero() {
			e.Time = now
		}
		evs[i] = e
	}
	m.Events = evs
	if m.Timer != nil {
		t := *m.Timer
		t.LoanID = m.LoanID
		t.Partition = partitionOf(m.LoanID, n)
		t.Due = time.UnixMilli(t.Due.UnixMilli()) // both drivers keep milliseconds
		m.Timer = &t
	}
	return nil
}

// compareAndSet implements Store.CompareAndSet over Apply for every driver.
func compareAndSet(ctx context.Context, s Store, loanID string, expect uint64, data []byte, events []Event, timer *Timer, dedup string) (Loan, error) {
	r, err := s.Apply(ctx, Mutation{LoanID: loanID, ExpectVersion: expect, Data: data, Events: events, Timer: timer, DedupKey: dedup})
	return r.Loan, err
}

func listLimit(l int) int {
	if l <= 0 {
		return 100
	}
	return min(l, MaxListLimit)
}
