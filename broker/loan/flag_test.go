package loan

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/illgw/illgw/broker/ill"
	"github.com/illgw/illgw/broker/state"
)

// TestFlag: a flag shows as the loan's problem with its actor and a
// "flagged" event, in the loan's state; the same flag again writes nothing;
// Retry refuses to clear it, Skip clears it, and a transition that moves the
// loan clears a new one.
func TestFlag(t *testing.T) {
	c := newConsortium(t)
	e := c.engine(t, openEmbedded(t, ""), nil)
	ctx := context.Background()
	r, err := e.Create(ctx, CreateRequest{Requester: "NORTH", Patron: "N0001", Bib: Bib{ISBN: c.title("4", "SOUTH")}, Actor: operator})
	if err != nil {
		t.Fatal(err)
	}
	id := r.Loan.ID
	r = mustAct(t, e, ActRequest{ID: id, Event: ill.ItemShipped, Actor: memberActor("SOUTH")})
	kiosk := Actor{Kind: ill.ActorTerminal, ID: "kiosk1", Member: "NORTH"}
	before := r.Version
	f, err := e.Flag(ctx, id, kiosk, "the ILS charged the item but the loan did not follow")
	if err != nil {
		t.Fatal(err)
	}
	want := "flagged by terminal:kiosk1@NORTH: the ILS charged the item but the loan did not follow"
	if f.Problem() != want || f.Loan.State != ill.Shipped || f.Version != before+1 {
		t.Fatalf("after flag: state %s version %d (was %d) problem %q, want %q", f.Loan.State, f.Version, before, f.Problem(), want)
	}
	got, err := e.Get(ctx, id)
	if err != nil || got.Problem() != want || got.Flag == nil || got.Flag.Actor != kiosk {
		t.Fatalf("stored: %v %+v %v", got.Problem(), got.Flag, err)
	}
	// The same flag again (a kiosk's retry) writes nothing.
	if again, err := e.Flag(ctx, id, kiosk, "the ILS charged the item but the loan did not follow"); err != nil || again.Version != f.Version {
		t.Fatalf("repeated flag: version %d, want %d: %v", again.Version, f.Version, err)
	}
	if _, err := e.Retry(ctx, id, operator, "r1"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "flagged") {
		t.Fatalf("retry of a flag: %v, want ErrInvalid naming the flag", err)
	}
	s, err := e.Skip(ctx, id, operator, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if s.Problem() != "" || s.Flag != nil || s.Loan.State != ill.Shipped {
		t.Fatalf("after skip: %q %s", s.Problem(), s.Loan.State)
	}
	if _, err := e.Skip(ctx, id, operator, "s2"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("skip with nothing to skip: %v", err)
	}
	// A new flag clears when the loan moves.
	if _, err := e.Flag(ctx, id, kiosk, "second"); err != nil {
		t.Fatal(err)
	}
	m := mustAct(t, e, ActRequest{ID: id, Event: ill.ItemReceived, Actor: memberActor("NORTH"), FromILS: true})
	if m.Problem() != "" || m.Flag != nil || m.Loan.State != ill.Received {
		t.Fatalf("after receive: %q %s", m.Problem(), m.Loan.State)
	}
	hist, err := e.History(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var flagged, cleared []Event
	for _, ev := range hist {
		switch ev.Kind {
		case KindFlagged:
			flagged = append(flagged, ev)
		case KindFlagCleared:
			cleared = append(cleared, ev)
		}
	}
	if len(flagged) != 2 || len(cleared) != 2 {
		t.Fatalf("%d flagged and %d cleared events, want 2 and 2: %s", len(flagged), len(cleared), kinds(hist))
	}
	if flagged[0].Actor != kiosk || flagged[0].From != ill.Shipped || flagged[0].To != ill.Shipped {
		t.Errorf("flagged event %+v", flagged[0])
	}
	if cleared[0].Actor != operator || cleared[1].Actor != memberActor("NORTH") || !strings.Contains(cleared[1].Message, "second") {
		t.Errorf("cleared events %+v", cleared)
	}
}

// TestFlagLimits: a flag without a message or an actor, or on a loan that
// does not exist, is refused; a long message is cut to the text limit; a
// stored flag over the limits does not decode.
func TestFlagLimits(t *testing.T) {
	c := newConsortium(t)
	e := c.engine(t, openEmbedded(t, ""), nil)
	ctx := context.Background()
	r, err := e.Create(ctx, CreateRequest{Requester: "NORTH", Patron: "N0001", Bib: Bib{ISBN: c.title("4", "SOUTH")}, Actor: operator})
	if err != nil {
		t.Fatal(err)
	}
	id := r.Loan.ID
	for _, tc := range []struct {
		name  string
		actor Actor
		msg   string
	}{
		{"no message", operator, ""},
		{"no actor", Actor{}, "x"},
		{"long actor", Actor{Kind: ill.ActorOperator, ID: strings.Repeat("a", maxKeyLen+1)}, "x"},
	} {
		if _, err := e.Flag(ctx, id, tc.actor, tc.msg); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", tc.name, err)
		}
	}
	if _, err := e.Flag(ctx, "NOSUCHLOAN", operator, "x"); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("unknown loan: %v, want ErrNotFound", err)
	}
	f, err := e.Flag(ctx, id, operator, strings.Repeat("m", 100_000))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.Flag.Message); n > maxTextLen {
		t.Fatalf("flag message of %d bytes stored, limit %d", n, maxTextLen)
	}
	bad := f.clone()
	bad.Flag.Message = strings.Repeat("m", maxTextLen+1)
	if _, err := bad.encode(); err == nil {
		t.Fatal("a flag over the text limit encoded")
	}
	// A stored flag over the limit (a corrupt or hostile record) is refused
	// on decode.
	ok, err := f.encode()
	if err != nil {
		t.Fatal(err)
	}
	hostile := strings.Replace(string(ok), f.Flag.Message, strings.Repeat("m", maxTextLen+1), 1)
	if _, err := decode(state.Loan{ID: id, Data: []byte(hostile)}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("decoding a flag over the limit: %v, want ErrCorrupt", err)
	}
}
