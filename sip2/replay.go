package sip2

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"sync"
)

// ReplayDigestSize is the length of ReplayEntry.Digest: an HMAC-SHA256.
const ReplayDigestSize = sha256.Size

// ReplayEntry is what a ReplayStore keeps for one terminal: a keyed digest
// of its last state-changing request and the response sent to it. The
// request itself is never stored: it may carry a patron PIN (AD) or a
// terminal password (AC). Responses to the state-changing requests (12, 10,
// 30, 38, 16, 66, 24, 20, 26) have no AD, AC or CO field in SIP2 2.00, and
// the Server drops from a stored response any such field a backend passed
// through (see storable).
type ReplayEntry struct {
	// Digest is HMAC-SHA256 over the request's exact bytes (terminator
	// excluded), keyed per terminal by replayKey: ReplayDigestSize bytes.
	Digest []byte
	// Response is the response as sent, without terminator.
	Response []byte
}

// ReplayStore keeps, per terminal (login user id), the digest of its last
// state-changing request (11, 09, 29, 37, 15, 65, 01, 19, 25) and the
// response sent. When a terminal sends the same bytes again (same sequence
// number and checksum: a kiosk retrying after a timeout), the Server sends
// the stored response instead of running the request twice (issue 6 point
// 2). Entries outlive connections; a gateway backs the store with its shared
// state store so retries are caught across reconnects and instances.
// Implementations must be safe for concurrent use.
type ReplayStore interface {
	// Get returns the terminal's entry; ok is false when there is none.
	Get(ctx context.Context, terminal string) (e ReplayEntry, ok bool, err error)
	// Put replaces the terminal's entry.
	Put(ctx context.Context, terminal string, e ReplayEntry) error
}

// replayKey derives the HMAC key of a terminal's replay digests from the
// Server's ReplayKey, the login user id and the password the terminal
// logged in with (CO of its 93). A plain hash of a request of known layout
// would let anyone who reads the store find a 4-digit PIN in 10,000 tries;
// keyed by the terminal's password (held by the gateway only as a bcrypt
// hash) and, when configured, a secret shared by the gateway instances,
// the digest gives nothing to guess against. Every instance derives the
// same key from the same login, so retries are recognised across
// reconnects and instances.
func replayKey(secret []byte, login, password string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("illgw sip2 replay v1\x00"))
	m.Write([]byte(login))
	m.Write([]byte{0})
	m.Write([]byte(password))
	return m.Sum(nil)
}

// replayDigest is the digest of request under key.
func replayDigest(key, request []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(request)
	return m.Sum(nil)
}

// MemoryReplayStore is a ReplayStore in process memory, for a single
// gateway instance and for tests. The zero value is ready.
type MemoryReplayStore struct {
	mu sync.Mutex
	m  map[string]ReplayEntry
}

// Get implements ReplayStore.
func (s *MemoryReplayStore) Get(_ context.Context, terminal string) (ReplayEntry, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[terminal]
	return e, ok, nil
}

// Put implements ReplayStore.
func (s *MemoryReplayStore) Put(_ context.Context, terminal string, e ReplayEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[string]ReplayEntry)
	}
	s.m[terminal] = ReplayEntry{Digest: append([]byte(nil), e.Digest...), Response: append([]byte(nil), e.Response...)}
	return nil
}
