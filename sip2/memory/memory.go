// Package memory is an in-memory SIP2 Backend: terminal accounts, patrons
// with PINs, items, checkouts, holds, fines, blocks and renewals. It is the
// reference implementation of sip2.Backend and sip2.Session (every add-on
// interface included) and the fixture the sip2 tests and simulated member
// libraries run against. Safe for concurrent use.
package memory

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/illgw/illgw/sip2"
)

// Account is a terminal login.
type Account struct {
	Login string
	// PasswordHash is a bcrypt hash of the terminal password (CO).
	PasswordHash string
	// Institution is the institution id (AO) sent in the ACS status.
	Institution string
	// LibraryName is sent as AM in the ACS status.
	LibraryName string
	// MaxConnections caps simultaneous logins of the account; 0 = no cap.
	MaxConnections int
	// AllowedCIDRs, if not empty, are the networks the terminal may log in
	// from.
	AllowedCIDRs []netip.Prefix
	// Charset of the terminal.
	Charset sip2.Charset
}

// Patron is a library user.
type Patron struct {
	ID, PIN, Name, Email, Phone, Address string
	// Status holds the patron's blocks ("privilege denied" positions).
	Status sip2.PatronStatus
	// Fines are the patron's outstanding fees.
	Fines []Fine
	// BlockedMessage is the last Block Patron's AL.
	BlockedMessage string
}

// Fine is one outstanding fee; Amount is in cents.
type Fine struct {
	ID     string
	Amount int
	Type   string // a Fee* code
}

// Item is a copy the library circulates.
type Item struct {
	ID, Title, Owner, Location string
	MediaType                  string // a Media* code
	Properties                 string // CH, set by Item Status Update
	// ChargedTo is the patron holding the item, "" when on the shelf.
	ChargedTo   string
	Due         time.Time
	Renewals    int
	Holds       []string // patron ids, in queue order
	Checkouts   int      // times charged (renewals excluded)
	Checkins    int      // times discharged
	HoldPickups map[string]string
}

// Backend holds the library's data. Create it with New.
type Backend struct {
	// LoanPeriod is the loan length. 0 means 14 days.
	LoanPeriod time.Duration
	// MaxRenewals per loan. 0 means 3.
	MaxRenewals int
	// Now is the clock. Nil means time.Now.
	Now func() time.Time

	mu       sync.Mutex
	accounts map[string]*Account
	patrons  map[string]*Patron
	items    map[string]*Item
	offline  bool
	payments int
}

// New returns an empty Backend.
func New() *Backend {
	return &Backend{accounts: map[string]*Account{}, patrons: map[string]*Patron{}, items: map[string]*Item{}}
}

// HashPassword returns a bcrypt hash for Account.PasswordHash.
func HashPassword(password string, cost int) string {
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		panic(err) // only for a password over 72 bytes or a bad cost
	}
	return string(h)
}

// AddAccount adds or replaces a terminal account.
func (b *Backend) AddAccount(a Account) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.accounts[a.Login] = &a
}

// AddPatron adds or replaces a patron.
func (b *Backend) AddPatron(p Patron) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p.Fines = append([]Fine(nil), p.Fines...)
	b.patrons[p.ID] = &p
}

// AddItem adds or replaces an item.
func (b *Backend) AddItem(it Item) {
	b.mu.Lock()
	defer b.mu.Unlock()
	it.Holds = append([]string(nil), it.Holds...)
	b.items[it.ID] = &it
}

// Patron returns a copy of a patron.
func (b *Backend) Patron(id string) (Patron, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p, ok := b.patrons[id]
	if !ok {
		return Patron{}, false
	}
	c := *p
	c.Fines = append([]Fine(nil), p.Fines...)
	return c, true
}

// Item returns a copy of an item.
func (b *Backend) Item(id string) (Item, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	it, ok := b.items[id]
	if !ok {
		return Item{}, false
	}
	c := *it
	c.Holds = append([]string(nil), it.Holds...)
	return c, true
}

// Payments returns how many fee payments were accepted.
func (b *Backend) Payments() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.payments
}

// SetOnline makes sessions report the library system up or down (on-line
// flag of the ACS status), as a gateway does while a member's breaker is
// open.
func (b *Backend) SetOnline(on bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.offline = !on
}

func (b *Backend) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

// Login implements sip2.Backend: the password is checked against the
// account's bcrypt hash and the remote address against its allowed CIDRs.
func (b *Backend) Login(_ context.Context, login, password string, conn sip2.ConnInfo) (sip2.Session, error) {
	b.mu.Lock()
	a, ok := b.accounts[login]
	b.mu.Unlock()
	if !ok {
		// Spend the same time as a real comparison.
		bcrypt.CompareHashAndPassword([]byte("$2a$04$0000000000000000000000000000000000000000000000000000a"), []byte(password))
		return nil, sip2.ErrLoginFailed
	}
	if bcrypt.CompareHashAndPassword([]byte(a.PasswordHash), []byte(password)) != nil {
		return nil, sip2.ErrLoginFailed
	}
	if len(a.AllowedCIDRs) > 0 {
		allowed := false
		for _, p := range a.AllowedCIDRs {
			allowed = allowed || p.Contains(conn.Remote.Addr())
		}
		if !allowed {
			return nil, errors.New("memory: terminal address not allowed for this account")
		}
	}
	return &Session{b: b, acct: *a}, nil
}

// StatusBeforeLogin implements sip2.PreLoginStatuser with the first account
// in login order, as Evergreen does for kiosks that send 99 first.
func (b *Backend) StatusBeforeLogin(ctx context.Context, req *sip2.SCStatus, _ sip2.ConnInfo) (*sip2.ACSStatus, error) {
	b.mu.Lock()
	logins := make([]string, 0, len(b.accounts))
	for l := range b.accounts {
		logins = append(logins, l)
	}
	sort.Strings(logins)
	var a Account
	if len(logins) > 0 {
		a = *b.accounts[logins[0]]
	}
	b.mu.Unlock()
	st, err := (&Session{b: b, acct: a}).Status(ctx, req)
	if err == nil {
		st.SupportedMessages = sip2.SupportedMessages(func(string) bool { return true })
	}
	return st, err
}

func money(cents int) string { return fmt.Sprintf("%d.%02d", cents/100, cents%100) }

func itoa(n int) string { return strconv.Itoa(n) }

// parseMoney reads "12", "12.5" or "12.50" as cents.
func parseMoney(s string) (int, bool) {
	cents, frac, dot := 0, 0, false
	if s == "" {
		return 0, false
	}
	for _, c := range s {
		switch {
		case c == '.' && !dot:
			dot = true
		case c >= '0' && c <= '9' && !dot:
			cents = cents*10 + int(c-'0')
			if cents > 1e9 {
				return 0, false
			}
		case c >= '0' && c <= '9' && frac < 2:
			frac++
			if frac == 1 {
				cents = cents*100 + int(c-'0')*10
			} else {
				cents += int(c - '0')
			}
		default:
			return 0, false
		}
	}
	if frac == 0 {
		cents *= 100
	}
	return cents, true
}
