package ill

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

var (
	sys      = Actor{Kind: ActorSystem}
	operator = Actor{Kind: ActorOperator, ID: "alice"}
	kiosk    = Actor{Kind: ActorTerminal, ID: "kiosk1"}
	north    = Actor{Kind: ActorMember, ID: "NORTH"}
	partner  = Actor{Kind: ActorPartner, ID: "PARTNER1"}
	south    = Actor{Kind: ActorMember, ID: "SOUTH"}
	east     = Actor{Kind: ActorMember, ID: "EAST"}
)

// walk drives one loan through events, failing the test on any error.
type walk struct {
	t    *testing.T
	l    Loan
	at   time.Time
	last []Effect
}

func newWalk(t *testing.T, level ServiceLevel) *walk {
	t.Helper()
	l, fx, err := NewLoan("K7QW3XZ9", "NORTH", "N0001", level, t0)
	if err != nil {
		t.Fatal(err)
	}
	if got := effectList(fx); got != "ncip.LookupUser@requester:NORTH" {
		t.Fatalf("NewLoan effects = %s", got)
	}
	return &walk{t: t, l: l, at: t0}
}

// do applies ev one hour after the previous event and checks the state and
// effects that result.
func (w *walk) do(ev Event, want State, wantFx string) {
	w.t.Helper()
	w.at = w.at.Add(time.Hour)
	if ev.At.IsZero() {
		ev.At = w.at
	}
	before := w.l.Clone()
	next, fx, err := Apply(w.l, ev)
	if err != nil {
		w.t.Fatalf("%s in %s: %v", ev.Kind, w.l.State, err)
	}
	if !reflect.DeepEqual(before, w.l) {
		w.t.Fatalf("%s: Apply modified the loan it was given", ev.Kind)
	}
	if next.State != want {
		w.t.Fatalf("%s in %s: state %s, want %s", ev.Kind, w.l.State, next.State, want)
	}
	if got := effectList(fx); got != wantFx {
		w.t.Fatalf("%s in %s: effects\n got %s\nwant %s", ev.Kind, w.l.State, got, wantFx)
	}
	w.l, w.last = next, fx
}

// fails applies ev and checks it is refused with an error of type E,
// leaving the loan as it was.
func fails[E error](w *walk, ev Event) E {
	w.t.Helper()
	if ev.At.IsZero() {
		ev.At = w.at.Add(time.Minute)
	}
	got, fx, err := Apply(w.l, ev)
	var target E
	if !errors.As(err, &target) {
		w.t.Fatalf("%s in %s: error %v, want %T", ev.Kind, w.l.State, err, target)
	}
	if !reflect.DeepEqual(got, w.l) || fx != nil {
		w.t.Fatalf("%s in %s: refused event changed the loan or gave effects", ev.Kind, w.l.State)
	}
	return target
}

// effectList renders effects as kind@party:member, items and dates added
// where set.
func effectList(fx []Effect) string {
	var parts []string
	for _, e := range fx {
		s := e.Kind.String() + "@" + e.Party.String() + ":" + e.Member
		if e.Item != "" {
			s += "/" + e.Item
		}
		if !e.DueDate.IsZero() {
			s += " due " + e.DueDate.Format("01-02")
		}
		if !e.At.IsZero() {
			s += " at " + e.At.Format("01-02T15")
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

func ev(k EventKind, a Actor, member string) Event {
	return Event{Kind: k, Actor: a, Member: member}
}

func holdings() []Lender {
	return BuildRota([]Holding{
		{Member: "EAST", Available: true, ItemID: "EI0001"},
		{Member: "SOUTH", Available: true, ItemID: "SI0001"},
		{Member: "NORTH", Available: true, ItemID: "NI0001"},
	}, "NORTH", map[string]LenderPolicy{"NORTH": {true}, "SOUTH": {true}, "EAST": {true}},
		map[string]int{"EAST": 4, "SOUTH": 1})
}

// toSent walks a new loan to sent at SOUTH (EAST second on the rota).
func toSent(t *testing.T, level ServiceLevel) *walk {
	w := newWalk(t, level)
	w.do(ev(PatronValid, sys, ""), Validated, "locate-lenders@broker:NORTH")
	rb := ev(RotaBuilt, sys, "")
	rb.Lenders = holdings()
	deadline := t0.Add(2 * time.Hour).Add(Timeouts{}.For(level))
	w.do(rb, Sent, "ncip.RequestItem@lender:SOUTH/SI0001, timer.lender.arm@broker:SOUTH at "+deadline.Format("01-02T15"))
	return w
}

var due = time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)

// toCheckedOut continues to checked-out with a due date of Dec 20.
func toCheckedOut(w *walk) {
	ship := ev(ItemShipped, south, "SOUTH")
	ship.DueDate = due
	w.do(ship, Shipped, "timer.lender.disarm@broker:SOUTH, ncip.CheckOutItem@lender:SOUTH/SI0001, timer.due.arm@broker:SOUTH at 12-20T00")
	w.do(ev(ItemReceived, partner, "NORTH"), Received, "ncip.AcceptItem@requester:NORTH/ILLK7QW3XZ9 due 12-20, timer.due.arm@broker:SOUTH at 12-20T00")
	w.do(ev(PatronCheckedOut, kiosk, "NORTH"), CheckedOut, "-")
}

func TestHappyPath(t *testing.T) {
	w := toSent(t, Normal)
	w.do(ev(LenderWillSupply, south, "SOUTH"), WillSupply, "-")
	// The lender ships through the gateway; the due date comes back from
	// its ILS's CheckOutItem response.
	w.do(ev(ItemShipped, operator, ""), Shipped, "timer.lender.disarm@broker:SOUTH, ncip.CheckOutItem@lender:SOUTH/SI0001")
	dd := ev(DueDateSet, sys, "SOUTH")
	dd.DueDate = due
	w.do(dd, Shipped, "-")
	w.do(ev(ItemReceived, partner, "NORTH"), Received, "ncip.AcceptItem@requester:NORTH/ILLK7QW3XZ9 due 12-20, timer.due.arm@broker:SOUTH at 12-20T00")
	// A kiosk checkout went to NORTH's ILS over SIP2: no NCIP call.
	w.do(ev(PatronCheckedOut, kiosk, "NORTH"), CheckedOut, "-")
	w.do(ev(PatronCheckedIn, kiosk, "NORTH"), CheckedIn, "timer.due.disarm@broker:SOUTH")
	w.do(ev(ReturnShipped, north, "NORTH"), ShippedReturn, "ncip.DeleteItem@requester:NORTH/ILLK7QW3XZ9 due 12-20")
	// SOUTH's ILS reports its own check-in (NCIP ItemCheckedIn).
	ci := ev(LenderCheckedIn, south, "SOUTH")
	ci.FromILS = true
	w.do(ci, Completed, "notify.requester@requester:NORTH/ILLK7QW3XZ9 due 12-20")
	if w.l.FinishedAt != w.at || w.l.Patron != "N0001" || w.l.Rota[0].State != SupplierDone || w.l.Rota[1].State != Candidate {
		t.Fatalf("completed loan: %+v", w.l)
	}
	w.do(ev(Anonymise, sys, ""), Completed, "-")
	if w.l.Patron != "" || !w.l.Anonymised {
		t.Fatalf("anonymised loan still names patron %q", w.l.Patron)
	}
	fails[*NotAllowedError](w, ev(ItemLost, north, "NORTH"))
}

func TestUnfilledMovesToNextLenderThenEndOfRota(t *testing.T) {
	w := toSent(t, Rush)
	un := ev(LenderUnfilled, south, "SOUTH")
	un.Reason = "not on shelf"
	w.do(un, Sent, "timer.lender.disarm@broker:SOUTH, ncip.CancelRequestItem@lender:SOUTH/SI0001, "+
		"ncip.RequestItem@lender:EAST/EI0001, timer.lender.arm@broker:EAST at 11-03T12")
	if w.l.Lender != "EAST" || w.l.Rota[0].State != SupplierUnfill || w.l.Rota[0].Reason != "not on shelf" || w.l.Rota[1].State != Asked {
		t.Fatalf("after unfilled: lender %s rota %+v", w.l.Lender, w.l.Rota)
	}
	// SOUTH's late timer and an early one for EAST are refused.
	late := ev(LenderTimeout, sys, "SOUTH")
	late.At = w.at.Add(72 * time.Hour)
	if e := fails[*MemberError](w, late); e.Want != "EAST" {
		t.Fatalf("stale timer: %v", e)
	}
	early := ev(LenderTimeout, sys, "EAST")
	early.At = w.at.Add(23 * time.Hour)
	fails[*EventError](w, early)
	// A rush request gives EAST 24 hours.
	tmo := ev(LenderTimeout, sys, "EAST")
	tmo.At = w.l.Rota[1].Deadline
	w.do(tmo, EndOfRota, "ncip.CancelRequestItem@lender:EAST/EI0001, notify.requester@requester:NORTH/ILLK7QW3XZ9")
	if w.l.Lender != "" || w.l.Rota[1].State != TimedOut || w.l.Reason == "" || w.l.FinishedAt.IsZero() {
		t.Fatalf("end of rota: %+v", w.l)
	}
	fails[*NotAllowedError](w, ev(ItemShipped, east, "EAST"))
	// Staff re-request: a new rota, asked afresh.
	w.do(ev(RotaRetry, operator, ""), Validated, "locate-lenders@broker:NORTH")
	if !w.l.FinishedAt.IsZero() {
		t.Fatal("re-requested loan still marked finished")
	}
	rb := ev(RotaBuilt, sys, "")
	w.do(rb, EndOfRota, "notify.requester@requester:NORTH/ILLK7QW3XZ9")
	if !strings.Contains(w.l.Reason, "no member") {
		t.Fatalf("empty rota reason %q", w.l.Reason)
	}
	w.do(ev(CancelRequested, partner, "NORTH"), Cancelled, "-")
}

func TestMessagingFailureSkipsLender(t *testing.T) {
	w := toSent(t, Express)
	w.do(ev(LenderError, sys, "SOUTH"), Sent, "timer.lender.disarm@broker:SOUTH, ncip.CancelRequestItem@lender:SOUTH/SI0001, "+
		"ncip.RequestItem@lender:EAST/EI0001, timer.lender.arm@broker:EAST at 11-02T14")
	if w.l.Rota[0].State != Skipped {
		t.Fatalf("SOUTH is %s, want skipped", w.l.Rota[0].State)
	}
	// The lender's ILS cancelled its own hold (ItemRequestCancelled): no
	// CancelRequestItem back to it.
	c := ev(LenderCancelled, east, "EAST")
	c.FromILS = true
	w.do(c, EndOfRota, "timer.lender.disarm@broker:EAST, notify.requester@requester:NORTH/ILLK7QW3XZ9")
}

func TestDuplicateEndsUnfilled(t *testing.T) {
	w := toSent(t, Normal)
	un := ev(LenderUnfilled, operator, "")
	un.Reason = "Duplicate"
	w.do(un, Unfilled, "timer.lender.disarm@broker:SOUTH, ncip.CancelRequestItem@lender:SOUTH/SI0001, notify.requester@requester:NORTH/ILLK7QW3XZ9")
	if w.l.Rota[1].State != Candidate || !strings.Contains(w.l.Reason, "duplicate") {
		t.Fatalf("duplicate: %+v", w.l)
	}
	fails[*NotAllowedError](w, ev(RotaRetry, operator, ""))
	w.do(ev(Anonymise, operator, ""), Unfilled, "-")
}

func TestCancelWhilePending(t *testing.T) {
	t.Run("confirmed", func(t *testing.T) {
		w := toSent(t, Normal)
		w.do(ev(CancelRequested, partner, "NORTH"), CancelPending, "ncip.CancelRequestItem@lender:SOUTH/SI0001")
		w.do(ev(CancelConfirmed, sys, "SOUTH"), Cancelled, "timer.lender.disarm@broker:SOUTH, notify.requester@requester:NORTH/ILLK7QW3XZ9")
		if w.l.Rota[0].State != SupplierCancel || w.l.Rota[1].State != Candidate {
			t.Fatalf("rota after cancel: %+v", w.l.Rota)
		}
		fails[*NotAllowedError](w, ev(CancelConfirmed, sys, "SOUTH"))
	})
	t.Run("denied", func(t *testing.T) {
		w := toSent(t, Normal)
		w.do(ev(LenderWillSupply, south, "SOUTH"), WillSupply, "-")
		w.do(ev(CancelRequested, north, "NORTH"), CancelPending, "ncip.CancelRequestItem@lender:SOUTH/SI0001")
		d := ev(CancelDenied, sys, "SOUTH")
		d.Reason = "already checked out"
		w.do(d, WillSupply, "-")
		if w.l.Before != 0 || w.l.Rota[0].State != SupplierWill {
			t.Fatalf("after denial: %+v", w.l)
		}
	})
	t.Run("shipped late", func(t *testing.T) {
		w := toSent(t, Normal)
		w.do(ev(CancelRequested, operator, ""), CancelPending, "ncip.CancelRequestItem@lender:SOUTH/SI0001")
		s := ev(ItemShipped, south, "SOUTH")
		s.FromILS = true
		w.do(s, Shipped, "timer.lender.disarm@broker:SOUTH")
		fails[*NotAllowedError](w, ev(CancelRequested, north, "NORTH"))
	})
	t.Run("before any lender", func(t *testing.T) {
		w := newWalk(t, Normal)
		w.do(ev(CancelRequested, north, "NORTH"), Cancelled, "-")
	})
}

func TestRenewals(t *testing.T) {
	w := toSent(t, Normal)
	toCheckedOut(w)
	w.do(ev(RenewRequested, kiosk, "NORTH"), RenewPending, "ncip.RenewItem@lender:SOUTH/SI0001")
	d := ev(RenewDenied, sys, "SOUTH")
	d.Reason = "Maximum Renewals Exceeded"
	w.do(d, CheckedOut, "notify.requester@requester:NORTH/ILLK7QW3XZ9 due 12-20")

	// Overdue, renewal asked from overdue and denied: back to overdue.
	od := ev(ItemOverdue, sys, "SOUTH")
	od.At = due
	w.do(od, Overdue, "notify.requester@requester:NORTH/ILLK7QW3XZ9 due 12-20")
	w.do(ev(RenewRequested, north, "NORTH"), RenewPending, "ncip.RenewItem@lender:SOUTH/SI0001")
	w.do(ev(RenewDenied, south, "SOUTH"), Overdue, "notify.requester@requester:NORTH/ILLK7QW3XZ9 due 12-20")

	// Granted: the new due date goes to the requester's ILS and the
	// overdue timer.
	w.do(ev(RenewRequested, north, "NORTH"), RenewPending, "ncip.RenewItem@lender:SOUTH/SI0001")
	g := ev(RenewGranted, sys, "SOUTH")
	fails[*EventError](w, g) // no due date
	g.DueDate = due.AddDate(0, 0, 28)
	w.do(g, CheckedOut, "ncip.RenewItem@requester:NORTH/ILLK7QW3XZ9 due 01-17, timer.due.arm@broker:SOUTH at 01-17T00")
	if w.l.Rota[0].State != SupplierRecv || !w.l.DueDate.Equal(g.DueDate) {
		t.Fatalf("after renewal: %+v", w.l)
	}
}

func TestRecall(t *testing.T) {
	w := toSent(t, Normal)
	toCheckedOut(w)
	r := ev(ItemRecalled, south, "SOUTH")
	r.DueDate = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	w.do(r, Recalled, "ncip.RecallItem@requester:NORTH/ILLK7QW3XZ9 due 12-01, timer.due.arm@broker:SOUTH at 12-01T00")
	fails[*NotAllowedError](w, ev(RenewRequested, kiosk, "NORTH"))
	w.do(ev(PatronCheckedIn, north, "NORTH"), CheckedIn, "ncip.CheckInItem@requester:NORTH/ILLK7QW3XZ9 due 12-01, timer.due.disarm@broker:SOUTH")
	// The lender checks it in before NORTH records shipping it.
	w.do(ev(LenderCheckedIn, operator, ""), Completed, "ncip.DeleteItem@requester:NORTH/ILLK7QW3XZ9 due 12-01, "+
		"ncip.CheckInItem@lender:SOUTH/SI0001, notify.requester@requester:NORTH/ILLK7QW3XZ9 due 12-01")
}

func TestLost(t *testing.T) {
	w := toSent(t, Normal)
	toCheckedOut(w)
	w.do(ev(ItemLost, north, "NORTH"), Lost, "ncip.CreateUserFiscalTransaction@requester:NORTH/ILLK7QW3XZ9 due 12-20, "+
		"ncip.DeleteItem@requester:NORTH/ILLK7QW3XZ9 due 12-20, timer.due.disarm@broker:SOUTH")
	if w.l.Rota[0].State != SupplierLost || w.l.FinishedAt.IsZero() {
		t.Fatalf("lost: %+v", w.l)
	}
	for _, k := range []EventKind{PatronCheckedIn, ReturnShipped, ItemOverdue, RenewRequested, CancelRequested} {
		fails[*NotAllowedError](w, validEvent(w.l, k))
	}
	// Found and returned to the lender after all.
	w.do(ev(LenderCheckedIn, south, "SOUTH"), Completed, "ncip.CheckInItem@lender:SOUTH/SI0001")

	// Lost in transit: no fee for the patron.
	w = toSent(t, Normal)
	w.do(ev(ItemShipped, south, "SOUTH"), Shipped, "timer.lender.disarm@broker:SOUTH, ncip.CheckOutItem@lender:SOUTH/SI0001")
	w.do(ev(ItemLost, south, "SOUTH"), Lost, "timer.due.disarm@broker:SOUTH, notify.requester@requester:NORTH/ILLK7QW3XZ9")
}

func TestInvalidPatron(t *testing.T) {
	w := newWalk(t, Normal)
	w.do(ev(PatronInvalid, sys, ""), InvalidPatron, "notify.requester@requester:NORTH/ILLK7QW3XZ9")
	fails[*ActorError](w, ev(PatronOverride, north, "NORTH"))
	fails[*NotAllowedError](w, ev(Anonymise, sys, ""))
	w.do(ev(PatronOverride, operator, ""), Validated, "locate-lenders@broker:NORTH")
}

// TestAdvanceEffects checks the effects moving along the rota adds to a
// rule's own (see wantEffects).
func TestAdvanceEffects(t *testing.T) {
	w := toSent(t, Express)
	if got := effectList(w.last); got != "ncip.RequestItem@lender:SOUTH/SI0001, timer.lender.arm@broker:SOUTH at 11-02T13" {
		t.Fatalf("express ask: %s", got)
	}
	p := Policy{Timeouts: Timeouts{Express: 30 * time.Minute}}
	next, fx, err := p.Apply(w.l, Event{Kind: LenderUnfilled, Actor: south, Member: "SOUTH", At: w.at.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	want := "timer.lender.disarm@broker:SOUTH, ncip.CancelRequestItem@lender:SOUTH/SI0001, " +
		"ncip.RequestItem@lender:EAST/EI0001, timer.lender.arm@broker:EAST at 11-02T12"
	if got := effectList(fx); got != want || !next.Rota[1].Deadline.Equal(w.at.Add(90*time.Minute)) {
		t.Fatalf("effects %s\nwant %s\ndeadline %v", got, want, next.Rota[1].Deadline)
	}
}

func TestEventChecks(t *testing.T) {
	w := toSent(t, Normal)
	fails[*ActorError](w, ev(LenderTimeout, kiosk, "NORTH"))
	fails[*ActorError](w, ev(ItemShipped, sys, ""))
	if e := fails[*MemberError](w, ev(ItemShipped, east, "EAST")); e.Want != "SOUTH" || e.Got != "EAST" {
		t.Fatalf("%v", e)
	}
	fails[*MemberError](w, ev(CancelRequested, south, "SOUTH"))
	fails[*EventError](w, ev(CancelRequested, partner, "")) // a partner must name its member
	op := ev(ItemShipped, operator, "")
	op.FromILS = true
	fails[*EventError](w, op)
	long := ev(LenderUnfilled, south, "SOUTH")
	long.Reason = strings.Repeat("x", MaxReasonLen+1)
	fails[*EventError](w, long)
	if _, _, err := Apply(w.l, Event{Kind: LenderWillSupply, Actor: south, Member: "SOUTH"}); err == nil {
		t.Fatal("an event without a time was accepted")
	}
	for _, bad := range []EventKind{0, EventKind(len(eventNames)), 255} {
		e := fails[*NotAllowedError](w, Event{Kind: bad, Actor: operator})
		if !strings.Contains(e.Error(), "EventKind(") {
			t.Fatalf("unknown kind error %q", e)
		}
	}
	corrupt := w.l.Clone()
	corrupt.State = 0
	if _, _, err := Apply(corrupt, ev(LenderWillSupply, south, "SOUTH")); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("zero state: %v", err)
	}
}

func TestRotaBuiltChecks(t *testing.T) {
	w := newWalk(t, Normal)
	w.do(ev(PatronValid, north, "NORTH"), Validated, "locate-lenders@broker:NORTH")
	for name, lenders := range map[string][]Lender{
		"requester": {{Member: "SOUTH"}, {Member: "NORTH"}},
		"duplicate": {{Member: "SOUTH"}, {Member: "EAST"}, {Member: "SOUTH"}},
		"empty":     {{Member: ""}},
		"too long":  make([]Lender, MaxRota+1),
		"long code": {{Member: strings.Repeat("A", MaxCodeLen+1)}},
	} {
		rb := ev(RotaBuilt, sys, "")
		rb.Lenders = lenders
		if e := fails[*EventError](w, rb); e.Event != RotaBuilt {
			t.Errorf("%s: %v", name, e)
		}
	}
	// The rota given is copied: changing the caller's slice later does not
	// reach the loan.
	given := []Lender{{Member: "SOUTH", State: SupplierDone, Reason: "stale"}}
	rb := ev(RotaBuilt, sys, "")
	rb.Lenders = given
	w.do(rb, Sent, "ncip.RequestItem@lender:SOUTH, timer.lender.arm@broker:SOUTH at 11-05T11")
	given[0].Member = "EAST"
	if w.l.Rota[0].Member != "SOUTH" || w.l.Rota[0].Reason != "" {
		t.Fatalf("rota shares memory with the event or kept its states: %+v", w.l.Rota)
	}
}

func TestNewLoanChecks(t *testing.T) {
	for _, c := range []struct{ id, req string }{{"short", "NORTH"}, {"K7QW3XZ0", "NORTH"}, {"K7QW3XZ9", ""}} {
		if _, _, err := NewLoan(c.id, c.req, "p", Normal, t0); err == nil {
			t.Errorf("NewLoan(%q, %q) accepted", c.id, c.req)
		}
	}
	l, _, err := NewLoan("K7QW3XZ9", "NORTH", "p", 0, t0)
	if err != nil || l.Level != Normal || l.State != New {
		t.Fatalf("NewLoan: %+v %v", l, err)
	}
}

func TestAnonymiseAt(t *testing.T) {
	w := toSent(t, Normal)
	if _, ok := w.l.AnonymiseAt(720 * time.Hour); ok {
		t.Fatal("a running loan is due for anonymising")
	}
	w.do(ev(CancelRequested, operator, ""), CancelPending, "ncip.CancelRequestItem@lender:SOUTH/SI0001")
	w.do(ev(CancelConfirmed, sys, ""), Cancelled, "timer.lender.disarm@broker:SOUTH, notify.requester@requester:NORTH/ILLK7QW3XZ9")
	at, ok := w.l.AnonymiseAt(720 * time.Hour)
	if !ok || !at.Equal(w.at.Add(720*time.Hour)) {
		t.Fatalf("AnonymiseAt = %v %v", at, ok)
	}
	w.do(Event{Kind: Anonymise, Actor: sys, At: at}, Cancelled, "-")
	if _, ok := w.l.AnonymiseAt(720 * time.Hour); ok {
		t.Fatal("an anonymised loan is due again")
	}
}

// TestBackNeedsRememberedState feeds Apply loans whose Before was lost or
// corrupted in storage: the answer is refused, not taken to a wrong state.
func TestBackNeedsRememberedState(t *testing.T) {
	for _, c := range []struct {
		state, before State
		k             EventKind
	}{
		{CancelPending, 0, CancelDenied},
		{CancelPending, CheckedOut, CancelDenied},
		{RenewPending, Sent, RenewDenied},
		{RenewPending, 0, RenewDenied},
	} {
		l := loanIn(c.state)
		l.Before = c.before
		if _, _, err := Apply(l, validEvent(l, c.k)); err == nil {
			t.Errorf("%s in %s with before=%v accepted", c.k, c.state, c.before)
		}
	}
}
