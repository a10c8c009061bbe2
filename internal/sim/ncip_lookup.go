package sim

import (
	"context"
	"strings"

	"github.com/illgw/illgw/marc"
	"github.com/illgw/illgw/ncip"
	"github.com/illgw/illgw/sip2"
)

// LookupUser answers NCIP 2.02 Part 1 "Lookup User" for a patron by UserId
// or by barcode and PIN.
func (r responder) LookupUser(_ context.Context, req *ncip.LookupUser) (*ncip.LookupUserResponse, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	p, err := r.findUser("LookupUser", req.UserID, req.AuthenticationInputs)
	if err != nil {
		return nil, err
	}
	given, surname := "", p.Name
	if s, g, ok := strings.Cut(p.Name, ", "); ok {
		surname, given = s, g
	}
	f := &ncip.UserOptionalFields{
		NameInformation: &ncip.NameInformation{Personal: &ncip.PersonalNameInformation{Structured: &ncip.StructuredPersonalUserName{GivenName: given, Surname: surname}}},
		UserIDs:         []ncip.UserID{*r.userID(p.ID)},
	}
	if p.Email != "" {
		f.UserAddressInformation = []ncip.UserAddressInformation{{RoleType: ncip.SV("Home"), ElectronicAddress: &ncip.ElectronicAddress{Type: ncip.SV("mailto"), Data: p.Email}}}
	}
	status := "ACTIVE"
	if p.Status.Has(sip2.ChargeDenied) {
		status = "BLOCKED"
		f.BlockOrTraps = []ncip.BlockOrTrap{{AgencyID: ncip.SV(r.m.Code), Type: ncip.SV("Block Check Out")}}
	}
	f.UserPrivileges = []ncip.UserPrivilege{{AgencyID: ncip.SV(r.m.Code), AgencyUserPrivilegeType: ncip.SV("STATUS"), Status: &ncip.UserPrivilegeStatus{Type: ncip.SV(status)}}}
	resp := &ncip.LookupUserResponse{UserID: r.echoUser(req.UserID, p.ID), UserOptionalFields: f}
	if req.LoanedItemsDesired {
		for _, id := range r.m.ItemIDs() {
			if it, ok := r.m.Item(id); ok && it.ChargedTo == p.ID {
				resp.LoanedItems = append(resp.LoanedItems, ncip.LoanedItem{ItemID: r.itemID(it.ID), DateDue: ncip.At(it.Due), Title: it.Title})
			}
		}
	}
	return resp, nil
}

// LookupItem answers NCIP 2.02 Part 1 "Lookup Item": title, circulation
// status, due date and call number.
func (r responder) LookupItem(_ context.Context, req *ncip.LookupItem) (*ncip.LookupItemResponse, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	id := req.ItemID
	if id == nil && req.RequestID != nil {
		r.m.mu.Lock()
		h := r.m.requests[req.RequestID.Value]
		r.m.mu.Unlock()
		if h == nil || h.item == "" {
			return nil, ncip.NewServiceProblem("LookupItem", ncip.ProblemUnknownItem, "no item for that request").WithElement("RequestIdentifierValue", req.RequestID.Value)
		}
		id = r.itemID(h.item)
	}
	it, err := r.findItem("LookupItem", id)
	if err != nil {
		return nil, err
	}
	status := "Available On Shelf"
	f := &ncip.ItemOptionalFields{BibliographicDescription: &ncip.BibliographicDescription{Title: it.Title}}
	if it.ChargedTo != "" {
		status = "On Loan"
		f.DateDue = ncip.At(it.Due)
	}
	f.CirculationStatus = ncip.SV(status)
	if rec := r.m.record(it.ID); rec != nil {
		f.BibliographicDescription.Author = rec.MainEntry()
		if cn := callNumber(rec); cn != "" {
			f.ItemDescription = &ncip.ItemDescription{CallNumber: cn}
		}
	}
	return &ncip.LookupItemResponse{ItemID: r.echoItem(req.ItemID, it.ID), RequestID: req.RequestID, ItemOptionalFields: f}, nil
}

// record returns the catalogue record a fixture item is a copy of.
func (m *Member) record(item string) *marc.Record {
	m.mu.Lock()
	i, ok := m.itemRec[item]
	m.mu.Unlock()
	if !ok {
		return nil
	}
	return m.Records[i]
}

// callNumber is the record's LC call number (050 $a $b, else 090).
func callNumber(rec *marc.Record) string {
	for _, tag := range []string{"050", "090"} {
		if f := rec.Field(tag); f != nil {
			return f.Text("ab")
		}
	}
	return ""
}

func bibKey(ids []ncip.BibliographicID) string {
	for _, b := range ids {
		if b.ItemID != nil {
			return b.ItemID.Identifier
		}
		if b.RecordID != nil {
			return b.RecordID.Identifier
		}
	}
	return ""
}

// copyOf finds the member's fixture item that is a copy of the title a
// BibliographicId names (ISBN, record control number, or exact title).
func (m *Member) copyOf(ids []ncip.BibliographicID) string {
	want := strings.TrimSpace(bibKey(ids))
	if want == "" {
		return ""
	}
	isbn, isISBN := marc.NormalizeISBN(want)
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range m.itemIDs {
		i, ok := m.itemRec[id]
		if !ok || m.deleted[id] {
			continue
		}
		rec := m.Records[i]
		if strings.EqualFold(strings.TrimSpace(rec.ControlValue("001")), want) || strings.EqualFold(rec.Title(), want) {
			return id
		}
		for _, s := range rec.ISBNs() {
			if n, ok := marc.NormalizeISBN(s); ok && isISBN && n == isbn {
				return id
			}
		}
	}
	return ""
}
