package ill

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Limits on the data an event may carry, checked before Apply copies any of
// it into the loan.
const (
	MaxCodeLen   = 64   // member codes
	MaxItemLen   = 128  // item ids and call numbers
	MaxReasonLen = 1024 // reasons
)

// Loan is the part of an interlibrary loan the lifecycle needs: the
// requester's state and the rota with every lender's state. The broker
// stores more (bibliographic data, history) beside it.
type Loan struct {
	ID        string
	Requester string
	// Patron is the patron at the requester; Anonymise clears it.
	Patron string
	Level  ServiceLevel
	State  State
	// Before is the state a renewal or cancel answer returns to.
	Before State
	Rota   []Lender
	// Lender is the member asked or supplying now; empty before the first
	// lender is asked and after the rota ends.
	Lender string
	// DueDate is the lender's due date, once known.
	DueDate time.Time
	// Reason says why the loan ended without being filled.
	Reason     string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	FinishedAt time.Time
	Anonymised bool
}

// Clone returns a copy of l that shares no memory with it.
func (l Loan) Clone() Loan {
	l.Rota = slices.Clone(l.Rota)
	return l
}

// AnonymiseAt is when a finished loan is due to lose its patron: after
// the configured period (config loans.anonymise_after) from when it
// finished. It is false while the loan runs and once it is anonymised.
func (l Loan) AnonymiseAt(after time.Duration) (time.Time, bool) {
	if !l.State.Terminal() || l.Anonymised || l.FinishedAt.IsZero() {
		return time.Time{}, false
	}
	return l.FinishedAt.Add(after), true
}

// current returns the index of the current lender in the rota, or -1.
func (l *Loan) current() int {
	if l.Lender == "" {
		return -1
	}
	return slices.IndexFunc(l.Rota, func(x Lender) bool { return x.Member == l.Lender })
}

// Policy holds the options the lifecycle depends on. The zero Policy uses
// the default time-outs.
type Policy struct {
	Timeouts Timeouts
}

// NewLoan starts a loan in state New (R1) and returns the effect that
// checks the patron at the requester's ILS (R2, NCIP LookupUser).
func NewLoan(id, requester, patron string, level ServiceLevel, at time.Time) (Loan, []Effect, error) {
	if !ValidID(id) {
		return Loan{}, nil, fmt.Errorf("ill: loan id %q is not %d characters of IDAlphabet", truncate(id, 20), IDLen)
	}
	if requester == "" || len(requester) > MaxCodeLen {
		return Loan{}, nil, fmt.Errorf("ill: requester must be 1 to %d bytes", MaxCodeLen)
	}
	if level == 0 {
		level = Normal
	}
	l := Loan{ID: id, Requester: requester, Patron: patron, Level: level, State: New, CreatedAt: at, UpdatedAt: at}
	return l, []Effect{{Kind: LookupUser, Party: AtRequester, Member: requester}}, nil
}

// Apply is Policy{}.Apply.
func Apply(l Loan, ev Event) (Loan, []Effect, error) { return Policy{}.Apply(l, ev) }

// Apply returns the loan after ev and the effects the broker must perform,
// or an error and the loan unchanged. The outcome of every (state, event)
// pair is in the transition table: a pair it does not list is a
// *NotAllowedError. The event must also come from an actor kind that may
// cause it (*ActorError), from the right member (*MemberError), and carry
// the data its kind needs (*EventError). Apply does not modify l.
func (p Policy) Apply(l Loan, ev Event) (Loan, []Effect, error) {
	r, ok := requesterTable[l.State][ev.Kind]
	if !ok {
		return l, nil, &NotAllowedError{State: l.State, Event: ev.Kind}
	}
	if err := l.check(ev); err != nil {
		return l, nil, err
	}
	next := l.Clone()
	next.UpdatedAt = ev.At
	if r.sup != 0 {
		if err := next.stepLender(r.sup, ev); err != nil {
			return l, nil, err
		}
	}
	switch ev.Kind {
	case ItemShipped, DueDateSet, RenewGranted, ItemRecalled:
		if !ev.DueDate.IsZero() {
			next.DueDate = ev.DueDate
		}
	case RotaBuilt:
		next.Rota = make([]Lender, len(ev.Lenders))
		for i, x := range ev.Lenders {
			next.Rota[i] = Lender{Member: x.Member, Available: x.Available, ActiveLoans: x.ActiveLoans,
				ItemID: x.ItemID, CallNumber: x.CallNumber, State: Candidate}
		}
		next.Lender, next.Reason = "", ""
	case RotaRetry:
		next.Reason = ""
	case Anonymise:
		next.Patron, next.Anonymised = "", true
	}
	effects := make([]Effect, 0, len(r.fx)+2)
	for _, s := range r.fx {
		if e, ok := resolve(s, &next, ev); ok {
			effects = append(effects, e)
		}
	}
	switch r.move {
	case moveTo:
		next.State = r.to
	case moveBack:
		if !slices.Contains(backTo[l.State], l.Before) {
			return l, nil, &EventError{Event: ev.Kind, Reason: fmt.Sprintf("loan in %s remembers no state to return to", l.State)}
		}
		next.State, next.Before = l.Before, 0
	case moveNext:
		if ev.Kind == LenderUnfilled && strings.EqualFold(ev.Reason, ReasonDuplicate) {
			next.State, next.Lender, next.Reason = Unfilled, "", "lender "+l.Lender+": "+ReasonDuplicate
			effects = append(effects, notify(&next, ev))
			break
		}
		effects = p.advance(&next, ev, effects)
	}
	if r.before != 0 {
		next.Before = r.before
	}
	if _, pending := backTo[next.State]; !pending {
		next.Before = 0
	}
	if next.State.Terminal() && !l.State.Terminal() {
		next.FinishedAt = ev.At
	}
	if l.State.Terminal() && !next.State.Terminal() {
		next.FinishedAt = time.Time{}
	}
	return next, effects, nil
}

// stepLender moves the current lender's side by e (§3.2) and records when
// and why it answered.
func (l *Loan) stepLender(e SupplierEvent, ev Event) error {
	i := l.current()
	if i < 0 {
		return &SupplierNotAllowedError{Member: l.Lender, Event: e}
	}
	lend := &l.Rota[i]
	st, err := ApplySupplier(lend.State, e)
	if err != nil {
		return &SupplierNotAllowedError{Member: lend.Member, State: lend.State, Event: e}
	}
	lend.State = st
	switch e {
	case SupWill:
		if lend.AnsweredAt.IsZero() {
			lend.AnsweredAt = ev.At
		}
	case SupShip:
		if lend.AnsweredAt.IsZero() {
			lend.AnsweredAt = ev.At
		}
		lend.Deadline = time.Time{}
		if ev.ItemID != "" {
			lend.ItemID = ev.ItemID
		}
	case SupUnfilled, SupCancel, SupTimeout, SupFail:
		lend.AnsweredAt, lend.Reason, lend.Deadline = ev.At, ev.Reason, time.Time{}
	}
	return nil
}

// backTo is where each pending state may return to.
var backTo = map[State][]State{
	CancelPending: {Sent, WillSupply},
	RenewPending:  {CheckedOut, Overdue},
}

// advance asks the next candidate on the rota (R5), or ends the rota (R7,
// §3.3 "End of rota").
func (p Policy) advance(l *Loan, ev Event, effects []Effect) []Effect {
	i, ok := NextLender(l.Rota, nil)
	if !ok {
		l.State, l.Lender = EndOfRota, ""
		l.Reason = "no lender on the rota could supply"
		if len(l.Rota) == 0 {
			l.Reason = "no member that lends holds the item"
		}
		return append(effects, notify(l, ev))
	}
	lend := &l.Rota[i]
	lend.State = supplierTable[Candidate][SupAsk]
	lend.AskedAt = ev.At
	lend.Deadline = p.Timeouts.Deadline(ev.At, l.Level)
	l.Lender, l.State = lend.Member, Sent
	return append(effects,
		Effect{Kind: RequestItem, Party: AtLender, Member: lend.Member, Item: lend.ItemID},
		Effect{Kind: ArmLenderTimer, Party: AtBroker, Member: lend.Member, At: lend.Deadline})
}

// notify tells the requester why its loan ended unfilled.
func notify(l *Loan, ev Event) Effect {
	e, _ := resolve(req(NotifyRequester), l, ev)
	e.Reason = l.Reason
	return e
}

// resolve fills in one effect of a rule for the loan after the event (before
// any move to another lender).
func resolve(s effSpec, l *Loan, ev Event) (Effect, bool) {
	if s.unlessILS && ev.ilsDone() {
		return Effect{}, false
	}
	if s.ifDue && l.DueDate.IsZero() {
		return Effect{}, false
	}
	e := Effect{Kind: s.kind, Party: s.party, Reason: ev.Reason}
	switch s.party {
	case AtRequester:
		e.Member, e.Item, e.DueDate = l.Requester, TemporaryBarcode(l.ID), l.DueDate
	case AtLender:
		e.Member = l.Lender
		if i := l.current(); i >= 0 {
			e.Item = l.Rota[i].ItemID
		}
	case AtBroker:
		e.Member = l.Lender
	}
	switch s.kind {
	case ArmDueTimer:
		e.At = l.DueDate
	case LocateLenders:
		e.Member = l.Requester
	}
	return e, true
}

// ilsDone reports whether the member's ILS has already made the NCIP call
// of this step: it said so, or a kiosk's checkout or checkin went to it.
func (ev Event) ilsDone() bool {
	return ev.FromILS || ev.Actor.Kind == ActorTerminal
}

// check validates the actor, member and data of an event the table allows.
func (l *Loan) check(ev Event) error {
	rules := eventRules[ev.Kind]
	if !slices.Contains(rules.actors, ev.Actor.Kind) {
		return &ActorError{Event: ev.Kind, Actor: ev.Actor.Kind}
	}
	bad := func(format string, a ...any) error {
		return &EventError{Event: ev.Kind, Reason: fmt.Sprintf(format, a...)}
	}
	if ev.At.IsZero() {
		return bad("no time")
	}
	if ev.FromILS && ev.Actor.Kind != ActorMember && ev.Actor.Kind != ActorTerminal {
		return bad("only a member's ILS or a kiosk reports a step it made itself")
	}
	if len(ev.Member) > MaxCodeLen || len(ev.ItemID) > MaxItemLen || len(ev.Reason) > MaxReasonLen {
		return bad("member, item id or reason too long")
	}
	switch ev.Actor.Kind {
	case ActorMember, ActorPartner, ActorTerminal:
		if ev.Member == "" {
			return bad("a %s must name its member", ev.Actor.Kind)
		}
	}
	if ev.Member != "" {
		switch rules.side {
		case sideRequester:
			if ev.Member != l.Requester {
				return &MemberError{Event: ev.Kind, Got: ev.Member, Want: l.Requester}
			}
		case sideLender:
			if ev.Member != l.Lender {
				return &MemberError{Event: ev.Kind, Got: ev.Member, Want: l.Lender}
			}
		case sideEither:
			if ev.Member != l.Requester && ev.Member != l.Lender {
				return &MemberError{Event: ev.Kind, Got: ev.Member, Want: l.Requester}
			}
		case sideNone:
			return bad("names a member; only operators and the broker report it")
		}
	}
	switch ev.Kind {
	case DueDateSet, RenewGranted:
		if ev.DueDate.IsZero() {
			return bad("no due date")
		}
	case LenderTimeout:
		// A timer armed for an earlier ask of the same lender must not end
		// this one.
		if i := l.current(); i >= 0 && ev.At.Before(l.Rota[i].Deadline) {
			return bad("fired at %s, before the lender's deadline %s", ev.At.Format(time.RFC3339), l.Rota[i].Deadline.Format(time.RFC3339))
		}
	case RotaBuilt:
		return checkRota(ev, l.Requester)
	}
	return nil
}

func checkRota(ev Event, requester string) error {
	if len(ev.Lenders) > MaxRota {
		return &EventError{Event: ev.Kind, Reason: fmt.Sprintf("rota of %d lenders, more than %d", len(ev.Lenders), MaxRota)}
	}
	for i, x := range ev.Lenders {
		reason := ""
		switch {
		case x.Member == "" || len(x.Member) > MaxCodeLen:
			reason = "a lender without a valid member code"
		case len(x.ItemID) > MaxItemLen || len(x.CallNumber) > MaxItemLen:
			reason = "item id or call number too long"
		case strings.EqualFold(x.Member, requester):
			reason = "the requester on its own rota"
		case slices.ContainsFunc(ev.Lenders[:i], func(y Lender) bool { return y.Member == x.Member }):
			reason = "member " + truncate(x.Member, MaxCodeLen) + " twice on the rota"
		}
		if reason != "" {
			return &EventError{Event: ev.Kind, Reason: reason}
		}
	}
	return nil
}

// ApplySupplier returns a lender's state after e (ncip-ill.md §3.2), or a
// *SupplierNotAllowedError when the supplier table does not list the pair.
func ApplySupplier(s SupplierState, e SupplierEvent) (SupplierState, error) {
	if to, ok := supplierTable[s][e]; ok {
		return to, nil
	}
	return s, &SupplierNotAllowedError{State: s, Event: e}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
