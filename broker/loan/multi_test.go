package loan

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/illgw/illgw/broker/ill"
	"github.com/illgw/illgw/broker/member"
	"github.com/illgw/illgw/broker/state"
	"github.com/illgw/illgw/internal/testenv"
)

// TestTwoInstances: two engines, each with its own registry, on one Redis
// (issue 8 point 7). A loan created through one is advanced through the
// other, and lender time-outs fire once across both.
func TestTwoInstances(t *testing.T) {
	srv := testenv.Redis(t)
	open := func() state.Store {
		s, err := state.Open(context.Background(), state.Options{Driver: "redis", Addrs: []string{srv.Addr}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	c := newConsortium(t)
	var cfgs []member.Config
	for _, code := range codes {
		cfgs = append(cfgs, member.Config{Code: code, NCIP: &member.NCIPConfig{URL: c.ils[code].srv.URL, Agency: code}})
	}
	reg2, err := member.New(member.Options{Members: cfgs, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer reg2.Close()
	timeouts := func(o *Options) { o.Timeouts.Normal = 400 * time.Millisecond }
	a := c.engine(t, open(), func(o *Options) { timeouts(o); o.Instance = "a" })
	b := c.engine(t, open(), func(o *Options) { timeouts(o); o.Instance = "b"; o.ILS = Registry(reg2) })
	ctx := context.Background()

	// Created through a, advanced through b.
	isbn := c.title("777", "SOUTH")
	r, err := a.Create(ctx, CreateRequest{Requester: "NORTH", Patron: "N0001", Bib: Bib{ISBN: isbn}, Actor: operator})
	if err != nil {
		t.Fatal(err)
	}
	r2 := mustAct(t, b, ActRequest{ID: r.Loan.ID, Event: ill.ItemShipped, Actor: memberActor("SOUTH")})
	if r2.Loan.State != ill.Shipped || r2.Version <= r.Version || r2.Loan.DueDate.IsZero() {
		t.Fatalf("through b: state %s v%d (a saw v%d), due %v", r2.Loan.State, r2.Version, r.Version, r2.Loan.DueDate)
	}
	if r3, _ := a.Get(ctx, r.Loan.ID); r3.Version != r2.Version {
		t.Fatalf("a sees v%d, b wrote v%d", r3.Version, r2.Version)
	}

	// Lender time-outs with both instances claiming timers.
	const n = 20
	var ids []string
	for i := range n {
		isbn := c.title(fmt.Sprintf("88%03d", i), "SOUTH", "EAST")
		e := a
		if i%2 == 1 {
			e = b
		}
		r, err := e.Create(ctx, CreateRequest{Requester: "NORTH", Patron: "N0001", Bib: Bib{ISBN: isbn}, Actor: operator})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.Loan.ID)
	}
	defer startRun(t, a)()
	defer startRun(t, b)()
	for _, id := range ids {
		deadline := time.Now().Add(15 * time.Second)
		for {
			r, err := a.Get(ctx, id)
			if err == nil && r.Loan.State == ill.EndOfRota && len(r.Outbox) == 0 {
				break
			}
			if time.Now().After(deadline) {
				hist, _ := a.History(ctx, id)
				t.Fatalf("loan %s did not time out at both lenders: %s lender %s timer %v outbox %+v rota %+v\nhistory %s",
					id, r.Loan.State, r.Loan.Lender, r.LenderTimer, r.Outbox, r.Loan.Rota, kinds(hist))
			}
			time.Sleep(10 * time.Millisecond)
		}
		hist, err := a.History(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		timeouts := 0
		for _, ev := range hist {
			if ev.Kind == ill.LenderTimeout.String() {
				timeouts++
			}
		}
		if timeouts != 2 {
			t.Errorf("loan %s: %d lender time-outs, want 2 (one per lender): %s", id, timeouts, kinds(hist))
		}
		r, _ := a.Get(ctx, id)
		for _, l := range r.Loan.Rota {
			if l.State != ill.TimedOut {
				t.Errorf("loan %s: lender %s is %s", id, l.Member, l.State)
			}
			if n := c.ils[l.Member].Calls("CancelRequestItem", r.LenderRequests[l.Member]); n != 1 {
				t.Errorf("loan %s: CancelRequestItem at %s made %d times", id, l.Member, n)
			}
		}
	}
}
