package loan

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/illgw/illgw/broker/ill"
)

func mustAct(t *testing.T, e *Engine, q ActRequest) *Record {
	t.Helper()
	r, err := e.Act(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q.Event, err)
	}
	if p := r.Problem(); p != "" {
		t.Fatalf("%s: a call failed: %s", q.Event, p)
	}
	return r
}

// TestWholeLifecycle drives one loan from request to completion and checks
// the loan, its history and every NCIP call each ILS saw (issue 8 point 3).
func TestWholeLifecycle(t *testing.T) {
	c := newConsortium(t)
	isbn := c.title("9780000000017", "SOUTH", "EAST")
	e := c.engine(t, openEmbedded(t, ""), nil)
	ctx := context.Background()

	r, err := e.Create(ctx, CreateRequest{Requester: "NORTH", Patron: "N0001", Bib: Bib{Title: "A title", ISBN: isbn}, Actor: operator})
	if err != nil {
		t.Fatal(err)
	}
	id := r.Loan.ID
	// Equal lenders are taken in code order: EAST first.
	if r.Loan.State != ill.Sent || r.Loan.Lender != "EAST" || len(r.Loan.Rota) != 2 {
		t.Fatalf("after create: state %s lender %q rota %d; want sent EAST 2", r.Loan.State, r.Loan.Lender, len(r.Loan.Rota))
	}
	if len(r.Outbox) != 0 {
		t.Fatalf("calls left after create: %+v", r.Outbox)
	}
	north, east := c.ils["NORTH"], c.ils["EAST"]
	item := "EAST-" + isbn

	r = mustAct(t, e, ActRequest{ID: id, Event: ill.ItemShipped, Actor: memberActor("EAST")})
	if r.Loan.State != ill.Shipped || r.Loan.DueDate.IsZero() {
		t.Fatalf("after ship: state %s due %v; want shipped with the lender's due date", r.Loan.State, r.Loan.DueDate)
	}
	it, _ := east.Item(item)
	if it.Borrower != "ILL-NORTH" || !it.DateDue.Equal(r.Loan.DueDate) {
		t.Fatalf("lender's item: borrower %q due %v; loan due %v", it.Borrower, it.DateDue, r.Loan.DueDate)
	}
	r = mustAct(t, e, ActRequest{ID: id, Event: ill.ItemReceived, Actor: memberActor("NORTH")})
	temp, ok := north.Item(r.TemporaryItem())
	if !ok || !temp.Temporary || r.TemporaryItem() != "ILL"+id {
		t.Fatalf("temporary item %s at NORTH: %+v %v", r.TemporaryItem(), temp, ok)
	}
	mustAct(t, e, ActRequest{ID: id, Event: ill.PatronCheckedOut, Actor: operator})
	if it, _ := north.Item(r.TemporaryItem()); it.Borrower != "N0001" {
		t.Fatalf("temporary item not checked out to the patron: %+v", it)
	}
	due := r.Loan.DueDate
	r = mustAct(t, e, ActRequest{ID: id, Event: ill.RenewRequested, Actor: memberActor("NORTH")})
	if r.Loan.State != ill.CheckedOut || r.Loan.DueDate.Before(due) {
		t.Fatalf("after renew: state %s due %v (was %v)", r.Loan.State, r.Loan.DueDate, due)
	}
	mustAct(t, e, ActRequest{ID: id, Event: ill.PatronCheckedIn, Actor: memberActor("NORTH")})
	mustAct(t, e, ActRequest{ID: id, Event: ill.ReturnShipped, Actor: memberActor("NORTH")})
	if _, ok := north.Item(r.TemporaryItem()); ok {
		t.Fatal("temporary item still at NORTH after shipping back")
	}
	r = mustAct(t, e, ActRequest{ID: id, Event: ill.LenderCheckedIn, Actor: memberActor("EAST")})
	if r.Loan.State != ill.Completed || r.Loan.FinishedAt.IsZero() {
		t.Fatalf("final state %s", r.Loan.State)
	}
	if it, _ := east.Item(item); it.Borrower != "" {
		t.Fatalf("lender's item still on loan: %+v", it)
	}

	want := map[*fakeILS][]string{
		north:          {"AcceptItem " + id, "CheckInItem ILL" + id, "CheckOutItem ILL" + id, "DeleteItem ILL" + id, "LookupUser N0001", "RenewItem ILL" + id},
		east:           {"CheckInItem " + item, "CheckOutItem " + item, "RenewItem " + item, "RequestItem " + id},
		c.ils["SOUTH"]: nil,
	}
	for f, calls := range want {
		got := f.CallList()
		var w []string
		for _, k := range calls {
			w = append(w, k+"=1")
		}
		if strings.Join(got, ",") != strings.Join(w, ",") {
			t.Errorf("%s saw %v, want %v", f.code, got, w)
		}
	}
	hist, err := e.History(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range hist {
		if !ev.Actor.Kind.Valid() {
			t.Errorf("event %s v%d has no actor", ev.Kind, ev.Version)
		}
		if ev.Version == 0 || ev.Requester != "NORTH" {
			t.Errorf("event %s: version %d requester %q", ev.Kind, ev.Version, ev.Requester)
		}
	}
	for _, k := range []string{"created", "patron-valid", "rota-built", "shipped", "due-date", "received", "checked-out",
		"renew-requested", "renew-granted", "checked-in", "shipped-return", "lender-checked-in", "notice"} {
		if !strings.Contains(" "+kinds(hist)+" ", " "+k+" ") {
			t.Errorf("history lacks %s: %s", k, kinds(hist))
		}
	}
	// The transition and its event are one write: each version has its
	// lifecycle event once.
	seen := map[uint64]int{}
	for _, ev := range hist {
		if _, err := ill.ParseEventKind(ev.Kind); err == nil {
			seen[ev.Version]++
		}
	}
	for v, n := range seen {
		if n > 1 {
			t.Errorf("version %d has %d lifecycle events", v, n)
		}
	}
}

// TestPatronRefused: the requester's ILS refuses a blocked patron (R2).
func TestPatronRefused(t *testing.T) {
	c := newConsortium(t)
	e := c.engine(t, openEmbedded(t, ""), nil)
	r, err := e.Create(context.Background(), CreateRequest{Requester: "NORTH", Patron: "N0002", Bib: Bib{ISBN: c.title("1", "SOUTH")}, Actor: operator})
	if err != nil {
		t.Fatal(err)
	}
	if r.Loan.State != ill.InvalidPatron || c.ils["SOUTH"].Calls("RequestItem", r.Loan.ID) != 0 {
		t.Fatalf("blocked patron: state %s, SOUTH calls %v", r.Loan.State, c.ils["SOUTH"].CallList())
	}
	r, err = e.Create(context.Background(), CreateRequest{Requester: "NORTH", Patron: "N9999", Bib: Bib{ISBN: "1"}, Actor: operator})
	if err != nil || r.Loan.State != ill.InvalidPatron {
		t.Fatalf("unknown patron: %v %v", r.Loan.State, err)
	}
	// Staff override: the loan goes on to the lender.
	r = mustAct(t, e, ActRequest{ID: r.Loan.ID, Event: ill.PatronOverride, Actor: operator})
	if r.Loan.State != ill.Sent || r.Loan.Lender != "SOUTH" {
		t.Fatalf("after override: %s %s", r.Loan.State, r.Loan.Lender)
	}
}

// TestRotaAdvances: unfilled, a refused RequestItem and a time-out each move
// to the next lender; the end of the rota says why (issue 8 point 2).
func TestRotaAdvances(t *testing.T) {
	c := newConsortium(t)
	e := c.engine(t, openEmbedded(t, ""), func(o *Options) { o.Timeouts.Normal = 300 * time.Millisecond })
	ctx := context.Background()
	isbn := c.title("2", "SOUTH", "EAST")
	r, err := e.Create(ctx, CreateRequest{Requester: "NORTH", Patron: "N0001", Bib: Bib{ISBN: isbn}, Actor: operator})
	if err != nil {
		t.Fatal(err)
	}
	r = mustAct(t, e, ActRequest{ID: r.Loan.ID, Event: ill.LenderUnfilled, Actor: memberActor("EAST"), Reason: "not on shelf"})
	if r.Loan.State != ill.Sent || r.Loan.Lender != "SOUTH" {
		t.Fatalf("after EAST unfilled: %s %s", r.Loan.State, r.Loan.Lender)
	}
	if n := c.ils["EAST"].Calls("CancelRequestItem", r.LenderRequests["EAST"]); n != 1 {
		t.Errorf("CancelRequestItem at EAST: %d calls (%v)", n, c.ils["EAST"].CallList())
	}
	// SOUTH does not answer: Run times it out.
	stopRun := startRun(t, e)
	waitFor(t, "end of rota", func() bool {
		r, _ = e.Get(ctx, r.Loan.ID)
		return r.Loan.State == ill.EndOfRota
	})
	if r.Loan.Reason == "" || r.Loan.Rota[1].State != ill.TimedOut {
		t.Fatalf("end of rota: reason %q, rota %+v", r.Loan.Reason, r.Loan.Rota)
	}
	// A lender whose ILS refuses the request is passed over at once. Run
	// stops first: on a loaded machine it could time SOUTH out (300ms)
	// before Create returns.
	stopRun()
	isbn = c.title("3", "SOUTH")
	c.catalog.add(isbn, ill.Holding{Member: "EAST", Available: true, ItemID: "no-such-item"})
	r, err = e.Create(ctx, CreateRequest{Requester: "NORTH", Patron: "N0001", Bib: Bib{ISBN: isbn}, Actor: operator})
	if err != nil {
		t.Fatal(err)
	}
	if r.Loan.Lender != "SOUTH" || r.Loan.Rota[0].State != ill.SupplierUnfill {
		t.Fatalf("after EAST's Unknown Item: lender %s rota %+v", r.Loan.Lender, r.Loan.Rota)
	}
}

// TestFailedCallWaitsForStaff: a call that cannot be made stays in the
// outbox with the reason; Retry makes it once the ILS is back.
func TestFailedCallWaitsForStaff(t *testing.T) {
	c := newConsortium(t)
	e := c.engine(t, openEmbedded(t, ""), func(o *Options) { o.CallAttempts = 2; o.AutoRetries = 1; o.RetryAfter = time.Hour })
	ctx := context.Background()
	r, err := e.Create(ctx, CreateRequest{Requester: "NORTH", Patron: "N0001", Bib: Bib{ISBN: c.title("4", "SOUTH")}, Actor: operator})
	if err != nil {
		t.Fatal(err)
	}
	id := r.Loan.ID
	mustAct(t, e, ActRequest{ID: id, Event: ill.ItemShipped, Actor: memberActor("SOUTH")})
	c.ils["NORTH"].down.Store(true)
	r, err = e.Act(ctx, ActRequest{ID: id, Event: ill.ItemReceived, Actor: memberActor("NORTH")})
	if err != nil {
		t.Fatal(err)
	}
	if r.Loan.State != ill.Received || !strings.Contains(r.Problem(), "ncip.AcceptItem at NORTH") || len(r.Outbox) != 1 {
		t.Fatalf("state %s problem %q outbox %+v", r.Loan.State, r.Problem(), r.Outbox)
	}
	if n := c.ils["NORTH"].Calls("AcceptItem", id); n != 2 {
		t.Errorf("AcceptItem tried %d times, want 2 (CallAttempts)", n)
	}
	c.ils["NORTH"].down.Store(false)
	r, err = e.Retry(ctx, id, operator, "retry-1")
	if err != nil {
		t.Fatal(err)
	}
	if r.Problem() != "" || len(r.Outbox) != 0 {
		t.Fatalf("after retry: %q %+v", r.Problem(), r.Outbox)
	}
	if _, ok := c.ils["NORTH"].Item("ILL" + id); !ok {
		t.Fatal("no temporary item after retry")
	}
	// The same retry again is a no-op; a retry with nothing failed is refused.
	if _, err := e.Retry(ctx, id, operator, "retry-1"); err != nil {
		t.Fatalf("repeated retry: %v", err)
	}
	if _, err := e.Retry(ctx, id, operator, "retry-2"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("retry with nothing failed: %v", err)
	}
	hist, _ := e.History(ctx, id)
	if !strings.Contains(kinds(hist), "call.failed call.retry call.ok") {
		t.Errorf("history: %s", kinds(hist))
	}
}

// TestActIdempotent: an action retried with its key is applied once; an
// action the lifecycle does not allow is refused with broker/ill's error.
func TestActIdempotent(t *testing.T) {
	c := newConsortium(t)
	e := c.engine(t, openEmbedded(t, ""), nil)
	ctx := context.Background()
	r, _ := e.Create(ctx, CreateRequest{Requester: "NORTH", Patron: "N0001", Bib: Bib{ISBN: c.title("5", "SOUTH")}, Actor: operator})
	q := ActRequest{ID: r.Loan.ID, Event: ill.ItemShipped, Actor: memberActor("SOUTH"), IdempotencyKey: "ship-1"}
	a := mustAct(t, e, q)
	b := mustAct(t, e, q)
	if a.Version != b.Version {
		t.Fatalf("retried ship moved the loan from v%d to v%d", a.Version, b.Version)
	}
	if n := c.ils["SOUTH"].Calls("CheckOutItem", "SOUTH-5"); n != 1 {
		t.Fatalf("CheckOutItem made %d times", n)
	}
	_, err := e.Act(ctx, ActRequest{ID: r.Loan.ID, Event: ill.LenderCheckedIn, Actor: memberActor("SOUTH")})
	var na *ill.NotAllowedError
	if !errors.As(err, &na) {
		t.Fatalf("check-in while shipped: %v", err)
	}
	_, err = e.Act(ctx, ActRequest{ID: r.Loan.ID, Event: ill.ItemReceived, Actor: memberActor("NORTH"), ExpectedVersion: 1})
	if !errors.Is(err, ErrVersion) {
		t.Fatalf("stale expected version: %v", err)
	}
}

// TestAnonymise: a finished loan loses its patron after AnonymiseAfter, by
// timer (issue 8 point 9).
func TestAnonymise(t *testing.T) {
	c := newConsortium(t)
	e := c.engine(t, openEmbedded(t, ""), func(o *Options) { o.AnonymiseAfter = 200 * time.Millisecond })
	ctx := context.Background()
	r, _ := e.Create(ctx, CreateRequest{Requester: "NORTH", Patron: "N0001", Bib: Bib{ISBN: c.title("6", "SOUTH")}, Note: "for N0001", Actor: operator})
	r = mustAct(t, e, ActRequest{ID: r.Loan.ID, Event: ill.CancelRequested, Actor: memberActor("NORTH")})
	if r.Loan.State != ill.Cancelled || r.Loan.Patron != "N0001" {
		t.Fatalf("after cancel: %s patron %q", r.Loan.State, r.Loan.Patron)
	}
	defer startRun(t, e)()
	waitFor(t, "anonymised", func() bool {
		r, _ = e.Get(ctx, r.Loan.ID)
		return r.Loan.Anonymised
	})
	if r.Loan.Patron != "" || r.Note != "" {
		t.Fatalf("anonymised loan keeps patron %q note %q", r.Loan.Patron, r.Note)
	}
	hist, _ := e.History(ctx, r.Loan.ID)
	for _, ev := range hist {
		if strings.Contains(ev.Message, "N0001") {
			t.Errorf("event %s names the patron: %q", ev.Kind, ev.Message)
		}
	}
}

// TestOverdueTimer: once the due date passes, the timer moves a received
// loan to overdue (S9) and tells the requester; returning it still works.
func TestOverdueTimer(t *testing.T) {
	c := newConsortium(t)
	e := c.engine(t, openEmbedded(t, ""), nil)
	ctx := context.Background()
	r, _ := e.Create(ctx, CreateRequest{Requester: "NORTH", Patron: "N0001", Bib: Bib{ISBN: c.title("7", "SOUTH")}, Actor: operator})
	id := r.Loan.ID
	mustAct(t, e, ActRequest{ID: id, Event: ill.ItemShipped, Actor: memberActor("SOUTH")})
	r = mustAct(t, e, ActRequest{ID: id, Event: ill.ItemReceived, Actor: memberActor("NORTH")})
	if !r.DueTimer {
		t.Fatal("no due timer after receiving")
	}
	due := time.Now().Add(300 * time.Millisecond)
	mustAct(t, e, ActRequest{ID: id, Event: ill.DueDateSet, Actor: operator, DueDate: due})
	defer startRun(t, e)()
	waitFor(t, "overdue", func() bool {
		r, _ = e.Get(ctx, id)
		return r.Loan.State == ill.Overdue
	})
	if r.DueTimer || r.Loan.Rota[0].State != ill.SupplierOver {
		t.Fatalf("overdue loan: due timer %v, lender %s", r.DueTimer, r.Loan.Rota[0].State)
	}
	hist, _ := e.History(ctx, id)
	if !strings.Contains(kinds(hist), "overdue notice") {
		t.Errorf("history: %s", kinds(hist))
	}
	r = mustAct(t, e, ActRequest{ID: id, Event: ill.PatronCheckedIn, Actor: memberActor("NORTH")})
	if r.Loan.State != ill.CheckedIn {
		t.Fatalf("returned overdue loan: %s", r.Loan.State)
	}
}

// TestRequestAnswerLost: the lender's ILS takes the RequestItem but its
// answer is lost, so the engine asks again under the same request id and
// the ILS says Duplicate Request. The lender holds our request: the loan
// stays with it instead of moving down the rota.
func TestRequestAnswerLost(t *testing.T) {
	c := newConsortium(t)
	e := c.engine(t, openEmbedded(t, ""), nil)
	isbn := c.title("9780000000031", "SOUTH", "EAST")
	c.ils["EAST"].lose.Store(1)
	r, err := e.Create(context.Background(), CreateRequest{Requester: "NORTH", Patron: "N0001", Bib: Bib{ISBN: isbn}, Actor: operator})
	if err != nil {
		t.Fatal(err)
	}
	if n := c.ils["EAST"].Calls("RequestItem", r.Loan.ID); n != 2 {
		t.Fatalf("RequestItem at EAST: %d calls, want 2 (the lost answer and the retry)", n)
	}
	if r.Loan.State != ill.Sent || r.Loan.Lender != "EAST" || r.Loan.Rota[0].State == ill.SupplierUnfill {
		t.Fatalf("after a lost answer: state %s lender %s rota %+v; want sent to EAST", r.Loan.State, r.Loan.Lender, r.Loan.Rota)
	}
	if n := c.ils["SOUTH"].Calls("RequestItem", r.Loan.ID); n != 0 {
		t.Errorf("SOUTH was asked too: %d RequestItem calls", n)
	}
	if len(r.Outbox) != 0 {
		t.Errorf("calls left: %+v", r.Outbox)
	}
}

// TestCatalogueFillsBib: a loan asked for by ISBN alone gains the title,
// author and date of the record the catalogue matched; what the requester
// gave is never overwritten.
func TestCatalogueFillsBib(t *testing.T) {
	c := newConsortium(t)
	e := c.engine(t, openEmbedded(t, ""), nil)
	ctx := context.Background()
	isbn := c.title("8", "SOUTH")
	c.catalog.mu.Lock()
	c.catalog.found = map[string]Bib{isbn: {Title: "Computer bible", Author: "Smith, J.", Date: "1977", ISBN: "0839108826", LCCN: "77000348"}}
	c.catalog.mu.Unlock()
	r, err := e.Create(ctx, CreateRequest{Requester: "NORTH", Patron: "N0001", Bib: Bib{ISBN: isbn}, Actor: operator})
	if err != nil {
		t.Fatal(err)
	}
	if r.Bib.Title != "Computer bible" || r.Bib.Author != "Smith, J." || r.Bib.Date != "1977" || r.Bib.LCCN != "77000348" {
		t.Errorf("bib after locate: %+v", r.Bib)
	}
	if r.Bib.ISBN != isbn {
		t.Errorf("the requester's ISBN %q was replaced by %q", isbn, r.Bib.ISBN)
	}
	got, err := e.Get(ctx, r.Loan.ID)
	if err != nil || got.Bib.Title != "Computer bible" {
		t.Fatalf("stored bib: %+v (%v)", got.Bib, err)
	}
	r2, err := e.Create(ctx, CreateRequest{Requester: "NORTH", Patron: "N0001", Bib: Bib{Title: "As the patron wrote it", ISBN: isbn}, Actor: operator})
	if err != nil {
		t.Fatal(err)
	}
	if r2.Bib.Title != "As the patron wrote it" {
		t.Errorf("the requester's title was overwritten: %q", r2.Bib.Title)
	}
}
