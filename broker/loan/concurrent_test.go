package loan

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/illgw/illgw/broker/ill"
	"github.com/illgw/illgw/broker/state"
	"github.com/illgw/illgw/internal/testenv"
	"github.com/illgw/illgw/ncip"
)

// loanCount is how many loans the concurrency tests drive: 200 (issue 8
// point 6), 50 with -short.
func loanCount() int {
	if testing.Short() {
		return 50
	}
	return 200
}

// soakCount is how many loans the soak runs drive (`make soak`, which sets
// ILLGW_SOAK=1); they skip otherwise.
func soakCount(t *testing.T) int {
	if os.Getenv("ILLGW_SOAK") != "1" {
		t.Skip("a soak run: make soak (ILLGW_SOAK=1)")
	}
	return 2000
}

// engineRef is the engine workers use; a restart swaps it.
type engineRef struct{ p atomic.Pointer[Engine] }

// again runs f until it succeeds, retrying what an outage or a restart
// causes; lifecycle refusals and version errors end it at once.
func again[T any](ctx context.Context, f func() (T, error)) (T, error) {
	var zero T
	var err error
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		var v T
		if v, err = f(); err == nil {
			return v, nil
		}
		var na *ill.NotAllowedError
		if errors.As(err, &na) || errors.Is(err, ErrVersion) || errors.Is(err, ErrInvalid) || ctx.Err() != nil {
			return zero, err
		}
		time.Sleep(50 * time.Millisecond)
	}
	return zero, fmt.Errorf("gave up: %w", err)
}

// driveLoan takes loan i through the whole lifecycle, retrying each step
// with its idempotency key; every fourth loan is renewed on the way.
func driveLoan(ctx context.Context, ref *engineRef, i int, isbn string, progress *atomic.Int64) error {
	r, err := again(ctx, func() (*Record, error) {
		return ref.p.Load().Create(ctx, CreateRequest{Requester: "NORTH", Patron: patronOf(i), Bib: Bib{ISBN: isbn},
			ExternalID: fmt.Sprintf("ext-%d", i), Actor: operator})
	})
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	id := r.Loan.ID
	// Wait until the first lender has been asked (a restart may leave the
	// calls to the timer that recovers them).
	if r, err = settle(ctx, ref, id, func(r *Record) bool { return r.Loan.State == ill.Sent && len(r.Outbox) == 0 }); err != nil {
		return err
	}
	progress.Add(1)
	lender := r.Loan.Lender
	steps := []struct {
		ev    ill.EventKind
		actor Actor
		want  ill.State
	}{
		{ill.ItemShipped, memberActor(lender), ill.Shipped},
		{ill.ItemReceived, memberActor("NORTH"), ill.Received},
		{ill.PatronCheckedOut, operator, ill.CheckedOut},
		{ill.RenewRequested, memberActor("NORTH"), ill.CheckedOut},
		{ill.PatronCheckedIn, memberActor("NORTH"), ill.CheckedIn},
		{ill.ReturnShipped, memberActor("NORTH"), ill.ShippedReturn},
		{ill.LenderCheckedIn, memberActor(lender), ill.Completed},
	}
	for n, s := range steps {
		if s.ev == ill.RenewRequested && i%4 != 0 {
			continue
		}
		key := fmt.Sprintf("%s-%d", id, n)
		if _, err := again(ctx, func() (*Record, error) {
			return ref.p.Load().Act(ctx, ActRequest{ID: id, Event: s.ev, Actor: s.actor, IdempotencyKey: key})
		}); err != nil {
			return fmt.Errorf("loan %s %s: %w", id, s.ev, err)
		}
		if _, err := settle(ctx, ref, id, func(r *Record) bool { return r.Loan.State == s.want && len(r.Outbox) == 0 }); err != nil {
			return fmt.Errorf("after %s: %w", s.ev, err)
		}
		progress.Add(1)
	}
	return nil
}

// patronOf is loan i's patron: one each, so that every NCIP call of a
// loan has an id of its own.
func patronOf(i int) string { return fmt.Sprintf("NP%05d", i) }

// settle waits until the loan satisfies ok; calls a restart interrupted
// are made by the timers.
func settle(ctx context.Context, ref *engineRef, id string, ok func(*Record) bool) (*Record, error) {
	deadline := time.Now().Add(60 * time.Second)
	for {
		r, err := ref.p.Load().Get(ctx, id)
		if err == nil && ok(r) {
			return r, nil
		}
		if time.Now().After(deadline) {
			if r != nil {
				return nil, fmt.Errorf("loan %s stuck in %s with calls %+v (%v)", id, r.Loan.State, r.Outbox, err)
			}
			return nil, fmt.Errorf("loan %s: %v", id, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// runLoans drives n loans concurrently; at a third and at two thirds of the
// steps it calls disrupt. It then checks that every loan completed, every
// lifecycle event was applied once, and every NCIP call was made once.
func runLoans(t *testing.T, c *consortium, ref *engineRef, n int, disrupt func(round int)) {
	ctx := context.Background()
	isbns := make([]string, n)
	for i := range n {
		isbns[i] = c.title(fmt.Sprintf("97800%08d", i), "SOUTH", "EAST")
		c.ils["NORTH"].AddUser(ncip.MemoryUser{ID: patronOf(i)})
	}
	const stepsPerLoan = 7
	total := int64(n*stepsPerLoan + n/4)
	var progress atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 64)
	start := time.Now()
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := driveLoan(ctx, ref, i, isbns[i], &progress); err != nil {
				errs <- err
			}
		})
	}
	stop := make(chan struct{})
	var dw sync.WaitGroup
	dw.Go(func() {
		for round := 1; round <= 2; round++ {
			for progress.Load() < total*int64(round)/3 {
				select {
				case <-stop:
					return
				case <-time.After(10 * time.Millisecond):
				}
			}
			t.Logf("disruption %d at %d of %d steps, %v in", round, progress.Load(), total, time.Since(start).Round(time.Millisecond))
			disrupt(round)
		}
	})
	wg.Wait()
	close(stop)
	dw.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("%d loans through the lifecycle in %v", n, time.Since(start).Round(time.Millisecond))
	if t.Failed() {
		return
	}
	e := ref.p.Load()
	found := 0
	if err := e.scan(ctx, func(r *Record) {
		found++
		if r.Loan.State != ill.Completed {
			t.Errorf("loan %s ended %s", r.Loan.ID, r.Loan.State)
		}
		hist, err := e.History(ctx, r.Loan.ID)
		if err != nil {
			t.Error(err)
			return
		}
		count := map[string]int{}
		var last uint64
		for _, ev := range hist {
			if ev.Version < last {
				t.Errorf("loan %s: history goes back from v%d to v%d", r.Loan.ID, last, ev.Version)
			}
			last = ev.Version
			if _, err := ill.ParseEventKind(ev.Kind); err == nil {
				count[ev.Kind]++
			}
		}
		for k, v := range count {
			if v != 1 && !(k == "due-date" && v == 2) { // shipping and renewing both set it
				t.Errorf("loan %s: %s applied %d times: %s", r.Loan.ID, k, v, kinds(hist))
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	if found != n {
		t.Errorf("found %d loans, want %d", found, n)
	}
	for _, code := range codes {
		for _, call := range c.ils[code].CallList() {
			if !strings.HasSuffix(call, "=1") {
				t.Errorf("%s: NCIP call repeated: %s", code, call)
			}
		}
	}
}

// outageStore counts the store calls that found the store unavailable, so
// the restart tests can show the restarts were felt.
type outageStore struct {
	state.Store
	unavailable atomic.Int64
}

func (s *outageStore) note(err error) error {
	if errors.Is(err, state.ErrUnavailable) {
		s.unavailable.Add(1)
	}
	return err
}

func (s *outageStore) Apply(ctx context.Context, m state.Mutation) (state.Result, error) {
	r, err := s.Store.Apply(ctx, m)
	return r, s.note(err)
}

func (s *outageStore) Get(ctx context.Context, id string) (state.Loan, error) {
	l, err := s.Store.Get(ctx, id)
	return l, s.note(err)
}

func startRun(t *testing.T, e *Engine) func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	return func() { cancel(); <-done }
}

// TestConcurrentLoansRedis: 200 loans at once against Redis (AOF, fsync
// always) restarted twice mid-run (issue 8 point 6).
func TestConcurrentLoansRedis(t *testing.T) { redisRestarts(t, loanCount()) }

// TestSoakLoansRedis is TestConcurrentLoansRedis with 2000 loans.
func TestSoakLoansRedis(t *testing.T) { redisRestarts(t, soakCount(t)) }

func redisRestarts(t *testing.T, n int) {
	srv := testenv.Redis(t, testenv.WithAOF())
	inner, err := state.Open(context.Background(), state.Options{Driver: "redis", Addrs: []string{srv.Addr},
		DialTimeout: time.Second, ReadTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer inner.Close()
	store := &outageStore{Store: inner}
	defer func() {
		t.Logf("%d store calls found Redis down", store.unavailable.Load())
		if store.unavailable.Load() == 0 {
			t.Error("no store call saw a restart: the test proved nothing")
		}
	}()
	c := newConsortium(t)
	e := c.engine(t, store, nil)
	defer startRun(t, e)()
	var ref engineRef
	ref.p.Store(e)
	runLoans(t, c, &ref, n, func(int) {
		srv.Stop(t)
		time.Sleep(300 * time.Millisecond)
		srv.Start(t)
	})
}

// TestConcurrentLoansEmbeddedRestart: the same on the embedded store, with
// the engine closed and the store reopened by a new engine twice mid-run.
func TestConcurrentLoansEmbeddedRestart(t *testing.T) { embeddedRestarts(t, loanCount()) }

// TestSoakLoansEmbeddedRestart is TestConcurrentLoansEmbeddedRestart with
// 2000 loans.
func TestSoakLoansEmbeddedRestart(t *testing.T) { embeddedRestarts(t, soakCount(t)) }

func embeddedRestarts(t *testing.T, n int) {
	path := t.TempDir() + "/loans.db"
	store := openEmbedded(t, path)
	c := newConsortium(t)
	e := c.engine(t, store, nil)
	stopRun := startRun(t, e)
	var ref engineRef
	ref.p.Store(e)
	runLoans(t, c, &ref, n, func(int) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		old := ref.p.Load()
		if err := old.Close(ctx); err != nil {
			t.Errorf("closing the engine: %v", err)
		}
		stopRun()
		if err := store.Close(); err != nil {
			t.Errorf("closing the store: %v", err)
		}
		store = openEmbedded(t, path)
		next := c.engine(t, store, nil)
		stopRun = startRun(t, next)
		ref.p.Store(next)
	})
	stopRun()
	store.Close()
}
