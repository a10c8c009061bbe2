package ill_test

import (
	"fmt"
	"time"

	"github.com/illgw/illgw/broker/ill"
)

// The broker's loop: apply an event, store the loan and its effects in one
// compare-and-set, then perform the effects.
func ExampleApply() {
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	id, _ := ill.ShortID([]byte{0x12, 0x34, 0x56, 0x78, 0x9a}) // crypto/rand in the broker
	loan, effects, _ := ill.NewLoan(id, "NORTH", "N0001", ill.Rush, at)
	fmt.Println(loan.State, effects[0].Kind, effects[0].Member)

	loan, _, _ = ill.Apply(loan, ill.Event{Kind: ill.PatronValid, Actor: ill.Actor{Kind: ill.ActorSystem}, At: at})
	rota := ill.BuildRota(
		[]ill.Holding{{Member: "EAST", Available: true}, {Member: "SOUTH", Available: true}, {Member: "NORTH", Available: true}},
		"NORTH",
		map[string]ill.LenderPolicy{"EAST": {Lends: true}, "SOUTH": {Lends: true}},
		map[string]int{"EAST": 2, "SOUTH": 0})
	loan, effects, _ = ill.Apply(loan, ill.Event{Kind: ill.RotaBuilt, Actor: ill.Actor{Kind: ill.ActorSystem}, At: at, Lenders: rota})
	fmt.Println(loan.State, loan.Lender)
	for _, e := range effects {
		fmt.Println(" ", e.Kind, e.Member)
	}
	fmt.Println("  lender times out at", loan.Rota[0].Deadline.Format(time.RFC3339))

	_, _, err := ill.Apply(loan, ill.Event{Kind: ill.ItemReceived, Actor: ill.Actor{Kind: ill.ActorMember}, Member: "NORTH", At: at})
	fmt.Println(err)
	fmt.Println(ill.TemporaryBarcode(loan.ID), ill.Allowed(loan.State))
	// Output:
	// new ncip.LookupUser NORTH
	// sent SOUTH
	//   ncip.RequestItem SOUTH
	//   timer.lender.arm SOUTH
	//   lender times out at 2026-11-03T09:00:00Z
	// ill: received not allowed in state sent
	// ILL4AU7EY6U [lender-will-supply lender-unfilled lender-cancelled lender-timeout lender-error shipped cancel-requested]
}
