package loan

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/illgw/illgw/broker/ill"
)

// TestWatch streams events from the head, then resumes from a cursor and
// sees only what came after it.
func TestWatch(t *testing.T) {
	c := newConsortium(t)
	e := c.engine(t, openEmbedded(t, ""), nil)
	ctx := context.Background()
	isbn := c.title("55", "SOUTH")
	old, _ := e.Create(ctx, CreateRequest{Requester: "NORTH", Patron: "N0001", Bib: Bib{ISBN: isbn}, Actor: operator})
	head, err := e.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := e.Create(ctx, CreateRequest{Requester: "NORTH", Patron: "N0001", Bib: Bib{ISBN: isbn}, Actor: operator})
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var got []Event
	var at Cursor
	stop := errors.New("enough")
	err = e.Watch(wctx, head, func(ev Event, c Cursor) error {
		if ev.LoanID == old.Loan.ID {
			t.Errorf("event %s of a loan created before the head", ev.Kind)
		}
		got = append(got, ev)
		if ev.Kind == ill.RotaBuilt.String() {
			at = c
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatal(err)
	}
	if kinds(got) != "created call.ok patron-valid call.ok rota-built" {
		t.Fatalf("watched %q", kinds(got))
	}
	parsed, err := ParseCursor(at.String(), len(at))
	if err != nil || parsed.String() != at.String() {
		t.Fatalf("cursor %s round trip: %v %v", at, parsed, err)
	}
	mustAct(t, e, ActRequest{ID: r.Loan.ID, Event: ill.LenderWillSupply, Actor: memberActor("SOUTH")})
	err = e.Watch(wctx, parsed, func(ev Event, c Cursor) error {
		if ev.Kind != ill.LenderWillSupply.String() && ev.Kind != "call.ok" {
			t.Errorf("after the cursor: %s", ev.Kind)
		}
		if ev.Kind == ill.LenderWillSupply.String() {
			if ev.Actor != memberActor("SOUTH") || ev.Lender != "SOUTH" {
				t.Errorf("event %+v", ev)
			}
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "w1.", "w2.0", "w1.zzzzzzzzzzzzzzzzzz", "w1.0.0"} {
		if _, err := ParseCursor(bad, 16); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseCursor(%q): %v", bad, err)
		}
	}
}

// TestEndWatches: a watch ends with ErrClosed when the gateway begins to
// shut down, and the engine still takes actions.
func TestEndWatches(t *testing.T) {
	c := newConsortium(t)
	e := c.engine(t, openEmbedded(t, ""), nil)
	done := make(chan error, 1)
	go func() { done <- e.Watch(context.Background(), nil, func(Event, Cursor) error { return nil }) }()
	time.Sleep(50 * time.Millisecond)
	e.EndWatches()
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("watch ended with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("watch did not end")
	}
	if _, err := e.Create(context.Background(), CreateRequest{Requester: "NORTH", Patron: "N0001", Bib: Bib{ISBN: c.title("9", "SOUTH")}, Actor: operator}); err != nil {
		t.Fatalf("create after EndWatches: %v", err)
	}
}
