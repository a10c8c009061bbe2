package broker

import (
	"context"
	"errors"
	"strings"

	"google.golang.org/grpc/codes"

	"github.com/illgw/illgw/broker/member"
	"github.com/illgw/illgw/broker/patron"
	"github.com/illgw/illgw/ncip"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
	"github.com/illgw/illgw/sip2"
)

// This file holds the Circulation RPCs of callers that are not terminals:
// the NCIP front end asks a member about a patron or an item by member code
// (issue 7 point 5, issue 9 point 7).

// memberRoute is the route of a request that names its member directly.
// The terminal is a placeholder so that logs say where the call came from.
func (c *circulation) memberRoute(code string) (route, error) {
	if code == "" {
		return route{}, errorf(codes.InvalidArgument, "member is required")
	}
	if len(code) > maxCodeLen {
		return route{}, errorf(codes.InvalidArgument, "member longer than %d bytes", maxCodeLen)
	}
	m := c.b.byCode[code]
	if m == nil {
		return route{}, errorf(codes.NotFound, "member %q is not configured", truncate(code, 64))
	}
	r := route{term: &Terminal{Login: "ncip", Member: m.Code}, member: m, req: &illgwv1.Terminal{Member: m.Code}}
	if c.b.registry != nil {
		if rm := c.b.registry.Member(m.Code); rm != nil {
			r.sip2 = rm.SIP2()
		}
	}
	return r, nil
}

// MemberPatron looks a patron up at the member's patron source and, with a
// PIN, authenticates them (NCIP 2.02 Part 1 §"Lookup User" with
// AuthenticationInput): the directory for an LDAP member, the ILS's NCIP
// responder for an NCIP member, the ILS over SIP2 (63 with AD) otherwise.
// NOT_FOUND for an unknown patron, PERMISSION_DENIED for a wrong PIN,
// UNAVAILABLE when the source cannot answer: it fails closed. The PIN is
// never logged.
func (c *circulation) MemberPatron(ctx context.Context, req *illgwv1.MemberPatronRequest) (*illgwv1.PatronInformationResponse, error) {
	r, err := c.memberRoute(req.GetMember())
	if err != nil {
		return nil, err
	}
	id, pin := req.GetPatronId(), req.GetPin()
	if id == "" {
		return nil, errorf(codes.InvalidArgument, "patron_id is required")
	}
	if len(id) > maxIDLen || len(pin) > maxIDLen {
		return nil, errorf(codes.InvalidArgument, "patron_id or pin longer than %d bytes", maxIDLen)
	}
	src := r.member.Patrons
	if src == PatronsSIP2 && r.sip2 == nil && c.b.registry != nil && c.b.registry.Member(r.member.Code) != nil &&
		c.b.registry.Member(r.member.Code).NCIP() != nil {
		src = PatronsNCIP // no SIP2 to the ILS: its NCIP responder answers
	}
	if src != PatronsSIP2 {
		return c.memberPatronSource(ctx, r, src, id, pin)
	}
	if r.sip2 == nil {
		return nil, errorf(codes.FailedPrecondition, "member %s has no library system configured for patrons", r.member.Code)
	}
	resp, err := call(ctx, c, r, "MemberPatron", func(ctx context.Context) (*sip2.PatronInformationResponse, error) {
		return r.sip2.PatronInformation(ctx, &sip2.PatronInformation{Summary: summary(illgwv1.ItemList_KIND_UNSPECIFIED),
			PatronID: id, PatronPassword: pin})
	})
	if err != nil {
		return nil, err
	}
	out := patronInfoResp(resp)
	switch {
	case out.Patron.GetValid() == illgwv1.Tristate_TRISTATE_NO:
		return nil, errorf(codes.NotFound, "no patron %q at %s", truncate(id, 64), r.member.Code)
	case pin != "" && out.Patron.GetPinValid() != illgwv1.Tristate_TRISTATE_YES:
		return nil, errorf(codes.PermissionDenied, "the PIN of patron %q at %s is not valid", truncate(id, 64), r.member.Code)
	}
	if out.Patron.PatronId == "" {
		out.Patron.PatronId = id
	}
	return out, nil
}

// memberPatronSource answers MemberPatron from a source other than the
// ILS's SIP2 server.
func (c *circulation) memberPatronSource(ctx context.Context, r route, src PatronSource, id, pin string) (*illgwv1.PatronInformationResponse, error) {
	var (
		p   patron.Patron
		err error
	)
	switch src {
	case PatronsLDAP:
		switch {
		case r.member.Directory == nil:
			err = patron.ErrUnavailable
		case pin == "":
			p, err = r.member.Directory.Lookup(ctx, id)
		default:
			p, err = r.member.Directory.Authenticate(ctx, id, pin)
		}
	default:
		return c.memberPatronNCIP(ctx, r, id, pin)
	}
	switch {
	case errors.Is(err, patron.ErrUnknownPatron):
		return nil, errorf(codes.NotFound, "no patron %q at %s", truncate(id, 64), r.member.Code)
	case errors.Is(err, patron.ErrBadPIN):
		return nil, errorf(codes.PermissionDenied, "the PIN of patron %q at %s is not valid", truncate(id, 64), r.member.Code)
	case err != nil && errors.Is(err, patron.ErrUnavailable):
		c.b.log.Warn("circulation: patron source unavailable", "member", r.member.Code, "caller", "ncip", "err", err)
		return nil, errorf(codes.Unavailable, "the patron source of %s is unavailable", r.member.Code)
	case err != nil:
		// Locked, expired and the like: the patron exists but may not
		// authenticate now.
		return nil, errorf(codes.PermissionDenied, "patron %q at %s: %s", truncate(id, 64), r.member.Code, patron.ScreenMessage(err))
	}
	pin0 := illgwv1.Tristate_TRISTATE_UNKNOWN
	if pin != "" {
		pin0 = triOf(p.PINVerified)
	}
	out := &illgwv1.Patron{PatronId: id, PersonalName: p.Name, Valid: illgwv1.Tristate_TRISTATE_YES, PinValid: pin0,
		Restrictions: &illgwv1.PatronRestrictions{ChargePrivilegesDenied: p.Blocked}}
	if pr := p.Problem(c.b.now()); pr != nil {
		out.Restrictions.ChargePrivilegesDenied = true
	}
	return &illgwv1.PatronInformationResponse{Patron: out, HoldItemsCount: -1, OverdueItemsCount: -1, ChargedItemsCount: -1,
		FineItemsCount: -1, RecallItemsCount: -1, UnavailableHoldsCount: -1}, nil
}

// memberPatronNCIP answers MemberPatron from the member ILS's NCIP
// responder, NCIP 2.02 Part 1 §"Lookup User" with AuthenticationInput
// (barcode and, when given, PIN): Unknown User is NOT_FOUND, any other
// Problem with a PIN given is PERMISSION_DENIED, a failed call UNAVAILABLE.
func (c *circulation) memberPatronNCIP(ctx context.Context, r route, id, pin string) (*illgwv1.PatronInformationResponse, error) {
	var rm *member.Member
	if c.b.registry != nil {
		rm = c.b.registry.Member(r.member.Code)
	}
	if rm == nil || rm.NCIP() == nil {
		return nil, errorf(codes.FailedPrecondition, "member %s has no NCIP responder configured for patrons", r.member.Code)
	}
	req := &ncip.LookupUser{AuthenticationInputs: []ncip.AuthenticationInput{
		{Data: id, DataFormat: ncip.SV("text/plain"), Type: ncip.SV("Barcode Id")},
	}, UserElementTypes: []ncip.SchemeValue{ncip.SV("Name Information"), ncip.SV("User Address Information"), ncip.SV("Block Or Trap")}}
	if pin != "" {
		req.AuthenticationInputs = append(req.AuthenticationInputs, ncip.AuthenticationInput{Data: pin, DataFormat: ncip.SV("text/plain"), Type: ncip.SV("PIN")})
	}
	resp, err := rm.NCIP().LookupUser(ctx, req)
	var problem *ncip.Problem
	if err == nil && len(resp.Problems) > 0 {
		problem = &resp.Problems[0]
	}
	switch {
	case problem != nil || errors.As(err, &problem):
		if ncip.Match(problem.Type.Value, ncip.ProblemUnknownUser) {
			return nil, errorf(codes.NotFound, "no patron %q at %s", truncate(id, 64), r.member.Code)
		}
		if pin != "" {
			return nil, errorf(codes.PermissionDenied, "patron %q at %s could not be authenticated", truncate(id, 64), r.member.Code)
		}
		return nil, errorf(codes.FailedPrecondition, "the library system of %s refused the lookup: %s", r.member.Code, truncate(problem.Type.Value, 64))
	case err != nil:
		c.b.log.Warn("circulation: member call failed", "op", "MemberPatron", "member", r.member.Code, "err", err)
		return nil, memberError(r.member.Code, err)
	}
	p := &illgwv1.Patron{PatronId: id, Valid: illgwv1.Tristate_TRISTATE_YES, Restrictions: &illgwv1.PatronRestrictions{}}
	if pin != "" {
		p.PinValid = illgwv1.Tristate_TRISTATE_YES
	}
	if f := resp.UserOptionalFields; f != nil {
		p.PersonalName = personalName(f.NameInformation)
		for _, a := range f.UserAddressInformation {
			if a.ElectronicAddress != nil && strings.EqualFold(a.ElectronicAddress.Type.Value, "mailto") && p.Email == "" {
				p.Email = a.ElectronicAddress.Data
			}
		}
		p.Restrictions.ChargePrivilegesDenied = len(f.BlockOrTraps) > 0
	}
	return &illgwv1.PatronInformationResponse{Patron: p, HoldItemsCount: -1, OverdueItemsCount: -1, ChargedItemsCount: -1,
		FineItemsCount: -1, RecallItemsCount: -1, UnavailableHoldsCount: -1}, nil
}

// personalName is a user's name as one line: the unstructured name, or
// "Surname, Given names" from the structured one.
func personalName(n *ncip.NameInformation) string {
	if n == nil || n.Personal == nil {
		return ""
	}
	if n.Personal.Unstructured != "" {
		return n.Personal.Unstructured
	}
	s := n.Personal.Structured
	if s == nil {
		return ""
	}
	if s.GivenName == "" {
		return s.Surname
	}
	return s.Surname + ", " + s.GivenName
}

// MemberItem asks the member's ILS about an item (NCIP 2.02 Part 1
// §"Lookup Item"), over SIP2 (17) when the member has it, else over NCIP.
// NOT_FOUND for an item the ILS does not know.
func (c *circulation) MemberItem(ctx context.Context, req *illgwv1.MemberItemRequest) (*illgwv1.ItemInformationResponse, error) {
	r, err := c.memberRoute(req.GetMember())
	if err != nil {
		return nil, err
	}
	id := req.GetItemId()
	if id == "" {
		return nil, errorf(codes.InvalidArgument, "item_id is required")
	}
	if len(id) > maxIDLen {
		return nil, errorf(codes.InvalidArgument, "item_id longer than %d bytes", maxIDLen)
	}
	if r.sip2 == nil {
		return c.memberItemNCIP(ctx, r, id)
	}
	resp, err := call(ctx, c, r, "MemberItem", func(ctx context.Context) (*sip2.ItemInformationResponse, error) {
		return r.sip2.ItemInformation(ctx, &sip2.ItemInformation{TransactionDate: c.b.now(), ItemID: id})
	})
	if err != nil {
		return nil, err
	}
	out := itemInfoResp(resp)
	// SIP2 has no "unknown item" flag: ACSes answer circulation status 01
	// (other) with an empty title, or leave the item id out.
	if out.Item.GetTitle() == "" && (out.Item.GetCirculationStatus() == "01" || out.Item.GetCirculationStatus() == "") ||
		out.Item.GetItemId() != "" && out.Item.GetItemId() != id {
		return nil, errorf(codes.NotFound, "no item %q at %s", truncate(id, 64), r.member.Code)
	}
	out.Item.ItemId = id
	consultLoans(id, out.Item)
	return out, nil
}

// memberItemNCIP answers MemberItem from the member's NCIP responder.
func (c *circulation) memberItemNCIP(ctx context.Context, r route, id string) (*illgwv1.ItemInformationResponse, error) {
	if c.b.registry == nil {
		return nil, errorf(codes.FailedPrecondition, "member %s has no library system configured for items", r.member.Code)
	}
	m := c.b.registry.Member(r.member.Code)
	if m == nil || m.NCIP() == nil {
		return nil, errorf(codes.FailedPrecondition, "member %s has no library system configured for items", r.member.Code)
	}
	resp, err := m.NCIP().LookupItem(ctx, &ncip.LookupItem{ItemID: &ncip.ItemID{Value: id},
		ItemElementTypes: []ncip.SchemeValue{ncip.SV("Bibliographic Description"), ncip.SV("Circulation Status")}})
	var problem *ncip.Problem
	if errors.As(err, &problem) || err == nil && len(resp.Problems) > 0 {
		if problem == nil {
			problem = &resp.Problems[0]
		}
		if ncip.Match(problem.Type.Value, ncip.ProblemUnknownItem) {
			return nil, errorf(codes.NotFound, "no item %q at %s", truncate(id, 64), r.member.Code)
		}
		return nil, errorf(codes.FailedPrecondition, "the library system of %s refused the lookup: %s", r.member.Code, truncate(problem.Type.Value, 64))
	}
	if err != nil {
		c.b.log.Warn("circulation: member call failed", "op", "MemberItem", "member", r.member.Code, "err", err)
		return nil, memberError(r.member.Code, err)
	}
	item := &illgwv1.Item{ItemId: id, Owner: r.member.Code}
	if f := resp.ItemOptionalFields; f != nil {
		if f.BibliographicDescription != nil {
			item.Title = f.BibliographicDescription.Title
		}
		item.CirculationStatus = circulationCode(f.CirculationStatus.Value)
		if !f.DateDue.IsZero() {
			item.DueDate = pts(f.DateDue.Time)
		}
	}
	return &illgwv1.ItemInformationResponse{Item: item}, nil
}

// circulationCode turns an NCIP CirculationStatus value into the SIP2 code
// the Item message carries.
func circulationCode(v string) string {
	switch strings.ToLower(v) {
	case "available on shelf":
		return "03"
	case "on loan":
		return "04"
	case "in transit between library locations":
		return "10"
	case "lost":
		return "12"
	case "on order":
		return "02"
	}
	return "01"
}
