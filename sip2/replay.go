package sip2

import (
	"context"
	"sync"
)

// ReplayStore keeps, per terminal (login user id), its last state-changing
// request (11, 09, 29, 37, 15, 65, 01, 19, 25) and the response sent. When a
// terminal sends the same bytes again (same sequence number and checksum: a
// kiosk retrying after a timeout), the Server sends the stored response
// instead of running the request twice. Entries outlive connections; a
// gateway backs the store with its shared state store so retries are caught
// across reconnects and instances. Implementations must be safe for
// concurrent use.
type ReplayStore interface {
	// Get returns the terminal's last request and response; ok is false
	// when there is none.
	Get(ctx context.Context, terminal string) (request, response []byte, ok bool, err error)
	// Put replaces the terminal's entry.
	Put(ctx context.Context, terminal string, request, response []byte) error
}

// MemoryReplayStore is a ReplayStore in process memory, for a single
// gateway instance and for tests. The zero value is ready.
type MemoryReplayStore struct {
	mu sync.Mutex
	m  map[string][2][]byte
}

// Get implements ReplayStore.
func (s *MemoryReplayStore) Get(_ context.Context, terminal string) ([]byte, []byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[terminal]
	return e[0], e[1], ok, nil
}

// Put implements ReplayStore.
func (s *MemoryReplayStore) Put(_ context.Context, terminal string, request, response []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[string][2][]byte)
	}
	s.m[terminal] = [2][]byte{append([]byte(nil), request...), append([]byte(nil), response...)}
	return nil
}
