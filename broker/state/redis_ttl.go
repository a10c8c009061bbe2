package state

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// TTL entries and windowed counters of the redis driver: plain keys with a
// PX expiry, so Redis itself expires them.

func ttlKey(key string) string { return "illgw:ttl:" + key }
func ctrKey(key string) string { return "illgw:ctr:" + key }

func (s *redisStore) PutTTL(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := checkTTL(key, value, ttl); err != nil {
		return err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.wrap(s.w.Set(ctx, ttlKey(key), value, ttl).Err())
}

func (s *redisStore) GetTTL(ctx context.Context, key string) ([]byte, error) {
	if err := checkID("key", key, MaxIDLen); err != nil {
		return nil, err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	v, err := s.r.Get(ctx, ttlKey(key)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("%w: key %s", ErrNotFound, key)
	}
	if err != nil {
		return nil, s.wrap(err)
	}
	return v, nil
}

func (s *redisStore) DeleteTTL(ctx context.Context, key string) error {
	if err := checkID("key", key, MaxIDLen); err != nil {
		return err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.wrap(s.w.Del(ctx, ttlKey(key)).Err())
}

func (s *redisStore) PutIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) ([]byte, bool, error) {
	if err := checkTTL(key, value, ttl); err != nil {
		return nil, false, err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	reply, err := putIfAbsentScript.Run(ctx, s.w, []string{ttlKey(key)}, value, ttl.Milliseconds()).Slice()
	if err != nil {
		return nil, false, s.wrap(err)
	}
	if len(reply) != 2 {
		return nil, false, fmt.Errorf("state: redis: bad put-if-absent reply of %d items", len(reply))
	}
	created, _ := reply[0].(int64)
	stored, _ := reply[1].(string)
	return []byte(stored), created == 1, nil
}

func (s *redisStore) Incr(ctx context.Context, key string, window time.Duration) (int64, error) {
	if err := checkID("key", key, MaxIDLen); err != nil {
		return 0, err
	}
	if window < time.Millisecond {
		return 0, fmt.Errorf("%w: window %v below 1ms", ErrInvalid, window)
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	n, err := incrScript.Run(ctx, s.w, []string{ctrKey(key)}, window.Milliseconds()).Int64()
	if err != nil {
		return 0, s.wrap(err)
	}
	return n, nil
}

func (s *redisStore) Reset(ctx context.Context, key string) error {
	if err := checkID("key", key, MaxIDLen); err != nil {
		return err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.wrap(s.w.Del(ctx, ctrKey(key)).Err())
}
