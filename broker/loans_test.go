package broker

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/illgw/illgw/broker/ill"
	"github.com/illgw/illgw/broker/loan"
	"github.com/illgw/illgw/broker/member"
	"github.com/illgw/illgw/broker/state"
	"github.com/illgw/illgw/internal/sim"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

// simCatalog answers every search with one copy at SOUTH and one at EAST of
// the simulated members, as the federated catalogue would.
type simCatalog struct{}

func (simCatalog) Search(_ context.Context, req *illgwv1.SearchRequest, _ ...grpc.CallOption) (*illgwv1.SearchResponse, error) {
	var hs []*illgwv1.Holding
	for _, m := range []string{"SOUTH", "EAST", "NORTH"} {
		hs = append(hs, &illgwv1.Holding{Member: m, ItemId: sim.ItemID(m, 2), Availability: illgwv1.Holding_AVAILABILITY_AVAILABLE})
	}
	return &illgwv1.SearchResponse{HitCount: 1, Records: []*illgwv1.Record{{Position: 1, Holdings: hs}}}, nil
}

// loansFixture is a broker with a member registry over the simulated
// members, served on an in-memory gRPC connection.
func loansFixture(t *testing.T) (illgwv1.LoansClient, *sim.Consortium) {
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
			Lending: member.Lending{Lends: true, Borrows: true, InstitutionalPatron: sim.InstitutionalPatron(m.Code)}})
		members = append(members, Member{Code: m.Code, Lends: true, Borrows: true, Protocols: []illgwv1.Protocol{illgwv1.Protocol_PROTOCOL_NCIP}})
	}
	reg, err := member.New(member.Options{Members: cfgs})
	if err != nil {
		t.Fatal(err)
	}
	b := New(Options{Store: st, Members: members, Registry: reg,
		Loans: LoanOptions{Catalog: HoldingsFrom(simCatalog{}, "SOUTH", "EAST"),
			Tune: func(o *loan.Options) { o.WatchPoll = 20 * time.Millisecond; o.CallBackoff = 10 * time.Millisecond }}})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		b.Loans().Close(ctx)
		reg.Close()
		st.Close()
	})
	return illgwv1.NewLoansClient(serveBroker(t, b)), cons
}

func act(t *testing.T, c illgwv1.LoansClient, id string, a illgwv1.LoanAction, kind illgwv1.Actor_Kind, who, member string) *illgwv1.Loan {
	t.Helper()
	l, err := c.Act(ctxT(t), &illgwv1.ActRequest{Id: id, Action: a, Actor: &illgwv1.Actor{Kind: kind, Id: who, Member: member}})
	if err != nil {
		t.Fatalf("%v: %v", a, err)
	}
	if l.Problem != "" {
		t.Fatalf("%v: %s", a, l.Problem)
	}
	return l
}

// TestLoansOverGRPC runs a whole loan through the Loans service against
// the simulated members, watching its events as they are written, and
// counts what each member's ILS saw (issue 8 points 2, 3 and 8).
func TestLoansOverGRPC(t *testing.T) {
	c, cons := loansFixture(t)
	ctx := ctxT(t)
	// From the beginning of the feeds, which are this test's own: a watch
	// from their head would miss the first events if the server read the
	// head after Create wrote them, and nothing tells the client when the
	// head has been read.
	watch, err := c.Watch(ctx, &illgwv1.WatchRequest{Requester: "NORTH", FromBeginning: true})
	if err != nil {
		t.Fatal(err)
	}

	l, err := c.Create(ctx, &illgwv1.CreateLoanRequest{Requester: "NORTH", PatronId: sim.GoodPatron("NORTH"),
		Bib: &illgwv1.Bib{Title: "Some title", Isbn: "0839108826"}, ExternalRequestId: "P1-77",
		Actor: &illgwv1.Actor{Kind: illgwv1.Actor_KIND_PARTNER, Id: "PARTNER1", Member: "NORTH"}})
	if err != nil {
		t.Fatal(err)
	}
	if l.State != illgwv1.LoanState_LOAN_STATE_SENT || l.CurrentSupplier != "EAST" || len(l.Rota) != 2 || l.Rota[0].Deadline == nil {
		t.Fatalf("created: %v supplier %s rota %v", l.State, l.CurrentSupplier, l.Rota)
	}
	if l.Rota[0].RequestId != l.Id {
		t.Errorf("EAST's request id %q, want the loan id %s", l.Rota[0].RequestId, l.Id)
	}
	id := l.Id
	east, north := cons.Member("EAST"), cons.Member("NORTH")
	act(t, c, id, illgwv1.LoanAction_LOAN_ACTION_WILL_SUPPLY, illgwv1.Actor_KIND_MEMBER, "EAST", "EAST")
	l = act(t, c, id, illgwv1.LoanAction_LOAN_ACTION_SHIP, illgwv1.Actor_KIND_MEMBER, "EAST", "EAST")
	if l.DueDate == nil {
		t.Fatal("no due date after shipping")
	}
	if it, _ := east.Item(sim.ItemID("EAST", 2)); it.ChargedTo != sim.InstitutionalPatron("NORTH") {
		t.Fatalf("EAST's copy is charged to %q", it.ChargedTo)
	}
	act(t, c, id, illgwv1.LoanAction_LOAN_ACTION_RECEIVE, illgwv1.Actor_KIND_MEMBER, "NORTH", "NORTH")
	if _, ok := north.Item("ILL" + id); !ok {
		t.Fatal("no temporary item at NORTH after receiving")
	}
	// The kiosk's checkout and checkin went to NORTH's ILS itself.
	act(t, c, id, illgwv1.LoanAction_LOAN_ACTION_CHECK_OUT, illgwv1.Actor_KIND_TERMINAL, "kiosk1", "NORTH")
	act(t, c, id, illgwv1.LoanAction_LOAN_ACTION_RETURN, illgwv1.Actor_KIND_TERMINAL, "kiosk1", "NORTH")
	act(t, c, id, illgwv1.LoanAction_LOAN_ACTION_SHIP_BACK, illgwv1.Actor_KIND_MEMBER, "NORTH", "NORTH")
	l = act(t, c, id, illgwv1.LoanAction_LOAN_ACTION_CHECK_IN, illgwv1.Actor_KIND_MEMBER, "EAST", "EAST")
	if l.State != illgwv1.LoanState_LOAN_STATE_COMPLETED || l.FinishedAt == nil || len(l.AllowedActions) != 1 {
		t.Fatalf("final %v finished %v allowed %v", l.State, l.FinishedAt, l.AllowedActions)
	}
	for _, k := range []struct {
		m       *sim.Member
		service string
		id      string
	}{
		{east, "RequestItem", id}, {east, "CheckOutItem", sim.ItemID("EAST", 2)}, {north, "AcceptItem", id},
		{north, "DeleteItem", "ILL" + id}, {east, "CheckInItem", sim.ItemID("EAST", 2)},
	} {
		if n := k.m.Calls(k.service, k.id); n != 1 || k.m.Effects(k.service, k.id) != 1 {
			t.Errorf("%s %s %s: %d calls, %d effects", k.m.Code, k.service, k.id, n, k.m.Effects(k.service, k.id))
		}
	}
	if n := north.Calls("CheckOutItem", "ILL"+id) + north.Calls("CheckInItem", "ILL"+id); n != 0 {
		t.Errorf("the gateway repeated the kiosk's checkout or checkin at NORTH: %d calls", n)
	}

	var seen []string
	for {
		ev, err := watch.Recv()
		if err != nil {
			t.Fatalf("watch after %v: %v", seen, err)
		}
		if ev.LoanId != id || ev.Cursor == "" || ev.Actor == nil {
			t.Fatalf("watched %v", ev)
		}
		seen = append(seen, ev.Kind)
		if ev.Kind == "lender-checked-in" {
			if ev.Actor.Id != "EAST" || ev.Action != illgwv1.LoanAction_LOAN_ACTION_CHECK_IN {
				t.Errorf("last event %v", ev)
			}
			break
		}
	}
	if !strings.HasPrefix(strings.Join(seen, " "), "created call.ok patron-valid call.ok rota-built call.ok lender-will-supply shipped") {
		t.Errorf("watched %v", seen)
	}

	// Get shows the history and the rota; List filters by supplier.
	got, err := c.Get(ctx, &illgwv1.GetLoanRequest{Id: id})
	if err != nil || len(got.Events) < len(seen) || got.Rota[0].State != illgwv1.SupplierState_SUPPLIER_STATE_COMPLETED {
		t.Fatalf("get: %v events, rota %v, %v", len(got.GetEvents()), got.GetRota(), err)
	}
	list, err := c.List(ctx, &illgwv1.ListLoansRequest{Supplier: "EAST", States: []illgwv1.LoanState{illgwv1.LoanState_LOAN_STATE_COMPLETED}})
	if err != nil || len(list.Loans) != 1 || list.Loans[0].Id != id {
		t.Fatalf("list: %v %v", list, err)
	}
	// A retried Create with the partner's request id returns the same loan.
	again, err := c.Create(ctx, &illgwv1.CreateLoanRequest{Requester: "NORTH", PatronId: sim.GoodPatron("NORTH"),
		Bib: &illgwv1.Bib{Isbn: "0839108826"}, ExternalRequestId: "P1-77"})
	if err != nil || again.Id != id {
		t.Fatalf("retried create: %v %v", again.GetId(), err)
	}
}

// TestLoansActRefusals: actions the lifecycle refuses come back as gRPC
// errors a client can act on.
func TestLoansActRefusals(t *testing.T) {
	c, _ := loansFixture(t)
	ctx := ctxT(t)
	l, err := c.Create(ctx, &illgwv1.CreateLoanRequest{Requester: "NORTH", PatronId: sim.GoodPatron("NORTH"), Bib: &illgwv1.Bib{Isbn: "0839108826"}})
	if err != nil {
		t.Fatal(err)
	}
	member := func(code string) *illgwv1.Actor {
		return &illgwv1.Actor{Kind: illgwv1.Actor_KIND_MEMBER, Id: code, Member: code}
	}
	for _, tc := range []struct {
		name string
		req  *illgwv1.ActRequest
		code codes.Code
		msg  string
	}{
		{"not allowed", &illgwv1.ActRequest{Id: l.Id, Action: illgwv1.LoanAction_LOAN_ACTION_CHECK_IN, Actor: member("EAST")}, codes.FailedPrecondition, "not allowed"},
		{"wrong lender", &illgwv1.ActRequest{Id: l.Id, Action: illgwv1.LoanAction_LOAN_ACTION_SHIP, Actor: member("SOUTH")}, codes.PermissionDenied, "SOUTH"},
		{"system only", &illgwv1.ActRequest{Id: l.Id, Action: illgwv1.LoanAction_LOAN_ACTION_SHIP, Actor: &illgwv1.Actor{Kind: illgwv1.Actor_KIND_TERMINAL, Id: "k", Member: "EAST"}}, codes.PermissionDenied, "terminal"},
		{"stale version", &illgwv1.ActRequest{Id: l.Id, Action: illgwv1.LoanAction_LOAN_ACTION_SHIP, Actor: member("EAST"), ExpectedVersion: 1}, codes.FailedPrecondition, "version"},
		{"no action", &illgwv1.ActRequest{Id: l.Id, Actor: member("EAST")}, codes.InvalidArgument, "action"},
		{"no failed call", &illgwv1.ActRequest{Id: l.Id, Action: illgwv1.LoanAction_LOAN_ACTION_RETRY_CALLS}, codes.InvalidArgument, "failed"},
		{"unknown loan", &illgwv1.ActRequest{Id: "22222222", Action: illgwv1.LoanAction_LOAN_ACTION_CANCEL}, codes.NotFound, "22222222"},
		{"long reason", &illgwv1.ActRequest{Id: l.Id, Action: illgwv1.LoanAction_LOAN_ACTION_CANCEL, Reason: strings.Repeat("x", ill.MaxReasonLen+1)}, codes.InvalidArgument, "reason"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Act(ctx, tc.req)
			if s, _ := status.FromError(err); s.Code() != tc.code || !strings.Contains(s.Message(), tc.msg) {
				t.Fatalf("got %v, want %v mentioning %q", err, tc.code, tc.msg)
			}
		})
	}
	// A server stream's error comes with its first Recv.
	w, _ := c.Watch(ctx, &illgwv1.WatchRequest{Cursor: "nonsense"})
	if _, err := w.Recv(); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("bad cursor: %v", err)
	}
}

// TestLoanRotaFromCatalogue builds the rota from the broker's own federated
// catalogue over the simulated members' Z39.50 servers: ISBN 0839108826 is
// held by at least two members, and NORTH, the requester, is never asked.
func TestLoanRotaFromCatalogue(t *testing.T) {
	ctx := ctxT(t)
	cons, err := sim.Start(ctx, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	st, err := state.Open(ctx, state.Options{Path: filepath.Join(t.TempDir(), "illgw.db"), NoSnapshotSocket: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var cfgs []member.Config
	var members []Member
	for _, m := range cons.Members {
		cfgs = append(cfgs, member.Config{Code: m.Code, NCIP: &member.NCIPConfig{URL: m.NCIPURL, Agency: m.Code},
			Catalog: &member.CatalogConfig{Z3950: m.Z3950Addr + "/" + m.Code},
			Lending: member.Lending{Lends: true, Borrows: true, InstitutionalPatron: sim.InstitutionalPatron(m.Code)}})
		members = append(members, Member{Code: m.Code, Lends: true, Borrows: true})
	}
	reg, err := member.New(member.Options{Members: cfgs})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	b := New(Options{Store: st, Members: members, Registry: reg})
	defer b.Loans().Close(ctx)
	r, err := b.Loans().Create(ctx, loan.CreateRequest{Requester: "NORTH", Patron: sim.GoodPatron("NORTH"),
		Bib: loan.Bib{ISBN: "0839108826"}, Actor: loan.Actor{Kind: ill.ActorOperator, ID: "t"}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Loan.State != ill.Sent || len(r.Loan.Rota) < 1 || r.Loan.Lender == "NORTH" || r.Problem() != "" {
		t.Fatalf("state %s lender %s rota %+v problem %q", r.Loan.State, r.Loan.Lender, r.Loan.Rota, r.Problem())
	}
	for _, l := range r.Loan.Rota {
		if l.Member == "NORTH" {
			t.Errorf("the requester is on its own rota: %+v", r.Loan.Rota)
		}
	}
	if n := cons.Member(r.Loan.Lender).Calls("RequestItem", r.Loan.ID); n != 1 {
		t.Errorf("RequestItem at %s: %d calls", r.Loan.Lender, n)
	}
}
