package ill

import (
	"fmt"
	"strings"
)

// Three-letter column heads for the review grids.
var stateAbbr = map[State]string{
	New: "NEW", Validated: "VAL", InvalidPatron: "INV", Sent: "SNT", WillSupply: "WIL",
	Shipped: "SHP", Received: "RCV", CheckedOut: "OUT", RenewPending: "RNW", Overdue: "OVD",
	Recalled: "RCL", CheckedIn: "CIN", ShippedReturn: "SRT", Completed: "CMP", Unfilled: "UNF",
	EndOfRota: "EOR", CancelPending: "CNP", Cancelled: "CNC", Lost: "LST",
}

var supplierAbbr = map[SupplierState]string{
	Candidate: "CAN", Asked: "ASK", SupplierWill: "WIL", SupplierShip: "SHP", SupplierRecv: "RCV",
	SupplierOver: "OVD", SupplierRecall: "RCL", SupplierReturn: "SRT", SupplierDone: "CMP",
	SupplierUnfill: "UNF", TimedOut: "TMO", SupplierCancel: "CNC", Skipped: "SKP", SupplierLost: "LST",
}

// requesterCell renders the table's outcome of one pair as a grid cell.
func requesterCell(s State, k EventKind) string {
	r, ok := requesterTable[s][k]
	switch {
	case !ok:
		return "."
	case r.move == moveBack:
		return "<"
	case r.move == moveNext:
		return ">"
	}
	return stateAbbr[r.to]
}

func supplierCell(s SupplierState, e SupplierEvent) string {
	to, ok := supplierTable[s][e]
	if !ok {
		return "."
	}
	return supplierAbbr[to]
}

// renderGrid prints a grid in the format parseGrid reads, for a failing
// test to show the table as it is.
func renderGrid[S comparable, E fmt.Stringer](cols []S, abbr map[S]string, rows []E, cell func(S, E) string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-20s", "")
	for _, c := range cols {
		fmt.Fprintf(&b, " %s", abbr[c])
	}
	b.WriteString("\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "%-20s", r.String())
		for _, c := range cols {
			fmt.Fprintf(&b, " %3s", cell(c, r))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// effectCell renders a rule's effects: kind@party, "!" when skipped if the
// member's ILS did the step itself, "?" when only with a due date.
func effectCell(r rule) string {
	var parts []string
	for _, s := range r.fx {
		p := s.kind.String() + "@" + s.party.String()
		if s.unlessILS {
			p += "!"
		}
		if s.ifDue {
			p += "?"
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}
