package sim_test

import (
	"context"
	"fmt"
	"time"

	"github.com/illgw/illgw/internal/sim"
)

// Start the demo consortium, look at a member, and make it slow.
func ExampleStart() {
	c, err := sim.Start(context.Background(), sim.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	for _, m := range c.Members {
		it, _ := m.Item(sim.ItemID(m.Code, 1))
		fmt.Println(m.Code, len(m.Records), "records;", sim.GoodPatron(m.Code), sim.BlockedPatron(m.Code), it.ID, it.ChargedTo == "")
	}
	north := c.Member("NORTH")
	north.SetFaults(sim.Faults{Latency: time.Second}, sim.Catalog)
	fmt.Println(north.Faults(sim.Catalog).Latency, north.Faults(sim.SIP2).Latency)
	// Output:
	// NORTH 11 records; N0001 N0002 NI0001 true
	// SOUTH 12 records; S0001 S0002 SI0001 true
	// EAST 11 records; E0001 E0002 EI0001 true
	// 1s 0s
}
