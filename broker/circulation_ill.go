package broker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/illgw/illgw/broker/ill"
	"github.com/illgw/illgw/broker/loan"
	"github.com/illgw/illgw/broker/state"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

// Kiosk steps of interlibrary loans (issue 8 point 5; DESIGN.md "The
// broker": "A kiosk checkout of a temporary ILL item goes to the member's
// ILS like any checkout ... the broker recognises the barcode as an ILL item
// and records the transition"). The ILS stays the authority on the item:
// checkouts and checkins go to it as always, and the loan follows what it
// said. The loan engine is told with a terminal actor, which the lifecycle
// treats as "the ILS made this step's NCIP call" (ncip-ill.md §3.1 R10,
// R13), so no CheckOutItem or CheckInItem is repeated at the requester.

// Screen messages of the kiosk steps (SIP2 §"Checkout" AF field).
const (
	illNotHere        = "This is an interlibrary loan for another library. Please ask staff for help."
	illNotReady       = "This interlibrary loan item is not ready to be borrowed. Please ask staff for help."
	illOtherPatron    = "This interlibrary loan item is reserved for another patron. Please ask staff for help."
	illUnknown        = "This interlibrary loan item is not known. Please ask staff for help."
	illUnavailable    = "Interlibrary loans cannot be checked right now. Please try again or ask staff for help."
	illRecordFailed   = "Checked out, but the interlibrary loan could not be updated. Please tell staff."
	illRenewAsked     = "Renewal asked of the lending library. The due date changes if it agrees."
	illRenewNotNow    = "This interlibrary loan cannot be renewed now. Please ask staff for help."
	illRenewGrantedOK = "Renewed by the lending library."
)

// illRetries is how often a kiosk step's transition is tried after the ILS
// has answered, so a store that blinks does not leave the loan behind.
const illRetries = 3

// illLoan is the loan behind a kiosk's item barcode, for one operation at
// one terminal. A nil *illLoan is an ordinary item and every method is a
// no-op on it.
type illLoan struct {
	c   *circulation
	r   route
	id  string
	rec *loan.Record
}

// kioskLoan looks up the loan of a temporary ILL item barcode
// (ill.LoanIDFromBarcode) at the terminal's member. It returns nil, nil for
// an ordinary barcode, when the gateway runs no loan engine, and for an ILL
// barcode at a member that did not request the loan when refuseElsewhere is
// false (a checkin or item information there is the ILS's business alone).
// Otherwise the error is a screen message for the kiosk.
func (c *circulation) kioskLoan(ctx context.Context, r route, itemID string, refuseElsewhere bool) (*illLoan, error) {
	id, ok := ill.LoanIDFromBarcode(itemID)
	if !ok || c.b.loans == nil {
		return nil, nil
	}
	rec, err := c.b.loans.Get(ctx, id)
	switch {
	case errors.Is(err, state.ErrNotFound):
		if refuseElsewhere {
			return nil, screenError(illUnknown)
		}
		return nil, nil
	case err != nil:
		c.b.log.Warn("circulation: loan lookup failed", "loan", id, "terminal", r.term.Login, "member", r.member.Code, "err", err)
		if refuseElsewhere {
			return nil, screenError(illUnavailable)
		}
		return nil, nil
	}
	if rec.Loan.Requester != r.member.Code {
		if refuseElsewhere {
			return nil, screenError(illNotHere)
		}
		return nil, nil
	}
	return &illLoan{c: c, r: r, id: id, rec: rec}, nil
}

// actor is the kiosk as the loan's history records it:
// terminal:<login>@<member>.
func (l *illLoan) actor() loan.Actor {
	return loan.Actor{Kind: ill.ActorTerminal, ID: l.r.term.Login, Member: l.r.member.Code}
}

// checkoutGate refuses, before the ILS is asked, a checkout of an ILL item
// whose loan is not waiting for its patron (state received) or is another
// patron's. A loan already checked out to this patron passes, so a kiosk's
// retry reaches the ILS and then finds the transition already applied.
func (c *circulation) checkoutGate(ctx context.Context, r route, patron, itemID string) (*illLoan, error) {
	l, err := c.kioskLoan(ctx, r, itemID, true)
	if l == nil || err != nil {
		return nil, err
	}
	if p := l.rec.Loan.Patron; p != "" && p != patron {
		c.b.log.Info("circulation: ILL checkout refused: not the loan's patron", "loan", l.id, "terminal", r.term.Login)
		return nil, screenError(illOtherPatron)
	}
	switch l.rec.Loan.State {
	case ill.Received:
	case ill.CheckedOut, ill.Overdue, ill.Recalled, ill.RenewPending:
		// Already the patron's: a retry. The transition below is a no-op.
	default:
		c.b.log.Info("circulation: ILL checkout refused: loan not received", "loan", l.id, "state", l.rec.Loan.State.String(), "terminal", r.term.Login)
		return nil, screenError(illNotReady)
	}
	return l, nil
}

// apply records a kiosk step on the loan once the ILS has made it. The
// idempotency key is the step and the loan, so a kiosk that retries (or a
// second checkout of the same loan) applies it once. It retries a failed
// store a few times; a lifecycle refusal is final.
func (l *illLoan) apply(ctx context.Context, ev ill.EventKind, step string) (*loan.Record, error) {
	q := loan.ActRequest{ID: l.id, Event: ev, Actor: l.actor(), Member: l.r.member.Code, FromILS: true,
		IdempotencyKey: "sip2:" + step + ":" + l.id}
	var err error
	for i := range illRetries {
		var rec *loan.Record
		rec, err = l.c.b.loans.Act(ctx, q)
		if err == nil {
			return rec, nil
		}
		if final(err) {
			break
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(time.Duration(i+1) * 50 * time.Millisecond):
		}
	}
	return nil, err
}

// final reports whether a loan step's error will not go away by trying
// again: the lifecycle refused it, or the engine is closing.
func final(err error) bool {
	var (
		actor  *ill.ActorError
		member *ill.MemberError
		event  *ill.EventError
	)
	return errors.Is(err, ill.ErrNotAllowed) || errors.As(err, &actor) || errors.As(err, &member) || errors.As(err, &event) ||
		errors.Is(err, loan.ErrInvalid) || errors.Is(err, loan.ErrClosed)
}

// checkedOut moves the loan to checked-out after the ILS charged the item
// (ncip-ill.md §3.1 R10). When the ILS said no, the loan stays received.
// When the ILS said yes and the loan cannot follow, the patron has the
// item all the same: the answer stays ok with a message for staff, and the
// disagreement is logged (without the patron) as an error to act on.
func (l *illLoan) checkedOut(ctx context.Context, out *illgwv1.CheckoutResponse) {
	if l == nil || out == nil {
		return
	}
	noteLoan(l.id, out.Item)
	if !out.GetOk() {
		return
	}
	rec, err := l.apply(ctx, ill.PatronCheckedOut, "checkout")
	if err != nil {
		l.c.b.log.Error("circulation: the ILS charged an ILL item but the loan did not move to checked-out; staff must act on the loan",
			"loan", l.id, "terminal", l.r.term.Login, "member", l.r.member.Code, "err", err)
		l.flag(ctx, "checked out", "check-out", err)
		addScreen(&out.Reply, illRecordFailed)
		return
	}
	lenderDue(out.Item, rec)
}

// checkedIn moves the loan to checked-in after the ILS took the item back
// (ncip-ill.md §3.1 R13). A checkin of an item the loan does not have out
// (received and never borrowed, already returned) is logged and left.
func (l *illLoan) checkedIn(ctx context.Context, out *illgwv1.CheckinResponse) {
	if l == nil || out == nil {
		return
	}
	noteLoan(l.id, out.Item)
	if !out.GetOk() {
		return
	}
	switch l.rec.Loan.State {
	case ill.CheckedOut, ill.Overdue, ill.Recalled, ill.RenewPending:
	default:
		l.c.b.log.Info("circulation: ILL item checked in while its loan was not out; loan left as it is",
			"loan", l.id, "state", l.rec.Loan.State.String(), "terminal", l.r.term.Login)
		return
	}
	if _, err := l.apply(ctx, ill.PatronCheckedIn, "checkin"); err != nil {
		l.c.b.log.Error("circulation: the ILS checked in an ILL item but the loan did not move to checked-in; staff must act on the loan",
			"loan", l.id, "terminal", l.r.term.Login, "member", l.r.member.Code, "err", err)
		l.flag(ctx, "checked in", "return", err)
	}
}

// flagTimeout bounds the flag written after the kiosk's answer is decided.
const flagTimeout = 10 * time.Second

// flag leaves the disagreement on the loan (loan.Engine.Flag) for staff to
// see in illctl loans show: which step the member's ILS made at which
// terminal, why the loan did not follow, and the step that puts it right.
// The message names the loan's temporary item, never the patron. The flag
// is written even when the kiosk has gone (its request cancelled): the ILS
// has made the step all the same.
func (l *illLoan) flag(ctx context.Context, did, action string, cause error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flagTimeout)
	defer cancel()
	msg := fmt.Sprintf("the ILS at %s %s item %s at terminal %s but the loan could not follow (%v); once checked, record the step (and any step before it): illctl loans act -as terminal:%s@%s -from-ils %s %s",
		l.r.member.Code, did, ill.TemporaryBarcode(l.id), l.r.term.Login, cause, l.r.term.Login, l.r.member.Code, l.id, action)
	if _, err := l.c.b.loans.Flag(ctx, l.id, l.actor(), msg); err != nil {
		l.c.b.log.Error("circulation: the loan's disagreement with the ILS could not be flagged on the loan either",
			"loan", l.id, "terminal", l.r.term.Login, "member", l.r.member.Code, "err", err)
	}
}

// itemInfo shows the lender's due date (the loan's) on an ILL item, over
// whatever date the ILS has for its temporary item (SIP2 §"Item
// Information" AH).
func (l *illLoan) itemInfo(out *illgwv1.ItemInformationResponse) {
	if l == nil || out == nil {
		return
	}
	if out.Item == nil {
		out.Item = &illgwv1.Item{}
	}
	noteLoan(l.id, out.Item)
	lenderDue(out.Item, l.rec)
}

// renew turns a kiosk renewal of an ILL item into a renewal request on the
// loan (ncip-ill.md §3.1 R11): the lender decides, so the requester's ILS is
// not asked. The answer is ok only when the lender has already granted it
// (the engine asked it synchronously); otherwise the screen says it was
// asked, or why it cannot be.
func (l *illLoan) renew(ctx context.Context, patron string) (*illgwv1.RenewResponse, error) {
	if p := l.rec.Loan.Patron; p != "" && p != patron {
		return nil, screenError(illOtherPatron)
	}
	before := l.rec.Loan.DueDate
	q := loan.ActRequest{ID: l.id, Event: ill.RenewRequested, Actor: l.actor(), Member: l.r.member.Code}
	rec, err := l.c.b.loans.Act(ctx, q)
	switch {
	case errors.Is(err, ill.ErrNotAllowed):
		return nil, screenError(illRenewNotNow)
	case err != nil:
		l.c.b.log.Warn("circulation: ILL renewal could not be asked", "loan", l.id, "terminal", l.r.term.Login, "err", err)
		return nil, screenError(illUnavailable)
	}
	item := &illgwv1.Item{ItemId: rec.TemporaryItem(), Title: rec.Bib.Title, LoanId: l.id}
	lenderDue(item, rec)
	out := &illgwv1.RenewResponse{Item: item, PatronId: patron, TransactionDate: pts(l.c.b.now())}
	if rec.Loan.State == ill.CheckedOut && rec.Loan.DueDate.After(before) {
		out.Ok, out.RenewalOk = true, true
		addScreen(&out.Reply, illRenewGrantedOK)
	} else {
		addScreen(&out.Reply, illRenewAsked)
	}
	return out, nil
}

// noteLoan records the loan's short id on an item, for the terminal's logs.
func noteLoan(id string, item *illgwv1.Item) {
	if item != nil {
		item.LoanId = id
	}
}

// lenderDue puts the lender's due date (the loan's) on an item, in place
// of the ILS's own date and its text (which a kiosk would show first).
func lenderDue(item *illgwv1.Item, rec *loan.Record) {
	if item == nil || rec == nil || rec.Loan.DueDate.IsZero() {
		return
	}
	item.DueDate, item.DueDateText = pts(rec.Loan.DueDate), ""
}

// addScreen appends a screen message to a reply, creating it.
func addScreen(r **illgwv1.Reply, msg string) {
	if *r == nil {
		*r = &illgwv1.Reply{}
	}
	(*r).ScreenMessages = append((*r).ScreenMessages, msg)
}
