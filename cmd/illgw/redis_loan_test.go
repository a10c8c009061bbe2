package main

import (
	"fmt"
	"testing"

	"github.com/illgw/illgw/internal/sim"
	"github.com/illgw/illgw/internal/testenv"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

// TestTwoProcessesShareALoan runs two `illgw serve` processes on one
// redis-server, in front of simulated NORTH, SOUTH and EAST that live in
// this test process (issue 8 point 7): a loan created through A is shipped
// through B, received through A and read back through B, and each NCIP side
// effect reached the simulated ILSes exactly once.
func TestTwoProcessesShareALoan(t *testing.T) {
	r := testenv.Redis(t)
	ctx := ctxT(t)
	c, err := sim.Start(ctx, sim.Options{SIP2Login: "gw", SIP2Password: "gwpass"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	members := ""
	for _, code := range []string{"NORTH", "SOUTH", "EAST"} {
		m := c.Member(code)
		members += fmt.Sprintf(`  - code: %s
    name: %s library
    catalog: {z3950: %q, timeout: 5s}
    ncip: {url: %q, agency: %s}
    sip2: {addr: %q, login: gw, password: {value: gwpass}, institution: %s}
    patrons: {sip2: true}
    lending: {institutional_patron: ILL-%s}
`, code, code, m.Z3950Addr+"/"+code, m.NCIPURL, code, m.SIP2Addr, code, code)
	}
	start := func(name string) (*daemon, illgwv1.LoansClient) {
		httpAddr, grpcAddr := addr(t), addr(t)
		cfg := fmt.Sprintf("listen: {http: %s, grpc: %s, sip2: '', z3950: ''}\n"+
			"state: {driver: redis, addrs: [%s]}\nsearch: {cache_ttl: 0s}\nmembers:\n%s"+
			"databases: {consortium: [NORTH, SOUTH, EAST]}\n", httpAddr, grpcAddr, r.Addr, members)
		d := startIllgw(t, httpAddr, grpcAddr, "serve", "-config", writeFile(t, t.TempDir(), name+".yaml", []byte(cfg)))
		d.waitHealthy(t)
		return d, illgwv1.NewLoansClient(dialPlain(t, grpcAddr))
	}
	_, a := start("a")
	_, b := start("b")

	// Sample record 7, held by SOUTH and EAST, not NORTH.
	l, err := a.Create(ctx, &illgwv1.CreateLoanRequest{Requester: "NORTH", PatronId: "N0001",
		Bib: &illgwv1.Bib{Lccn: "77005558"}, ExternalRequestId: "two-processes-1"})
	if err != nil {
		t.Fatal(err)
	}
	if l.State != illgwv1.LoanState_LOAN_STATE_SENT || (l.CurrentSupplier != "SOUTH" && l.CurrentSupplier != "EAST") {
		t.Fatalf("created through A: %v at %q", l.State, l.CurrentSupplier)
	}
	lender := l.CurrentSupplier
	act := func(cl illgwv1.LoansClient, action illgwv1.LoanAction, member string) *illgwv1.Loan {
		t.Helper()
		got, err := cl.Act(ctx, &illgwv1.ActRequest{Id: l.Id, Action: action,
			Actor: &illgwv1.Actor{Kind: illgwv1.Actor_KIND_MEMBER, Id: member, Member: member}})
		if err != nil {
			t.Fatalf("%v as %s: %v", action, member, err)
		}
		return got
	}
	if got := act(b, illgwv1.LoanAction_LOAN_ACTION_SHIP, lender); got.State != illgwv1.LoanState_LOAN_STATE_SHIPPED {
		t.Fatalf("shipped through B: %v", got.State)
	}
	if got := act(a, illgwv1.LoanAction_LOAN_ACTION_RECEIVE, "NORTH"); got.State != illgwv1.LoanState_LOAN_STATE_RECEIVED {
		t.Fatalf("received through A: %v", got.State)
	}
	got, err := b.Get(ctx, &illgwv1.GetLoanRequest{Id: l.Id})
	if err != nil || got.State != illgwv1.LoanState_LOAN_STATE_RECEIVED || got.DueDate == nil {
		t.Fatalf("read through B: %v %v", got, err)
	}
	count := func(code, service string) int {
		n := 0
		for k, v := range c.Member(code).CallCounts() {
			if k.Service == service {
				n += v
			}
		}
		return n
	}
	for _, want := range []struct{ member, service string }{
		{lender, "RequestItem"}, {lender, "CheckOutItem"}, {"NORTH", "AcceptItem"},
	} {
		if n := count(want.member, want.service); n != 1 {
			t.Errorf("%s at %s: %d calls, want exactly 1 (%v)", want.service, want.member, n, c.Member(want.member).CallCounts())
		}
	}
}
