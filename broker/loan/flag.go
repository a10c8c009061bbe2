package loan

import (
	"context"
	"fmt"
	"time"
)

// Event kinds of a flagged problem (issue 8 point 3: "A failed call leaves
// the loan where an operator can see why and retry"; the same holds for a
// step the engine could not record).
const (
	KindFlagged     = "flagged"      // an actor reported a problem on the loan; Message says what
	KindFlagCleared = "flag.cleared" // the problem was cleared: the loan moved, or staff cleared it
)

// Flag is a problem an actor reported on a loan that no failed call
// explains: a kiosk whose member's ILS made a step the loan could not
// follow, say. Record.Problem shows it until the loan next changes state or
// staff clear it (Engine.Skip).
type Flag struct {
	Message string
	Actor   Actor
	At      time.Time
}

// Flag records a problem on a loan: the loan keeps its state and gains a
// flag, shown by Record.Problem, and a "flagged" event with the actor, in
// one compare-and-set with its dedup key like every other step. A second
// flag with the same message and actor while the first is set writes
// nothing, so a caller that retries does not fill the history. The message
// must not name the patron: it is shown to staff and kept after the loan is
// anonymised.
func (e *Engine) Flag(ctx context.Context, id string, actor Actor, message string) (*Record, error) {
	if err := e.begin(); err != nil {
		return nil, err
	}
	defer e.running.Done()
	switch {
	case message == "":
		return nil, fmt.Errorf("%w: a flag needs a message", ErrInvalid)
	case !actor.Kind.Valid():
		return nil, fmt.Errorf("%w: no actor", ErrInvalid)
	case len(actor.ID) > maxKeyLen || len(actor.Member) > maxKeyLen:
		return nil, fmt.Errorf("%w: actor id or member longer than %d bytes", ErrInvalid, maxKeyLen)
	}
	message = truncate(message, maxTextLen-3)
	rec, _, err := e.update(ctx, id, randomKey("flag"), func(r *Record, now time.Time) ([]Event, error) {
		if r.Flag != nil && r.Flag.Message == message && r.Flag.Actor == actor {
			return nil, errNoop
		}
		r.Flag = &Flag{Message: message, Actor: actor, At: now}
		return []Event{{Kind: KindFlagged, Actor: actor, From: r.Loan.State, To: r.Loan.State, Member: actor.Member, Message: message}}, nil
	})
	if err != nil {
		return nil, err
	}
	e.log.WarnContext(ctx, "loan flagged for staff", "loan", id, "actor", actor.String(), "state", rec.Loan.State.String())
	return rec, nil
}

// clearFlag drops the loan's flag, if any, and returns the event saying so.
func clearFlag(r *Record, actor Actor, why string) []Event {
	if r.Flag == nil {
		return nil
	}
	f := r.Flag
	r.Flag = nil
	return []Event{{Kind: KindFlagCleared, Actor: actor, From: r.Loan.State, To: r.Loan.State, Member: actor.Member,
		Message: truncate("problem cleared ("+why+"): "+f.Message, maxTextLen-3)}}
}
