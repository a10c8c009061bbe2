package state

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TTL entries and windowed counters of the embedded driver. Expiry is
// checked on every read; a sweeper goroutine deletes what has expired so the
// file does not grow with dead entries.

// expiredAt reports whether a value starting with an 8-byte expiry is dead.
func expiredAt(v []byte, now time.Time) bool {
	return len(v) < 8 || int64(binary.BigEndian.Uint64(v[:8])) <= now.UnixNano()
}

func withExpiry(exp time.Time, tail []byte) []byte {
	return append(u64(uint64(exp.UnixNano())), tail...)
}

func (s *embedded) PutTTL(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := checkTTL(key, value, ttl); err != nil {
		return err
	}
	exp := s.now().Add(ttl)
	return s.batch(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bTTL).Put([]byte(key), withExpiry(exp, value))
	})
}

func (s *embedded) GetTTL(ctx context.Context, key string) ([]byte, error) {
	if err := checkID("key", key, MaxIDLen); err != nil {
		return nil, err
	}
	now := s.now()
	var out []byte
	err := s.view(ctx, func(tx *bolt.Tx) error {
		v := tx.Bucket(bTTL).Get([]byte(key))
		if v == nil || expiredAt(v, now) {
			return fmt.Errorf("%w: key %s", ErrNotFound, key)
		}
		out = bytes.Clone(v[8:])
		return nil
	})
	return out, err
}

func (s *embedded) DeleteTTL(ctx context.Context, key string) error {
	if err := checkID("key", key, MaxIDLen); err != nil {
		return err
	}
	return s.batch(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bTTL).Delete([]byte(key))
	})
}

func (s *embedded) PutIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) ([]byte, bool, error) {
	if err := checkTTL(key, value, ttl); err != nil {
		return nil, false, err
	}
	now := s.now()
	var stored []byte
	created := false
	err := s.batch(ctx, func(tx *bolt.Tx) error {
		created, stored = false, nil
		b := tx.Bucket(bTTL)
		if v := b.Get([]byte(key)); v != nil && !expiredAt(v, now) {
			stored = bytes.Clone(v[8:])
			return nil
		}
		created, stored = true, bytes.Clone(value)
		return b.Put([]byte(key), withExpiry(now.Add(ttl), value))
	})
	if err != nil {
		return nil, false, err
	}
	return stored, created, nil
}

func (s *embedded) Incr(ctx context.Context, key string, window time.Duration) (int64, error) {
	if err := checkID("key", key, MaxIDLen); err != nil {
		return 0, err
	}
	if window < time.Millisecond {
		return 0, fmt.Errorf("%w: window %v below 1ms", ErrInvalid, window)
	}
	now := s.now()
	var n int64
	err := s.batch(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bCtr)
		v := b.Get([]byte(key))
		exp := now.Add(window)
		n = 1
		if len(v) == 16 && !expiredAt(v, now) {
			exp = time.Unix(0, int64(binary.BigEndian.Uint64(v[:8])))
			n = int64(binary.BigEndian.Uint64(v[8:])) + 1
		}
		return b.Put([]byte(key), withExpiry(exp, u64(uint64(n))))
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

func (s *embedded) Reset(ctx context.Context, key string) error {
	if err := checkID("key", key, MaxIDLen); err != nil {
		return err
	}
	return s.batch(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bCtr).Delete([]byte(key))
	})
}

func (s *embedded) sweeper(every time.Duration) {
	defer s.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if err := s.sweep(); err != nil {
				slog.Warn("state: sweeping expired entries", "err", err)
			}
		}
	}
}

// sweep deletes expired TTL entries, counters and dedup records.
func (s *embedded) sweep() error {
	now := s.now()
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := deleteWhere(tx.Bucket(bTTL), func(v []byte) bool { return expiredAt(v, now) }); err != nil {
			return err
		}
		if err := deleteWhere(tx.Bucket(bCtr), func(v []byte) bool { return expiredAt(v, now) }); err != nil {
			return err
		}
		for p := range s.n {
			err := deleteWhere(s.part(tx, p, bDedup), func(v []byte) bool {
				_, _, tail, err := decodeRecord(v)
				if err != nil {
					return true
				}
				exp, _, err := cutUint(tail, "dedup expiry")
				return err != nil || int64(exp) <= now.UnixNano()
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func deleteWhere(b *bolt.Bucket, dead func(v []byte) bool) error {
	var keys [][]byte
	if err := b.ForEach(func(k, v []byte) error {
		if dead(v) {
			keys = append(keys, bytes.Clone(k))
		}
		return nil
	}); err != nil {
		return err
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
