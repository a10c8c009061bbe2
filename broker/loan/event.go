package loan

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/illgw/illgw/broker/ill"
	"github.com/illgw/illgw/broker/state"
)

// Actor is who caused an event (issue 8 point 9): its kind, its id within
// the kind (member code, partner agency, terminal login, operator name) and
// the member it acts for.
type Actor struct {
	Kind   ill.ActorKind
	ID     string `json:",omitempty"`
	Member string `json:",omitempty"`
}

// System is the engine itself: timers and the outcome of its calls.
var System = Actor{Kind: ill.ActorSystem, ID: "broker"}

// String is the actor as the store's event log keeps it: "kind:id".
func (a Actor) String() string { return a.Kind.String() + ":" + a.ID }

// Event kinds the engine writes besides the lifecycle's own (ill.EventKind
// names).
const (
	KindCreated     = "created"      // the loan was created
	KindCallOK      = "call.ok"      // a call was made; Message names it
	KindCallProblem = "call.problem" // the ILS answered the call with a Problem
	KindCallFailed  = "call.failed"  // the call could not be made; it waits in the outbox
	KindCallSkipped = "call.skipped" // staff dropped a call they made by hand
	KindCallRetry   = "call.retry"   // staff asked for failed calls to run again
	KindNotice      = "notice"       // a notice to the requester (ill.NotifyRequester)
)

// Event is one entry of a loan's history.
type Event struct {
	LoanID string
	// Seq is the entry's place in the loan's history; Partition and Pos its
	// place in the partition feed (the Watch cursor).
	Seq, Pos  uint64
	Partition int
	// Version is the loan version this event produced.
	Version uint64
	At      time.Time
	Actor   Actor
	// Kind is an ill.EventKind name or one of the Kind constants.
	Kind     string
	From, To ill.State
	// Member is the member the event concerns (a lender or the requester).
	Member  string
	Message string
	// Requester and Lender are the loan's requester and current lender
	// when the event was written, for Watch filters.
	Requester, Lender string
}

// eventData is the stored part of an Event.
type eventData struct {
	V         uint64
	Actor     Actor
	From      string `json:",omitempty"`
	To        string `json:",omitempty"`
	Member    string `json:",omitempty"`
	Msg       string `json:",omitempty"`
	Requester string `json:",omitempty"`
	Lender    string `json:",omitempty"`
}

func (e *Event) toStore() (state.Event, error) {
	d := eventData{V: e.Version, Actor: e.Actor, Member: e.Member, Msg: truncate(e.Message, maxTextLen),
		Requester: e.Requester, Lender: e.Lender}
	if e.From.Valid() {
		d.From = e.From.String()
	}
	if e.To.Valid() {
		d.To = e.To.String()
	}
	b, err := json.Marshal(d)
	if err != nil {
		return state.Event{}, fmt.Errorf("loan: encoding event: %w", err)
	}
	return state.Event{Type: e.Kind, Actor: truncate(e.Actor.String(), state.MaxIDLen), Data: b, Time: e.At}, nil
}

// EventFromStore decodes one stored event of a partition.
func EventFromStore(s state.Event, partition int) (Event, error) {
	e := Event{LoanID: s.LoanID, Seq: s.Seq, Pos: s.Pos, Partition: partition, At: s.Time, Kind: s.Type}
	if len(s.Data) > state.MaxDataLen {
		return e, fmt.Errorf("%w: event %d of %s too large", ErrCorrupt, s.Seq, s.LoanID)
	}
	var d eventData
	if err := json.Unmarshal(s.Data, &d); err != nil {
		return e, fmt.Errorf("%w: event %d of %s: %v", ErrCorrupt, s.Seq, s.LoanID, err)
	}
	e.Version, e.Actor, e.Member, e.Message = d.V, d.Actor, d.Member, d.Msg
	e.Requester, e.Lender = d.Requester, d.Lender
	if d.From != "" {
		e.From, _ = ill.ParseState(d.From)
	}
	if d.To != "" {
		e.To, _ = ill.ParseState(d.To)
	}
	return e, nil
}

// ParseActor reads "kind:id" as written by Actor.String.
func ParseActor(s string) (Actor, error) {
	kind, id, _ := strings.Cut(s, ":")
	k, err := ill.ParseActorKind(kind)
	return Actor{Kind: k, ID: id}, err
}
