package ncip

import (
	"context"
	"crypto/subtle"
	"fmt"
	"sync"
	"time"
)

// Memory is an in-memory NCIP responder: the reference Handler and the test
// fixture for servers and clients. It keeps users, items (including
// temporary ILL items made by AcceptItem), requests and loans, and answers
// with the Implementation Profile 1 problem types. It implements every
// service of this package except LookupAgency, RecallItem and
// CreateUserFiscalTransaction, and records notifications.
type Memory struct {
	// Agency is the agency id Memory answers for; it appears in returned ids.
	Agency string
	// LoanPeriod is the loan period of a checkout or renewal: 0 means 21 days.
	LoanPeriod time.Duration
	// MaxRenewals caps renewals per loan: 0 means 3.
	MaxRenewals int
	// Now returns the current time: nil means time.Now.
	Now func() time.Time

	mu       sync.Mutex
	users    map[string]*MemoryUser
	items    map[string]*MemoryItem
	requests map[string]*MemoryRequest
	notices  []string
	seq      int
}

// MemoryUser is a user of a Memory responder.
type MemoryUser struct {
	ID, PIN, GivenName, Surname, Email string
	Blocked                            bool
}

// MemoryItem is an item of a Memory responder.
type MemoryItem struct {
	ID, Title, Author, CallNumber string
	Temporary                     bool   // made by AcceptItem
	Borrower                      string // user id while checked out
	DateDue                       time.Time
	Renewals                      int
}

// MemoryRequest is a request (hold, page or accepted ILL loan) of a Memory responder.
type MemoryRequest struct {
	ID, UserID, ItemID, Type, Scope string
}

// NewMemory returns an empty Memory responder for agency.
func NewMemory(agency string) *Memory {
	return &Memory{Agency: agency, users: map[string]*MemoryUser{}, items: map[string]*MemoryItem{}, requests: map[string]*MemoryRequest{}}
}

// AddUser adds or replaces a user.
func (m *Memory) AddUser(u MemoryUser) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.users[u.ID] = &u
}

// AddItem adds or replaces an item.
func (m *Memory) AddItem(i MemoryItem) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.items[i.ID] = &i
}

// Item returns a copy of an item and whether it exists.
func (m *Memory) Item(id string) (MemoryItem, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	i, ok := m.items[id]
	if !ok {
		return MemoryItem{}, false
	}
	return *i, true
}

// Notifications returns the notifications received, as "Service id" strings.
func (m *Memory) Notifications() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.notices...)
}

func (m *Memory) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

func (m *Memory) loanPeriod() time.Duration {
	if m.LoanPeriod > 0 {
		return m.LoanPeriod
	}
	return 21 * 24 * time.Hour
}

func (m *Memory) userID(id string) *UserID   { return &UserID{AgencyID: SV(m.Agency), Value: id} }
func (m *Memory) itemID(id string) *ItemID   { return &ItemID{AgencyID: SV(m.Agency), Value: id} }
func (m *Memory) reqID(id string) *RequestID { return &RequestID{AgencyID: SV(m.Agency), Value: id} }

// findUser resolves a UserId or barcode-and-PIN AuthenticationInputs, and
// checks a PIN sent beside a UserId (as FOLIO clients do); the caller holds m.mu.
func (m *Memory) findUser(service string, id *UserID, auth []AuthenticationInput) (*MemoryUser, error) {
	barcode, pin, hasPIN := Credentials(id, auth)
	if id != nil {
		if _, ok := m.users[barcode]; !ok {
			return nil, NewServiceProblem(service, ProblemUnknownUser, "no such user").WithElement("UserIdentifierValue", id.Value)
		}
	}
	if barcode == "" {
		return nil, NewServiceProblem(service, ProblemNeededDataMissing, "UserId or AuthenticationInput needed").WithElement("UserId", "")
	}
	u, ok := m.users[barcode]
	if !ok {
		return nil, NewServiceProblem(service, ProblemUnknownUser, "no such user").WithElement("AuthenticationInputData", barcode)
	}
	if hasPIN && subtle.ConstantTimeCompare([]byte(u.PIN), []byte(pin)) != 1 {
		return nil, NewServiceProblem(service, ProblemUserAuthenticationFailed, "wrong PIN").WithElement("AuthenticationInput", "")
	}
	return u, nil
}

// findActiveUser is findUser for services that lend or request: a blocked
// user gets User Blocked (NCIP 2.02 Problem Type scheme); the caller holds m.mu.
func (m *Memory) findActiveUser(service string, id *UserID, auth []AuthenticationInput) (*MemoryUser, error) {
	u, err := m.findUser(service, id, auth)
	if err != nil {
		return nil, err
	}
	if u.Blocked {
		return nil, NewServiceProblem(service, ProblemUserBlocked, "the user is blocked").WithElement("UserId", u.ID)
	}
	return u, nil
}

func (m *Memory) findItem(service string, id *ItemID) (*MemoryItem, error) {
	if id == nil {
		return nil, NewServiceProblem(service, ProblemNeededDataMissing, "ItemId needed").WithElement("ItemId", "")
	}
	i, ok := m.items[id.Value]
	if !ok {
		return nil, NewServiceProblem(service, ProblemUnknownItem, "no such item").WithElement("ItemIdentifierValue", id.Value)
	}
	return i, nil
}

// LookupUser implements Handler.
func (m *Memory) LookupUser(_ context.Context, req *LookupUser) (*LookupUserResponse, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, err := m.findUser("LookupUser", req.UserID, req.AuthenticationInputs)
	if err != nil {
		return nil, err
	}
	status := "ACTIVE"
	f := &UserOptionalFields{
		NameInformation: &NameInformation{Personal: &PersonalNameInformation{Structured: &StructuredPersonalUserName{GivenName: u.GivenName, Surname: u.Surname}}},
		UserIDs:         []UserID{*m.userID(u.ID)},
	}
	if u.Email != "" {
		f.UserAddressInformation = []UserAddressInformation{{RoleType: SV("Home"), ElectronicAddress: &ElectronicAddress{Type: SV("mailto"), Data: u.Email}}}
	}
	if u.Blocked {
		status = "BLOCKED"
		f.BlockOrTraps = []BlockOrTrap{{AgencyID: SV(m.Agency), Type: SV("Block Check Out")}}
	}
	f.UserPrivileges = []UserPrivilege{{AgencyID: SV(m.Agency), AgencyUserPrivilegeType: SV("STATUS"), Status: &UserPrivilegeStatus{Type: SV(status)}}}
	resp := &LookupUserResponse{UserID: m.userID(u.ID), UserOptionalFields: f}
	if req.LoanedItemsDesired {
		for _, it := range m.items {
			if it.Borrower == u.ID {
				resp.LoanedItems = append(resp.LoanedItems, LoanedItem{ItemID: m.itemID(it.ID), DateDue: At(it.DateDue), Title: it.Title})
			}
		}
	}
	return resp, nil
}

func (m *Memory) itemFields(it *MemoryItem) *ItemOptionalFields {
	status := "Available On Shelf"
	if it.Borrower != "" {
		status = "On Loan"
	}
	f := &ItemOptionalFields{
		BibliographicDescription: &BibliographicDescription{Author: it.Author, Title: it.Title},
		CirculationStatus:        SV(status),
	}
	if it.CallNumber != "" {
		f.ItemDescription = &ItemDescription{CallNumber: it.CallNumber}
	}
	if it.Borrower != "" {
		f.DateDue = At(it.DateDue)
	}
	return f
}

// LookupItem implements LookupItemHandler.
func (m *Memory) LookupItem(_ context.Context, req *LookupItem) (*LookupItemResponse, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	id := req.ItemID
	if id == nil && req.RequestID != nil {
		r, ok := m.requests[req.RequestID.Value]
		if !ok || r.ItemID == "" {
			return nil, NewServiceProblem("LookupItem", ProblemUnknownItem, "no item for that request").WithElement("RequestIdentifierValue", req.RequestID.Value)
		}
		id = m.itemID(r.ItemID)
	}
	it, err := m.findItem("LookupItem", id)
	if err != nil {
		return nil, err
	}
	return &LookupItemResponse{ItemID: m.itemID(it.ID), ItemOptionalFields: m.itemFields(it)}, nil
}

// LookupRequest implements LookupRequestHandler.
func (m *Memory) LookupRequest(_ context.Context, req *LookupRequest) (*LookupRequestResponse, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if req.RequestID == nil {
		return nil, NewProblem(ProblemNeededDataMissing, "RequestId needed").WithElement("RequestId", "")
	}
	r, ok := m.requests[req.RequestID.Value]
	if !ok {
		return nil, NewProblem(ProblemUnknownRequest, "no such request").WithElement("RequestIdentifierValue", req.RequestID.Value)
	}
	resp := &LookupRequestResponse{RequestID: m.reqID(r.ID), UserID: m.userID(r.UserID), RequestType: SV(r.Type), RequestScopeType: SV(r.Scope), RequestStatusType: SV("In Process")}
	if r.ItemID != "" {
		resp.ItemID = m.itemID(r.ItemID)
	}
	return resp, nil
}

// RequestItem implements RequestItemHandler: a request for a known item, or
// for a title (BibliographicId) that Memory records without an item.
func (m *Memory) RequestItem(_ context.Context, req *RequestItem) (*RequestItemResponse, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, err := m.findActiveUser("RequestItem", req.UserID, req.AuthenticationInputs)
	if err != nil {
		return nil, err
	}
	r := &MemoryRequest{UserID: u.ID, Type: req.RequestType.Value, Scope: req.RequestScopeType.Value}
	if len(req.ItemIDs) > 0 {
		it, err := m.findItem("RequestItem", &req.ItemIDs[0])
		if err != nil {
			return nil, err
		}
		r.ItemID = it.ID
	} else if len(req.BibliographicIDs) == 0 {
		return nil, NewServiceProblem("RequestItem", ProblemNeededDataMissing, "ItemId or BibliographicId needed").WithElement("ItemId", "")
	}
	m.seq++
	r.ID = fmt.Sprintf("hold-%d", m.seq)
	m.requests[r.ID] = r
	resp := &RequestItemResponse{RequestID: m.reqID(r.ID), UserID: m.userID(u.ID), RequestType: req.RequestType, RequestScopeType: req.RequestScopeType}
	if r.ItemID != "" {
		resp.ItemID = m.itemID(r.ItemID)
	}
	return resp, nil
}

// CancelRequestItem implements CancelRequestItemHandler.
func (m *Memory) CancelRequestItem(_ context.Context, req *CancelRequestItem) (*CancelRequestItemResponse, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, err := m.findUser("CancelRequestItem", req.UserID, req.AuthenticationInputs)
	if err != nil {
		return nil, err
	}
	if req.RequestID == nil {
		return nil, NewServiceProblem("CancelRequestItem", ProblemNeededDataMissing, "RequestId needed").WithElement("RequestId", "")
	}
	r, ok := m.requests[req.RequestID.Value]
	if !ok || r.UserID != u.ID {
		return nil, NewServiceProblem("CancelRequestItem", ProblemUnknownRequest, "no such request for this user").WithElement("RequestIdentifierValue", req.RequestID.Value)
	}
	delete(m.requests, r.ID)
	return &CancelRequestItemResponse{RequestID: m.reqID(r.ID), UserID: m.userID(u.ID)}, nil
}
