package ill

import "time"

// EventKind is what happened to a loan. Names are stable: they are stored in
// the loan's history and shown by illctl.
type EventKind uint8

// EventKinds lists every event kind in numeric order.
func EventKinds() []EventKind {
	out := make([]EventKind, 0, len(eventNames)-1)
	for i := 1; i < len(eventNames); i++ {
		out = append(out, EventKind(i))
	}
	return out
}

// String returns the stable name, e.g. "lender-unfilled".
func (k EventKind) String() string { return nameOf(eventNames, int(k), "EventKind") }

// Valid reports whether k is a defined event kind.
func (k EventKind) Valid() bool { return k > 0 && int(k) < len(eventNames) }

// ParseEventKind is the inverse of EventKind.String.
func ParseEventKind(name string) (EventKind, error) {
	i, err := parseName(eventNames, name, "event")
	return EventKind(i), err
}

// ActorKind is who caused an event (issue 8 point 9: every event records
// its actor).
type ActorKind uint8

// ActorKinds lists every actor kind in numeric order.
func ActorKinds() []ActorKind {
	return []ActorKind{ActorMember, ActorPartner, ActorTerminal, ActorOperator, ActorSystem}
}

// String returns the stable name, e.g. "terminal".
func (a ActorKind) String() string { return nameOf(actorNames, int(a), "ActorKind") }

// Valid reports whether a is a defined actor kind.
func (a ActorKind) Valid() bool { return a > 0 && int(a) < len(actorNames) }

// ParseActorKind is the inverse of ActorKind.String.
func ParseActorKind(name string) (ActorKind, error) {
	i, err := parseName(actorNames, name, "actor")
	return ActorKind(i), err
}

// Actor names who caused an event: its kind and an identifier (member code,
// partner agency, terminal login, operator name; empty for the system).
type Actor struct {
	Kind ActorKind
	ID   string
}

// Event is one input to Apply. Only Kind, Actor and At are always needed;
// the other fields carry what some kinds report.
type Event struct {
	Kind  EventKind
	Actor Actor
	// At is when the event happened; Apply never reads a clock.
	At time.Time
	// Member is the member the event comes from or concerns: the current
	// lender for lender events, the requester for requester events. Member,
	// partner and terminal actors must set it; operators and the system may
	// leave it empty.
	Member string
	// FromILS says the member's own ILS reported the step through an NCIP
	// notification (ItemShipped, ItemCheckedIn, ItemRequestCancelled, ...),
	// so its own NCIP call has been made and is not made again. Only a
	// member actor may set it.
	FromILS bool
	// DueDate is the lender's due date (shipped, due-date, renew-granted,
	// recalled).
	DueDate time.Time
	// ItemID is the lender's copy (shipped).
	ItemID string
	// Reason says why (unfilled reason, denial, time-out); ReasonDuplicate
	// on lender-unfilled ends the loan unfilled instead of moving on.
	Reason string
	// Lenders is the rota for rota-built, from BuildRota.
	Lenders []Lender
}

// ReasonDuplicate is the unfilled reason that ends a loan instead of moving
// to the next lender (ncip-ill.md §3.3: "Unfilled, except
// reasonUnfilled=Duplicate, which is terminal").
const ReasonDuplicate = "duplicate"

// SupplierEvent is what happens to one lender's side (ncip-ill.md §3.2).
// Apply derives it from the requester event for the current lender;
// ApplySupplier takes it directly.
type SupplierEvent uint8

// SupplierEvents lists every supplier event in numeric order.
func SupplierEvents() []SupplierEvent {
	out := make([]SupplierEvent, 0, len(supplierEventNames)-1)
	for i := 1; i < len(supplierEventNames); i++ {
		out = append(out, SupplierEvent(i))
	}
	return out
}

// String returns the stable name, e.g. "ship-return".
func (e SupplierEvent) String() string {
	return nameOf(supplierEventNames, int(e), "SupplierEvent")
}

// Valid reports whether e is a defined supplier event.
func (e SupplierEvent) Valid() bool { return e > 0 && int(e) < len(supplierEventNames) }

// ParseSupplierEvent is the inverse of SupplierEvent.String.
func ParseSupplierEvent(name string) (SupplierEvent, error) {
	i, err := parseName(supplierEventNames, name, "supplier event")
	return SupplierEvent(i), err
}
