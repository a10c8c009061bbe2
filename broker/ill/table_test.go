package ill

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// wantRequester is the requester machine written out for review: one row
// per event, one column per state. A cell is the state the pair leads to,
// "." for *NotAllowedError, "<" for back to the state before the pending
// renewal or cancel, ">" for the next lender on the rota (sent), or
// end-of-rota when none is left. Every cell of every row must be filled.
const wantRequester = `
                     NEW VAL SNT WIL SHP RCV OUT RNW OVD RCL CIN SRT CMP UNF EOR CNP CNC LST INV
patron-valid         VAL   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
patron-invalid       INV   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
patron-override        .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   . VAL
rota-built             .   >   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
lender-will-supply     .   . WIL   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
lender-unfilled        .   .   >   >   .   .   .   .   .   .   .   .   .   .   . CNC   .   .   .
lender-cancelled       .   .   >   >   .   .   .   .   .   .   .   .   .   .   . CNC   .   .   .
lender-timeout         .   .   >   >   .   .   .   .   .   .   .   .   .   .   . CNC   .   .   .
lender-error           .   .   >   >   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
shipped                .   . SHP SHP   .   .   .   .   .   .   .   .   .   .   . SHP   .   .   .
due-date               .   .   .   . SHP RCV OUT RNW OVD RCL   .   .   .   .   .   .   .   .   .
received               .   .   .   . RCV   .   .   .   .   .   .   .   .   .   .   .   .   .   .
checked-out            .   .   .   .   . OUT   .   . OVD RCL   .   .   .   .   .   .   .   .   .
renew-requested        .   .   .   .   .   . RNW   . RNW   .   .   .   .   .   .   .   .   .   .
renew-granted          .   .   .   .   .   .   . OUT   .   .   .   .   .   .   .   .   .   .   .
renew-denied           .   .   .   .   .   .   .   <   .   .   .   .   .   .   .   .   .   .   .
overdue                .   .   .   .   . OVD OVD RNW   . OVD   .   .   .   .   .   .   .   .   .
recalled               .   .   .   .   . RCL RCL RCL RCL   .   .   .   .   .   .   .   .   .   .
checked-in             .   .   .   .   . CIN CIN CIN CIN CIN   .   .   .   .   .   .   .   .   .
shipped-return         .   .   .   .   .   .   .   .   .   . SRT   .   .   .   .   .   .   .   .
lender-checked-in      .   .   .   .   .   .   .   .   .   . CMP CMP   .   .   .   .   . CMP   .
cancel-requested     CNC CNC CNP CNP   .   .   .   .   .   .   .   .   .   . CNC   .   .   . CNC
cancel-confirmed       .   .   .   .   .   .   .   .   .   .   .   .   .   .   . CNC   .   .   .
cancel-denied          .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   <   .   .   .
lost                   .   .   .   . LST LST LST LST LST LST LST LST   .   .   .   .   .   .   .
rota-retry             .   .   .   .   .   .   .   .   .   .   .   .   .   . VAL   .   .   .   .
anonymise              .   .   .   .   .   .   .   .   .   .   .   . CMP UNF EOR   . CNC LST   .
`

// wantSupplier is one lender's machine, laid out the same way.
const wantSupplier = `
                     CAN ASK WIL SHP RCV OVD RCL SRT CMP UNF TMO CNC SKP LST
ask                  ASK   .   .   .   .   .   .   .   .   .   .   .   .   .
will-supply            . WIL   .   .   .   .   .   .   .   .   .   .   .   .
unfilled               . UNF UNF   .   .   .   .   .   .   .   .   .   .   .
cancel                 . CNC CNC   .   .   .   .   .   .   .   .   .   .   .
timeout                . TMO TMO   .   .   .   .   .   .   .   .   .   .   .
fail                   . SKP SKP   .   .   .   .   .   .   .   .   .   .   .
ship                   . SHP SHP   .   .   .   .   .   .   .   .   .   .   .
receive                .   .   . RCV   .   .   .   .   .   .   .   .   .   .
overdue                .   .   .   . OVD OVD OVD   .   .   .   .   .   .   .
recall                 .   .   .   . RCL RCL   .   .   .   .   .   .   .   .
renew                  .   .   .   . RCV RCV   .   .   .   .   .   .   .   .
ship-return            .   .   .   . SRT SRT SRT   .   .   .   .   .   .   .
check-in               .   .   .   . CMP CMP CMP CMP   .   .   .   .   . CMP
lost                   .   .   . LST LST LST LST LST   .   .   .   .   .   .
`

// wantEffects lists the effects of every allowed requester pair, in order:
// kind@party, "!" = left out when the member's ILS made the call itself
// (FromILS or a kiosk), "?" = only once the loan has a due date. Moving to
// the next lender adds ncip.RequestItem@lender and timer.lender.arm, or
// notify.requester at the end of the rota (TestAdvanceEffects).
const wantEffects = `
new             patron-valid        locate-lenders@broker
new             patron-invalid      notify.requester@requester
new             cancel-requested    -
validated       rota-built          -
validated       cancel-requested    -
sent            lender-will-supply  -
sent            lender-unfilled     timer.lender.disarm@broker ncip.CancelRequestItem@lender!
sent            lender-cancelled    timer.lender.disarm@broker ncip.CancelRequestItem@lender!
sent            lender-timeout      ncip.CancelRequestItem@lender
sent            lender-error        timer.lender.disarm@broker ncip.CancelRequestItem@lender!
sent            shipped             timer.lender.disarm@broker ncip.CheckOutItem@lender! timer.due.arm@broker?
sent            cancel-requested    ncip.CancelRequestItem@lender
will-supply     lender-unfilled     timer.lender.disarm@broker ncip.CancelRequestItem@lender!
will-supply     lender-cancelled    timer.lender.disarm@broker ncip.CancelRequestItem@lender!
will-supply     lender-timeout      ncip.CancelRequestItem@lender
will-supply     lender-error        timer.lender.disarm@broker ncip.CancelRequestItem@lender!
will-supply     shipped             timer.lender.disarm@broker ncip.CheckOutItem@lender! timer.due.arm@broker?
will-supply     cancel-requested    ncip.CancelRequestItem@lender
shipped         due-date            -
shipped         received            ncip.AcceptItem@requester timer.due.arm@broker?
shipped         lost                timer.due.disarm@broker notify.requester@requester
received        due-date            timer.due.arm@broker?
received        checked-out         ncip.CheckOutItem@requester!
received        overdue             notify.requester@requester
received        recalled            ncip.RecallItem@requester timer.due.arm@broker?
received        checked-in          ncip.CheckInItem@requester! timer.due.disarm@broker
received        lost                ncip.DeleteItem@requester timer.due.disarm@broker
checked-out     due-date            timer.due.arm@broker?
checked-out     renew-requested     ncip.RenewItem@lender
checked-out     overdue             notify.requester@requester
checked-out     recalled            ncip.RecallItem@requester timer.due.arm@broker?
checked-out     checked-in          ncip.CheckInItem@requester! timer.due.disarm@broker
checked-out     lost                ncip.CreateUserFiscalTransaction@requester ncip.DeleteItem@requester timer.due.disarm@broker
renew-pending   due-date            -
renew-pending   renew-granted       ncip.RenewItem@requester timer.due.arm@broker?
renew-pending   renew-denied        notify.requester@requester
renew-pending   overdue             notify.requester@requester
renew-pending   recalled            ncip.RecallItem@requester timer.due.arm@broker?
renew-pending   checked-in          ncip.CheckInItem@requester! timer.due.disarm@broker
renew-pending   lost                ncip.CreateUserFiscalTransaction@requester ncip.DeleteItem@requester timer.due.disarm@broker
overdue         due-date            -
overdue         checked-out         ncip.CheckOutItem@requester!
overdue         renew-requested     ncip.RenewItem@lender
overdue         recalled            ncip.RecallItem@requester timer.due.arm@broker?
overdue         checked-in          ncip.CheckInItem@requester! timer.due.disarm@broker
overdue         lost                ncip.CreateUserFiscalTransaction@requester ncip.DeleteItem@requester timer.due.disarm@broker
recalled        due-date            timer.due.arm@broker?
recalled        checked-out         ncip.CheckOutItem@requester!
recalled        overdue             notify.requester@requester
recalled        checked-in          ncip.CheckInItem@requester! timer.due.disarm@broker
recalled        lost                ncip.CreateUserFiscalTransaction@requester ncip.DeleteItem@requester timer.due.disarm@broker
checked-in      shipped-return      ncip.DeleteItem@requester
checked-in      lender-checked-in   ncip.DeleteItem@requester ncip.CheckInItem@lender! notify.requester@requester
checked-in      lost                ncip.DeleteItem@requester
shipped-return  lender-checked-in   ncip.CheckInItem@lender! notify.requester@requester
shipped-return  lost                -
completed       anonymise           -
unfilled        anonymise           -
end-of-rota     cancel-requested    -
end-of-rota     rota-retry          locate-lenders@broker
end-of-rota     anonymise           -
cancel-pending  lender-unfilled     timer.lender.disarm@broker
cancel-pending  lender-cancelled    timer.lender.disarm@broker
cancel-pending  lender-timeout      -
cancel-pending  shipped             timer.lender.disarm@broker ncip.CheckOutItem@lender! timer.due.arm@broker?
cancel-pending  cancel-confirmed    timer.lender.disarm@broker notify.requester@requester
cancel-pending  cancel-denied       -
cancelled       anonymise           -
lost            lender-checked-in   ncip.CheckInItem@lender!
lost            anonymise           -
invalid-patron  patron-override     locate-lenders@broker
invalid-patron  cancel-requested    -
`

// grid is a parsed review grid: cells[row][column].
type grid struct {
	cols  []string
	cells map[string]map[string]string
}

func parseGrid(t *testing.T, text string) grid {
	t.Helper()
	lines := strings.Split(strings.Trim(text, "\n"), "\n")
	g := grid{cols: strings.Fields(lines[0]), cells: map[string]map[string]string{}}
	for _, line := range lines[1:] {
		f := strings.Fields(line)
		if len(f) != len(g.cols)+1 {
			t.Fatalf("grid row %q has %d cells, want %d", f[0], len(f)-1, len(g.cols))
		}
		if _, dup := g.cells[f[0]]; dup {
			t.Fatalf("grid row %q twice", f[0])
		}
		g.cells[f[0]] = map[string]string{}
		for i, c := range g.cols {
			g.cells[f[0]][c] = f[i+1]
		}
	}
	return g
}

func TestRequesterTableMatchesReview(t *testing.T) {
	g := parseGrid(t, wantRequester)
	if len(g.cols) != len(States()) {
		t.Fatalf("review grid has %d state columns, the package %d states", len(g.cols), len(States()))
	}
	if len(g.cells) != len(EventKinds()) {
		t.Fatalf("review grid has %d event rows, the package %d events", len(g.cells), len(EventKinds()))
	}
	for _, s := range States() {
		for _, k := range EventKinds() {
			want, ok := g.cells[k.String()][stateAbbr[s]]
			if !ok {
				t.Errorf("(%s, %s) is not in the review grid", s, k)
				continue
			}
			if got := requesterCell(s, k); got != want {
				t.Errorf("(%s, %s) = %s, review grid says %s", s, k, got, want)
			}
		}
	}
	if t.Failed() {
		t.Log("the table as it is:\n" + renderGrid(States(), stateAbbr, EventKinds(), requesterCell))
	}
}

func TestSupplierTableMatchesReview(t *testing.T) {
	g := parseGrid(t, wantSupplier)
	if len(g.cols) != len(SupplierStates()) || len(g.cells) != len(SupplierEvents()) {
		t.Fatalf("review grid is %dx%d, the package has %d events x %d states",
			len(g.cells), len(g.cols), len(SupplierEvents()), len(SupplierStates()))
	}
	for _, s := range SupplierStates() {
		if _, ok := supplierTable[s]; !ok {
			t.Errorf("supplier state %s has no row in supplierTable", s)
		}
		for _, e := range SupplierEvents() {
			want, ok := g.cells[e.String()][supplierAbbr[s]]
			if !ok {
				t.Errorf("(%s, %s) is not in the review grid", s, e)
				continue
			}
			if got := supplierCell(s, e); got != want {
				t.Errorf("(%s, %s) = %s, review grid says %s", s, e, got, want)
			}
		}
	}
	if t.Failed() {
		t.Log("the table as it is:\n" + renderGrid(SupplierStates(), supplierAbbr, SupplierEvents(), supplierCell))
	}
}

func TestEffectsMatchReview(t *testing.T) {
	want := map[string]string{}
	for _, line := range strings.Split(strings.Trim(wantEffects, "\n"), "\n") {
		f := strings.Fields(line)
		key := f[0] + " " + f[1]
		if _, dup := want[key]; dup {
			t.Fatalf("effects review lists %s twice", key)
		}
		want[key] = strings.Join(f[2:], " ")
	}
	seen := 0
	for _, s := range States() {
		for _, k := range EventKinds() {
			r, ok := requesterTable[s][k]
			key := s.String() + " " + k.String()
			w, listed := want[key]
			switch {
			case ok && !listed:
				t.Errorf("%s is allowed but not in the effects review", key)
			case !ok && listed:
				t.Errorf("%s is in the effects review but not allowed", key)
			case ok:
				seen++
				if got := effectCell(r); got != w {
					t.Errorf("%s effects = %s, review says %s", key, got, w)
				}
			}
		}
	}
	if seen != len(want) {
		t.Errorf("effects review has %d lines, %d match allowed pairs", len(want), seen)
	}
}

// TestEveryPairHasOutcome drives Apply itself over every (state, event)
// pair, with a loan and an event built to pass the actor, member and data
// checks, and checks that the pairs the grid marks "." fail with
// *NotAllowedError and the others succeed in the state the grid names.
func TestEveryPairHasOutcome(t *testing.T) {
	g := parseGrid(t, wantRequester)
	for _, s := range States() {
		for _, k := range EventKinds() {
			l := loanIn(s)
			ev := validEvent(l, k)
			got, _, err := Apply(l, ev)
			cell := g.cells[k.String()][stateAbbr[s]]
			switch cell {
			case ".":
				var na *NotAllowedError
				if !errors.As(err, &na) || na.State != s || na.Event != k || !errors.Is(err, ErrNotAllowed) {
					t.Errorf("Apply(%s, %s) error = %v, want *NotAllowedError", s, k, err)
				}
				if err != nil && !strings.Contains(err.Error(), k.String()) {
					t.Errorf("error %q does not name the event", err)
				}
			default:
				if err != nil {
					t.Errorf("Apply(%s, %s): %v", s, k, err)
					continue
				}
				want := map[string]string{"<": stateAbbr[l.Before], ">": "SNT"}[cell]
				if want == "" {
					want = cell
				}
				if stateAbbr[got.State] != want {
					t.Errorf("Apply(%s, %s) = %s, want %s", s, k, got.State, want)
				}
			}
		}
	}
}

// loanIn returns a loan in state s with a rota of three lenders, the first
// being asked or supplying in the supplier state that goes with s.
func loanIn(s State) Loan {
	l := Loan{ID: "ABCD2345", Requester: "NORTH", Patron: "N0001", Level: Normal, State: s,
		CreatedAt: t0, UpdatedAt: t0}
	l.Rota = []Lender{
		{Member: "SOUTH", Available: true, ItemID: "SI0001", State: Candidate},
		{Member: "EAST", Available: true, ItemID: "EI0001", State: Candidate},
		{Member: "WEST", ItemID: "WI0001", State: Candidate},
	}
	sup := map[State]SupplierState{
		Sent: Asked, WillSupply: SupplierWill, CancelPending: Asked, Shipped: SupplierShip,
		Received: SupplierRecv, CheckedOut: SupplierRecv, RenewPending: SupplierRecv,
		Overdue: SupplierOver, Recalled: SupplierRecall, CheckedIn: SupplierRecv,
		ShippedReturn: SupplierReturn, Completed: SupplierDone, Lost: SupplierLost,
		Cancelled: SupplierCancel,
	}[s]
	if sup != 0 {
		l.Lender = "SOUTH"
		l.Rota[0].State = sup
		l.Rota[0].AskedAt = t0
		l.Rota[0].Deadline = t0.Add(DefaultNormalTimeout)
	}
	switch s {
	case RenewPending:
		l.Before = CheckedOut
	case CancelPending:
		l.Before = Sent
	}
	return l
}

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// validEvent returns an event of kind k that passes the actor, member and
// data checks for l, so that only the table decides.
func validEvent(l Loan, k EventKind) Event {
	rules := eventRules[k]
	ev := Event{Kind: k, At: t0.Add(100 * 24 * time.Hour), Actor: Actor{Kind: rules.actors[0], ID: "x"}}
	switch ev.Actor.Kind {
	case ActorMember, ActorPartner, ActorTerminal:
		ev.Member = l.Requester
		if rules.side == sideLender {
			ev.Member = l.Lender
		}
		if ev.Member == "" {
			ev.Actor.Kind = ActorOperator
		}
	}
	switch k {
	case DueDateSet, RenewGranted, ItemShipped, ItemRecalled:
		ev.DueDate = t0.Add(30 * 24 * time.Hour)
	case RotaBuilt:
		ev.Lenders = []Lender{{Member: "SOUTH"}, {Member: "EAST"}}
	}
	return ev
}

func TestEventRulesCoverEveryEvent(t *testing.T) {
	for _, k := range EventKinds() {
		r, ok := eventRules[k]
		if !ok || len(r.actors) == 0 {
			t.Errorf("event %s has no actor rule", k)
		}
		for i, a := range r.actors {
			if !a.Valid() || slices.Contains(r.actors[:i], a) {
				t.Errorf("event %s: bad or repeated actor %v", k, a)
			}
		}
	}
	if n := len(eventRules); n != len(EventKinds()) {
		t.Errorf("eventRules has %d entries, %d events", n, len(EventKinds()))
	}
}
