package patron

import (
	"context"
	"errors"
	"fmt"

	"github.com/illgw/illgw/broker/state"
)

// attempts counts PIN checks per patron in the Store: a fixed-window
// counter (Incr) under "patron:pinfail:<id>", cleared by a right PIN, and a
// lock entry (PutTTL) under "patron:lock:<id>", id being the keyed hash
// from patronID. A store error
// is ErrUnavailable: without the count the limit cannot be enforced, so the
// PIN is not checked (fail closed).
type attempts struct {
	store Store
	o     AttemptOptions
}

func failKey(id string) string { return "patron:pinfail:" + id }
func lockKey(id string) string { return "patron:lock:" + id }

func (a attempts) off() bool { return a.o.Max < 0 }

// begin reserves one PIN check for id before it is made: it reports
// locked when a lock is set, or when the count, incremented now, passes
// Max (parallel attempts beyond the limit are refused, not checked). n is
// the count including this attempt, for fail. The lock is read again after
// the increment: an attempt that raced with the one setting the lock (and
// resetting the count) would otherwise count from zero. A reserved check
// that ends without an answer (directory unavailable) stays counted until
// the window ends.
func (a attempts) begin(ctx context.Context, id string) (n int64, locked bool, err error) {
	if a.off() {
		return 0, false, nil
	}
	if locked, err := a.isLocked(ctx, id); err != nil || locked {
		return 0, locked, err
	}
	n, err = a.store.Incr(ctx, failKey(id), a.o.Window)
	if err != nil {
		return 0, false, fmt.Errorf("%w: attempt store: %w", ErrUnavailable, err)
	}
	if n > int64(a.o.Max) {
		return n, true, nil
	}
	if locked, err := a.isLocked(ctx, id); err != nil || locked {
		return 0, locked, err
	}
	return n, false, nil
}

func (a attempts) isLocked(ctx context.Context, id string) (bool, error) {
	_, err := a.store.GetTTL(ctx, lockKey(id))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, state.ErrNotFound):
		return false, nil
	}
	return false, fmt.Errorf("%w: attempt store: %w", ErrUnavailable, err)
}

// fail records that the check counted as n was a wrong PIN and reports
// whether it locked id: the Max-th check of a window, when wrong, sets the
// lock for LockFor and starts the count afresh, so the patron has Max
// attempts again once the lock expires.
func (a attempts) fail(ctx context.Context, id string, n int64) (bool, error) {
	if a.off() || n < int64(a.o.Max) {
		return false, nil
	}
	if err := a.store.PutTTL(ctx, lockKey(id), []byte{1}, a.o.LockFor); err != nil {
		return false, fmt.Errorf("%w: attempt store: %w", ErrUnavailable, err)
	}
	if err := a.store.Reset(ctx, failKey(id)); err != nil {
		return true, fmt.Errorf("%w: attempt store: %w", ErrUnavailable, err)
	}
	return true, nil
}

// succeed clears the wrong-PIN count after a right PIN.
func (a attempts) succeed(ctx context.Context, id string) error {
	if a.off() {
		return nil
	}
	return a.store.Reset(ctx, failKey(id))
}

// unlock removes the lock and the count.
func (a attempts) unlock(ctx context.Context, id string) error {
	if a.off() {
		return nil
	}
	if err := a.store.DeleteTTL(ctx, lockKey(id)); err != nil {
		return fmt.Errorf("%w: attempt store: %w", ErrUnavailable, err)
	}
	if err := a.store.Reset(ctx, failKey(id)); err != nil {
		return fmt.Errorf("%w: attempt store: %w", ErrUnavailable, err)
	}
	return nil
}
