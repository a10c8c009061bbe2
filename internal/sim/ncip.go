package sim

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"

	"github.com/illgw/illgw/ncip"
	"github.com/illgw/illgw/sip2"
	sipmem "github.com/illgw/illgw/sip2/memory"
)

// responder is the member ILS's NCIP 2.02 responder over the member's
// model. State-changing services act through the ILS's own circulation
// rules (sip2/memory, as a staff terminal would), so what NCIP does is what
// the SIP2 ACS sees, and each is counted per (service, id).
type responder struct{ m *Member }

var (
	_ ncip.LookupItemHandler        = responder{}
	_ ncip.AcceptItemHandler        = responder{}
	_ ncip.CheckOutItemHandler      = responder{}
	_ ncip.CheckInItemHandler       = responder{}
	_ ncip.DeleteItemHandler        = responder{}
	_ ncip.RequestItemHandler       = responder{}
	_ ncip.CancelRequestItemHandler = responder{}
	_ ncip.RenewItemHandler         = responder{}
)

// begin counts a state-changing call and refuses it while Failing. The
// caller holds m.ops for the whole call, so concurrent calls (a retry racing
// its original) apply one at a time, as in an ILS's database transaction.
func (r responder) begin(service, id string) error {
	r.m.mu.Lock()
	r.m.calls[CallKey{service, id}]++
	r.m.mu.Unlock()
	return r.check()
}

func (r responder) check() error {
	if r.m.failing(NCIP) {
		return ncip.NewProblem(ncip.ProblemTemporaryProcessingFailure, "the library system is not available")
	}
	return nil
}

func (r responder) effect(service, id string) {
	r.m.mu.Lock()
	r.m.effects[CallKey{service, id}]++
	r.m.mu.Unlock()
}

func (r responder) userID(id string) *ncip.UserID {
	return &ncip.UserID{AgencyID: ncip.SV(r.m.Code), Value: id}
}
func (r responder) itemID(id string) *ncip.ItemID {
	return &ncip.ItemID{AgencyID: ncip.SV(r.m.Code), Value: id}
}
func (r responder) requestID(id string) *ncip.RequestID {
	return &ncip.RequestID{AgencyID: ncip.SV(r.m.Code), Value: id}
}

// echoUser returns the UserId as asked (NCIP responses echo the ids asked
// about), or the member's own form of id.
func (r responder) echoUser(asked *ncip.UserID, id string) *ncip.UserID {
	if asked != nil && asked.Value == id {
		return asked
	}
	return r.userID(id)
}

func (r responder) echoItem(asked *ncip.ItemID, id string) *ncip.ItemID {
	if asked != nil && asked.Value == id {
		return asked
	}
	return r.itemID(id)
}

// findUser resolves a UserId, or AuthenticationInputs with a barcode and a
// PIN; a PIN given is checked either way (NCIP 2.02 Part 1 "Lookup User").
func (r responder) findUser(service string, id *ncip.UserID, auth []ncip.AuthenticationInput) (sipmem.Patron, error) {
	barcode, pin, hasPIN := ncip.Credentials(id, auth)
	if barcode == "" {
		return sipmem.Patron{}, ncip.NewServiceProblem(service, ncip.ProblemNeededDataMissing, "UserId or AuthenticationInput needed").WithElement("UserId", "")
	}
	p, ok := r.m.ils.Patron(barcode)
	if !ok {
		return sipmem.Patron{}, ncip.NewServiceProblem(service, ncip.ProblemUnknownUser, "no such user").WithElement("UserIdentifierValue", barcode)
	}
	if hasPIN && subtle.ConstantTimeCompare([]byte(p.PIN), []byte(pin)) != 1 {
		return sipmem.Patron{}, ncip.NewServiceProblem(service, ncip.ProblemUserAuthenticationFailed, "wrong PIN").WithElement("AuthenticationInput", "")
	}
	return p, nil
}

func (r responder) findItem(service string, id *ncip.ItemID) (sipmem.Item, error) {
	if id == nil || id.Value == "" {
		return sipmem.Item{}, ncip.NewServiceProblem(service, ncip.ProblemNeededDataMissing, "ItemId needed").WithElement("ItemId", "")
	}
	it, ok := r.m.Item(id.Value)
	if !ok {
		return sipmem.Item{}, ncip.NewServiceProblem(service, ncip.ProblemUnknownItem, "no such item").WithElement("ItemIdentifierValue", id.Value)
	}
	return it, nil
}

// refused maps the ILS's refusal (a sip2.Error screen message) to the
// service's problem.
func refused(service string, err error, user, item string) error {
	var se *sip2.Error
	if !errors.As(err, &se) {
		return err
	}
	msg := se.ScreenMessage
	switch {
	case strings.Contains(msg, "Unknown patron"):
		return ncip.NewServiceProblem(service, ncip.ProblemUnknownUser, msg).WithElement("UserIdentifierValue", user)
	case strings.Contains(msg, "Unknown item"), strings.Contains(msg, "do not have this item"):
		return ncip.NewServiceProblem(service, ncip.ProblemUnknownItem, msg).WithElement("ItemIdentifierValue", item)
	case strings.Contains(msg, "blocked"):
		return ncip.NewServiceProblem(service, ncip.ProblemUserBlocked, msg).WithElement("UserIdentifierValue", user)
	case strings.Contains(msg, "renewals"), strings.Contains(msg, "waiting"):
		return ncip.NewServiceProblem(service, ncip.ProblemItemNotRenewable, msg).WithElement("ItemIdentifierValue", item)
	case strings.Contains(msg, "No such hold"):
		return ncip.NewServiceProblem(service, ncip.ProblemUnknownRequest, msg).WithElement("ItemIdentifierValue", item)
	}
	return ncip.NewServiceProblem(service, ncip.ProblemUserIneligibleToCheckOutThisItem, msg).WithElement("ItemIdentifierValue", item)
}

// AcceptItem answers NCIP 2.02 Part 1 "Accept Item": it creates a temporary
// item, barcode the ItemId asked for or "ILL" and the request id, held for
// the UserId when one is given. The same request again returns the same
// item and changes nothing.
func (r responder) AcceptItem(ctx context.Context, req *ncip.AcceptItem) (*ncip.AcceptItemResponse, error) {
	const svc = "AcceptItem"
	r.m.ops.Lock()
	defer r.m.ops.Unlock()
	if req.RequestID == nil || req.RequestID.Value == "" {
		if err := r.check(); err != nil {
			return nil, err
		}
		return nil, ncip.NewServiceProblem(svc, ncip.ProblemNeededDataMissing, "RequestId needed").WithElement("RequestId", "")
	}
	if err := r.begin(svc, req.RequestID.Value); err != nil {
		return nil, err
	}
	r.m.mu.Lock()
	prev := r.m.requests[req.RequestID.Value]
	r.m.mu.Unlock()
	if prev != nil {
		return &ncip.AcceptItemResponse{RequestID: req.RequestID, ItemID: r.itemID(prev.item)}, nil
	}
	user := ""
	if req.UserID != nil {
		p, err := r.findUser(svc, req.UserID, nil)
		if err != nil {
			return nil, err
		}
		user = p.ID
	}
	id := "ILL" + req.RequestID.Value
	if req.ItemID != nil && req.ItemID.Value != "" {
		id = req.ItemID.Value
	}
	if _, exists := r.m.ils.Item(id); exists {
		return nil, ncip.NewServiceProblem(svc, ncip.ProblemCannotAcceptItem, "an item with this barcode exists").WithElement("ItemIdentifierValue", id)
	}
	title := ""
	if f := req.ItemOptionalFields; f != nil && f.BibliographicDescription != nil {
		title = f.BibliographicDescription.Title
	}
	r.m.ils.AddItem(sipmem.Item{ID: id, Title: title, Owner: r.m.Code, Location: r.m.Code + " ILL shelf", MediaType: sip2.MediaBook})
	if user != "" {
		if _, err := r.m.internal.Hold(ctx, &sip2.Hold{HoldMode: '+', PatronID: user, ItemID: id, InstitutionID: r.m.Code}); err != nil {
			return nil, refused(svc, err, user, id)
		}
	}
	r.m.mu.Lock()
	r.m.itemIDs = append(r.m.itemIDs, id)
	delete(r.m.deleted, id)
	r.m.requests[req.RequestID.Value] = &hold{user: user, item: id}
	r.m.mu.Unlock()
	r.effect(svc, req.RequestID.Value)
	return &ncip.AcceptItemResponse{RequestID: req.RequestID, ItemID: r.itemID(id)}, nil
}

// CheckOutItem answers NCIP 2.02 Part 1 "Check Out Item": the ILS charges
// the item to the user as a staff checkout would.
func (r responder) CheckOutItem(ctx context.Context, req *ncip.CheckOutItem) (*ncip.CheckOutItemResponse, error) {
	const svc = "CheckOutItem"
	r.m.ops.Lock()
	defer r.m.ops.Unlock()
	if err := r.begin(svc, itemOf(req.ItemID)); err != nil {
		return nil, err
	}
	p, err := r.findUser(svc, req.UserID, req.AuthenticationInputs)
	if err != nil {
		return nil, err
	}
	if p.Status.Has(sip2.ChargeDenied) {
		return nil, ncip.NewServiceProblem(svc, ncip.ProblemUserBlocked, "the user is blocked").WithElement("UserIdentifierValue", p.ID)
	}
	it, err := r.findItem(svc, req.ItemID)
	if err != nil {
		return nil, err
	}
	if it.ChargedTo == p.ID {
		// Already charged to this user: a retry; the ILS does not renew.
		return &ncip.CheckOutItemResponse{ItemID: r.echoItem(req.ItemID, it.ID), UserID: r.echoUser(req.UserID, p.ID), DateDue: ncip.At(it.Due)}, nil
	}
	if _, err := r.m.internal.Checkout(ctx, &sip2.Checkout{PatronID: p.ID, ItemID: it.ID, InstitutionID: r.m.Code}); err != nil {
		return nil, refused(svc, err, p.ID, it.ID)
	}
	r.effect(svc, it.ID)
	it, _ = r.m.Item(it.ID)
	return &ncip.CheckOutItemResponse{ItemID: r.echoItem(req.ItemID, it.ID), UserID: r.echoUser(req.UserID, p.ID), DateDue: ncip.At(it.Due)}, nil
}

// CheckInItem answers NCIP 2.02 Part 1 "Check In Item".
func (r responder) CheckInItem(ctx context.Context, req *ncip.CheckInItem) (*ncip.CheckInItemResponse, error) {
	const svc = "CheckInItem"
	r.m.ops.Lock()
	defer r.m.ops.Unlock()
	if err := r.begin(svc, itemOf(req.ItemID)); err != nil {
		return nil, err
	}
	it, err := r.findItem(svc, req.ItemID)
	if err != nil {
		return nil, err
	}
	if it.ChargedTo == "" {
		return nil, ncip.NewServiceProblem(svc, ncip.ProblemItemNotCheckedOut, "the item is not checked out").WithElement("ItemIdentifierValue", it.ID)
	}
	if _, err := r.m.internal.Checkin(ctx, &sip2.Checkin{ItemID: it.ID, InstitutionID: r.m.Code, CurrentLocation: r.m.Code}); err != nil {
		return nil, refused(svc, err, "", it.ID)
	}
	r.effect(svc, it.ID)
	return &ncip.CheckInItemResponse{ItemID: r.echoItem(req.ItemID, it.ID)}, nil
}

// DeleteItem answers NCIP 2.02 Part 1 "Delete Item": the item disappears
// from the ILS (SIP2 answers "Unknown item." for it from then on).
func (r responder) DeleteItem(_ context.Context, req *ncip.DeleteItem) (*ncip.DeleteItemResponse, error) {
	const svc = "DeleteItem"
	r.m.ops.Lock()
	defer r.m.ops.Unlock()
	if err := r.begin(svc, itemOf(req.ItemID)); err != nil {
		return nil, err
	}
	it, err := r.findItem(svc, req.ItemID)
	if err != nil {
		return nil, err
	}
	r.m.mu.Lock()
	r.m.deleted[it.ID] = true
	r.m.mu.Unlock()
	r.effect(svc, it.ID)
	return &ncip.DeleteItemResponse{ItemID: r.echoItem(req.ItemID, it.ID)}, nil
}

// RequestItem answers NCIP 2.02 Part 1 "Request Item": a hold on the item
// asked for, or on the member's copy of the title (BibliographicId: ISBN,
// record number or title).
func (r responder) RequestItem(ctx context.Context, req *ncip.RequestItem) (*ncip.RequestItemResponse, error) {
	const svc = "RequestItem"
	r.m.ops.Lock()
	defer r.m.ops.Unlock()
	key := ""
	switch {
	case req.RequestID != nil:
		key = req.RequestID.Value
	case len(req.ItemIDs) > 0:
		key = req.ItemIDs[0].Value
	default:
		key = bibKey(req.BibliographicIDs)
	}
	if err := r.begin(svc, key); err != nil {
		return nil, err
	}
	p, err := r.findUser(svc, req.UserID, req.AuthenticationInputs)
	if err != nil {
		return nil, err
	}
	if p.Status.Has(sip2.HoldDenied) || p.Status.Has(sip2.ChargeDenied) {
		return nil, ncip.NewServiceProblem(svc, ncip.ProblemUserBlocked, "the user is blocked").WithElement("UserIdentifierValue", p.ID)
	}
	item := ""
	if len(req.ItemIDs) > 0 {
		it, err := r.findItem(svc, &req.ItemIDs[0])
		if err != nil {
			return nil, err
		}
		item = it.ID
	} else if len(req.BibliographicIDs) > 0 {
		item = r.m.copyOf(req.BibliographicIDs)
		if item == "" {
			return nil, ncip.NewServiceProblem(svc, ncip.ProblemUnknownItem, "no copy of this title").WithElement("BibliographicItemIdentifier", key)
		}
	} else {
		return nil, ncip.NewServiceProblem(svc, ncip.ProblemNeededDataMissing, "ItemId or BibliographicId needed").WithElement("ItemId", "")
	}
	if _, err := r.m.internal.Hold(ctx, &sip2.Hold{HoldMode: '+', PatronID: p.ID, ItemID: item, InstitutionID: r.m.Code}); err != nil {
		return nil, refused(svc, err, p.ID, item)
	}
	r.m.mu.Lock()
	id := ""
	if req.RequestID != nil && req.RequestID.Value != "" {
		id = req.RequestID.Value
	} else {
		r.m.seq++
		id = fmt.Sprintf("%s-REQ-%d", r.m.Code, r.m.seq)
	}
	r.m.requests[id] = &hold{user: p.ID, item: item}
	r.m.mu.Unlock()
	r.effect(svc, key)
	rid := req.RequestID
	if rid == nil {
		rid = r.requestID(id)
	}
	return &ncip.RequestItemResponse{RequestID: rid, ItemID: r.itemID(item), UserID: r.echoUser(req.UserID, p.ID),
		RequestType: req.RequestType, RequestScopeType: req.RequestScopeType}, nil
}

// CancelRequestItem answers NCIP 2.02 Part 1 "Cancel Request Item": the
// hold is removed.
func (r responder) CancelRequestItem(ctx context.Context, req *ncip.CancelRequestItem) (*ncip.CancelRequestItemResponse, error) {
	const svc = "CancelRequestItem"
	r.m.ops.Lock()
	defer r.m.ops.Unlock()
	key := itemOf(req.ItemID)
	if req.RequestID != nil {
		key = req.RequestID.Value
	}
	if err := r.begin(svc, key); err != nil {
		return nil, err
	}
	p, err := r.findUser(svc, req.UserID, req.AuthenticationInputs)
	if err != nil {
		return nil, err
	}
	r.m.mu.Lock()
	id, h := "", (*hold)(nil)
	for rid, x := range r.m.requests {
		if x.user == p.ID && ((req.RequestID != nil && rid == req.RequestID.Value) || (req.RequestID == nil && x.item == itemOf(req.ItemID))) {
			id, h = rid, x
		}
	}
	if h != nil {
		delete(r.m.requests, id)
	}
	r.m.mu.Unlock()
	if h == nil {
		return nil, ncip.NewServiceProblem(svc, ncip.ProblemUnknownRequest, "no such request for this user").WithElement("RequestIdentifierValue", key)
	}
	if _, err := r.m.internal.Hold(ctx, &sip2.Hold{HoldMode: '-', PatronID: p.ID, ItemID: h.item, InstitutionID: r.m.Code}); err != nil {
		return nil, refused(svc, err, p.ID, h.item)
	}
	r.effect(svc, key)
	rid := req.RequestID
	if rid == nil {
		rid = r.requestID(id)
	}
	return &ncip.CancelRequestItemResponse{RequestID: rid, UserID: r.echoUser(req.UserID, p.ID)}, nil
}

// RenewItem answers NCIP 2.02 Part 1 "Renew Item".
func (r responder) RenewItem(ctx context.Context, req *ncip.RenewItem) (*ncip.RenewItemResponse, error) {
	const svc = "RenewItem"
	r.m.ops.Lock()
	defer r.m.ops.Unlock()
	if err := r.begin(svc, itemOf(req.ItemID)); err != nil {
		return nil, err
	}
	p, err := r.findUser(svc, req.UserID, req.AuthenticationInputs)
	if err != nil {
		return nil, err
	}
	it, err := r.findItem(svc, req.ItemID)
	if err != nil {
		return nil, err
	}
	if _, err := r.m.internal.Renew(ctx, &sip2.Renew{PatronID: p.ID, ItemID: it.ID, InstitutionID: r.m.Code}); err != nil {
		return nil, refused(svc, err, p.ID, it.ID)
	}
	r.effect(svc, it.ID)
	it, _ = r.m.Item(it.ID)
	return &ncip.RenewItemResponse{ItemID: r.echoItem(req.ItemID, it.ID), UserID: r.echoUser(req.UserID, p.ID), DateDue: ncip.At(it.Due)}, nil
}

func itemOf(id *ncip.ItemID) string {
	if id == nil {
		return ""
	}
	return id.Value
}
