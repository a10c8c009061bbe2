package state

import (
	"context"
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Export and import on the redis driver. The export reads partition by
// partition in pages (the index and the feed in order; dedup records, TTL
// entries and counters by SCAN on every master); the import applies each
// line with one script (lua/import.lua), which compares before it writes.

var (
	//go:embed lua/import.lua
	importLua    string
	importScript = redis.NewScript(importLua)
)

const exportPage = 500

func (s *redisStore) driverName() string { return "redis" }

func (s *redisStore) exportLines(ctx context.Context, emit func(*Line) error) error {
	for p := range s.n {
		if err := s.exportPartition(ctx, p, emit); err != nil {
			return err
		}
	}
	now := s.now()
	if err := s.exportKeys(ctx, "illgw:ttl:*", func(key, val string, exp int64) error {
		return emit(&Line{Kind: "ttl", ID: strings.TrimPrefix(key, "illgw:ttl:"), Data: []byte(val), Expires: exp})
	}, now); err != nil {
		return err
	}
	return s.exportKeys(ctx, "illgw:ctr:*", func(key, val string, exp int64) error {
		n, err := strconv.ParseInt(val, 10, 64)
		if err != nil {
			return fmt.Errorf("state: redis: counter %s is not a number", key)
		}
		return emit(&Line{Kind: "counter", ID: strings.TrimPrefix(key, "illgw:ctr:"), Count: n, Expires: exp})
	}, now)
}

func (s *redisStore) exportPartition(ctx context.Context, p int, emit func(*Line) error) error {
	t := tag(p)
	ids := map[string]bool{}
	after := "-"
	for {
		page, err := s.call(ctx, func(ctx context.Context) ([]string, error) {
			return s.r.ZRangeArgs(ctx, redis.ZRangeArgs{Key: t + ":index", Start: after, Stop: "+", ByLex: true, Count: exportPage}).Result()
		})
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		if err := s.exportLoans(ctx, p, page, emit); err != nil {
			return err
		}
		for _, id := range page {
			ids[id] = true
		}
		after = "(" + page[len(page)-1]
	}
	var last uint64
	for {
		msgs, err := s.call2(ctx, func(ctx context.Context) ([]redis.XMessage, error) {
			return s.r.XRangeN(ctx, t+":feed", strconv.FormatUint(last+1, 10)+"-0", "+", exportPage).Result()
		})
		if err != nil {
			return err
		}
		for _, m := range msgs {
			raw, _ := m.Values["e"].(string)
			e, err := decodeEntry([]byte(raw))
			if err != nil {
				return err
			}
			if err := emit(eventLine(p, e)); err != nil {
				return err
			}
			last = e.Pos
		}
		if len(msgs) < exportPage {
			break
		}
	}
	seq, err := s.call(ctx, func(ctx context.Context) ([]string, error) {
		v, err := s.r.Get(ctx, t+":seq").Result()
		if err == redis.Nil {
			return []string{"0"}, nil
		}
		return []string{v}, err
	})
	if err != nil {
		return err
	}
	pos, err := strconv.ParseUint(seq[0], 10, 64)
	if err != nil {
		return fmt.Errorf("state: redis: feed counter of partition %d is %q", p, clip([]byte(seq[0])))
	}
	if err := emit(&Line{Kind: "feed", P: p, Pos: pos}); err != nil {
		return err
	}
	prefix := t + ":dedup:"
	return s.exportKeys(ctx, prefix+"*", func(key, val string, exp int64) error {
		id, dk, ok := splitDedupKey(strings.TrimPrefix(key, prefix), ids)
		if !ok {
			return nil // the loan is gone: the record can never be replayed
		}
		v, at, fp, err := decodeRecord([]byte(val))
		if err != nil {
			return err
		}
		return emit(&Line{Kind: "dedup", P: p, ID: id, Key: dk, Version: v, Updated: at.UnixNano(), FP: string(fp), Expires: exp})
	}, s.now())
}

// splitDedupKey splits "<loan id>:<dedup key>" at the first colon that
// ends a loan id of the partition (both may contain colons).
func splitDedupKey(rest string, ids map[string]bool) (id, key string, ok bool) {
	for i := 0; i < len(rest); i++ {
		if rest[i] == ':' && ids[rest[:i]] {
			return rest[:i], rest[i+1:], true
		}
	}
	return "", "", false
}

func (s *redisStore) exportLoans(ctx context.Context, p int, ids []string, emit func(*Line) error) error {
	t := tag(p)
	loans := make([]*redis.SliceCmd, len(ids))
	dues := make([]*redis.FloatCmd, len(ids))
	kinds := make([]*redis.StringCmd, len(ids))
	bctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.r.Pipelined(bctx, func(pl redis.Pipeliner) error {
		for i, id := range ids {
			loans[i] = pl.HMGet(bctx, t+":loan:"+id, "v", "u", "d")
			dues[i] = pl.ZScore(bctx, t+":timers", id)
			kinds[i] = pl.HGet(bctx, t+":timerkind", id)
		}
		return nil
	})
	if err != nil && err != redis.Nil {
		return s.wrap(err)
	}
	for i, id := range ids {
		l, err := loanFromHash(id, p, loans[i].Val())
		if err != nil {
			return err
		}
		line := &Line{Kind: "loan", P: p, ID: id, Version: l.Version, Updated: l.UpdatedAt.UnixNano(), Data: l.Data}
		if due, err := dues[i].Result(); err == nil {
			line.Timer, line.Due, line.TimerKind = true, int64(due), kinds[i].Val()
		}
		if err := emit(line); err != nil {
			return err
		}
	}
	return nil
}

// exportKeys calls fn for every key matching pattern (on every master of a
// Cluster) that still lives, with its value and expiry (unix ms; keys
// without one get a year from now).
func (s *redisStore) exportKeys(ctx context.Context, pattern string, fn func(key, val string, exp int64) error, now time.Time) error {
	var mu sync.Mutex
	var keys []string
	scan := func(ctx context.Context, c redis.Cmdable) error {
		var cursor uint64
		for {
			bctx, cancel := s.bound(ctx)
			ks, next, err := c.Scan(bctx, cursor, pattern, exportPage).Result()
			cancel()
			if err != nil {
				return s.wrap(err)
			}
			mu.Lock()
			keys = append(keys, ks...)
			mu.Unlock()
			if cursor = next; cursor == 0 {
				return nil
			}
		}
	}
	var err error
	if cc, ok := s.r.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return scan(ctx, c) })
	} else {
		err = scan(ctx, s.r)
	}
	if err != nil {
		return err
	}
	for start := 0; start < len(keys); start += exportPage {
		page := keys[start:min(start+exportPage, len(keys))]
		vals := make([]*redis.StringCmd, len(page))
		ttls := make([]*redis.DurationCmd, len(page))
		bctx, cancel := s.bound(ctx)
		_, err := s.r.Pipelined(bctx, func(pl redis.Pipeliner) error {
			for i, k := range page {
				vals[i] = pl.Get(bctx, k)
				ttls[i] = pl.PTTL(bctx, k)
			}
			return nil
		})
		cancel()
		if err != nil && err != redis.Nil {
			return s.wrap(err)
		}
		for i, k := range page {
			v, err := vals[i].Result()
			if err != nil { // expired since the scan
				continue
			}
			d := ttls[i].Val()
			if d == -1 { // no expiry (not written by illgw): keep it a year
				d = 365 * 24 * time.Hour
			}
			if d <= 0 {
				continue
			}
			if err := fn(k, v, now.Add(d).UnixMilli()); err != nil {
				return err
			}
		}
	}
	return nil
}

// call runs one bounded read.
func (s *redisStore) call(ctx context.Context, fn func(context.Context) ([]string, error)) ([]string, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	v, err := fn(ctx)
	return v, s.wrap(err)
}

func (s *redisStore) call2(ctx context.Context, fn func(context.Context) ([]redis.XMessage, error)) ([]redis.XMessage, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	v, err := fn(ctx)
	return v, s.wrap(err)
}

func (s *redisStore) importLines(ctx context.Context, lines []*Line, now time.Time) ([]outcome, error) {
	out := make([]outcome, len(lines))
	for i, l := range lines {
		var err error
		if out[i], err = s.importLine(ctx, l, now); err != nil {
			return out, err
		}
	}
	return out, nil
}

func (s *redisStore) importLine(ctx context.Context, l *Line, now time.Time) (outcome, error) {
	t := tag(l.P)
	var keys []string
	args := []any{l.Kind}
	switch l.Kind {
	case "loan":
		hasTimer := "0"
		if l.Timer {
			hasTimer = "1"
		}
		keys = []string{t + ":loan:" + l.ID, t + ":index", t + ":timers", t + ":timerkind"}
		args = append(args, l.ID, l.Version, l.Updated, l.Data, hasTimer, l.Due, l.TimerKind)
	case "event":
		keys = []string{t + ":loan:" + l.ID, t + ":ev:" + l.ID, t + ":feed", t + ":seq"}
		args = append(args, l.Seq, l.Pos, entryOf(l))
	case "feed":
		keys = []string{t + ":seq"}
		args = append(args, l.Pos)
	case "dedup", "ttl", "counter":
		if l.Expires <= now.UnixMilli() {
			return outcome{conflict: "expired"}, nil
		}
		var val []byte
		switch l.Kind {
		case "dedup":
			keys = []string{t + ":dedup:" + l.ID + ":" + l.Key}
			val = encodeRecord(l.Version, time.Unix(0, l.Updated), []byte(l.FP))
		case "ttl":
			keys, val = []string{ttlKey(l.ID)}, l.Data
		default:
			keys, val = []string{ctrKey(l.ID)}, strconv.AppendInt(nil, l.Count, 10)
		}
		args = append(args, val, l.Expires)
	default:
		return outcome{}, fmt.Errorf("%w: cannot import a %q line", ErrInvalid, l.Kind)
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	reply, err := importScript.Run(ctx, s.w, keys, args...).Text()
	if err != nil {
		return outcome{}, s.wrap(err)
	}
	what := fmt.Sprintf("%s %s", l.Kind, l.ID)
	switch l.Kind {
	case "event":
		what = fmt.Sprintf("event %d of loan %s", l.Seq, l.ID)
	case "dedup":
		what = fmt.Sprintf("dedup key %q of loan %s", l.Key, l.ID)
	}
	switch reply {
	case "ADDED":
		return outcome{added: true}, nil
	case "SAME":
		return outcome{}, nil
	case "DIFF":
		return outcome{conflict: what + ": the store holds other content"}, nil
	case "GAP":
		return outcome{conflict: what + ": the events before it are missing"}, nil
	case "TAKEN":
		return outcome{conflict: fmt.Sprintf("%s: feed position %d of partition %d is taken", what, l.Pos, l.P)}, nil
	case "NOLOAN":
		return outcome{conflict: what + ": the loan is not in the store"}, nil
	}
	return outcome{}, fmt.Errorf("state: redis: unexpected import reply %q", reply)
}
