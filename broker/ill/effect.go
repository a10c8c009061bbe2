package ill

import "time"

// EffectKind is a side effect the broker performs after it has stored a
// transition: an NCIP call at one member's ILS, a timer, a catalogue
// search, a notice. Apply only describes effects; it performs none.
type EffectKind uint8

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

// String returns "requester", "lender" or "broker".
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
