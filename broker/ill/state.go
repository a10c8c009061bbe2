package ill

// State is the requester-side state of a loan (ncip-ill.md §3.1). Its
// numbers are those of illgw.v1.LoanState and its names are stable: they
// are stored and go out through the gRPC API.
type State uint8

// Requester states. The numbering follows illgw.v1.LoanState.
const (
	New           State = 1  // R1: created, patron not yet checked
	Validated     State = 2  // R2: patron in good standing at the requester
	Sent          State = 3  // R5: asked the current lender (RequestItem at its ILS)
	WillSupply    State = 4  // R6: the lender said it will supply
	Shipped       State = 5  // R8: the lender shipped the item
	Received      State = 6  // R9: the requester received it (AcceptItem)
	CheckedOut    State = 7  // R10: the patron has it
	RenewPending  State = 8  // R11: a renewal asked of the lender
	Overdue       State = 9  // R12: past the lender's due date
	Recalled      State = 10 // R12: the lender recalled it
	CheckedIn     State = 11 // R13: the patron returned it
	ShippedReturn State = 12 // R14: on its way back to the lender
	Completed     State = 13 // R15: the lender checked it in
	Unfilled      State = 14 // R7: ended unfilled (duplicate request)
	EndOfRota     State = 15 // R7/§3.3: every lender declined or timed out
	CancelPending State = 16 // R16: cancel asked of the lender
	Cancelled     State = 17 // R16: cancelled
	Lost          State = 18 // R17: lost or damaged
	InvalidPatron State = 19 // R2: the requester's ILS refused the patron
)

var stateNames = []string{
	New:           "new",
	Validated:     "validated",
	Sent:          "sent",
	WillSupply:    "will-supply",
	Shipped:       "shipped",
	Received:      "received",
	CheckedOut:    "checked-out",
	RenewPending:  "renew-pending",
	Overdue:       "overdue",
	Recalled:      "recalled",
	CheckedIn:     "checked-in",
	ShippedReturn: "shipped-return",
	Completed:     "completed",
	Unfilled:      "unfilled",
	EndOfRota:     "end-of-rota",
	CancelPending: "cancel-pending",
	Cancelled:     "cancelled",
	Lost:          "lost",
	InvalidPatron: "invalid-patron",
}

// States lists every requester state in numeric order.
func States() []State {
	out := make([]State, 0, len(stateNames)-1)
	for i := 1; i < len(stateNames); i++ {
		out = append(out, State(i))
	}
	return out
}

// String returns the stable name, e.g. "checked-out".
func (s State) String() string { return nameOf(stateNames, int(s), "State") }

// Valid reports whether s is one of the defined states.
func (s State) Valid() bool { return s > 0 && int(s) < len(stateNames) }

// Terminal reports whether the loan is over: completed, unfilled,
// end-of-rota, cancelled or lost. A terminal state accepts only the events
// its row of the table lists (anonymise, and a few operator corrections).
func (s State) Terminal() bool {
	switch s {
	case Completed, Unfilled, EndOfRota, Cancelled, Lost:
		return true
	}
	return false
}

// ParseState is the inverse of State.String.
func ParseState(name string) (State, error) {
	i, err := parseName(stateNames, name, "state")
	return State(i), err
}

// MarshalText implements encoding.TextMarshaler with the stable name.
func (s State) MarshalText() ([]byte, error) {
	if !s.Valid() {
		return nil, ErrUnknownName
	}
	return []byte(s.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *State) UnmarshalText(b []byte) error {
	v, err := ParseState(string(b))
	if err == nil {
		*s = v
	}
	return err
}

// SupplierState is one lender's side of a loan (ncip-ill.md §3.2), kept per
// rota entry. Its numbers are those of illgw.v1.SupplierState; Lost (14)
// has no counterpart there yet.
type SupplierState uint8

// Supplier states. The numbering follows illgw.v1.SupplierState.
const (
	Candidate      SupplierState = 1  // §3.3: on the rota, not asked yet
	Asked          SupplierState = 2  // S1/S4: RequestItem placed at the lender's ILS
	SupplierWill   SupplierState = 3  // S4: the lender will supply
	SupplierShip   SupplierState = 4  // S7: shipped (CheckOutItem to the institutional patron)
	SupplierRecv   SupplierState = 5  // S8: the requester has it
	SupplierOver   SupplierState = 6  // S9: overdue
	SupplierRecall SupplierState = 7  // S10: recalled
	SupplierReturn SupplierState = 8  // S12: shipped back
	SupplierDone   SupplierState = 9  // S13: checked in at the lender, loan complete
	SupplierUnfill SupplierState = 10 // S14: cannot supply
	TimedOut       SupplierState = 11 // S14 aging / §3.3 lender time-out
	SupplierCancel SupplierState = 12 // S15: cancelled (by either side)
	Skipped        SupplierState = 13 // §3.3: messaging failure or open breaker
	SupplierLost   SupplierState = 14 // R17 seen from the lender: item lost
)

var supplierStateNames = []string{
	Candidate:      "candidate",
	Asked:          "asked",
	SupplierWill:   "will-supply",
	SupplierShip:   "shipped",
	SupplierRecv:   "received",
	SupplierOver:   "overdue",
	SupplierRecall: "recalled",
	SupplierReturn: "shipped-return",
	SupplierDone:   "completed",
	SupplierUnfill: "unfilled",
	TimedOut:       "timed-out",
	SupplierCancel: "cancelled",
	Skipped:        "skipped",
	SupplierLost:   "lost",
}

// SupplierStates lists every supplier state in numeric order.
func SupplierStates() []SupplierState {
	out := make([]SupplierState, 0, len(supplierStateNames)-1)
	for i := 1; i < len(supplierStateNames); i++ {
		out = append(out, SupplierState(i))
	}
	return out
}

// String returns the stable name, e.g. "timed-out".
func (s SupplierState) String() string {
	return nameOf(supplierStateNames, int(s), "SupplierState")
}

// Valid reports whether s is one of the defined supplier states.
func (s SupplierState) Valid() bool { return s > 0 && int(s) < len(supplierStateNames) }

// Terminal reports whether this lender's part is over.
func (s SupplierState) Terminal() bool {
	switch s {
	case SupplierDone, SupplierUnfill, TimedOut, SupplierCancel, Skipped:
		return true
	}
	return false
}

// ParseSupplierState is the inverse of SupplierState.String.
func ParseSupplierState(name string) (SupplierState, error) {
	i, err := parseName(supplierStateNames, name, "supplier state")
	return SupplierState(i), err
}

// MarshalText implements encoding.TextMarshaler with the stable name.
func (s SupplierState) MarshalText() ([]byte, error) {
	if !s.Valid() {
		return nil, ErrUnknownName
	}
	return []byte(s.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *SupplierState) UnmarshalText(b []byte) error {
	v, err := ParseSupplierState(string(b))
	if err == nil {
		*s = v
	}
	return err
}
