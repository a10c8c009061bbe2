package ill

import "time"

// EffectKind is a side effect the broker performs after it has stored a
// transition: an NCIP call at one member's ILS, a timer, a catalogue
// search, a notice. Apply only describes effects; it performs none.
type EffectKind uint8

// Effects. NCIP ones are named after the NCIP 2.02 service the broker calls
// (NCIP 2.02 Part 1 §3, ncip-ill.md §1.2).
const (
	LookupUser        EffectKind = iota + 1 // R2: NCIP LookupUser at the requester for the patron
	LocateLenders                           // R4: search holdings (Catalog) and apply rota-built with BuildRota's result
	RequestItem                             // R5/S4: NCIP RequestItem at the lender for the requester's institutional patron
	CancelRequestItem                       // S14/S15/R16: NCIP CancelRequestItem at the lender
	CheckOutItem                            // S7 (lender, institutional patron) or R10 (requester, patron): NCIP CheckOutItem
	AcceptItem                              // R9: NCIP AcceptItem at the requester, temporary item ILL<id>
	CheckInItem                             // R13 (requester, temporary item) or S13 (lender, its copy): NCIP CheckInItem
	DeleteItem                              // R14: NCIP DeleteItem at the requester for the temporary item
	RenewItem                               // S11 (lender) or R11 (requester, new due date): NCIP RenewItem
	RecallItem                              // R12: NCIP RecallItem at the requester (shortened due date)
	FiscalTransaction                       // R17: NCIP CreateUserFiscalTransaction at the requester (lost item fee)
	ArmLenderTimer                          // §3.3: fire lender-timeout at Effect.At unless disarmed
	DisarmLenderTimer                       // §3.3: the lender answered; drop its timer
	ArmDueTimer                             // S9: fire overdue at Effect.At (the due date)
	DisarmDueTimer                          // the item is back; drop the overdue timer
	NotifyRequester                         // tell the requesting member (and its partner) of an outcome
)

var effectNames = []string{
	LookupUser:        "ncip.LookupUser",
	LocateLenders:     "locate-lenders",
	RequestItem:       "ncip.RequestItem",
	CancelRequestItem: "ncip.CancelRequestItem",
	CheckOutItem:      "ncip.CheckOutItem",
	AcceptItem:        "ncip.AcceptItem",
	CheckInItem:       "ncip.CheckInItem",
	DeleteItem:        "ncip.DeleteItem",
	RenewItem:         "ncip.RenewItem",
	RecallItem:        "ncip.RecallItem",
	FiscalTransaction: "ncip.CreateUserFiscalTransaction",
	ArmLenderTimer:    "timer.lender.arm",
	DisarmLenderTimer: "timer.lender.disarm",
	ArmDueTimer:       "timer.due.arm",
	DisarmDueTimer:    "timer.due.disarm",
	NotifyRequester:   "notify.requester",
}

// EffectKinds lists every effect kind in numeric order.
func EffectKinds() []EffectKind {
	out := make([]EffectKind, 0, len(effectNames)-1)
	for i := 1; i < len(effectNames); i++ {
		out = append(out, EffectKind(i))
	}
	return out
}

// String returns the stable name, e.g. "ncip.AcceptItem".
func (k EffectKind) String() string { return nameOf(effectNames, int(k), "EffectKind") }

// Valid reports whether k is a defined effect kind.
func (k EffectKind) Valid() bool { return k > 0 && int(k) < len(effectNames) }

// ParseEffectKind is the inverse of EffectKind.String.
func ParseEffectKind(name string) (EffectKind, error) {
	i, err := parseName(effectNames, name, "effect")
	return EffectKind(i), err
}

// Party says at which side of the loan an effect acts.
type Party uint8

// Parties.
const (
	AtRequester Party = iota + 1 // the borrowing member
	AtLender                     // the current (or just left) lender
	AtBroker                     // the broker itself (timers, catalogue search)
)

func (p Party) String() string {
	return nameOf([]string{"", "requester", "lender", "broker"}, int(p), "Party")
}

// Effect is one side effect for the broker to perform, in order, after the
// transition that produced it is stored. The broker keys each NCIP call by
// loan id, version and position so that a retry never repeats it.
type Effect struct {
	Kind  EffectKind
	Party Party
	// Member is the member whose ILS is called or who is told; empty for
	// broker-side effects.
	Member string
	// Item is the item the call is about: the temporary barcode ILL<id> at
	// the requester, the lender's copy (when known) at the lender.
	Item string
	// DueDate is the due date to pass on (AcceptItem DateForReturn,
	// RenewItem/RecallItem DesiredDateDue).
	DueDate time.Time
	// At is when a timer fires.
	At time.Time
	// Reason carries the event's reason (unfilled, cancel, notice text).
	Reason string
}
