package sim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/illgw/illgw/marc"
	"github.com/illgw/illgw/sip2"
	sipmem "github.com/illgw/illgw/sip2/memory"
	zmem "github.com/illgw/illgw/z3950/memory"
)

// Fixture sizes (DESIGN.md "Demo fixtures").
const (
	// ItemsPerMember is the number of fixture items, <P>I0001..<P>I0010.
	ItemsPerMember = 10
	// PatronPIN is the PIN of every fixture patron.
	PatronPIN = "1234"
)

// Prefix returns the letter a member's patron and item barcodes start with:
// the first letter of its code (N for NORTH).
func Prefix(code string) string {
	if code == "" {
		return ""
	}
	return code[:1]
}

// GoodPatron is a member's patron in good standing with no loans at start:
// N0001 at NORTH (DESIGN.md "Demo fixtures").
func GoodPatron(code string) string { return Prefix(code) + "0001" }

// BlockedPatron is a member's blocked patron, charge privileges denied (the
// first character of the SIP2 patron status is Y): N0002 at NORTH.
func BlockedPatron(code string) string { return Prefix(code) + "0002" }

// FinedPatron is a member's patron who owes one overdue fine of 2.50 and
// may still borrow: N0003 at NORTH (for Fee Paid).
func FinedPatron(code string) string { return Prefix(code) + "0003" }

// ItemID is the barcode of a member's n-th fixture item (1-based): NI0001
// at NORTH.
func ItemID(code string, n int) string { return fmt.Sprintf("%sI%04d", Prefix(code), n) }

// InstitutionalPatron is the patron a lender charges a member's borrowed
// items to (config lending.institutional_patron).
func InstitutionalPatron(code string) string { return "ILL-" + code }

// Member is one simulated member library: the ILS model and its three
// servers. Its methods are safe for concurrent use.
type Member struct {
	Code string
	// SIP2Addr, NCIPURL and Z3950Addr are where the servers listen:
	// "127.0.0.1:port", "http://127.0.0.1:port/ncip", "127.0.0.1:port".
	// The Z39.50 port answers SRU too (http://Z3950Addr/<Code>).
	SIP2Addr, NCIPURL, Z3950Addr string
	// Records are the sample records the member holds, in file order
	// (indexes into the embedded file in RecordIndexes).
	Records       []*marc.Record
	RecordIndexes []int

	ils      *sipmem.Backend
	internal *sipmem.Session // staff session the NCIP responder acts through
	catalog  *zmem.Database

	ops       sync.Mutex // serialises state-changing NCIP calls
	mu        sync.Mutex
	itemIDs   []string         // every item ever created, in creation order
	deleted   map[string]bool  // items removed by DeleteItem
	itemRec   map[string]int   // fixture item -> index in Records
	requests  map[string]*hold // NCIP requests by request id
	calls     map[CallKey]int  // state-changing NCIP calls received
	effects   map[CallKey]int  // ... and those that changed the model
	listeners [numServices]*faultListener
	seq       int
}

// hold is an NCIP request the responder placed.
type hold struct{ user, item string }

// CallKey names one state-changing NCIP call: the service and the id it
// acted on (request id, else item id, else bibliographic id).
type CallKey struct{ Service, ID string }

// newMember builds the model: fixture patrons and items, the terminal
// account the gateway logs in with, and the catalogue slice.
func newMember(code, name string, recs []*marc.Record, idx []int, others []string, login, password string) (*Member, error) {
	m := &Member{Code: code, ils: sipmem.New(), deleted: map[string]bool{}, itemRec: map[string]int{},
		requests: map[string]*hold{}, calls: map[CallKey]int{}, effects: map[CallKey]int{}}
	if name == "" {
		name = strings.ToUpper(code[:1]) + strings.ToLower(code[1:]) + " Library"
	}
	m.ils.AddAccount(sipmem.Account{Login: login, PasswordHash: sipmem.HashPassword(password, 4), Institution: code, LibraryName: name})
	staff := randomSecret()
	m.ils.AddAccount(sipmem.Account{Login: "sim-staff", PasswordHash: sipmem.HashPassword(staff, 4), Institution: code, LibraryName: name})
	s, err := m.ils.Login(context.Background(), "sim-staff", staff, sip2.ConnInfo{})
	if err != nil {
		return nil, fmt.Errorf("sim: %s staff login: %w", code, err)
	}
	m.internal = s.(*sipmem.Session)

	m.ils.AddPatron(sipmem.Patron{ID: GoodPatron(code), PIN: PatronPIN, Name: "Good Standing, " + code, Email: strings.ToLower(GoodPatron(code)) + "@example.org"})
	m.ils.AddPatron(sipmem.Patron{ID: BlockedPatron(code), PIN: PatronPIN, Name: "Blocked, " + code, Status: sip2.ChargeDenied})
	m.ils.AddPatron(sipmem.Patron{ID: FinedPatron(code), PIN: PatronPIN, Name: "Owes a Fine, " + code,
		Fines: []sipmem.Fine{{ID: code + "-FINE-1", Amount: 250, Type: sip2.FeeOverdue}}})
	for _, o := range others {
		m.ils.AddPatron(sipmem.Patron{ID: InstitutionalPatron(o), PIN: "", Name: "Interlibrary loan: " + o})
	}
	for _, i := range idx {
		m.Records = append(m.Records, recs[i])
		m.RecordIndexes = append(m.RecordIndexes, i)
	}
	for n := 1; n <= ItemsPerMember; n++ {
		id := ItemID(code, n)
		title := ""
		if n-1 < len(m.Records) {
			title = m.Records[n-1].Title()
			m.itemRec[id] = n - 1
		}
		m.ils.AddItem(sipmem.Item{ID: id, Title: title, Owner: code, Location: code + " stacks", MediaType: sip2.MediaBook})
		m.itemIDs = append(m.itemIDs, id)
	}
	var iso []byte
	for _, rec := range m.Records {
		b, err := marc.Encode(rec)
		if err != nil {
			return nil, fmt.Errorf("sim: %s: encoding record: %w", code, err)
		}
		iso = append(iso, b...)
	}
	if m.catalog, err = zmem.NewDatabase(code, iso); err != nil {
		return nil, fmt.Errorf("sim: %s catalogue: %w", code, err)
	}
	return m, nil
}

func randomSecret() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Item returns the ILS's view of an item: its title, who holds it (""
// when on the shelf, circulation status 03; charged, 04), due date, holds
// and how often it was charged and discharged. ok is false for an unknown
// or deleted item.
func (m *Member) Item(id string) (it sipmem.Item, ok bool) {
	if m.isDeleted(id) {
		return sipmem.Item{}, false
	}
	return m.ils.Item(id)
}

// Patron returns a copy of a patron.
func (m *Member) Patron(id string) (sipmem.Patron, bool) { return m.ils.Patron(id) }

// ItemIDs returns the ids of the member's items (fixtures and temporary
// ILL items not deleted), sorted.
func (m *Member) ItemIDs() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, id := range m.itemIDs {
		if !m.deleted[id] {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

func (m *Member) isDeleted(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.deleted[id]
}

// Calls returns how many state-changing NCIP calls of a service for an id
// reached the responder (AcceptItem by request id; CheckOutItem,
// CheckInItem, DeleteItem and RenewItem by item id; RequestItem and
// CancelRequestItem by request id, else item id).
func (m *Member) Calls(service, id string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls[CallKey{service, id}]
}

// Effects returns how many of those calls changed the model. A repeated
// AcceptItem for the same request returns the same item without effect.
func (m *Member) Effects(service, id string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.effects[CallKey{service, id}]
}

// CallCounts returns a copy of every call count.
func (m *Member) CallCounts() map[CallKey]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[CallKey]int, len(m.calls))
	for k, v := range m.calls {
		out[k] = v
	}
	return out
}

// SetFaults switches latency, errors and being down for the given services
// of the member (all three when none is given). It returns an error only
// when a Refused listener cannot listen again on its port.
func (m *Member) SetFaults(f Faults, services ...Service) error {
	if len(services) == 0 {
		services = []Service{SIP2, NCIP, Catalog}
	}
	for _, s := range services {
		if s < 0 || s >= numServices || m.listeners[s] == nil {
			return fmt.Errorf("sim: %s has no %s service", m.Code, s)
		}
		if err := m.listeners[s].set(f); err != nil {
			return err
		}
	}
	return nil
}

// Faults returns a service's current switches.
func (m *Member) Faults(s Service) Faults {
	if s < 0 || s >= numServices || m.listeners[s] == nil {
		return Faults{}
	}
	return m.listeners[s].current()
}

func (m *Member) failing(s Service) bool {
	return m.listeners[s] != nil && m.listeners[s].current().Failing
}
