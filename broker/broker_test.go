package broker

import (
	"context"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"github.com/illgw/illgw/broker/state"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

var testMembers = []Member{
	{Code: "NORTH", Name: "North City Library", Protocols: []illgwv1.Protocol{illgwv1.Protocol_PROTOCOL_Z3950, illgwv1.Protocol_PROTOCOL_NCIP, illgwv1.Protocol_PROTOCOL_SIP2}, Lends: true, Borrows: true},
	{Code: "SOUTH", Name: "South County Library", Protocols: []illgwv1.Protocol{illgwv1.Protocol_PROTOCOL_SRU, illgwv1.Protocol_PROTOCOL_NCIP}, Lends: true, Borrows: true},
	{Code: "LOC", Name: "National Library", Protocols: []illgwv1.Protocol{illgwv1.Protocol_PROTOCOL_Z3950}},
}

type fixture struct {
	store   state.Store
	conn    *grpc.ClientConn
	loans   illgwv1.LoansClient
	members illgwv1.MembersClient
}

// serveBroker serves b's services on an in-memory listener and returns a
// client connection to them; both stop when the test ends, before the
// cleanups registered earlier run.
func serveBroker(t *testing.T, b *Broker) *grpc.ClientConn {
	t.Helper()
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
	})
	return conn
}

// newFixture serves a Broker over an in-memory gRPC connection backed by a
// real embedded store in a temporary folder.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := state.Open(ctx, state.Options{Driver: "embedded", Path: filepath.Join(t.TempDir(), "illgw.db")})
	if err != nil {
		t.Fatal(err)
	}
	b := New(Options{
		Store:       st,
		StoreDriver: "embedded",
		Members:     testMembers,
		Databases:   map[string][]string{"consortium": {"NORTH", "SOUTH"}, "all": {"NORTH", "SOUTH", "LOC"}},
	})
	t.Cleanup(func() { st.Close() })
	conn := serveBroker(t, b)
	return &fixture{store: st, conn: conn, loans: illgwv1.NewLoansClient(conn), members: illgwv1.NewMembersClient(conn)}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func wantCode(t *testing.T, err error, c codes.Code, contains string) {
	t.Helper()
	s, _ := status.FromError(err)
	if s.Code() != c {
		t.Fatalf("got %v (%v), want code %v", s.Code(), err, c)
	}
	if !strings.Contains(s.Message(), contains) {
		t.Fatalf("message %q does not mention %q", s.Message(), contains)
	}
}

func TestMembersList(t *testing.T) {
	f := newFixture(t)
	resp, err := f.members.List(ctxT(t), &illgwv1.ListMembersRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, m := range resp.Members {
		codes = append(codes, m.Code)
	}
	if !slices.Equal(codes, []string{"NORTH", "SOUTH", "LOC"}) {
		t.Fatalf("members %v", codes)
	}
	if resp.Members[0].Name != "North City Library" || !resp.Members[0].Lends || resp.Members[0].CatalogOnly {
		t.Errorf("NORTH = %v", resp.Members[0])
	}
	if !resp.Members[2].CatalogOnly || resp.Members[2].Borrows {
		t.Errorf("LOC should be catalogue only: %v", resp.Members[2])
	}
	if len(resp.Databases) != 2 || resp.Databases[0].Name != "all" || !slices.Equal(resp.Databases[1].Members, []string{"NORTH", "SOUTH"}) {
		t.Errorf("databases %v", resp.Databases)
	}
}

func TestMembersHealth(t *testing.T) {
	f := newFixture(t)
	ctx := ctxT(t)
	resp, err := f.members.Health(ctx, &illgwv1.HealthRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if !resp.Store.Ok || resp.Store.Driver != "embedded" || resp.Store.Error != "" {
		t.Fatalf("store health %v", resp.Store)
	}
	if len(resp.Members) != 3 || len(resp.Members[0].Protocols) != 3 {
		t.Fatalf("members %v", resp.Members)
	}
	if b := resp.Members[0].Protocols[0].Breaker; b != illgwv1.BreakerState_BREAKER_STATE_UNKNOWN {
		t.Errorf("breaker %v before member clients exist; want UNKNOWN", b)
	}
	one, err := f.members.Health(ctx, &illgwv1.HealthRequest{Members: []string{"SOUTH"}})
	if err != nil || len(one.Members) != 1 || one.Members[0].Code != "SOUTH" {
		t.Fatalf("filtered health %v, %v", one, err)
	}
	_, err = f.members.Health(ctx, &illgwv1.HealthRequest{Members: []string{"NOPE"}})
	wantCode(t, err, codes.NotFound, "NOPE")
	// A client's 100 KB member code is not echoed back whole.
	_, err = f.members.Health(ctx, &illgwv1.HealthRequest{Members: []string{strings.Repeat("N", 100<<10)}})
	wantCode(t, err, codes.NotFound, "no member")
	if st, _ := status.FromError(err); len(st.Message()) > 200 {
		t.Errorf("NotFound message of %d bytes echoes the member code", len(st.Message()))
	}

	f.store.Close()
	down, err := f.members.Health(ctx, &illgwv1.HealthRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if down.Store.Ok || down.Store.Error == "" {
		t.Fatalf("closed store reported healthy: %v", down.Store)
	}
}

func TestLoanCreateGet(t *testing.T) {
	f := newFixture(t)
	ctx := ctxT(t)
	created, err := f.loans.Create(ctx, &illgwv1.CreateLoanRequest{
		Requester: "NORTH",
		PatronId:  "N0001",
		Bib:       &illgwv1.Bib{Title: "Computer networks", Isbn: "0839108826"},
		Actor:     &illgwv1.Actor{Kind: illgwv1.Actor_KIND_PARTNER, Id: "PARTNER1", Member: "NORTH"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(created.Id) != IDLen || strings.Trim(created.Id, IDAlphabet) != "" {
		t.Errorf("id %q is not %d characters of %s", created.Id, IDLen, IDAlphabet)
	}
	if created.Version != 1 || created.State != illgwv1.LoanState_LOAN_STATE_NEW || created.TemporaryItemId != "ILL"+created.Id {
		t.Errorf("created %v", created)
	}
	if created.ServiceLevel != illgwv1.ServiceLevel_SERVICE_LEVEL_NORMAL {
		t.Errorf("service level %v, want NORMAL by default", created.ServiceLevel)
	}
	if len(created.Events) != 1 {
		t.Fatalf("events %v", created.Events)
	}
	ev := created.Events[0]
	if ev.Kind != "created" || ev.Actor.GetId() != "PARTNER1" || ev.Actor.GetKind() != illgwv1.Actor_KIND_PARTNER || ev.ToState != illgwv1.LoanState_LOAN_STATE_NEW || ev.Version != 1 || ev.Cursor == "" {
		t.Errorf("event %v", ev)
	}
	got, err := f.loans.Get(ctx, &illgwv1.GetLoanRequest{Id: created.Id})
	if err != nil {
		t.Fatal(err)
	}
	if got.Bib.GetIsbn() != "0839108826" || got.PatronId != "N0001" || got.Requester != "NORTH" || got.Version != 1 {
		t.Errorf("get %v", got)
	}
	// Without an actor the caller is an operator.
	anon, err := f.loans.Create(ctx, &illgwv1.CreateLoanRequest{Requester: "SOUTH", PatronId: "S0001", Bib: &illgwv1.Bib{Title: "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if a := anon.Events[0].Actor; a.GetKind() != illgwv1.Actor_KIND_OPERATOR || a.GetId() != "local" {
		t.Errorf("default actor %v", a)
	}
	if anon.Id == created.Id {
		t.Error("two loans got the same id")
	}
	_, err = f.loans.Get(ctx, &illgwv1.GetLoanRequest{Id: "NOSUCH23"})
	wantCode(t, err, codes.NotFound, "NOSUCH23")
}

func TestLoanCreateRefusesBadInput(t *testing.T) {
	f := newFixture(t)
	ctx := ctxT(t)
	bib := &illgwv1.Bib{Title: "t"}
	for _, tc := range []struct {
		name string
		req  *illgwv1.CreateLoanRequest
		code codes.Code
		msg  string
	}{
		{"no requester", &illgwv1.CreateLoanRequest{PatronId: "p", Bib: bib}, codes.InvalidArgument, "requester"},
		{"unknown requester", &illgwv1.CreateLoanRequest{Requester: "WEST", PatronId: "p", Bib: bib}, codes.InvalidArgument, "WEST"},
		{"catalogue-only member", &illgwv1.CreateLoanRequest{Requester: "LOC", PatronId: "p", Bib: bib}, codes.FailedPrecondition, "borrow"},
		{"no patron", &illgwv1.CreateLoanRequest{Requester: "NORTH", Bib: bib}, codes.InvalidArgument, "patron_id"},
		{"no bib", &illgwv1.CreateLoanRequest{Requester: "NORTH", PatronId: "p"}, codes.InvalidArgument, "bib"},
		{"empty bib", &illgwv1.CreateLoanRequest{Requester: "NORTH", PatronId: "p", Bib: &illgwv1.Bib{}}, codes.InvalidArgument, "bib"},
		{"long title", &illgwv1.CreateLoanRequest{Requester: "NORTH", PatronId: "p", Bib: &illgwv1.Bib{Title: strings.Repeat("x", maxTextLen+1)}}, codes.InvalidArgument, "bib.title"},
		{"huge record", &illgwv1.CreateLoanRequest{Requester: "NORTH", PatronId: "p", Bib: &illgwv1.Bib{Record: make([]byte, maxRecordLen+1)}}, codes.InvalidArgument, "bib.record"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.loans.Create(ctx, tc.req)
			wantCode(t, err, tc.code, tc.msg)
		})
	}
	list, err := f.loans.List(ctx, &illgwv1.ListLoansRequest{})
	if err != nil || len(list.Loans) != 0 {
		t.Fatalf("refused creates stored loans: %v %v", list, err)
	}
}

func TestLoanCreateIdempotentByExternalID(t *testing.T) {
	f := newFixture(t)
	ctx := ctxT(t)
	req := &illgwv1.CreateLoanRequest{Requester: "NORTH", PatronId: "N0001", Bib: &illgwv1.Bib{Title: "t"}, ExternalRequestId: "REQ 42/a"}
	a, err := f.loans.Create(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.loans.Create(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if a.Id != b.Id || b.Version != 1 || len(b.Events) != 1 {
		t.Fatalf("retry made a second loan or event: %v then %v", a, b)
	}
	req.Requester = "SOUTH" // the same id from another member is another request
	c, err := f.loans.Create(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if c.Id == a.Id {
		t.Fatal("external ids are not scoped to the requester")
	}
}

func TestLoanListPages(t *testing.T) {
	f := newFixture(t)
	ctx := ctxT(t)
	want := map[string]string{}
	for i := range 23 {
		req := "NORTH"
		if i%3 == 0 {
			req = "SOUTH"
		}
		l, err := f.loans.Create(ctx, &illgwv1.CreateLoanRequest{Requester: req, PatronId: "p", Bib: &illgwv1.Bib{Title: "t"}})
		if err != nil {
			t.Fatal(err)
		}
		want[l.Id] = req
	}
	collect := func(r *illgwv1.ListLoansRequest) map[string]string {
		got := map[string]string{}
		for pages := 0; ; pages++ {
			if pages > 50 {
				t.Fatal("paging does not end")
			}
			resp, err := f.loans.List(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Loans) > int(r.PageSize) {
				t.Fatalf("page of %d > %d", len(resp.Loans), r.PageSize)
			}
			for _, l := range resp.Loans {
				if _, dup := got[l.Id]; dup {
					t.Fatalf("loan %s listed twice", l.Id)
				}
				got[l.Id] = l.Requester
			}
			if resp.NextPageToken == "" {
				return got
			}
			r.PageToken = resp.NextPageToken
		}
	}
	all := collect(&illgwv1.ListLoansRequest{PageSize: 4})
	if len(all) != len(want) {
		t.Fatalf("listed %d loans, created %d", len(all), len(want))
	}
	for id, req := range want {
		if all[id] != req {
			t.Errorf("loan %s: listed requester %q, want %q", id, all[id], req)
		}
	}
	south := collect(&illgwv1.ListLoansRequest{PageSize: 3, Requester: "SOUTH"})
	if len(south) != 8 {
		t.Fatalf("SOUTH filter gave %d loans, want 8", len(south))
	}
	_, err := f.loans.List(ctx, &illgwv1.ListLoansRequest{PageToken: "99/x"})
	wantCode(t, err, codes.InvalidArgument, "page_token")
}
