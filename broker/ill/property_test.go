package ill

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// sequence is one line of testdata/sequences.txt.
type sequence struct {
	name   string
	final  State
	events []EventKind
}

func readSequences(tb testing.TB) []sequence {
	tb.Helper()
	f, err := os.Open("testdata/sequences.txt")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []sequence
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		final, err := ParseState(fields[1])
		if err != nil {
			tb.Fatalf("%s: %v", fields[0], err)
		}
		s := sequence{name: fields[0], final: final}
		for _, name := range fields[2:] {
			k, err := ParseEventKind(name)
			if err != nil {
				tb.Fatalf("%s: %v", fields[0], err)
			}
			s.events = append(s.events, k)
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// bytes encodes a sequence as FuzzApply input: one kind byte and a zero
// variation byte per event.
func (s sequence) bytes() []byte {
	var b []byte
	for _, k := range s.events {
		b = append(b, byte(k-1), 0)
	}
	return b
}

// fuzzEvent builds an event for l from a kind byte and a variation byte.
// Variation 0 is the well-formed event; its bits make the actor, member,
// due date, reason, time and rota wrong or odd.
func fuzzEvent(l Loan, kb, v byte, now time.Time) Event {
	kinds := EventKinds()
	k := kinds[int(kb)%len(kinds)]
	if kb >= 128 {
		// One of the events the state takes, so that walks go deep.
		var ok []EventKind
		for _, k := range kinds {
			if _, in := requesterTable[l.State][k]; in {
				ok = append(ok, k)
			}
		}
		if len(ok) > 0 {
			k = ok[int(kb)%len(ok)]
		}
	}
	if kb == 127 {
		k = EventKind(200) // an undefined kind
	}
	rules := eventRules[k]
	ev := Event{Kind: k, At: now.Add(time.Duration(v%8) * time.Hour)}
	if len(rules.actors) > 0 {
		ev.Actor = Actor{Kind: rules.actors[0]}
	}
	if v&0x80 != 0 {
		ev.Actor.Kind = ActorKind(v % 7) // 0, 6 undefined
	}
	switch ev.Actor.Kind {
	case ActorMember, ActorPartner, ActorTerminal:
		ev.Member = l.Requester
		if rules.side == sideLender {
			ev.Member = l.Lender
		}
	}
	if v&0x40 != 0 {
		ev.Member = "EAST"
	}
	if v&0x20 != 0 {
		ev.Member = ""
	}
	ev.FromILS = v&0x10 != 0
	if v&0x08 == 0 {
		ev.DueDate = now.Add(30 * 24 * time.Hour)
	}
	if v&0x04 != 0 {
		ev.Reason = ReasonDuplicate
	}
	if i := l.current(); k == LenderTimeout && i >= 0 && v&0x02 == 0 {
		ev.At = l.Rota[i].Deadline
	}
	if k == RotaBuilt {
		switch v % 3 {
		case 0:
			ev.Lenders = []Lender{{Member: "SOUTH", ItemID: "SI0001"}, {Member: "EAST", ItemID: "EI0001"}}
		case 1:
			ev.Lenders = []Lender{{Member: "WEST"}}
		}
	}
	return ev
}

// terminalAllows is, for each terminal state, every event the table lets
// it take, written out independently of the table.
var terminalAllows = map[State][]EventKind{
	Completed: {Anonymise},
	Unfilled:  {Anonymise},
	EndOfRota: {RotaRetry, CancelRequested, Anonymise},
	Cancelled: {Anonymise},
	Lost:      {LenderCheckedIn, Anonymise},
}

// lenderStates is what the current lender's side may be in each requester
// state; nil means there is no current lender.
var lenderStates = map[State][]SupplierState{
	New: nil, Validated: nil, InvalidPatron: nil, EndOfRota: nil, Unfilled: nil,
	Sent:          {Asked},
	WillSupply:    {SupplierWill},
	CancelPending: {Asked, SupplierWill},
	Shipped:       {SupplierShip},
	Received:      {SupplierRecv},
	CheckedOut:    {SupplierRecv},
	RenewPending:  {SupplierRecv, SupplierOver},
	Overdue:       {SupplierOver},
	Recalled:      {SupplierRecall},
	CheckedIn:     {SupplierRecv, SupplierOver, SupplierRecall},
	ShippedReturn: {SupplierReturn},
	Completed:     {SupplierDone},
	Lost:          {SupplierLost},
	Cancelled:     {SupplierCancel, SupplierUnfill, TimedOut},
}

// checkLoan checks the invariants every loan Apply returns must keep.
func checkLoan(l Loan) error {
	if !l.State.Valid() {
		return fmt.Errorf("state %v outside the defined set", l.State)
	}
	busy := 0
	for _, x := range l.Rota {
		if !x.State.Valid() {
			return fmt.Errorf("lender %s in state %v outside the defined set", x.Member, x.State)
		}
		if x.State != Candidate && !x.State.Terminal() {
			busy++
			if x.Member != l.Lender {
				return fmt.Errorf("lender %s is %s but the current lender is %q", x.Member, x.State, l.Lender)
			}
		}
	}
	if busy > 1 {
		return fmt.Errorf("%d lenders busy at once", busy)
	}
	want, ok := lenderStates[l.State]
	if !ok {
		return fmt.Errorf("no invariant for %s", l.State)
	}
	i := l.current()
	switch {
	case want == nil && l.Lender != "":
		return fmt.Errorf("%s with current lender %s", l.State, l.Lender)
	case want != nil && i < 0 && !(l.State == Cancelled && l.Lender == ""):
		return fmt.Errorf("%s without a current lender (%q)", l.State, l.Lender)
	case i >= 0 && !slices.Contains(want, l.Rota[i].State):
		return fmt.Errorf("%s with lender %s in %s", l.State, l.Lender, l.Rota[i].State)
	}
	if l.State.Terminal() == l.FinishedAt.IsZero() {
		return fmt.Errorf("%s with finished-at %v", l.State, l.FinishedAt)
	}
	switch l.State {
	case CancelPending:
		if l.Before != Sent && l.Before != WillSupply {
			return fmt.Errorf("cancel-pending returns to %v", l.Before)
		}
	case RenewPending:
		if l.Before != CheckedOut && l.Before != Overdue {
			return fmt.Errorf("renew-pending returns to %v", l.Before)
		}
	default:
		if l.Before != 0 {
			return fmt.Errorf("%s remembers %v", l.State, l.Before)
		}
	}
	if l.Anonymised && l.Patron != "" {
		return fmt.Errorf("anonymised loan names patron %q", l.Patron)
	}
	return nil
}

// runBytes applies the events data encodes to a new loan, checking every
// step, and returns the loan. States passed through are added to seen when
// it is not nil.
func runBytes(t *testing.T, data []byte, seen map[State]bool) Loan {
	l, _, err := NewLoan("K7QW3XZ9", "NORTH", "N0001", Normal, t0)
	if err != nil {
		t.Fatal(err)
	}
	now := t0
	if seen != nil {
		seen[New] = true
	}
	for i := 0; i+1 < len(data); i += 2 {
		ev := fuzzEvent(l, data[i], data[i+1], now)
		before := l.Clone()
		next, fx, err := Apply(l, ev)
		if !reflect.DeepEqual(before, l) {
			t.Fatalf("Apply modified its input on %s", ev.Kind)
		}
		if err != nil {
			var (
				na *NotAllowedError
				ae *ActorError
				me *MemberError
				ee *EventError
				se *SupplierNotAllowedError
			)
			switch {
			case errors.As(err, &se):
				t.Fatalf("the tables disagree: %s in %s: %v", ev.Kind, l.State, err)
			case errors.As(err, &na), errors.As(err, &ae), errors.As(err, &me), errors.As(err, &ee):
			default:
				t.Fatalf("untyped error %T: %v", err, err)
			}
			if !reflect.DeepEqual(next, l) || fx != nil {
				t.Fatalf("refused %s changed the loan", ev.Kind)
			}
			continue
		}
		if l.State.Terminal() && !slices.Contains(terminalAllows[l.State], ev.Kind) {
			t.Fatalf("terminal %s accepted %s", l.State, ev.Kind)
		}
		if err := checkLoan(next); err != nil {
			t.Fatalf("after %s in %s: %v", ev.Kind, l.State, err)
		}
		for _, e := range fx {
			if !e.Kind.Valid() || (e.Party != AtBroker && e.Member == "") {
				t.Fatalf("%s in %s: bad effect %+v", ev.Kind, l.State, e)
			}
			if e.Party == AtLender && e.Member == l.Requester {
				t.Fatalf("%s in %s: lender effect at the requester %+v", ev.Kind, l.State, e)
			}
		}
		l, now = next, ev.At
		if seen != nil {
			seen[l.State] = true
		}
	}
	return l
}

func TestSequences(t *testing.T) {
	for _, s := range readSequences(t) {
		t.Run(s.name, func(t *testing.T) {
			if got := runBytes(t, s.bytes(), nil).State; got != s.final {
				t.Fatalf("ended in %s, want %s", got, s.final)
			}
		})
	}
}

// TestRandomWalks is the property test: random event sequences, many of
// them malformed, never panic, never leave the defined states, keep the
// requester and lender sides consistent and never let a terminal state
// take an event it does not list.
func TestRandomWalks(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 1))
	reached := map[State]bool{}
	for range 3000 {
		data := make([]byte, 2*(1+rng.IntN(40)))
		for i := range data {
			data[i] = byte(rng.UintN(256))
			if i%2 == 1 && rng.IntN(3) > 0 {
				data[i] = 0 // mostly well-formed events, so walks go deep
			}
		}
		runBytes(t, data, reached)
	}
	for _, s := range States() {
		if !reached[s] {
			t.Errorf("no random walk reached %s", s)
		}
	}
}

func FuzzApply(f *testing.F) {
	for _, s := range readSequences(f) {
		f.Add(s.bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096 {
			return
		}
		runBytes(t, data, nil)
	})
}
