package loan

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/illgw/illgw/broker/state"
)

// Cursor is where a watcher stands in every partition feed: the last
// position it has seen in each.
type Cursor []uint64

// cursorPrefix starts every cursor string, so that a cursor of another
// form is refused rather than misread.
const cursorPrefix = "w1."

// String encodes c as "w1." followed by the positions in base 36, joined
// by dots.
func (c Cursor) String() string {
	var b strings.Builder
	b.WriteString(cursorPrefix)
	for i, p := range c {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.FormatUint(p, 36))
	}
	return b.String()
}

// ParseCursor reads a cursor of n partitions written by Cursor.String.
func ParseCursor(s string, n int) (Cursor, error) {
	rest, ok := strings.CutPrefix(s, cursorPrefix)
	if !ok || len(s) > n*14+len(cursorPrefix) {
		return nil, fmt.Errorf("%w: not a watch cursor", ErrInvalid)
	}
	parts := strings.Split(rest, ".")
	if len(parts) != n {
		return nil, fmt.Errorf("%w: cursor for %d partitions, the store has %d", ErrInvalid, len(parts), n)
	}
	c := make(Cursor, n)
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 36, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: cursor position %d is not a number", ErrInvalid, i)
		}
		c[i] = v
	}
	return c, nil
}

// Head returns the cursor at the end of every feed: Watch from it sees
// only events written later. Feed positions are dense, so each
// partition's end is found by doubling and halving.
func (e *Engine) Head(ctx context.Context) (Cursor, error) {
	c := make(Cursor, e.store.Partitions())
	for p := range c {
		has := func(pos uint64) (bool, error) {
			evs, err := e.store.Feed(ctx, p, pos, 1)
			return len(evs) > 0, err
		}
		lo, hi := uint64(0), uint64(1)
		for {
			ok, err := has(hi)
			if err != nil {
				return nil, err
			}
			if !ok {
				break
			}
			lo, hi = hi, hi*2
		}
		for lo+1 < hi { // has(lo) is true (or lo is 0); has(hi) is false
			mid := lo + (hi-lo)/2
			ok, err := has(mid)
			if err != nil {
				return nil, err
			}
			if ok {
				lo = mid
			} else {
				hi = mid
			}
		}
		// Events after lo exist and none after hi: the last position is hi.
		if ok, err := has(lo); err != nil {
			return nil, err
		} else if ok {
			c[p] = hi
		} else {
			c[p] = lo
		}
	}
	return c, nil
}

// Watch calls send with every event written after the cursor, in feed
// order per partition, with the cursor after it, until ctx ends or send
// fails. A nil cursor starts at the beginning of every feed. The feeds
// are polled every WatchPoll; a store that does not answer is retried.
func (e *Engine) Watch(ctx context.Context, from Cursor, send func(Event, Cursor) error) error {
	n := e.store.Partitions()
	c := make(Cursor, n)
	if from != nil {
		if len(from) != n {
			return fmt.Errorf("%w: cursor for %d partitions, the store has %d", ErrInvalid, len(from), n)
		}
		copy(c, from)
	}
	for {
		got := 0
		for p := range n {
			evs, err := e.store.Feed(ctx, p, c[p], 500)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if errors.Is(err, state.ErrUnavailable) {
					continue
				}
				return err
			}
			for _, s := range evs {
				ev, err := EventFromStore(s, p)
				c[p] = s.Pos
				if err != nil {
					e.log.Warn("loan: watch skips an event that does not decode", "loan", s.LoanID, "err", err)
					continue
				}
				if err := send(ev, append(Cursor(nil), c...)); err != nil {
					return err
				}
				got++
			}
		}
		if got > 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-e.done:
			return ErrClosed
		case <-e.watchesDone:
			return ErrClosed
		case <-time.After(e.o.WatchPoll):
		}
	}
}
