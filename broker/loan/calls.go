package loan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/illgw/illgw/broker/ill"
)

// claimTTL is how long the outcome of a call is kept once made, for a
// recording that has to be retried.
const claimTTL = 7 * 24 * time.Hour

// claim is the store entry "loancall:<loan>:<call>" that makes each call
// once: PutIfAbsent by the instance that makes it ("started", expiring
// after the lease), then its result ("done").
type claim struct {
	State  string // "started" or "done"
	By     string `json:",omitempty"`
	Result result `json:",omitzero"`
}

func claimKey(id, call string) string { return "loancall:" + id + ":" + call }

// drive makes the loan's runnable calls in order until none is left. It
// runs on after the caller's context ends (bounded by the lease), so that a
// client that gives up does not leave a call half recorded.
func (e *Engine) drive(ctx context.Context, id string) {
	if e.o.NoCalls {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.o.Lease)
	defer cancel()
	for range 4 * maxOutbox {
		rec, err := e.Get(ctx, id)
		if err != nil {
			e.log.Warn("loan: cannot read the loan to make its calls", "loan", id, "err", err)
			return
		}
		progressed := false
		for _, c := range runnable(rec, e.now()) {
			if e.perform(ctx, rec, c) {
				progressed = true
				break
			}
		}
		if !progressed {
			return
		}
	}
}

// runnable lists the calls that may be made now, in outbox order: a call
// waits while an earlier call at the same member is in the outbox, and a
// failed call waits for its retry time (or for staff).
func runnable(rec *Record, now time.Time) []Call {
	var out []Call
	seen := map[string]bool{}
	for _, c := range rec.Outbox {
		m := c.Effect.Member
		earlier := seen[m]
		seen[m] = true
		if earlier || (c.Failed && (c.NextAt.IsZero() || c.NextAt.After(now))) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// perform makes one call unless another instance is making it or has made
// it, and records the outcome in the loan. It reports whether the loan
// changed.
func (e *Engine) perform(ctx context.Context, rec *Record, c Call) bool {
	id := rec.Loan.ID
	key := claimKey(id, c.Key)
	token := randomKey(e.o.Instance + "/")
	start, _ := json.Marshal(claim{State: "started", By: token})
	var stored []byte
	var created bool
	err := e.retryStore(ctx, func(ctx context.Context) (err error) {
		stored, created, err = e.store.PutIfAbsent(ctx, key, start, e.o.Lease)
		return err
	})
	if err != nil {
		e.log.Warn("loan: cannot claim a call", "loan", id, "call", c.Key, "err", err)
		return false
	}
	var res result
	if created || bytes.Equal(stored, start) { // ours, perhaps from a try whose answer was lost
		res = e.run(ctx, rec, c)
		if res.Outcome == outcomeFailed {
			// Free the claim so that a retry may make the call again.
			_ = e.retryStore(ctx, func(ctx context.Context) error { return e.store.DeleteTTL(ctx, key) })
		} else if b, err := json.Marshal(claim{State: "done", Result: res}); err == nil {
			if err := e.retryStore(ctx, func(ctx context.Context) error { return e.store.PutTTL(ctx, key, b, claimTTL) }); err != nil {
				e.log.Warn("loan: cannot keep a call's outcome; recording it now", "loan", id, "call", c.Key, "err", err)
			}
		}
	} else {
		var cl claim
		if err := json.Unmarshal(stored, &cl); err != nil || cl.State != "done" {
			return false // another instance is making it
		}
		res = cl.Result
	}
	_, wrote, err := e.update(ctx, id, "call:"+c.Key, func(r *Record, now time.Time) ([]Event, error) {
		return e.record(r, c.Key, res, now)
	})
	if err != nil {
		e.log.Warn("loan: cannot record a call's outcome; it is kept for a retry", "loan", id, "call", c.Key, "err", err)
		return false
	}
	if res.Outcome != outcomeFailed {
		_ = e.store.DeleteTTL(ctx, key) // recorded: the outcome is in the loan now
	}
	return wrote
}

// record writes a call's outcome into the loan: the call leaves the outbox
// (or is marked failed), an event says how it went, and the lifecycle event
// the outcome implies is applied.
func (e *Engine) record(r *Record, key string, res result, now time.Time) ([]Event, error) {
	i := slices.IndexFunc(r.Outbox, func(c Call) bool { return c.Key == key })
	if i < 0 {
		return nil, errNoop // recorded already
	}
	c := r.Outbox[i]
	fx := c.Effect
	name := fx.Kind.String() + " at " + fx.Member
	if fx.Item != "" && fx.Kind != ill.LocateLenders {
		name += " for item " + fx.Item
	}
	if res.Outcome == outcomeFailed && fx.Kind != ill.RequestItem {
		c.Attempts++
		c.Failed, c.Error, c.NextAt = true, truncate(res.Detail, maxTextLen), time.Time{}
		if c.Attempts <= e.o.AutoRetries {
			c.NextAt = now.Add(e.o.RetryAfter << (c.Attempts - 1))
		}
		r.Outbox[i] = c
		msg := fmt.Sprintf("%s failed (attempt %d): %s", name, c.Attempts, c.Error)
		if c.NextAt.IsZero() {
			msg += "; waiting for staff to retry or skip it"
		}
		return []Event{{Kind: KindCallFailed, Actor: System, From: r.Loan.State, To: r.Loan.State, Member: fx.Member, Message: msg}}, nil
	}
	r.Outbox = slices.Delete(r.Outbox, i, i+1)
	kind, msg := KindCallOK, name
	switch res.Outcome {
	case outcomeProblem:
		kind, msg = KindCallProblem, name+": "+res.Detail
	case outcomeFailed:
		kind, msg = KindCallFailed, name+" failed: "+res.Detail
	}
	if res.DueDate.After(time.Time{}) {
		msg += ", due " + res.DueDate.UTC().Format(time.RFC3339)
	}
	evs := []Event{{Kind: kind, Actor: System, From: r.Loan.State, To: r.Loan.State, Member: fx.Member, Message: truncate(msg, maxTextLen)}}
	if fx.Kind == ill.RequestItem && res.Outcome == outcomeOK {
		if res.RequestID != "" && len(r.LenderRequests) < ill.MaxRota {
			if r.LenderRequests == nil {
				r.LenderRequests = map[string]string{}
			}
			r.LenderRequests[fx.Member] = truncate(res.RequestID, ill.MaxItemLen)
		}
		if j := slices.IndexFunc(r.Loan.Rota, func(l ill.Lender) bool { return l.Member == fx.Member }); j >= 0 &&
			r.Loan.Rota[j].ItemID == "" && len(res.ItemID) <= ill.MaxItemLen {
			r.Loan.Rota[j].ItemID = res.ItemID
		}
	}
	if fx.Kind == ill.LocateLenders && res.Outcome == outcomeOK && res.Found != nil {
		r.Bib.fillFrom(*res.Found)
	}
	if ev, ok := followUp(r, fx, res, now); ok {
		more, err := e.transition(r, ev, System, now, "")
		if err != nil {
			// The loan has moved on (another lender, a cancel): the outcome
			// is history only.
			e.log.Debug("loan: a call's outcome no longer applies", "loan", r.Loan.ID, "event", ev.Kind, "err", err)
		}
		evs = append(evs, more...)
	}
	return evs, nil
}

// followUp is the lifecycle event a call's outcome implies, if any.
func followUp(r *Record, fx ill.Effect, res result, now time.Time) (ill.Event, bool) {
	ev := ill.Event{Actor: ill.Actor{Kind: ill.ActorSystem, ID: System.ID}, At: now}
	lenderNow := fx.Party == ill.AtLender && fx.Member == r.Loan.Lender
	switch {
	case fx.Kind == ill.LookupUser && res.Outcome == outcomeOK && !res.Blocked:
		ev.Kind = ill.PatronValid
	case fx.Kind == ill.LookupUser && res.Outcome == outcomeOK:
		ev.Kind, ev.Reason = ill.PatronInvalid, "the patron is blocked at "+fx.Member
	case fx.Kind == ill.LookupUser && res.Outcome == outcomeProblem:
		ev.Kind, ev.Reason = ill.PatronInvalid, res.Detail
	case fx.Kind == ill.LocateLenders && res.Outcome == outcomeOK:
		ev.Kind, ev.Lenders = ill.RotaBuilt, res.Lenders
	case fx.Kind == ill.RequestItem && lenderNow && res.Outcome == outcomeProblem:
		ev.Kind, ev.Reason = ill.LenderUnfilled, res.Detail
	case fx.Kind == ill.RequestItem && lenderNow && res.Outcome == outcomeFailed:
		ev.Kind, ev.Reason = ill.LenderError, res.Detail
	case fx.Kind == ill.CheckOutItem && fx.Party == ill.AtLender && lenderNow && res.Outcome == outcomeOK && !res.DueDate.IsZero():
		ev.Kind, ev.DueDate = ill.DueDateSet, res.DueDate
	case fx.Kind == ill.CancelRequestItem && lenderNow && r.Loan.State == ill.CancelPending && res.Outcome == outcomeOK:
		ev.Kind = ill.CancelConfirmed
	case fx.Kind == ill.CancelRequestItem && lenderNow && r.Loan.State == ill.CancelPending && res.Outcome == outcomeProblem:
		ev.Kind, ev.Reason = ill.CancelDenied, res.Detail
	case fx.Kind == ill.RenewItem && fx.Party == ill.AtLender && lenderNow && res.Outcome == outcomeOK && !res.DueDate.IsZero():
		ev.Kind, ev.DueDate = ill.RenewGranted, res.DueDate
	case fx.Kind == ill.RenewItem && fx.Party == ill.AtLender && lenderNow && res.Outcome != outcomeFailed:
		ev.Kind, ev.Reason = ill.RenewDenied, res.Detail
		if ev.Reason == "" {
			ev.Reason = "the lender's ILS gave no new due date"
		}
	default:
		return ev, false
	}
	return ev, true
}

// errCallNotFound is returned by Skip for a call the loan does not have.
var errCallNotFound = errors.New("loan: no such failed call")

// Retry makes the loan's failed calls run again now (Act RETRY_CALLS).
func (e *Engine) Retry(ctx context.Context, id string, actor Actor, idem string) (*Record, error) {
	return e.staffStep(ctx, id, idem, func(r *Record, now time.Time) ([]Event, error) {
		n := 0
		for i := range r.Outbox {
			if r.Outbox[i].Failed {
				r.Outbox[i].Failed, r.Outbox[i].Attempts, r.Outbox[i].NextAt = false, 0, now.Add(e.o.Lease)
				n++
			}
		}
		if n == 0 && r.Flag != nil {
			return nil, fmt.Errorf("%w: the loan has no failed call to run again, only a flagged problem: record the step it names (act with from-ils) or clear it with skip-call", ErrInvalid)
		}
		if n == 0 {
			return nil, fmt.Errorf("%w: the loan has no failed call", ErrInvalid)
		}
		return []Event{{Kind: KindCallRetry, Actor: actor, From: r.Loan.State, To: r.Loan.State, Member: actor.Member,
			Message: fmt.Sprintf("%d failed call(s) to run again", n)}}, nil
	})
}

// Skip drops the loan's first failed call, which staff have made by hand
// (Act SKIP_CALL); the calls after it go ahead. A loan with no failed call
// but a flagged problem (Engine.Flag) has the flag cleared instead: staff
// have put right by hand what it named.
func (e *Engine) Skip(ctx context.Context, id string, actor Actor, idem string) (*Record, error) {
	return e.staffStep(ctx, id, idem, func(r *Record, now time.Time) ([]Event, error) {
		i := slices.IndexFunc(r.Outbox, func(c Call) bool { return c.Failed })
		if i < 0 && r.Flag != nil {
			return clearFlag(r, actor, "by staff"), nil
		}
		if i < 0 {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, errCallNotFound)
		}
		c := r.Outbox[i]
		r.Outbox = slices.Delete(r.Outbox, i, i+1)
		return []Event{{Kind: KindCallSkipped, Actor: actor, From: r.Loan.State, To: r.Loan.State, Member: c.Effect.Member,
			Message: c.Effect.Kind.String() + " at " + c.Effect.Member + " skipped: done by hand"}}, nil
	})
}

// staffStep applies a staff action on a loan's calls (Retry, Skip) once per
// idempotency key, then makes the calls it lets go ahead.
func (e *Engine) staffStep(ctx context.Context, id, idem string, change func(r *Record, now time.Time) ([]Event, error)) (*Record, error) {
	if err := e.begin(); err != nil {
		return nil, err
	}
	defer e.running.Done()
	_, _, err := e.update(ctx, id, idemBase(idem), func(r *Record, now time.Time) ([]Event, error) {
		if idem != "" && slices.Contains(r.Applied, idem) {
			return nil, errNoop
		}
		evs, err := change(r, now)
		if err == nil {
			r.remember(idem)
		}
		return evs, err
	})
	if err != nil {
		return nil, err
	}
	e.drive(ctx, id)
	return e.Get(ctx, id)
}

func idemBase(key string) string {
	if key == "" {
		return ""
	}
	return "act:" + key
}
