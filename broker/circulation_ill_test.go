package broker

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"github.com/illgw/illgw/broker/loan"
	"github.com/illgw/illgw/broker/member"
	"github.com/illgw/illgw/broker/state"
	"github.com/illgw/illgw/internal/sim"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

// kioskILLFixture is a broker over the simulated members with their SIP2
// ACSes and NCIP responders, terminals kiosk1 at NORTH and kiosk-s at SOUTH,
// and the Circulation and Loans clients a kiosk adapter and illctl use.
type kioskILLFixture struct {
	b            *Broker
	logs         *lockedBuffer
	circ         illgwv1.CirculationClient
	loans        illgwv1.LoansClient
	cons         *sim.Consortium
	north, south *illgwv1.Terminal
}

func newKioskILLFixture(t *testing.T) *kioskILLFixture {
	t.Helper()
	ctx := context.Background()
	cons, err := sim.Start(ctx, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cons.Close() })
	st, err := state.Open(ctx, state.Options{Path: filepath.Join(t.TempDir(), "illgw.db"), NoSnapshotSocket: true})
	if err != nil {
		t.Fatal(err)
	}
	var cfgs []member.Config
	var members []Member
	for _, m := range cons.Members {
		cfgs = append(cfgs, member.Config{Code: m.Code, NCIP: &member.NCIPConfig{URL: m.NCIPURL, Agency: m.Code},
			SIP2:    &member.SIP2Config{Addr: m.SIP2Addr, Login: "gw", Password: "gwpass", Institution: m.Code},
			Lending: member.Lending{Lends: true, Borrows: true, InstitutionalPatron: sim.InstitutionalPatron(m.Code)}})
		members = append(members, Member{Code: m.Code, Name: m.Code + " Library", Patrons: PatronsSIP2, Lends: true, Borrows: true})
	}
	reg, err := member.New(member.Options{Logger: quiet, Members: cfgs})
	if err != nil {
		t.Fatal(err)
	}
	hash, _ := bcrypt.GenerateFromPassword([]byte("kiosk1pass"), bcrypt.MinCost)
	logs := &lockedBuffer{}
	b := New(Options{Store: st, Logger: slog.New(slog.NewTextHandler(logs, nil)), Members: members, Registry: reg,
		Terminals: []Terminal{{Login: "kiosk1", PasswordHash: string(hash), Member: "NORTH"}, {Login: "kiosk-s", PasswordHash: string(hash), Member: "SOUTH"}},
		Loans: LoanOptions{Catalog: HoldingsFrom(simCatalog{}, "SOUTH", "EAST"),
			Tune: func(o *loan.Options) { o.WatchPoll = 20 * time.Millisecond; o.CallBackoff = 10 * time.Millisecond }}})
	srv := grpc.NewServer()
	b.Register(srv)
	ln := bufconn.Listen(1 << 20)
	go srv.Serve(ln)
	conn, err := grpc.NewClient("passthrough:///bufconn",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return ln.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		srv.Stop()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		b.Loans().Close(ctx)
		reg.Close()
		st.Close()
	})
	f := &kioskILLFixture{b: b, logs: logs, circ: illgwv1.NewCirculationClient(conn), loans: illgwv1.NewLoansClient(conn), cons: cons}
	for _, x := range []struct {
		login string
		term  **illgwv1.Terminal
	}{{"kiosk1", &f.north}, {"kiosk-s", &f.south}} {
		resp, err := f.circ.Login(ctxT(t), &illgwv1.LoginRequest{Login: x.login, Password: "kiosk1pass", RemoteAddr: "127.0.0.1:5000"})
		if err != nil || !resp.GetOk() {
			t.Fatalf("login %s: %v %v", x.login, resp, err)
		}
		*x.term = resp.GetTerminal()
	}
	return f
}

// shippedLoan creates a loan for N0001 at NORTH and has its lender (EAST,
// the first of simCatalog's rota) ship it.
func (f *kioskILLFixture) shippedLoan(t *testing.T) *illgwv1.Loan {
	t.Helper()
	l, err := f.loans.Create(ctxT(t), &illgwv1.CreateLoanRequest{Requester: "NORTH", PatronId: sim.GoodPatron("NORTH"),
		Bib:   &illgwv1.Bib{Title: "Some title", Isbn: "0839108826"},
		Actor: &illgwv1.Actor{Kind: illgwv1.Actor_KIND_PARTNER, Id: "PARTNER1", Member: "NORTH"}})
	if err != nil {
		t.Fatal(err)
	}
	lender := l.CurrentSupplier
	act(t, f.loans, l.Id, illgwv1.LoanAction_LOAN_ACTION_WILL_SUPPLY, illgwv1.Actor_KIND_MEMBER, lender, lender)
	return act(t, f.loans, l.Id, illgwv1.LoanAction_LOAN_ACTION_SHIP, illgwv1.Actor_KIND_MEMBER, lender, lender)
}

// refusedWith asserts that err is the screen message a kiosk shows (the
// SIP2 adapter turns PermissionDenied into the AF field) and contains want.
func refusedWith(t *testing.T, what string, err error, want string) {
	t.Helper()
	st, _ := status.FromError(err)
	if err == nil || st.Code() != codes.PermissionDenied || !strings.Contains(st.Message(), want) {
		t.Fatalf("%s: %v, want a refusal saying %q", what, err, want)
	}
}

func (f *kioskILLFixture) loan(t *testing.T, id string) *illgwv1.Loan {
	t.Helper()
	l, err := f.loans.Get(ctxT(t), &illgwv1.GetLoanRequest{Id: id})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// countKind counts the loan's events of a kind, checking their actor.
func countKind(t *testing.T, l *illgwv1.Loan, kind, actor string) int {
	t.Helper()
	n := 0
	for _, e := range l.Events {
		if e.Kind == kind {
			n++
			if got := e.Actor.GetId() + "@" + e.Actor.GetMember(); actor != "" && (e.Actor.GetKind() != illgwv1.Actor_KIND_TERMINAL || got != actor) {
				t.Errorf("%s event by %v %s, want terminal %s", kind, e.Actor.GetKind(), got, actor)
			}
		}
	}
	return n
}

// TestKioskILLSteps drives the kiosk steps of an interlibrary loan (issue 8
// point 5) through the Circulation service against NORTH's simulated ILS:
// refusals before receipt, elsewhere and for another patron; item
// information with the lender's due date; checkout and its retry; renewal
// as a request to the lender; checkin.
func TestKioskILLSteps(t *testing.T) {
	f := newKioskILLFixture(t)
	ctx := ctxT(t)
	l := f.shippedLoan(t)
	id, barcode, patron := l.Id, l.TemporaryItemId, sim.GoodPatron("NORTH")
	if barcode != "ILL"+id {
		t.Fatalf("temporary item %q", barcode)
	}
	lender := f.cons.Member(l.CurrentSupplier)
	north := f.cons.Member("NORTH")

	checkout := func(term *illgwv1.Terminal, patron, item string) (*illgwv1.CheckoutResponse, error) {
		return f.circ.Checkout(ctx, &illgwv1.CheckoutRequest{Terminal: term, PatronId: patron, Pin: "1234", ItemId: item})
	}
	_, err := checkout(f.north, patron, barcode)
	refusedWith(t, "checkout before NORTH received it", err, "not ready")

	act(t, f.loans, id, illgwv1.LoanAction_LOAN_ACTION_RECEIVE, illgwv1.Actor_KIND_MEMBER, "NORTH", "NORTH")
	if _, ok := north.Item(barcode); !ok {
		t.Fatalf("NORTH's ILS has no item %s after receipt", barcode)
	}
	due := f.loan(t, id).DueDate.AsTime()

	info, err := f.circ.ItemInformation(ctx, &illgwv1.ItemInformationRequest{Terminal: f.north, ItemId: barcode})
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Item.GetDueDate(); got == nil || !got.AsTime().Equal(due) || info.Item.GetLoanId() != id {
		t.Fatalf("item information: due %v loan %q, want the lender's due %v and loan %s", got, info.Item.GetLoanId(), due, id)
	}

	_, err = checkout(f.south, sim.GoodPatron("SOUTH"), barcode)
	refusedWith(t, "checkout at SOUTH", err, "another library")
	_, err = checkout(f.north, sim.FinedPatron("NORTH"), barcode)
	refusedWith(t, "checkout by another patron", err, "another patron")
	_, err = checkout(f.north, patron, "ILL"+strings.Repeat("Z", 8))
	refusedWith(t, "checkout of an unknown loan", err, "not known")
	if l := f.loan(t, id); l.State != illgwv1.LoanState_LOAN_STATE_RECEIVED {
		t.Fatalf("after refusals the loan is %v", l.State)
	}

	for try := range 2 { // the second is a kiosk's retry
		out, err := checkout(f.north, patron, barcode)
		if err != nil || !out.Ok {
			t.Fatalf("checkout try %d: %v %v", try, out, err)
		}
		if !out.Item.GetDueDate().AsTime().Equal(due) || out.Item.GetDueDateText() != "" {
			t.Errorf("checkout due %v (text %q), want the lender's %v", out.Item.GetDueDate().AsTime(), out.Item.GetDueDateText(), due)
		}
	}
	if it, _ := north.Item(barcode); it.ChargedTo != patron {
		t.Fatalf("NORTH's ILS charged %s to %q", barcode, it.ChargedTo)
	}
	l = f.loan(t, id)
	if l.State != illgwv1.LoanState_LOAN_STATE_CHECKED_OUT || countKind(t, l, "checked-out", "kiosk1@NORTH") != 1 {
		t.Fatalf("after checkout: %v, %d checked-out events", l.State, countKind(t, l, "checked-out", ""))
	}
	if n := north.Calls("CheckOutItem", barcode); n != 0 {
		t.Errorf("the gateway repeated the kiosk's checkout over NCIP %d times", n)
	}

	rn, err := f.circ.Renew(ctx, &illgwv1.RenewRequest{Terminal: f.north, PatronId: patron, Pin: "1234", ItemId: barcode})
	if err != nil || rn.Reply == nil || len(rn.Reply.ScreenMessages) == 0 {
		t.Fatalf("renew: %v %v", rn, err)
	}
	l = f.loan(t, id)
	if countKind(t, l, "renew-requested", "kiosk1@NORTH") != 1 || lender.Calls("RenewItem", l.Rota[0].GetItemId()) != 1 {
		t.Fatalf("renewal: %v, RenewItem at %s %d times; events %v", l.State, lender.Code, lender.Calls("RenewItem", l.Rota[0].GetItemId()), l.Events)
	}
	// The simulated lender grants at once, so the kiosk sees the new date.
	if !rn.Ok || l.State != illgwv1.LoanState_LOAN_STATE_CHECKED_OUT || !l.DueDate.AsTime().After(due) || !rn.Item.GetDueDate().AsTime().Equal(l.DueDate.AsTime()) {
		t.Fatalf("renew answered ok=%v due %v %s; loan %v due %v (was %v)", rn.Ok, rn.Item.GetDueDate().AsTime(), rn.Reply.ScreenMessages, l.State, l.DueDate.AsTime(), due)
	}

	in, err := f.circ.Checkin(ctx, &illgwv1.CheckinRequest{Terminal: f.north, ItemId: barcode})
	if err != nil || !in.Ok {
		t.Fatalf("checkin: %v %v", in, err)
	}
	l = f.loan(t, id)
	if l.State != illgwv1.LoanState_LOAN_STATE_CHECKED_IN || countKind(t, l, "checked-in", "kiosk1@NORTH") != 1 {
		t.Fatalf("after checkin: %v", l.State)
	}
	if n := north.Calls("CheckInItem", barcode); n != 0 {
		t.Errorf("the gateway repeated the kiosk's checkin over NCIP %d times", n)
	}
	_, err = f.circ.Renew(ctx, &illgwv1.RenewRequest{Terminal: f.north, PatronId: patron, Pin: "1234", ItemId: barcode})
	refusedWith(t, "renewal after checkin", err, "cannot be renewed")
	if logs := f.logs.String(); strings.Contains(logs, patron) || strings.Contains(logs, sim.FinedPatron("NORTH")) {
		t.Errorf("the log names a patron:\n%s", logs)
	}
}

// TestKioskOrdinaryItemUntouched checks that an ordinary barcode and an
// ILL-looking one of the wrong shape go to the ILS as before.
func TestKioskOrdinaryItemUntouched(t *testing.T) {
	f := newKioskILLFixture(t)
	out, err := f.circ.Checkout(ctxT(t), &illgwv1.CheckoutRequest{Terminal: f.north, PatronId: sim.GoodPatron("NORTH"), Pin: "1234", ItemId: sim.ItemID("NORTH", 1)})
	if err != nil || !out.Ok || out.Item.GetLoanId() != "" {
		t.Fatalf("ordinary checkout: %v %v", out, err)
	}
	info, err := f.circ.ItemInformation(ctxT(t), &illgwv1.ItemInformationRequest{Terminal: f.north, ItemId: "ILLNOPE"})
	if err != nil || info.Item.GetLoanId() != "" {
		t.Fatalf("item information of ILLNOPE: %v %v", info, err)
	}
}

// lockedBuffer collects a logger's output for a test to read while the
// broker's goroutines may still write.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestKioskILLDisagreement is the case the checkout gate cannot rule out:
// the ILS charged the item, and by then the loan cannot move (staff marked
// it lost, say, between the gate and the ILS's answer). The kiosk's answer
// stays the ILS's (the patron has the item) with a message for staff, the
// loan keeps its state but shows the problem (illctl loans show's PROBLEM)
// with the terminal as actor, and an ERROR names the loan and the terminal
// but not the patron. A kiosk's retry flags it once; the problem clears
// when staff record the steps (illctl loans act -from-ils ... receive, then
// check-out as the terminal).
func TestKioskILLDisagreement(t *testing.T) {
	f := newKioskILLFixture(t)
	ctx := ctxT(t)
	l := f.shippedLoan(t) // shipped: checked-out is not allowed
	c := &circulation{b: f.b}
	r, err := c.route(f.north)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := f.b.Loans().Get(ctx, l.Id)
	if err != nil {
		t.Fatal(err)
	}
	lr := &illLoan{c: c, r: r, id: l.Id, rec: rec}
	out := &illgwv1.CheckoutResponse{Ok: true, Item: &illgwv1.Item{ItemId: l.TemporaryItemId}}
	lr.checkedOut(ctx, out)
	if !out.Ok || out.Reply == nil || !slices.Contains(out.Reply.ScreenMessages, illRecordFailed) {
		t.Fatalf("answer %v, want ok with %q", out, illRecordFailed)
	}
	got := f.loan(t, l.Id)
	if got.State != illgwv1.LoanState_LOAN_STATE_SHIPPED || got.Version != l.Version+1 {
		t.Fatalf("loan at %v version %d, want shipped at %d (flagged once)", got.State, got.Version, l.Version+1)
	}
	for _, want := range []string{"flagged by terminal:kiosk1@NORTH:", "checked out item " + l.TemporaryItemId,
		"-as terminal:kiosk1@NORTH -from-ils " + l.Id + " check-out"} {
		if !strings.Contains(got.Problem, want) {
			t.Errorf("problem %q does not say %q", got.Problem, want)
		}
	}
	if strings.Contains(got.Problem, sim.GoodPatron("NORTH")) {
		t.Errorf("the problem names the patron: %q", got.Problem)
	}
	// A flag has no call to retry: staff are offered skip-call, not retry-calls.
	if !slices.Contains(got.AllowedActions, illgwv1.LoanAction_LOAN_ACTION_SKIP_CALL) ||
		slices.Contains(got.AllowedActions, illgwv1.LoanAction_LOAN_ACTION_RETRY_CALLS) {
		t.Errorf("flagged loan offers %v, want skip-call and no retry-calls", got.AllowedActions)
	}
	if n := countKind(t, got, loan.KindFlagged, "kiosk1@NORTH"); n != 1 {
		t.Errorf("%d flagged events by kiosk1, want 1", n)
	}
	// The kiosk retries the checkout; the ILS says ok again: one flag.
	lr.checkedOut(ctx, &illgwv1.CheckoutResponse{Ok: true, Item: &illgwv1.Item{ItemId: l.TemporaryItemId}})
	if again := f.loan(t, l.Id); again.Version != got.Version || again.Problem != got.Problem {
		t.Errorf("retried checkout: version %d problem %q, want %d %q", again.Version, again.Problem, got.Version, got.Problem)
	}
	logs := f.logs.String()
	var line string
	for _, ln := range strings.Split(logs, "\n") {
		if strings.Contains(ln, "level=ERROR") && strings.Contains(ln, "loan="+l.Id) {
			line = ln
		}
	}
	if line == "" || !strings.Contains(line, "terminal=kiosk1") {
		t.Fatalf("no ERROR naming the loan and terminal in:\n%s", logs)
	}
	if strings.Contains(logs, sim.GoodPatron("NORTH")) {
		t.Errorf("the log names the patron:\n%s", logs)
	}
	// Staff record what happened: NORTH received the item (its ILS has it),
	// then the kiosk's checkout, as the problem says. The ILS is not asked
	// again (from the ILS), and the problem is gone once the loan moves.
	staff := func(a illgwv1.LoanAction, actor *illgwv1.Actor) *illgwv1.Loan {
		t.Helper()
		out, err := f.loans.Act(ctx, &illgwv1.ActRequest{Id: l.Id, Action: a, Actor: actor, FromIls: true})
		if err != nil {
			t.Fatalf("%v: %v", a, err)
		}
		return out
	}
	recv := staff(illgwv1.LoanAction_LOAN_ACTION_RECEIVE, &illgwv1.Actor{Kind: illgwv1.Actor_KIND_MEMBER, Id: "NORTH", Member: "NORTH"})
	if recv.State != illgwv1.LoanState_LOAN_STATE_RECEIVED || recv.Problem != "" {
		t.Fatalf("after receive: %v problem %q", recv.State, recv.Problem)
	}
	if n := countKind(t, recv, loan.KindFlagCleared, ""); n != 1 {
		t.Errorf("%d flag.cleared events, want 1", n)
	}
	out2 := staff(illgwv1.LoanAction_LOAN_ACTION_CHECK_OUT, &illgwv1.Actor{Kind: illgwv1.Actor_KIND_TERMINAL, Id: "kiosk1", Member: "NORTH"})
	if out2.State != illgwv1.LoanState_LOAN_STATE_CHECKED_OUT || out2.Problem != "" {
		t.Fatalf("after check-out: %v problem %q", out2.State, out2.Problem)
	}
}

// TestKioskILLCheckinDisagreement: the ILS takes an ILL item back at a
// kiosk after staff marked the loan lost (between the kiosk's lookup and
// the ILS's answer). The loan stays lost and shows the problem, naming the
// step staff record to put it right (return), with the terminal as actor.
func TestKioskILLCheckinDisagreement(t *testing.T) {
	f := newKioskILLFixture(t)
	ctx := ctxT(t)
	l := f.shippedLoan(t)
	for _, a := range []struct {
		action illgwv1.LoanAction
		actor  *illgwv1.Actor
	}{
		{illgwv1.LoanAction_LOAN_ACTION_RECEIVE, &illgwv1.Actor{Kind: illgwv1.Actor_KIND_MEMBER, Id: "NORTH", Member: "NORTH"}},
		{illgwv1.LoanAction_LOAN_ACTION_CHECK_OUT, &illgwv1.Actor{Kind: illgwv1.Actor_KIND_TERMINAL, Id: "kiosk1", Member: "NORTH"}},
	} {
		if _, err := f.loans.Act(ctx, &illgwv1.ActRequest{Id: l.Id, Action: a.action, Actor: a.actor, FromIls: true}); err != nil {
			t.Fatalf("%v: %v", a.action, err)
		}
	}
	c := &circulation{b: f.b}
	r, err := c.route(f.north)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := f.b.Loans().Get(ctx, l.Id) // what the kiosk's lookup saw: checked out
	if err != nil {
		t.Fatal(err)
	}
	lost, err := f.loans.Act(ctx, &illgwv1.ActRequest{Id: l.Id, Action: illgwv1.LoanAction_LOAN_ACTION_MARK_LOST,
		Actor: &illgwv1.Actor{Kind: illgwv1.Actor_KIND_MEMBER, Id: "NORTH", Member: "NORTH"}, FromIls: true})
	if err != nil || lost.Problem != "" {
		t.Fatalf("mark lost: %v %q", err, lost.GetProblem())
	}
	lr := &illLoan{c: c, r: r, id: l.Id, rec: rec}
	lr.checkedIn(ctx, &illgwv1.CheckinResponse{Ok: true, Item: &illgwv1.Item{ItemId: l.TemporaryItemId}})
	got := f.loan(t, l.Id)
	if got.State != illgwv1.LoanState_LOAN_STATE_LOST {
		t.Fatalf("loan at %v, want lost", got.State)
	}
	if !strings.Contains(got.Problem, "flagged by terminal:kiosk1@NORTH:") {
		t.Errorf("problem %q, want the kiosk's flag", got.Problem)
	}
	if n := countKind(t, got, loan.KindFlagged, "kiosk1@NORTH"); n != 1 {
		t.Fatalf("%d flagged events by kiosk1, want 1", n)
	}
	for _, e := range got.Events {
		if e.Kind == loan.KindFlagged && !strings.Contains(e.Message, "-from-ils "+l.Id+" return") {
			t.Errorf("flag %q does not name the return step", e.Message)
		}
	}
}
