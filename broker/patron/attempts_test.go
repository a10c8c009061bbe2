package patron

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/illgw/illgw/broker/state"
	"github.com/illgw/illgw/internal/testenv"
)

// checkAttemptLimit drives the wrong-PIN limit through two authenticators
// sharing store (two gateway instances): Max wrong PINs lock the patron on
// both, a right PIN is refused while locked, the lock lifts after LockFor,
// and a right PIN clears the count.
func checkAttemptLimit(t *testing.T, srv *testenv.SlapdServer, store Store) {
	ctx := context.Background()
	o := baseOptions(srv, store)
	o.Attempts = AttemptOptions{Max: 3, Window: time.Minute, LockFor: time.Hour}
	a, b := newLDAP(t, o), newLDAP(t, o)

	// Two wrong, one right: the count starts again.
	for _, l := range []*LDAP{a, b} {
		if _, err := l.Authenticate(ctx, "p0004", "wrong"); !errors.Is(err, ErrBadPIN) || errors.Is(err, ErrLocked) {
			t.Fatalf("wrong PIN: %v", err)
		}
	}
	if _, err := a.Authenticate(ctx, "p0004", pinP0004); err != nil {
		t.Fatalf("right PIN after 2 wrong: %v", err)
	}

	// Three wrong across both instances, the barcode typed in two ways the
	// directory matches alike: locked.
	for i, bc := range []string{"p0004", "P0004", "p0004"} {
		l := []*LDAP{a, b, a}[i]
		_, err := l.Authenticate(ctx, bc, "wrong")
		if i < 2 && (!errors.Is(err, ErrBadPIN) || errors.Is(err, ErrLocked)) {
			t.Fatalf("wrong PIN %d: %v", i+1, err)
		}
		if i == 2 && (!errors.Is(err, ErrLocked) || !errors.Is(err, ErrBadPIN)) {
			t.Fatalf("wrong PIN %d: %v, want ErrLocked and ErrBadPIN", i+1, err)
		}
	}
	for _, l := range []*LDAP{a, b} {
		_, err := l.Authenticate(ctx, "p0004", pinP0004)
		if !errors.Is(err, ErrLocked) || errors.Is(err, ErrBadPIN) {
			t.Fatalf("right PIN while locked: %v, want ErrLocked", err)
		}
		if !strings.Contains(ScreenMessage(err), "locked") {
			t.Errorf("screen message %q", ScreenMessage(err))
		}
	}
	// Other patrons are not affected; lookups still work.
	if _, err := a.Authenticate(ctx, "p0001", pinP0001); err != nil {
		t.Fatalf("another patron: %v", err)
	}
	if _, err := b.Lookup(ctx, "p0004"); err != nil {
		t.Fatalf("Lookup of a locked patron: %v", err)
	}

	// Staff can lift a lock at once.
	if err := b.Unlock(ctx, "p0004"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(ctx, "p0004", pinP0004); err != nil {
		t.Fatalf("after Unlock: %v", err)
	}

	// A lock lifts by itself after LockFor.
	o.Attempts.LockFor = 2 * time.Second
	c := newLDAP(t, o)
	for range 3 {
		_, _ = c.Authenticate(ctx, "p0004", "wrong")
	}
	lockedAt := time.Now()
	if _, err := c.Authenticate(ctx, "p0004", pinP0004); !errors.Is(err, ErrLocked) && time.Since(lockedAt) < o.Attempts.LockFor {
		t.Fatalf("not locked again: %v", err)
	}
	time.Sleep(time.Until(lockedAt.Add(o.Attempts.LockFor + 200*time.Millisecond)))
	if _, err := c.Authenticate(ctx, "p0004", pinP0004); err != nil {
		t.Fatalf("right PIN after LockFor: %v", err)
	}
}

func TestAttemptLimitEmbedded(t *testing.T) {
	checkAttemptLimit(t, slapd(t), openStore(t))
}

func TestAttemptLimitRedis(t *testing.T) {
	r := testenv.Redis(t)
	s, err := state.Open(context.Background(), state.Options{Driver: "redis", Addrs: []string{r.Addr}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkAttemptLimit(t, slapd(t), s)
}

// TestLockSurvivesRestart: the lock is in the store, not in the process; a
// new authenticator on a reopened embedded store still refuses the patron,
// and no store key holds the barcode in the clear.
func TestLockSurvivesRestart(t *testing.T) {
	srv := slapd(t)
	ctx := context.Background()
	path := t.TempDir() + "/s.db"
	s1, err := state.Open(ctx, state.Options{Driver: "embedded", Path: path})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordingStore{Store: s1}
	o := baseOptions(srv, rec)
	o.Attempts = AttemptOptions{Max: 2, LockFor: time.Hour}
	l := newLDAP(t, o)
	for range 2 {
		_, _ = l.Authenticate(ctx, "p0004", "wrong")
	}
	l.Close()
	s1.Close()
	for _, k := range rec.keys {
		if strings.Contains(strings.ToLower(k), "p0004") || len(k) > state.MaxIDLen {
			t.Errorf("store key %q", k)
		}
	}
	if len(rec.keys) == 0 {
		t.Fatal("nothing was written to the store")
	}

	s2, err := state.Open(ctx, state.Options{Driver: "embedded", Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	o.Store = s2
	if _, err := newLDAP(t, o).Authenticate(ctx, "p0004", pinP0004); !errors.Is(err, ErrLocked) {
		t.Fatalf("after restart: %v, want ErrLocked", err)
	}
}

// TestStoreDown: without the store the limit cannot be enforced, so the PIN
// is not checked at all (fail closed).
func TestStoreDown(t *testing.T) {
	srv := slapd(t)
	s := openStore(t)
	l := newLDAP(t, baseOptions(srv, s))
	s.Close()
	_, err := l.Authenticate(context.Background(), "p0001", pinP0001)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("store closed: %v, want ErrUnavailable", err)
	}
	if p, err := l.Lookup(context.Background(), "p0001"); err != nil || p.Name != "Ada Valid" {
		t.Fatalf("Lookup needs no store: %+v, %v", p, err)
	}
}

// recordingStore remembers the keys written through it.
type recordingStore struct {
	Store
	keys []string
}

func (r *recordingStore) Incr(ctx context.Context, key string, w time.Duration) (int64, error) {
	r.keys = append(r.keys, key)
	return r.Store.Incr(ctx, key, w)
}

func (r *recordingStore) PutTTL(ctx context.Context, key string, v []byte, ttl time.Duration) error {
	r.keys = append(r.keys, key)
	return r.Store.PutTTL(ctx, key, v, ttl)
}

// TestParallelGuesses fires many wrong PINs at once: no more than Max of
// them reach the directory as binds, and the patron ends up locked.
func TestParallelGuesses(t *testing.T) {
	srv := slapd(t)
	o := baseOptions(srv, openStore(t))
	o.Attempts = AttemptOptions{Max: 3, LockFor: time.Hour}
	o.PoolSize = 8
	l := newLDAP(t, o)
	ctx := context.Background()
	errs := make(chan error, 20)
	for i := range 20 {
		go func() {
			_, err := l.Authenticate(ctx, "p0004", fmt.Sprintf("guess-%02d", i))
			errs <- err
		}()
	}
	for range 20 {
		if err := <-errs; !errors.Is(err, ErrBadPIN) && !errors.Is(err, ErrLocked) {
			t.Errorf("guess: %v", err)
		}
	}
	if _, err := l.Authenticate(ctx, "p0004", pinP0004); !errors.Is(err, ErrLocked) {
		t.Fatalf("right PIN after the guesses: %v, want ErrLocked", err)
	}
	binds := regexp.MustCompile(`BIND dn="uid=p0004,[^"]*" method`).FindAllString(slapdLog(t, srv.Dir), -1)
	if len(binds) == 0 || len(binds) > o.Attempts.Max {
		t.Fatalf("%d PIN binds reached the directory, limit %d", len(binds), o.Attempts.Max)
	}
}
