package loan

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/illgw/illgw/broker/ill"
	"github.com/illgw/illgw/broker/state"
)

// claimBatch is how many due timers one ClaimDue takes from a partition.
const claimBatch = 100

// Run claims due timers and fires them, and sweeps now and then for timers
// lost with an instance that died after claiming them (state.Store.ClaimDue
// hands each timer to one caller and removes it). Every instance runs it;
// it returns when ctx ends or the engine is closed.
func (e *Engine) Run(ctx context.Context) error {
	if err := e.begin(); err != nil {
		return err
	}
	defer e.running.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-e.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { e.sweepLoop(ctx) })
	tick := time.NewTicker(e.o.Poll)
	defer tick.Stop()
	for {
		e.claimOnce(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// claimOnce claims the due timers of every partition and fires them, a few
// loans at a time.
func (e *Engine) claimOnce(ctx context.Context) {
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for p := range e.store.Partitions() {
		timers, err := e.store.ClaimDue(ctx, p, e.now(), claimBatch)
		if err != nil {
			if ctx.Err() == nil {
				e.log.Debug("loan: claiming due timers", "partition", p, "err", err)
			}
			continue
		}
		for _, t := range timers {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				if err := e.Fire(ctx, t.LoanID); err != nil && ctx.Err() == nil {
					e.log.Warn("loan: timer", "loan", t.LoanID, "kind", t.Kind, "err", err)
				}
			})
		}
	}
	wg.Wait()
}

func (e *Engine) sweepLoop(ctx context.Context) {
	for {
		if err := e.SweepOnce(ctx); err != nil && ctx.Err() == nil {
			e.log.Warn("loan: sweep for lost timers", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(e.o.Sweep):
		}
	}
}

// SweepOnce fires every loan whose timer is later than SweepGrace: its
// timer was claimed by an instance that died before acting on it.
func (e *Engine) SweepOnce(ctx context.Context) error {
	var late []string
	err := e.scan(ctx, func(r *Record) {
		if at, _ := e.nextTimer(r); !at.IsZero() && at.Before(e.now().Add(-e.o.SweepGrace)) {
			late = append(late, r.Loan.ID)
		}
	})
	for _, id := range late {
		if ctx.Err() != nil {
			break
		}
		if err := e.Fire(ctx, id); err != nil {
			e.log.Warn("loan: late timer", "loan", id, "err", err)
		}
	}
	return err
}

// Fire does what is due on a loan now: the lender time-out (§3.3, R7), the
// overdue step (S9), anonymisation (issue 8 point 9), and calls waiting to
// be made or retried. What is due is read from the loan, so a timer that
// fires twice does nothing the second time.
func (e *Engine) Fire(ctx context.Context, id string) error {
	if err := e.begin(); err != nil {
		return err
	}
	defer e.running.Done()
	changed := false
	for range 4 {
		_, wrote, err := e.update(ctx, id, "", func(r *Record, now time.Time) ([]Event, error) {
			ev, ok := e.due(r, now)
			if !ok {
				return nil, errNoop
			}
			if ev.Kind == ill.ItemOverdue {
				r.DueTimer = false // fired; a renewal arms it again
			}
			evs, err := e.transition(r, ev, System, now, "")
			var na *ill.NotAllowedError
			if errors.As(err, &na) || errors.Is(err, ill.ErrUnknownName) {
				// Not for this state: drop the flag that made it due.
				r.DueTimer = r.DueTimer && ev.Kind != ill.ItemOverdue
				r.LenderTimer = r.LenderTimer && ev.Kind != ill.LenderTimeout
				return nil, nil
			}
			return evs, err
		})
		if errors.Is(err, state.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if !wrote {
			break
		}
		changed = true
	}
	e.drive(ctx, id)
	if !changed {
		return e.rearm(ctx, id)
	}
	return nil
}

// rearm writes the loan again when a timer fired early and nothing was
// due: the claim removed the store's timer, and the write sets it anew.
func (e *Engine) rearm(ctx context.Context, id string) error {
	_, _, err := e.update(ctx, id, "", func(r *Record, now time.Time) ([]Event, error) {
		if at, _ := e.nextTimer(r); at.IsZero() || !at.After(now) {
			return nil, errNoop // nothing pending, or made by whoever holds its claim
		}
		return nil, nil
	})
	if errors.Is(err, state.ErrNotFound) {
		return nil
	}
	return err
}

// due is the first timed lifecycle event that is due on r at now.
func (e *Engine) due(r *Record, now time.Time) (ill.Event, bool) {
	ev := ill.Event{Actor: ill.Actor{Kind: ill.ActorSystem, ID: System.ID}, At: now}
	l := &r.Loan
	if i := current(l); r.LenderTimer && i >= 0 && !l.Rota[i].Deadline.IsZero() && !now.Before(l.Rota[i].Deadline) {
		ev.Kind = ill.LenderTimeout
		ev.Reason = fmt.Sprintf("no answer from %s within %s", l.Lender, e.policy.Timeouts.For(l.Level))
		return ev, true
	}
	if r.DueTimer && !l.DueDate.IsZero() && !now.Before(l.DueDate) {
		ev.Kind, ev.Reason = ill.ItemOverdue, "due "+l.DueDate.UTC().Format(time.RFC3339)
		return ev, true
	}
	if at, ok := l.AnonymiseAt(e.o.AnonymiseAfter); ok && !now.Before(at) {
		ev.Kind = ill.Anonymise
		return ev, true
	}
	return ev, false
}
