package ill

import (
	"slices"
	"strings"
	"time"
)

// MaxRota bounds the lenders of one rota; BuildRota keeps the first MaxRota
// after sorting and Apply refuses a longer rota-built event.
const MaxRota = 64

// Holding is one copy a member holds, as the federated catalogue reports it.
type Holding struct {
	Member     string
	Available  bool
	ItemID     string
	CallNumber string
}

// LenderPolicy is what the consortium configuration says about a member as a
// lender (config members[].lending).
type LenderPolicy struct {
	Lends bool
}

// Lender is one entry of a loan's rota: a member that holds the item, and
// where its side of the loan stands.
type Lender struct {
	Member string
	// Available is true when at least one of its copies was on the shelf
	// when the rota was built.
	Available bool
	// ActiveLoans is how many loans the member was lending when the rota
	// was built (the load it was sorted by).
	ActiveLoans int
	// ItemID and CallNumber are an available copy if there is one, else
	// the first copy; shipping may replace ItemID with the copy sent.
	ItemID     string
	CallNumber string
	State      SupplierState
	// Reason says why this lender's part ended (unfilled reason, time-out).
	Reason     string
	AskedAt    time.Time
	AnsweredAt time.Time
	// Deadline is when the lender times out, while it is being asked.
	Deadline time.Time
}

// BuildRota orders the members holding an item into a rota (ncip-ill.md
// §3.3 "Locate", issue 8 point 2): one entry per member; members with an
// available copy first, then fewest active loans at the lender, then member
// code, so equal inputs give equal rotas. The requester is never on it,
// nor a member missing from members or configured not to lend. Every entry
// starts as a Candidate.
func BuildRota(holdings []Holding, requester string, members map[string]LenderPolicy, activeLoans map[string]int) []Lender {
	byMember := map[string]int{}
	var rota []Lender
	for _, h := range holdings {
		if h.Member == "" || strings.EqualFold(h.Member, requester) {
			continue
		}
		if p, ok := members[h.Member]; !ok || !p.Lends {
			continue
		}
		i, seen := byMember[h.Member]
		if !seen {
			byMember[h.Member] = len(rota)
			rota = append(rota, Lender{
				Member:      h.Member,
				Available:   h.Available,
				ActiveLoans: activeLoans[h.Member],
				ItemID:      h.ItemID,
				CallNumber:  h.CallNumber,
				State:       Candidate,
			})
			continue
		}
		if h.Available && !rota[i].Available {
			rota[i].Available = true
			rota[i].ItemID, rota[i].CallNumber = h.ItemID, h.CallNumber
		}
	}
	slices.SortFunc(rota, func(a, b Lender) int {
		if a.Available != b.Available {
			if a.Available {
				return -1
			}
			return 1
		}
		if a.ActiveLoans != b.ActiveLoans {
			return a.ActiveLoans - b.ActiveLoans
		}
		return strings.Compare(a.Member, b.Member)
	})
	if len(rota) > MaxRota {
		rota = rota[:MaxRota]
	}
	return rota
}

// NextLender returns the index of the first rota entry that is still a
// candidate and whose member is not in tried, or false at the end of the
// rota (ncip-ill.md §3.3 "Selection").
func NextLender(rota []Lender, tried []string) (int, bool) {
	for i, l := range rota {
		if l.State == Candidate && !slices.Contains(tried, l.Member) {
			return i, true
		}
	}
	return 0, false
}

// ServiceLevel is how fast the requester wants the item; it sets the lender
// time-out. Numbers follow illgw.v1.ServiceLevel; 0 counts as Normal.
type ServiceLevel uint8

// String returns "normal", "rush" or "express".
func (l ServiceLevel) String() string { return nameOf(levelNames, int(l), "ServiceLevel") }

// ParseServiceLevel is the inverse of ServiceLevel.String.
func ParseServiceLevel(name string) (ServiceLevel, error) {
	i, err := parseName(levelNames, name, "service level")
	return ServiceLevel(i), err
}

// Default lender time-outs (config loans.lender_timeout; CrossLink's request
// aging, ncip-ill.md §2.3 and §3.3).
const (
	DefaultNormalTimeout  = 72 * time.Hour
	DefaultRushTimeout    = 24 * time.Hour
	DefaultExpressTimeout = 2 * time.Hour
)

// Timeouts is how long a lender has to ship or say no, per service level
// (config loans.lender_timeout). A zero field means its default.
type Timeouts struct {
	Normal  time.Duration
	Rush    time.Duration
	Express time.Duration
}

// For returns the time-out for a service level; an unknown level is Normal.
func (t Timeouts) For(level ServiceLevel) time.Duration {
	switch level {
	case Rush:
		return orDefault(t.Rush, DefaultRushTimeout)
	case Express:
		return orDefault(t.Express, DefaultExpressTimeout)
	}
	return orDefault(t.Normal, DefaultNormalTimeout)
}

// Deadline is when a lender asked at asked times out.
func (t Timeouts) Deadline(asked time.Time, level ServiceLevel) time.Time {
	return asked.Add(t.For(level))
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
