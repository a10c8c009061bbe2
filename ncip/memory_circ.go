package ncip

import (
	"context"
	"strings"
	"time"
)

// AcceptItem implements AcceptItemHandler: it creates a temporary item whose
// id is the ItemId asked for, or "ILL" followed by the request id. Accepting
// the same request again returns the same item.
func (m *Memory) AcceptItem(_ context.Context, req *AcceptItem) (*AcceptItemResponse, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if req.RequestID == nil {
		return nil, NewServiceProblem("AcceptItem", ProblemNeededDataMissing, "RequestId needed").WithElement("RequestId", "")
	}
	if req.UserID != nil {
		if _, err := m.findUser("AcceptItem", req.UserID, nil); err != nil {
			return nil, err
		}
	}
	if r, ok := m.requests[req.RequestID.Value]; ok {
		return &AcceptItemResponse{RequestID: req.RequestID, ItemID: m.itemID(r.ItemID)}, nil
	}
	id := "ILL" + req.RequestID.Value
	if req.ItemID != nil && req.ItemID.Value != "" {
		id = req.ItemID.Value
	}
	if _, exists := m.items[id]; exists {
		return nil, NewServiceProblem("AcceptItem", ProblemCannotAcceptItem, "an item with this id exists").WithElement("ItemIdentifierValue", id)
	}
	it := &MemoryItem{ID: id, Temporary: true}
	if f := req.ItemOptionalFields; f != nil && f.BibliographicDescription != nil {
		it.Title, it.Author = f.BibliographicDescription.Title, f.BibliographicDescription.Author
	}
	m.items[id] = it
	user := ""
	if req.UserID != nil {
		user = req.UserID.Value
	}
	m.requests[req.RequestID.Value] = &MemoryRequest{ID: req.RequestID.Value, UserID: user, ItemID: id, Type: "Hold", Scope: "Item"}
	return &AcceptItemResponse{RequestID: req.RequestID, ItemID: m.itemID(id)}, nil
}

// CheckOutItem implements CheckOutItemHandler.
func (m *Memory) CheckOutItem(_ context.Context, req *CheckOutItem) (*CheckOutItemResponse, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, err := m.findActiveUser("CheckOutItem", req.UserID, req.AuthenticationInputs)
	if err != nil {
		return nil, err
	}
	it, err := m.findItem("CheckOutItem", req.ItemID)
	if err != nil {
		return nil, err
	}
	if it.Borrower != "" && it.Borrower != u.ID {
		return nil, NewServiceProblem("CheckOutItem", ProblemResourceCannotBeProvided, "the item is on loan").WithElement("ItemIdentifierValue", it.ID)
	}
	if it.Borrower == "" {
		due := m.now().Add(m.loanPeriod()).UTC().Truncate(time.Second)
		if !req.DesiredDateDue.IsZero() {
			due = req.DesiredDateDue.UTC()
		}
		it.Borrower, it.DateDue, it.Renewals = u.ID, due, 0
	}
	n := it.Renewals
	return &CheckOutItemResponse{ItemID: m.itemID(it.ID), UserID: m.userID(u.ID), DateDue: At(it.DateDue), RenewalCount: &n}, nil
}

// CheckInItem implements CheckInItemHandler.
func (m *Memory) CheckInItem(_ context.Context, req *CheckInItem) (*CheckInItemResponse, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, err := m.findItem("CheckInItem", req.ItemID)
	if err != nil {
		return nil, err
	}
	if it.Borrower == "" {
		return nil, NewServiceProblem("CheckInItem", ProblemItemNotCheckedOut, "the item has no open loan").WithElement("ItemIdentifierValue", it.ID)
	}
	user := it.Borrower
	it.Borrower, it.DateDue = "", time.Time{}
	return &CheckInItemResponse{ItemID: m.itemID(it.ID), UserID: m.userID(user)}, nil
}

// DeleteItem implements DeleteItemHandler.
func (m *Memory) DeleteItem(_ context.Context, req *DeleteItem) (*DeleteItemResponse, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, err := m.findItem("DeleteItem", req.ItemID)
	if err != nil {
		return nil, err
	}
	delete(m.items, it.ID)
	return &DeleteItemResponse{ItemID: m.itemID(it.ID)}, nil
}

// RenewItem implements RenewItemHandler.
func (m *Memory) RenewItem(_ context.Context, req *RenewItem) (*RenewItemResponse, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, err := m.findUser("RenewItem", req.UserID, req.AuthenticationInputs)
	if err != nil {
		return nil, err
	}
	it, err := m.findItem("RenewItem", req.ItemID)
	if err != nil {
		return nil, err
	}
	if it.Borrower != u.ID {
		return nil, NewServiceProblem("RenewItem", ProblemItemNotCheckedOut, "the item is not on loan to this user").WithElement("ItemIdentifierValue", it.ID)
	}
	max := m.MaxRenewals
	if max <= 0 {
		max = 3
	}
	if it.Renewals >= max {
		return nil, NewServiceProblem("RenewItem", ProblemMaximumRenewalsExceeded, "no renewals left").WithElement("ItemIdentifierValue", it.ID)
	}
	it.Renewals++
	it.DateDue = m.now().Add(m.loanPeriod()).UTC().Truncate(time.Second)
	if !req.DesiredDateDue.IsZero() {
		it.DateDue = req.DesiredDateDue.UTC()
	}
	n := it.Renewals
	return &RenewItemResponse{ItemID: m.itemID(it.ID), UserID: m.userID(u.ID), DateDue: At(it.DateDue), RenewalCount: &n}, nil
}

func (m *Memory) notice(service string, ids ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.notices = append(m.notices, strings.TrimSpace(service+" "+strings.Join(ids, " ")))
}

func itemOf(i *ItemID) string {
	if i == nil {
		return ""
	}
	return i.Value
}

func requestOf(r *RequestID) string {
	if r == nil {
		return ""
	}
	return r.Value
}

// ItemShipped implements ItemShippedHandler by recording the notification.
func (m *Memory) ItemShipped(_ context.Context, req *ItemShipped) (*ItemShippedResponse, error) {
	m.notice("ItemShipped", requestOf(req.RequestID), itemOf(req.ItemID))
	return &ItemShippedResponse{}, nil
}

// ItemReceived implements ItemReceivedHandler by recording the notification.
func (m *Memory) ItemReceived(_ context.Context, req *ItemReceived) (*ItemReceivedResponse, error) {
	m.notice("ItemReceived", itemOf(req.ItemID))
	return &ItemReceivedResponse{}, nil
}

// ItemCheckedOut implements ItemCheckedOutHandler by recording the notification.
func (m *Memory) ItemCheckedOut(_ context.Context, req *ItemCheckedOut) (*ItemCheckedOutResponse, error) {
	m.notice("ItemCheckedOut", itemOf(req.ItemID))
	return &ItemCheckedOutResponse{}, nil
}

// ItemCheckedIn implements ItemCheckedInHandler by recording the notification.
func (m *Memory) ItemCheckedIn(_ context.Context, req *ItemCheckedIn) (*ItemCheckedInResponse, error) {
	m.notice("ItemCheckedIn", itemOf(req.ItemID))
	return &ItemCheckedInResponse{}, nil
}

// ItemRequestCancelled implements ItemRequestCancelledHandler by recording the notification.
func (m *Memory) ItemRequestCancelled(_ context.Context, req *ItemRequestCancelled) (*ItemRequestCancelledResponse, error) {
	m.notice("ItemRequestCancelled", requestOf(req.RequestID), itemOf(req.ItemID))
	return &ItemRequestCancelledResponse{}, nil
}

// ItemRenewed implements ItemRenewedHandler by recording the notification.
func (m *Memory) ItemRenewed(_ context.Context, req *ItemRenewed) (*ItemRenewedResponse, error) {
	m.notice("ItemRenewed", itemOf(req.ItemID))
	return &ItemRenewedResponse{}, nil
}
