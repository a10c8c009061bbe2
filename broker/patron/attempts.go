package patron

import (
	"context"
	"errors"
	"fmt"

	"github.com/illgw/illgw/broker/state"
)

// attempts counts wrong PINs per patron in the Store: a fixed-window
// counter (Incr) under "patron:pinfail:<id>" and a lock entry (PutTTL) under
// "patron:lock:<id>", id being the keyed hash from patronID. A store error
// is ErrUnavailable: without the count the limit cannot be enforced, so the
// PIN is not checked (fail closed).
type attempts struct {
	store Store
	o     AttemptOptions
}

func failKey(id string) string { return "patron:pinfail:" + id }
func lockKey(id string) string { return "patron:lock:" + id }

func (a attempts) off() bool { return a.o.Max < 0 }

// locked reports whether id is locked now.
func (a attempts) locked(ctx context.Context, id string) (bool, error) {
	if a.off() {
		return false, nil
	}
	_, err := a.store.GetTTL(ctx, lockKey(id))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, state.ErrNotFound):
		return false, nil
	}
	return false, fmt.Errorf("%w: attempt store: %w", ErrUnavailable, err)
}

// fail counts one wrong PIN and reports whether it locked id: the count
// reaching Max within Window sets the lock for LockFor and starts the count
// afresh, so the patron has Max attempts again once the lock expires.
func (a attempts) fail(ctx context.Context, id string) (bool, error) {
	if a.off() {
		return false, nil
	}
	n, err := a.store.Incr(ctx, failKey(id), a.o.Window)
	if err != nil {
		return false, fmt.Errorf("%w: attempt store: %w", ErrUnavailable, err)
	}
	if n < int64(a.o.Max) {
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
