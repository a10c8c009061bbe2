package state

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// The redis driver works on a single node, Sentinel or Cluster through
// go-redis's UniversalClient. Key layout (N is the partition):
//
//	illgw:meta                      hash: partitions (fixed on first open), format (format.go)
//	{illgw:pN}:loan:<id>            hash: v (version), u (updated, unix ns), d (data)
//	{illgw:pN}:ev:<id>              list: the loan's event entries (entry.go)
//	{illgw:pN}:feed                 stream: id "<pos>-0", field e = event entry
//	{illgw:pN}:seq                  string: last feed position
//	{illgw:pN}:timers               zset: loan id scored by due time (unix ms)
//	{illgw:pN}:timerkind            hash: loan id -> timer kind
//	{illgw:pN}:index                zset: loan ids (score 0) for List
//	{illgw:pN}:dedup:<id>:<key>     string "<version>,<updated ns>,<fingerprint>", expires after DedupTTL
//	illgw:ttl:<key>                 string with PX expiry (PutTTL, PutIfAbsent)
//	illgw:ctr:<key>                 counter with PX expiry (Incr)
//
// Every key of a loan carries its partition's hash tag {illgw:pN}, so the
// Lua script that writes a loan, its events, the feed, the timer and the
// dedup record touches one hash slot and runs atomically even on Cluster.
//
// Writes go through a client with retries off (MaxRetries -1; 0 would mean
// go-redis's default of 3): go-redis retries a command after a read timeout
// even when the server already received it, which would apply a write twice.
// A write that times out returns ErrUnavailable with an unknown outcome; the
// caller retries with the same dedup key and gets the first outcome back.
// Reads go through a second client that may retry.

var (
	//go:embed lua/apply.lua
	applyLua    string
	applyScript = redis.NewScript(applyLua)
	//go:embed lua/claim.lua
	claimLua    string
	claimScript = redis.NewScript(claimLua)
	//go:embed lua/putifabsent.lua
	putIfAbsentLua    string
	putIfAbsentScript = redis.NewScript(putIfAbsentLua)
	//go:embed lua/meta.lua
	metaLua    string
	metaScript = redis.NewScript(metaLua)
	//go:embed lua/incr.lua
	incrLua    string
	incrScript = redis.NewScript(incrLua)
)

const (
	metaKey       = "illgw:meta"
	maxLoanEvents = 10000 // Events returns at most this many entries
)

type redisStore struct {
	w, r    redis.UniversalClient // writer (no retries) and reader
	n       int
	where   string        // addresses, for messages
	timeout time.Duration // bound of one call: dial + write + read
	now     func() time.Time
	closed  atomic.Bool
}

func openRedis(ctx context.Context, o Options) (Store, error) {
	if len(o.Addrs) == 0 {
		return nil, fmt.Errorf("%w: redis driver needs at least one address", ErrInvalid)
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 5 * time.Second
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = 3 * time.Second
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = o.ReadTimeout
	}
	uo := func(retries int) *redis.UniversalOptions {
		return &redis.UniversalOptions{
			Addrs: o.Addrs, MasterName: o.MasterName, DB: o.DB,
			Username: o.Username, Password: o.Password,
			SentinelUsername: o.SentinelUsername, SentinelPassword: o.SentinelPassword,
			IsClusterMode: o.Cluster,
			TLSConfig:     o.TLS,
			DialTimeout:   o.DialTimeout, ReadTimeout: o.ReadTimeout, WriteTimeout: o.WriteTimeout,
			ContextTimeoutEnabled: true,
			MaxRetries:            retries,
			// Cluster: a MOVED/ASK redirect is not a replay (the first node
			// refused the command), but a timeout is, so redirects stay on
			// and the retry count above governs timeouts.
			MaxRedirects: 3,
		}
	}
	s := &redisStore{
		w: redis.NewUniversalClient(uo(-1)), r: redis.NewUniversalClient(uo(2)),
		n: o.Partitions, where: strings.Join(o.Addrs, ","), timeout: o.DialTimeout + o.WriteTimeout + o.ReadTimeout, now: time.Now,
	}
	if err := s.initMeta(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// initMeta records the partition count and format on first open and
// checks them after, migrating an older format (format.go).
func (s *redisStore) initMeta(ctx context.Context) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	// The script only writes a missing hash, so it is safe on the writer.
	reply, err := metaScript.Run(ctx, s.w, []string{metaKey}, s.n, FormatVersion).StringSlice()
	if err != nil {
		return s.wrap(err)
	}
	if len(reply) != 2 {
		return fmt.Errorf("state: redis: bad meta reply of %d items", len(reply))
	}
	if reply[0] != strconv.Itoa(s.n) {
		return fmt.Errorf("%w: store was created with %s partitions, asked for %d", ErrInvalid, clip([]byte(reply[0])), s.n)
	}
	f, err := parseFormat([]byte(reply[1]))
	if err != nil {
		return err
	}
	if err := checkFormat("redis "+s.where, f); err != nil {
		return err
	}
	if f < FormatVersion {
		for v := f; v < FormatVersion; v++ {
			slog.Info("state: migrating the redis store", "addrs", s.where, "from", v, "to", v+1, "step", formatMigrations[v])
		}
		// HSET of the same value is idempotent: the writer may send it.
		if err := s.w.HSet(ctx, metaKey, "format", FormatVersion).Err(); err != nil {
			return s.wrap(err)
		}
	}
	return nil
}

// bound gives a call the configured timeout unless ctx ends sooner.
func (s *redisStore) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

// wrap maps client, network and transient server errors to ErrUnavailable.
func (s *redisStore) wrap(err error) error {
	if err == nil {
		return nil
	}
	// Only a reply error at the top is the server's answer; one wrapped
	// deeper (as Sentinel's "all sentinels are unreachable: redis: nil")
	// describes a failure to reach the store.
	if re, ok := err.(redis.Error); ok {
		msg := re.Error()
		for _, p := range []string{"LOADING", "CLUSTERDOWN", "TRYAGAIN", "MASTERDOWN", "READONLY", "BUSY", "NOREPLICAS", "MOVED", "ASK"} {
			if strings.HasPrefix(msg, p) {
				return fmt.Errorf("%w: redis: %w", ErrUnavailable, err)
			}
		}
		return fmt.Errorf("state: redis: %w", err)
	}
	return fmt.Errorf("%w: redis: %w", ErrUnavailable, err)
}

func tag(p int) string { return "{illgw:p" + strconv.Itoa(p) + "}" }

func (s *redisStore) Partitions() int               { return s.n }
func (s *redisStore) PartitionOf(loanID string) int { return partitionOf(loanID, s.n) }

func (s *redisStore) CompareAndSet(ctx context.Context, loanID string, expect uint64, data []byte, events []Event, timer *Timer, dedup string) (Loan, error) {
	return compareAndSet(ctx, s, loanID, expect, data, events, timer, dedup)
}

// Apply implements Store.Apply with one Lua script (lua/apply.lua).
func (s *redisStore) Apply(ctx context.Context, m Mutation) (Result, error) {
	now := s.now()
	if err := prepare(&m, s.n, now); err != nil {
		return Result{}, err
	}
	p := partitionOf(m.LoanID, s.n)
	t := tag(p)
	keys := []string{t + ":loan:" + m.LoanID, t + ":ev:" + m.LoanID, t + ":feed", t + ":seq",
		t + ":timers", t + ":timerkind", t + ":index", t + ":dedup:" + m.LoanID + ":" + m.DedupKey}
	hasDedup, timerOp, due, kind := "0", "", int64(0), ""
	if m.DedupKey != "" {
		hasDedup = "1"
	}
	switch {
	case m.Timer != nil:
		timerOp, due, kind = "set", m.Timer.Due.UnixMilli(), m.Timer.Kind
	case m.CancelTimer:
		timerOp = "cancel"
	}
	args := make([]any, 0, 11+len(m.Events))
	args = append(args, m.LoanID, m.ExpectVersion, m.Data, now.UnixNano(), fingerprint(&m),
		hasDedup, DedupTTL.Milliseconds(), timerOp, due, kind, len(m.Events))
	for _, e := range m.Events {
		args = append(args, encodeEventBlob(e))
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	reply, err := applyScript.Run(ctx, s.w, keys, args...).StringSlice()
	if err != nil {
		return Result{}, s.wrap(err)
	}
	if len(reply) == 0 {
		return Result{}, fmt.Errorf("state: redis: empty script reply")
	}
	loan := Loan{ID: m.LoanID, Partition: p, Data: m.Data, UpdatedAt: now}
	switch reply[0] {
	case "OK":
		if len(reply) != 4 {
			return Result{}, fmt.Errorf("state: redis: bad script reply %q", reply)
		}
		v, err1 := strconv.ParseUint(reply[1], 10, 64)
		pos, err2 := strconv.ParseUint(reply[2], 10, 64)
		seq, err3 := strconv.ParseUint(reply[3], 10, 64)
		if err := errors.Join(err1, err2, err3); err != nil {
			return Result{}, fmt.Errorf("state: redis: bad script reply: %w", err)
		}
		loan.Version = v
		var evs []Event
		for i, e := range m.Events {
			e.Pos, e.Seq = pos+uint64(i), seq+uint64(i)
			evs = append(evs, e)
		}
		return Result{Loan: loan, Events: evs}, nil
	case "DUP":
		rec := strings.Join(reply[1:], ",") + ","
		v, at, _, err := decodeRecord([]byte(rec))
		if err != nil {
			return Result{}, err
		}
		loan.Version, loan.UpdatedAt = v, at
		return Result{Loan: loan, Replayed: true}, nil
	case "DUPMISMATCH":
		return Result{}, fmt.Errorf("%w: dedup key %q was used for a different write", ErrConflict, m.DedupKey)
	case "EXISTS":
		return Result{}, fmt.Errorf("%w: loan %s", ErrExists, m.LoanID)
	case "NOTFOUND":
		return Result{}, fmt.Errorf("%w: loan %s", ErrNotFound, m.LoanID)
	case "CONFLICT":
		return Result{}, fmt.Errorf("%w: loan %s is at version %s, not %d", ErrConflict, m.LoanID, strings.Join(reply[1:], ""), m.ExpectVersion)
	}
	return Result{}, fmt.Errorf("state: redis: unexpected script reply %q", reply[0])
}

// Get implements Store.Get.
func (s *redisStore) Get(ctx context.Context, id string) (Loan, error) {
	if err := checkID("loan id", id, MaxIDLen); err != nil {
		return Loan{}, err
	}
	p := s.PartitionOf(id)
	ctx, cancel := s.bound(ctx)
	defer cancel()
	vals, err := s.r.HMGet(ctx, tag(p)+":loan:"+id, "v", "u", "d").Result()
	if err != nil {
		return Loan{}, s.wrap(err)
	}
	return loanFromHash(id, p, vals)
}

func loanFromHash(id string, p int, vals []any) (Loan, error) {
	if len(vals) != 3 || vals[0] == nil {
		return Loan{}, fmt.Errorf("%w: loan %s", ErrNotFound, id)
	}
	vs, _ := vals[0].(string)
	us, _ := vals[1].(string)
	d, _ := vals[2].(string)
	v, err1 := strconv.ParseUint(vs, 10, 64)
	u, err2 := strconv.ParseInt(us, 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return Loan{}, fmt.Errorf("state: redis: bad loan hash for %s: %w", id, err)
	}
	return Loan{ID: id, Partition: p, Version: v, Data: []byte(d), UpdatedAt: time.Unix(0, u)}, nil
}

// Events implements Store.Events (at most maxLoanEvents entries).
func (s *redisStore) Events(ctx context.Context, id string) ([]Event, error) {
	if err := checkID("loan id", id, MaxIDLen); err != nil {
		return nil, err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	raw, err := s.r.LRange(ctx, tag(s.PartitionOf(id))+":ev:"+id, 0, maxLoanEvents-1).Result()
	if err != nil {
		return nil, s.wrap(err)
	}
	out := make([]Event, 0, len(raw))
	for _, r := range raw {
		e, err := decodeEntry([]byte(r))
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// List implements Store.List over the partition's index.
func (s *redisStore) List(ctx context.Context, o ListOptions) ([]Loan, string, error) {
	if err := checkPartition(o.Partition, s.n); err != nil {
		return nil, "", err
	}
	limit := listLimit(o.Limit)
	start := "-"
	if o.After != "" {
		start = "(" + o.After
	}
	t := tag(o.Partition)
	ctx, cancel := s.bound(ctx)
	defer cancel()
	ids, err := s.r.ZRangeArgs(ctx, redis.ZRangeArgs{Key: t + ":index", Start: start, Stop: "+", ByLex: true, Count: int64(limit) + 1}).Result()
	if err != nil {
		return nil, "", s.wrap(err)
	}
	next := ""
	if len(ids) > limit {
		ids, next = ids[:limit], ids[limit-1]
	}
	cmds := make([]*redis.SliceCmd, len(ids))
	_, err = s.r.Pipelined(ctx, func(pl redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = pl.HMGet(ctx, t+":loan:"+id, "v", "u", "d")
		}
		return nil
	})
	if err != nil {
		return nil, "", s.wrap(err)
	}
	out := make([]Loan, 0, len(ids))
	for i, id := range ids {
		l, err := loanFromHash(id, o.Partition, cmds[i].Val())
		if err != nil {
			return nil, "", err
		}
		out = append(out, l)
	}
	return out, next, nil
}

// Feed implements Store.Feed with XRANGE from the position after fromPos.
func (s *redisStore) Feed(ctx context.Context, partition int, from uint64, limit int) ([]Event, error) {
	if err := checkPartition(partition, s.n); err != nil {
		return nil, err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	msgs, err := s.r.XRangeN(ctx, tag(partition)+":feed", strconv.FormatUint(from+1, 10)+"-0", "+", int64(listLimit(limit))).Result()
	if err != nil {
		return nil, s.wrap(err)
	}
	out := make([]Event, 0, len(msgs))
	for _, m := range msgs {
		raw, _ := m.Values["e"].(string)
		e, err := decodeEntry([]byte(raw))
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// ClaimDue implements Store.ClaimDue with one script (lua/claim.lua).
func (s *redisStore) ClaimDue(ctx context.Context, partition int, now time.Time, limit int) ([]Timer, error) {
	if err := checkPartition(partition, s.n); err != nil {
		return nil, err
	}
	t := tag(partition)
	ctx, cancel := s.bound(ctx)
	defer cancel()
	flat, err := claimScript.Run(ctx, s.w, []string{t + ":timers", t + ":timerkind"}, now.UnixMilli(), listLimit(limit)).StringSlice()
	if err != nil {
		return nil, s.wrap(err)
	}
	if len(flat)%3 != 0 {
		return nil, fmt.Errorf("state: redis: bad claim reply of %d items", len(flat))
	}
	out := make([]Timer, 0, len(flat)/3)
	for i := 0; i < len(flat); i += 3 {
		ms, err := strconv.ParseFloat(flat[i+1], 64)
		if err != nil {
			return nil, fmt.Errorf("state: redis: bad timer score %q", flat[i+1])
		}
		out = append(out, Timer{LoanID: flat[i], Partition: partition, Due: time.UnixMilli(int64(ms)), Kind: flat[i+2]})
	}
	return out, nil
}

// Ping implements Store.Ping.
func (s *redisStore) Ping(ctx context.Context) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.wrap(s.r.Ping(ctx).Err())
}

// Close closes both clients; later calls get ErrUnavailable.
func (s *redisStore) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return errors.Join(s.w.Close(), s.r.Close())
}
