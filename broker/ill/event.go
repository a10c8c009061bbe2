package ill

import "time"

// EventKind is what happened to a loan. Names are stable: they are stored in
// the loan's history and shown by illctl.
type EventKind uint8

// Events of the requester machine, with the step of ncip-ill.md §3 each one
// stands for.
const (
	PatronValid      EventKind = iota + 1 // R2: LookupUser found the patron in good standing
	PatronInvalid                         // R2: LookupUser refused the patron (unknown, blocked)
	PatronOverride                        // R2: staff override of a refused patron
	RotaBuilt                             // R4: the rota is known (Event.Lenders); R5 asks the first lender
	LenderWillSupply                      // R6/S4: the lender will supply
	LenderUnfilled                        // R7/S14: the lender cannot supply (Event.Reason)
	LenderCancelled                       // R7/S14: the lender cancelled its hold, or staff dropped the lender
	LenderTimeout                         // R7/§3.3: the lender did not answer in time
	LenderError                           // R7/§3.3: the lender could not be reached (messaging failure, open breaker)
	ItemShipped                           // R8/S7: the lender shipped the item
	DueDateSet                            // S7/S11: the lender's ILS gave a due date (CheckOutItem or RenewItem response)
	ItemReceived                          // R9/S8: the requester received the item
	PatronCheckedOut                      // R10: the patron took the item out
	RenewRequested                        // R11/S11: a renewal is asked
	RenewGranted                          // R11/S11: the lender renewed (Event.DueDate)
	RenewDenied                           // R11/S11: the lender refused the renewal
	ItemOverdue                           // R12/S9: the due date passed
	ItemRecalled                          // R12/S10: the lender recalls the item (Event.DueDate may shorten it)
	PatronCheckedIn                       // R13: the patron returned the item
	ReturnShipped                         // R14/S12: the requester shipped the item back
	LenderCheckedIn                       // R15/S13: the lender checked the item in
	CancelRequested                       // R16: the requester asks to cancel
	CancelConfirmed                       // R16/S15: the lender's ILS cancelled its hold
	CancelDenied                          // R16/S15: the lender refused (already shipped)
	ItemLost                              // R17: lost or damaged
	RotaRetry                             // §3.3: staff re-request after end of rota (ReShare REQ_REREQUESTED)
	Anonymise                             // issue 8 point 9: drop the patron from a finished loan
)

var eventNames = []string{
	PatronValid:      "patron-valid",
	PatronInvalid:    "patron-invalid",
	PatronOverride:   "patron-override",
	RotaBuilt:        "rota-built",
	LenderWillSupply: "lender-will-supply",
	LenderUnfilled:   "lender-unfilled",
	LenderCancelled:  "lender-cancelled",
	LenderTimeout:    "lender-timeout",
	LenderError:      "lender-error",
	ItemShipped:      "shipped",
	DueDateSet:       "due-date",
	ItemReceived:     "received",
	PatronCheckedOut: "checked-out",
	RenewRequested:   "renew-requested",
	RenewGranted:     "renew-granted",
	RenewDenied:      "renew-denied",
	ItemOverdue:      "overdue",
	ItemRecalled:     "recalled",
	PatronCheckedIn:  "checked-in",
	ReturnShipped:    "shipped-return",
	LenderCheckedIn:  "lender-checked-in",
	CancelRequested:  "cancel-requested",
	CancelConfirmed:  "cancel-confirmed",
	CancelDenied:     "cancel-denied",
	ItemLost:         "lost",
	RotaRetry:        "rota-retry",
	Anonymise:        "anonymise",
}

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

// Actor kinds.
const (
	ActorMember   ActorKind = iota + 1 // a member library's ILS or staff tool (NCIP notification, illctl as member)
	ActorPartner                       // an outside ILL system acting for a member (NCIP from a partner agency)
	ActorTerminal                      // a self-check kiosk (SIP2)
	ActorOperator                      // consortium staff (illctl, gRPC with an operator identity)
	ActorSystem                        // the broker itself: timers, NCIP call results
)

var actorNames = []string{
	ActorMember:   "member",
	ActorPartner:  "partner",
	ActorTerminal: "terminal",
	ActorOperator: "operator",
	ActorSystem:   "system",
}

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

// Supplier events.
const (
	SupAsk        SupplierEvent = iota + 1 // S1/S4: RequestItem placed for the requester's institutional patron
	SupWill                                // S4: will supply
	SupUnfilled                            // S14: cannot supply
	SupCancel                              // S15: cancelled
	SupTimeout                             // S14 aging / §3.3 time-out
	SupFail                                // §3.3: messaging failure
	SupShip                                // S7: shipped
	SupReceive                             // S8: received by the requester
	SupOverdue                             // S9: overdue
	SupRecall                              // S10: recalled
	SupRenew                               // S11: renewed (an overdue loan is current again)
	SupShipReturn                          // S12: shipped back
	SupCheckIn                             // S13: checked in, complete
	SupLost                                // R17: lost
)

var supplierEventNames = []string{
	SupAsk:        "ask",
	SupWill:       "will-supply",
	SupUnfilled:   "unfilled",
	SupCancel:     "cancel",
	SupTimeout:    "timeout",
	SupFail:       "fail",
	SupShip:       "ship",
	SupReceive:    "receive",
	SupOverdue:    "overdue",
	SupRecall:     "recall",
	SupRenew:      "renew",
	SupShipReturn: "ship-return",
	SupCheckIn:    "check-in",
	SupLost:       "lost",
}

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
