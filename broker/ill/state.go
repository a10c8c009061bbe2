package ill

// State is the requester-side state of a loan (ncip-ill.md §3.1). Its
// numbers are those of illgw.v1.LoanState and its names are stable: they
// are stored and go out through the gRPC API.
type State uint8

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
