package ill

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func members(rota []Lender) []string {
	var out []string
	for _, l := range rota {
		out = append(out, l.Member)
	}
	return out
}

func TestBuildRota(t *testing.T) {
	policy := map[string]LenderPolicy{
		"NORTH": {Lends: true}, "SOUTH": {Lends: true}, "EAST": {Lends: true},
		"WEST": {Lends: true}, "NATLIB": {Lends: false}, "UPTOWN": {Lends: true},
	}
	holdings := []Holding{
		{Member: "WEST", Available: false, ItemID: "W1"},
		{Member: "NORTH", Available: true, ItemID: "N1"}, // the requester
		{Member: "EAST", Available: true, ItemID: "E1"},
		{Member: "NATLIB", Available: true, ItemID: "L1"}, // does not lend
		{Member: "GHOST", Available: true, ItemID: "G1"},  // not a configured member
		{Member: "SOUTH", Available: false, ItemID: "S1", CallNumber: "QA76 .S1"},
		{Member: "SOUTH", Available: true, ItemID: "S2", CallNumber: "QA76 .S2"},
		{Member: "UPTOWN", Available: true, ItemID: "U1"},
		{Member: "", Available: true},
	}
	load := map[string]int{"EAST": 3, "SOUTH": 3, "UPTOWN": 1, "WEST": 0}
	rota := BuildRota(holdings, "NORTH", policy, load)
	// Available first (UPTOWN least loaded, then EAST and SOUTH tied on
	// load, by code), then WEST with nothing on the shelf.
	if got, want := members(rota), []string{"UPTOWN", "EAST", "SOUTH", "WEST"}; !slices.Equal(got, want) {
		t.Fatalf("rota %v, want %v", got, want)
	}
	s := rota[2]
	if !s.Available || s.ItemID != "S2" || s.CallNumber != "QA76 .S2" || s.ActiveLoans != 3 || s.State != Candidate {
		t.Fatalf("SOUTH entry %+v: want its available copy", s)
	}
	for _, l := range rota {
		if l.State != Candidate {
			t.Fatalf("%s starts %s", l.Member, l.State)
		}
	}
	// The requester is excluded whatever its case.
	if got := members(BuildRota(holdings, "north", policy, load)); slices.Contains(got, "NORTH") {
		t.Fatalf("requester on its own rota: %v", got)
	}
	if r := BuildRota(nil, "NORTH", policy, nil); len(r) != 0 {
		t.Fatalf("rota from no holdings: %v", r)
	}
}

// TestBuildRotaDeterministic shuffles the same holdings and checks the rota
// does not change, and that it is ordered by the three keys.
func TestBuildRotaDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	policy := map[string]LenderPolicy{}
	load := map[string]int{}
	var holdings []Holding
	for i := range 40 {
		code := fmt.Sprintf("M%02d", i)
		policy[code] = LenderPolicy{Lends: i%7 != 0}
		load[code] = rng.IntN(4)
		for c := range 1 + rng.IntN(3) {
			holdings = append(holdings, Holding{Member: code, Available: rng.IntN(2) == 0, ItemID: fmt.Sprintf("%s-%d", code, c)})
		}
	}
	first := BuildRota(holdings, "M05", policy, load)
	for range 20 {
		rng.Shuffle(len(holdings), func(i, j int) { holdings[i], holdings[j] = holdings[j], holdings[i] })
		again := BuildRota(holdings, "M05", policy, load)
		if !slices.Equal(members(again), members(first)) {
			t.Fatalf("rota depends on holding order:\n%v\n%v", members(first), members(again))
		}
	}
	for i, l := range first {
		if l.Member == "M05" || !policy[l.Member].Lends {
			t.Fatalf("%s should not be on the rota", l.Member)
		}
		if i == 0 {
			continue
		}
		p := first[i-1]
		ordered := (p.Available && !l.Available) ||
			(p.Available == l.Available && (p.ActiveLoans < l.ActiveLoans ||
				(p.ActiveLoans == l.ActiveLoans && p.Member < l.Member)))
		if !ordered {
			t.Fatalf("%+v before %+v", p, l)
		}
	}
}

func TestBuildRotaCapped(t *testing.T) {
	policy := map[string]LenderPolicy{}
	var holdings []Holding
	for i := range MaxRota + 10 {
		code := fmt.Sprintf("M%03d", i)
		policy[code] = LenderPolicy{Lends: true}
		holdings = append(holdings, Holding{Member: code, Available: i >= 10})
	}
	rota := BuildRota(holdings, "X", policy, nil)
	if len(rota) != MaxRota || !rota[len(rota)-1].Available {
		t.Fatalf("%d lenders, last %+v; want %d, the unavailable ones dropped", len(rota), rota[len(rota)-1], MaxRota)
	}
}

func TestNextLender(t *testing.T) {
	rota := []Lender{
		{Member: "A", State: SupplierUnfill},
		{Member: "B", State: Candidate},
		{Member: "C", State: Candidate},
	}
	if i, ok := NextLender(rota, nil); !ok || i != 1 {
		t.Fatalf("next = %d %v, want 1", i, ok)
	}
	if i, ok := NextLender(rota, []string{"B"}); !ok || i != 2 {
		t.Fatalf("next after trying B = %d %v, want 2", i, ok)
	}
	if _, ok := NextLender(rota, []string{"B", "C"}); ok {
		t.Fatal("next lender past the end of the rota")
	}
	if _, ok := NextLender(nil, nil); ok {
		t.Fatal("next lender on an empty rota")
	}
}

func TestTimeouts(t *testing.T) {
	var def Timeouts
	for level, want := range map[ServiceLevel]time.Duration{
		Normal: 72 * time.Hour, Rush: 24 * time.Hour, Express: 2 * time.Hour, 0: 72 * time.Hour, 9: 72 * time.Hour,
	} {
		if got := def.For(level); got != want {
			t.Errorf("default For(%v) = %v, want %v", level, got, want)
		}
	}
	c := Timeouts{Normal: 48 * time.Hour, Rush: 12 * time.Hour, Express: 90 * time.Minute}
	for level, want := range map[ServiceLevel]time.Duration{Normal: 48 * time.Hour, Rush: 12 * time.Hour, Express: 90 * time.Minute} {
		if got := c.For(level); got != want {
			t.Errorf("For(%v) = %v, want %v", level, got, want)
		}
	}
	if got := c.Deadline(t0, Express); !got.Equal(t0.Add(90 * time.Minute)) {
		t.Errorf("Deadline = %v", got)
	}
	if got := (Timeouts{Rush: -time.Hour}).For(Rush); got != DefaultRushTimeout {
		t.Errorf("negative rush time-out gives %v", got)
	}
}
