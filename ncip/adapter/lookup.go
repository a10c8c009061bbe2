package adapter

import (
	"context"

	"github.com/illgw/illgw/ncip"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

// LookupUser answers NCIP 2.02 Part 1 §"Lookup User" from the patron
// source of the member named by ToAgencyId: its ILS, or its LDAP directory
// (issue 9 point 7). With AuthenticationInput carrying a barcode and a PIN
// the patron is authenticated; a wrong PIN is User Authentication Failed.
// The PIN is never logged or echoed.
func (a *Adapter) LookupUser(ctx context.Context, req *ncip.LookupUser) (*ncip.LookupUserResponse, error) {
	member, err := a.route(ctx, "LookupUser", req.Header)
	if err != nil {
		return nil, err
	}
	barcode, pin, _ := ncip.Credentials(req.UserID, req.AuthenticationInputs)
	if barcode == "" {
		return nil, ncip.NewProblem(ncip.ProblemNeededDataMissing, "a UserId or a barcode AuthenticationInput is required").
			WithElement("AuthenticationInput", "")
	}
	resp, err := a.Circulation.MemberPatron(outgoing(ctx), &illgwv1.MemberPatronRequest{Member: member, PatronId: barcode, Pin: pin})
	if err != nil {
		return nil, Problem("LookupUser", SubjectUser, barcode, err)
	}
	p := resp.GetPatron()
	out := &ncip.LookupUserResponse{UserID: userIDOf(req.UserID, member, barcode)}
	opt := &ncip.UserOptionalFields{}
	if p.GetPersonalName() != "" && wants(req.UserElementTypes, "Name Information") {
		opt.NameInformation = &ncip.NameInformation{Personal: &ncip.PersonalNameInformation{Unstructured: p.GetPersonalName()}}
	}
	if p.GetEmail() != "" && wants(req.UserElementTypes, "User Address Information") {
		opt.UserAddressInformation = append(opt.UserAddressInformation, ncip.UserAddressInformation{
			RoleType:          ncip.SV("Home"),
			ElectronicAddress: &ncip.ElectronicAddress{Type: ncip.SV("mailto"), Data: p.GetEmail()},
		})
	}
	if blocked(p.GetRestrictions()) && wants(req.UserElementTypes, "Block Or Trap") {
		opt.BlockOrTraps = append(opt.BlockOrTraps, ncip.BlockOrTrap{AgencyID: ncip.SV(member), Type: ncip.SV("Block Check Out")})
	}
	if p.GetPatronType() != "" && wants(req.UserElementTypes, "User Privilege") {
		opt.UserPrivileges = append(opt.UserPrivileges, ncip.UserPrivilege{AgencyID: ncip.SV(member),
			AgencyUserPrivilegeType: ncip.SV(p.GetPatronType())})
	}
	if opt.NameInformation != nil || len(opt.UserAddressInformation) > 0 || len(opt.BlockOrTraps) > 0 || len(opt.UserPrivileges) > 0 {
		out.UserOptionalFields = opt
	}
	if req.LoanedItemsDesired && resp.GetChargedItemsCount() >= 0 {
		out.LoanedItemsCounts = []ncip.LoanedItemsCount{{CirculationStatus: ncip.SV("On Loan"), Value: int(resp.GetChargedItemsCount())}}
	}
	if req.RequestedItemsDesired && resp.GetHoldItemsCount() >= 0 {
		out.RequestedItemsCounts = []ncip.RequestedItemsCount{{RequestType: ncip.SV("Hold"), Value: int(resp.GetHoldItemsCount())}}
	}
	return out, nil
}

// blocked reports whether the patron may not borrow (SIP2 patron status
// position 1, charge privileges denied, or a card reported lost).
func blocked(r *illgwv1.PatronRestrictions) bool {
	return r.GetChargePrivilegesDenied() || r.GetCardReportedLost()
}

// circulationStatus maps the SIP2 circulation status code the broker
// carries onto the NCIP CirculationStatus value (Implementation Profile 1
// circulationstatus.scm).
var circulationStatus = map[string]string{
	"01": "Circulation Status Undefined",
	"02": "On Order",
	"03": "Available On Shelf",
	"04": "On Loan",
	"05": "On Loan",
	"06": "In Process",
	"07": "Recalled",
	"08": "Available For Pickup",
	"09": "In Process",
	"10": "In Transit Between Library Locations",
	"11": "Claimed Returned Or Never Borrowed",
	"12": "Lost",
	"13": "Missing",
}

// LookupItem answers NCIP 2.02 Part 1 §"Lookup Item": an ItemId is looked
// up at the ILS of the member named by ToAgencyId; a RequestId names a loan
// and is answered with the item the loan is about.
func (a *Adapter) LookupItem(ctx context.Context, req *ncip.LookupItem) (*ncip.LookupItemResponse, error) {
	member, err := a.route(ctx, "LookupItem", req.Header)
	if err != nil {
		return nil, err
	}
	if req.ItemID == nil {
		loan, err := a.findLoan(ctx, "LookupItem", req.RequestID, nil)
		if err != nil {
			return nil, err
		}
		rid := *req.RequestID
		out := &ncip.LookupItemResponse{RequestID: &rid, ItemID: &ncip.ItemID{AgencyID: ncip.SV(loan.GetRequester()), Value: loan.GetTemporaryItemId()}}
		out.ItemOptionalFields = loanItemFields(loan, req.ItemElementTypes)
		return out, nil
	}
	resp, err := a.Circulation.MemberItem(outgoing(ctx), &illgwv1.MemberItemRequest{Member: member, ItemId: req.ItemID.Value})
	if err != nil {
		return nil, Problem("LookupItem", SubjectItem, req.ItemID.Value, err)
	}
	it := resp.GetItem()
	id := *req.ItemID
	out := &ncip.LookupItemResponse{ItemID: &id}
	opt := &ncip.ItemOptionalFields{}
	if it.GetTitle() != "" && wants(req.ItemElementTypes, "Bibliographic Description") {
		opt.BibliographicDescription = &ncip.BibliographicDescription{Title: it.GetTitle()}
	}
	if v, ok := circulationStatus[it.GetCirculationStatus()]; ok && wants(req.ItemElementTypes, "Circulation Status") {
		opt.CirculationStatus = ncip.SV(v)
	}
	if it.GetHoldQueueLength() > 0 && wants(req.ItemElementTypes, "Hold Queue Length") {
		n := int(it.GetHoldQueueLength())
		opt.HoldQueueLength = &n
	}
	if it.GetCallNumber() != "" && wants(req.ItemElementTypes, "Item Description") {
		opt.ItemDescription = &ncip.ItemDescription{CallNumber: it.GetCallNumber()}
	}
	if loc := it.GetPermanentLocation(); loc != "" && wants(req.ItemElementTypes, "Location") {
		opt.Locations = []ncip.Location{{Type: ncip.SV("Permanent"), Name: []ncip.LocationName{{Level: 1, Value: loc}}}}
	}
	if it.GetDueDate() != nil && wants(req.ItemElementTypes, "Date Due") {
		opt.DateDue = ncip.At(it.GetDueDate().AsTime())
	}
	if opt.BibliographicDescription != nil || !opt.CirculationStatus.IsZero() || opt.HoldQueueLength != nil ||
		opt.ItemDescription != nil || opt.Locations != nil || !opt.DateDue.IsZero() {
		out.ItemOptionalFields = opt
	}
	return out, nil
}

// loanItemFields describes the item a loan is about.
func loanItemFields(loan *illgwv1.Loan, types []ncip.SchemeValue) *ncip.ItemOptionalFields {
	opt := &ncip.ItemOptionalFields{}
	if b := loan.GetBib(); b != nil && wants(types, "Bibliographic Description") && (b.GetTitle() != "" || b.GetAuthor() != "") {
		opt.BibliographicDescription = &ncip.BibliographicDescription{Author: b.GetAuthor(), Title: b.GetTitle(), PublicationDate: b.GetPublicationDate()}
		if b.GetIsbn() != "" {
			opt.BibliographicDescription.BibliographicItemID = &ncip.BibliographicItemID{Identifier: b.GetIsbn(), Code: ncip.SV("ISBN")}
		}
	}
	if loan.GetDueDate() != nil && wants(types, "Date Due") {
		opt.DateDue = ncip.At(loan.GetDueDate().AsTime())
	}
	if opt.BibliographicDescription == nil && opt.DateDue.IsZero() {
		return nil
	}
	return opt
}

// LookupRequest answers NCIP 2.02 Part 1 §"Lookup Request" from the loan
// the RequestId names: the gateway's loan id, or the id the sender gave in
// its RequestItem.
func (a *Adapter) LookupRequest(ctx context.Context, req *ncip.LookupRequest) (*ncip.LookupRequestResponse, error) {
	if _, err := a.route(ctx, "LookupRequest", req.Header); err != nil {
		return nil, err
	}
	if req.RequestID == nil && req.ItemID == nil {
		return nil, ncip.NewProblem(ncip.ProblemNeededDataMissing, "a RequestId or an ItemId is required").WithElement("RequestId", "")
	}
	loan, err := a.findLoan(ctx, "LookupRequest", req.RequestID, req.ItemID)
	if err != nil {
		return nil, err
	}
	out := &ncip.LookupRequestResponse{
		RequestType:       ncip.SV("Loan"),
		RequestScopeType:  ncip.SV("Bibliographic Item"),
		RequestStatusType: ncip.SV(requestStatus(loan.GetState())),
		PickupLocation:    ncip.SV(loan.GetPickupLocation()),
	}
	if req.RequestID != nil {
		rid := *req.RequestID
		out.RequestID = &rid
	} else {
		out.RequestID = &ncip.RequestID{AgencyID: ncip.SV(loan.GetRequester()), Value: loan.GetId()}
	}
	if req.ItemID != nil {
		iid := *req.ItemID
		out.ItemID = &iid
	}
	// Only the requesting side learns who the patron is (issue 8 point 9).
	if _, s, _ := a.sender(ctx, "LookupRequest"); loan.GetPatronId() != "" && s.Member == loan.GetRequester() {
		out.UserID = &ncip.UserID{AgencyID: ncip.SV(loan.GetRequester()), Value: loan.GetPatronId()}
	}
	if loan.GetCreatedAt() != nil {
		out.DateOfUserRequest = ncip.At(loan.GetCreatedAt().AsTime())
	}
	if loan.GetNeedBefore() != nil {
		out.NeedBeforeDate = ncip.At(loan.GetNeedBefore().AsTime())
	}
	out.ItemOptionalFields = loanItemFields(loan, req.ItemElementTypes)
	return out, nil
}

// requestStatus maps a loan's state onto an NCIP RequestStatusType value
// (Implementation Profile 1 requeststatustype.scm: "In Process",
// "Available For Pickup").
func requestStatus(s illgwv1.LoanState) string {
	switch s {
	case illgwv1.LoanState_LOAN_STATE_RECEIVED:
		return "Available For Pickup"
	}
	return "In Process"
}
