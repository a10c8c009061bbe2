package member

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/sony/gobreaker/v2"

	"github.com/illgw/illgw/broker/state"
)

// errDown stands for a transport failure.
var errDown = errors.New("dial tcp 127.0.0.1:1: connect: connection refused")

// ldapMember is a member with only an LDAP breaker: Do with any function.
func ldapMember(code string) Config {
	return Config{Code: code, Name: code + " library", LDAP: &LDAPConfig{Timeout: time.Second}}
}

func newRegistry(t *testing.T, o Options) *Registry {
	t.Helper()
	if o.Members == nil {
		o.Members = []Config{ldapMember("NORTH")}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	r, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// counter is a call that counts how often it ran and returns err.
type counter struct {
	n   atomic.Int64
	err error
}

func (c *counter) call(context.Context) error {
	c.n.Add(1)
	return c.err
}

func health(t *testing.T, r *Registry, code string, p Protocol) ProtocolHealth {
	t.Helper()
	for _, m := range r.Health(context.Background()) {
		for _, h := range m.Protocols {
			if m.Code == code && h.Protocol == p {
				return h
			}
		}
	}
	t.Fatalf("no health for %s/%s", code, p)
	return ProtocolHealth{}
}

func breakerState(t *testing.T, r *Registry, code string, p Protocol) gobreaker.State {
	t.Helper()
	return health(t, r, code, p).Breaker
}

// memFlags is an in-memory FlagStore with switches for failure and delay.
type memFlags struct {
	mu    sync.Mutex
	m     map[string]memEntry
	err   error
	delay time.Duration
	puts  atomic.Int64
	gets  atomic.Int64
}

type memEntry struct {
	v   []byte
	exp time.Time
}

func newMemFlags() *memFlags { return &memFlags{m: map[string]memEntry{}} }

func (s *memFlags) wait(ctx context.Context) error {
	s.mu.Lock()
	d, err := s.delay, s.err
	s.mu.Unlock()
	if d > 0 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return errors.Join(state.ErrUnavailable, ctx.Err())
		}
	}
	return err
}

func (s *memFlags) GetTTL(ctx context.Context, key string) ([]byte, error) {
	s.gets.Add(1)
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[key]
	if !ok || time.Now().After(e.exp) {
		return nil, state.ErrNotFound
	}
	return e.v, nil
}

func (s *memFlags) PutTTL(ctx context.Context, key string, v []byte, ttl time.Duration) error {
	if err := s.wait(ctx); err != nil {
		return err
	}
	s.puts.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = memEntry{append([]byte(nil), v...), time.Now().Add(ttl)}
	return nil
}

func (s *memFlags) DeleteTTL(ctx context.Context, key string) error {
	if err := s.wait(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
	return nil
}

// metricValue reads a gauge's or counter's value.
func metricValue(t *testing.T, c prometheus.Metric) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	switch {
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	t.Fatal("not a gauge, counter or histogram")
	return 0
}
