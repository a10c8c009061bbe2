package loan

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/illgw/illgw/broker/ill"
	"github.com/illgw/illgw/broker/state"
)

// errNoop tells update that the loan needs no change.
var errNoop = errors.New("loan: nothing to do")

// maxConflicts bounds how often update retries a loan that changed under it.
const maxConflicts = 50

// update reads a loan, lets change modify a copy and name the events to
// append, and writes it back under compare-and-set on the version read
// (issue 8 point 6). A loan changed meanwhile is read again and change
// called again. base names the write for its dedup key; "" draws one.
// It returns the loan as stored and whether this call wrote it.
func (e *Engine) update(ctx context.Context, id, base string, change func(r *Record, now time.Time) ([]Event, error)) (*Record, bool, error) {
	if base == "" {
		base = randomKey("w")
	}
	for range maxConflicts {
		cur, err := e.Get(ctx, id)
		if err != nil {
			return nil, false, err
		}
		rec := cur.clone()
		now := e.now()
		evs, err := change(rec, now)
		if errors.Is(err, errNoop) {
			return cur, false, nil
		}
		if err != nil {
			return cur, false, err
		}
		out, err := e.write(ctx, rec, cur.Version, evs, base+"@"+strconv.FormatUint(cur.Version, 10), now)
		if errors.Is(err, state.ErrConflict) {
			time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond)
			continue
		}
		return out, err == nil, err
	}
	return nil, false, fmt.Errorf("%w: %s", ErrBusy, id)
}

// write stores rec over version expect (0 creates it) with its events and
// its next timer, in one atomic store write with the dedup key, retrying
// while the store is unavailable.
func (e *Engine) write(ctx context.Context, rec *Record, expect uint64, evs []Event, dedup string, now time.Time) (*Record, error) {
	data, err := rec.encode()
	if err != nil {
		return nil, err
	}
	m := state.Mutation{LoanID: rec.Loan.ID, ExpectVersion: expect, Data: data, DedupKey: dedup}
	for i := range evs {
		ev := &evs[i]
		ev.Version, ev.At = expect+1, now
		ev.Requester, ev.Lender = rec.Loan.Requester, rec.Loan.Lender
		s, err := ev.toStore()
		if err != nil {
			return nil, err
		}
		m.Events = append(m.Events, s)
	}
	if at, kind := e.nextTimer(rec); !at.IsZero() {
		// The store keeps milliseconds: round up, so that the timer never
		// fires before what it is for is due.
		if ms := at.Truncate(time.Millisecond); !ms.Equal(at) {
			at = ms.Add(time.Millisecond)
		}
		m.Timer = &state.Timer{Due: at, Kind: kind}
	} else {
		m.CancelTimer = true
	}
	var res state.Result
	err = e.retryStore(ctx, func(ctx context.Context) (err error) {
		res, err = e.store.Apply(ctx, m)
		return err
	})
	if err != nil {
		return nil, err
	}
	if res.Replayed {
		return e.Get(ctx, rec.Loan.ID)
	}
	rec.Version, rec.Partition = res.Loan.Version, res.Loan.Partition
	return rec, nil
}

// nextTimer is the loan's one store timer: the earliest of its calls' next
// run, the current lender's deadline, the due date and the time it is to
// be anonymised.
func (e *Engine) nextTimer(r *Record) (time.Time, string) {
	var at time.Time
	kind := ""
	consider := func(t time.Time, k string) {
		if !t.IsZero() && (at.IsZero() || t.Before(at)) {
			at, kind = t, k
		}
	}
	for _, c := range r.Outbox {
		consider(c.NextAt, "call")
	}
	if i := current(&r.Loan); r.LenderTimer && i >= 0 {
		consider(r.Loan.Rota[i].Deadline, "lender")
	}
	if r.DueTimer {
		consider(r.Loan.DueDate, "due")
	}
	if t, ok := r.Loan.AnonymiseAt(e.o.AnonymiseAfter); ok {
		consider(t, "anonymise")
	}
	return at, kind
}

func current(l *ill.Loan) int {
	for i, x := range l.Rota {
		if l.Lender != "" && x.Member == l.Lender {
			return i
		}
	}
	return -1
}

// transition applies one lifecycle event to rec (ill.Policy.Apply) and
// queues its effects; it returns the events to write.
func (e *Engine) transition(rec *Record, ev ill.Event, actor Actor, now time.Time, msg string) ([]Event, error) {
	from := rec.Loan.State
	next, effects, err := e.policy.Apply(rec.Loan, ev)
	if err != nil {
		return nil, err
	}
	rec.Loan = next
	if ev.Kind == ill.Anonymise {
		rec.Note = "" // free text may name the patron
	}
	member := ev.Member
	if member == "" {
		member = actor.Member
	}
	if msg == "" {
		msg = ev.Reason
	}
	out := []Event{{Kind: ev.Kind.String(), Actor: actor, From: from, To: next.State, Member: member, Message: msg}}
	if next.State != from {
		// The loan moved: a flagged problem was about where it stood.
		out = append(out, clearFlag(rec, actor, ev.Kind.String())...)
	}
	return append(out, e.enqueue(rec, effects, now)...), nil
}

// enqueue turns a transition's effects into timer flags, notices and calls
// in the outbox (in order).
func (e *Engine) enqueue(rec *Record, effects []ill.Effect, now time.Time) []Event {
	var out []Event
	for _, fx := range effects {
		switch fx.Kind {
		case ill.ArmLenderTimer:
			rec.LenderTimer = true
		case ill.DisarmLenderTimer:
			rec.LenderTimer = false
		case ill.ArmDueTimer:
			rec.DueTimer = true
		case ill.DisarmDueTimer:
			rec.DueTimer = false
		case ill.NotifyRequester:
			out = append(out, Event{Kind: KindNotice, Actor: System, To: rec.Loan.State, Member: fx.Member, Message: fx.Reason})
		case ill.FiscalTransaction:
			// broker/member's NCIP client has no CreateUserFiscalTransaction:
			// staff charge the fee by hand, and the history says so.
			out = append(out, Event{Kind: KindNotice, Actor: System, To: rec.Loan.State, Member: fx.Member,
				Message: "the lost-item fee is not charged through NCIP: charge it at " + fx.Member + " by hand"})
		default:
			rec.Seq++
			rec.Outbox = append(rec.Outbox, Call{Key: "c" + strconv.Itoa(rec.Seq), Effect: fx, NextAt: now.Add(e.o.Lease)})
		}
	}
	return out
}
