package state

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
)

type replyErr string

func (e replyErr) Error() string { return string(e) }
func (replyErr) RedisError()     {}

// TestRedisWrap: transport failures and transient server states become
// ErrUnavailable; other server replies stay plain errors.
func TestRedisWrap(t *testing.T) {
	s := &redisStore{}
	for _, tc := range []struct {
		err         error
		unavailable bool
	}{
		{&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, true},
		{context.DeadlineExceeded, true},
		{fmt.Errorf("redis: all sentinels specified in configuration are unreachable: %w", replyErr("redis: nil")), true},
		{replyErr("LOADING Redis is loading the dataset in memory"), true},
		{replyErr("CLUSTERDOWN The cluster is down"), true},
		{replyErr("READONLY You can't write against a read only replica."), true},
		{replyErr("BUSY Redis is busy running a script"), true},
		{replyErr("ERR wrong number of arguments"), false},
		{replyErr("WRONGTYPE Operation against a key holding the wrong kind of value"), false},
	} {
		got := s.wrap(tc.err)
		if errors.Is(got, ErrUnavailable) != tc.unavailable {
			t.Errorf("wrap(%v) = %v; unavailable should be %v", tc.err, got, tc.unavailable)
		}
		if !errors.Is(got, tc.err) {
			t.Errorf("wrap(%v) lost the cause", tc.err)
		}
	}
	if s.wrap(nil) != nil {
		t.Error("wrap(nil) != nil")
	}
}
