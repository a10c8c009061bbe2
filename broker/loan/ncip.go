package loan

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/illgw/illgw/broker/ill"
	"github.com/illgw/illgw/broker/member"
	"github.com/illgw/illgw/ncip"
)

// outcome is how a call ended.
type outcome uint8

const (
	outcomeOK      outcome = iota + 1 // done
	outcomeProblem                    // the ILS answered with an NCIP Problem
	outcomeFailed                     // not made, or no answer: it may be tried again
)

// result is a call's outcome and the data the loan keeps from it. It is
// stored (for a retry to reuse) before the loan records it, so it carries
// no patron data.
type result struct {
	Outcome   outcome
	Detail    string       `json:",omitempty"`
	Problem   string       `json:",omitempty"` // the NCIP problem type
	DueDate   time.Time    `json:",omitzero"`
	ItemID    string       `json:",omitempty"`
	RequestID string       `json:",omitempty"`
	Blocked   bool         `json:",omitempty"`
	Lenders   []ill.Lender `json:",omitempty"`
	// Found is the catalogue's description of the record a locate
	// matched.
	Found *Bib `json:",omitempty"`
}

// Registry adapts a member registry to ILS: each member's NCIP client,
// behind its breaker.
func Registry(r *member.Registry) ILS { return registryILS{r} }

type registryILS struct{ r *member.Registry }

func (r registryILS) NCIP(code string) (NCIP, error) {
	m := r.r.Member(code)
	if m == nil {
		return nil, member.ErrUnknownMember
	}
	if c := m.NCIP(); c != nil {
		return c, nil
	}
	return nil, member.ErrNoProtocol
}

// classify turns a call's error into a result.
func classify(err error) result {
	var p *ncip.Problem
	switch {
	case err == nil:
		return result{Outcome: outcomeOK}
	case errors.As(err, &p) && !ncip.Match(p.Type.Value, ncip.ProblemTemporaryProcessingFailure):
		return result{Outcome: outcomeProblem, Problem: p.Type.Value, Detail: p.Error()}
	}
	return result{Outcome: outcomeFailed, Detail: err.Error()}
}

// run makes one call, trying up to CallAttempts times with a doubling pause
// while it fails; a Problem answer or an open breaker ends the tries.
func (e *Engine) run(ctx context.Context, rec *Record, c Call) result {
	pause := e.o.CallBackoff
	var res result
	for attempt := 1; ; attempt++ {
		var err error
		res, err = e.once(ctx, rec, c.Effect)
		if res.Outcome != outcomeFailed || attempt >= e.o.CallAttempts ||
			errors.Is(err, member.ErrOpen) || errors.Is(err, member.ErrNoProtocol) || errors.Is(err, member.ErrUnknownMember) {
			return res
		}
		select {
		case <-ctx.Done():
			return res
		case <-time.After(pause):
		}
		pause *= 2
	}
}

// once makes one attempt at a call (ncip-ill.md §3.1 and §3.2: the NCIP call
// of each step, at the requester's or the lender's ILS).
func (e *Engine) once(ctx context.Context, rec *Record, fx ill.Effect) (result, error) {
	if fx.Kind == ill.LocateLenders {
		return e.locate(ctx, rec)
	}
	client, err := e.o.ILS.NCIP(fx.Member)
	if err != nil {
		return result{Outcome: outcomeFailed, Detail: "no NCIP responder for " + fx.Member + ": " + err.Error()}, err
	}
	l := &rec.Loan
	reqID := &ncip.RequestID{AgencyID: ncip.SV(e.o.Agency), Value: l.ID}
	item := func(id string) *ncip.ItemID { return &ncip.ItemID{Value: id} }
	patron := &ncip.UserID{Value: l.Patron}
	inst := &ncip.UserID{Value: e.institutional(l.Requester)}
	switch fx.Kind {
	case ill.LookupUser:
		if l.Patron == "" {
			return result{Outcome: outcomeProblem, Problem: ncip.ProblemUnknownUser, Detail: "the loan has no patron"}, nil
		}
		resp, err := client.LookupUser(ctx, &ncip.LookupUser{UserID: patron,
			UserElementTypes: []ncip.SchemeValue{ncip.SV("Block Or Trap"), ncip.SV("User Privilege")}})
		res := classify(err)
		if res.Outcome == outcomeOK {
			res.Blocked = blocked(resp)
		}
		return res, err
	case ill.RequestItem:
		req := &ncip.RequestItem{UserID: inst, RequestID: reqID, RequestType: ncip.SV("Hold"),
			RequestScopeType: ncip.SV("Bibliographic Item"), NeedBeforeDate: ncip.At(rec.NeedBefore),
			ItemOptionalFields: bibFields(rec.Bib)}
		if fx.Item != "" {
			req.ItemIDs, req.RequestScopeType = []ncip.ItemID{*item(fx.Item)}, ncip.SV("Item")
		} else {
			req.BibliographicIDs = bibIDs(rec.Bib)
		}
		resp, err := client.RequestItem(ctx, req)
		// The request id is the loan's: a Duplicate Request means the
		// lender holds our request from a try whose answer was lost
		// (ncip-ill.md §0 point 7: Duplicate is no reason to move on).
		res := tolerate(classify(err), ncip.ProblemDuplicateRequest)
		if res.Outcome == outcomeOK && resp != nil {
			if resp.RequestID != nil {
				res.RequestID = resp.RequestID.Value
			}
			if resp.ItemID != nil {
				res.ItemID = resp.ItemID.Value
			}
		}
		return res, err
	case ill.CancelRequestItem:
		rid := reqID
		if v := rec.LenderRequests[fx.Member]; v != "" {
			rid = &ncip.RequestID{Value: v}
		}
		_, err := client.CancelRequestItem(ctx, &ncip.CancelRequestItem{UserID: inst, RequestID: rid, RequestType: ncip.SV("Hold")})
		return tolerate(classify(err), ncip.ProblemUnknownRequest), err
	case ill.CheckOutItem:
		if fx.Party == ill.AtRequester {
			_, err := client.CheckOutItem(ctx, &ncip.CheckOutItem{UserID: patron, ItemID: item(fx.Item), RequestID: reqID})
			return classify(err), err
		}
		if fx.Item == "" {
			return result{Outcome: outcomeFailed, Detail: "the lender's item id is not known: ship again with the item id"}, nil
		}
		resp, err := client.CheckOutItem(ctx, &ncip.CheckOutItem{UserID: inst, ItemID: item(fx.Item), RequestID: reqID, DesiredDateDue: ncip.At(rec.NeedBefore)})
		res := classify(err)
		if res.Outcome == outcomeOK && resp != nil {
			res.DueDate = resp.DateDue.Time
		}
		return res, err
	case ill.AcceptItem:
		_, err := client.AcceptItem(ctx, &ncip.AcceptItem{RequestID: reqID, RequestedActionType: ncip.SV("Hold For Pickup"),
			UserID: optionalUser(l.Patron), ItemID: item(rec.TemporaryItem()), DateForReturn: ncip.At(l.DueDate),
			ItemOptionalFields: bibFields(rec.Bib), PickupLocation: ncip.SV(rec.PickupLocation)})
		return classify(err), err
	case ill.CheckInItem:
		_, err := client.CheckInItem(ctx, &ncip.CheckInItem{ItemID: item(fx.Item)})
		return tolerate(classify(err), ncip.ProblemItemNotCheckedOut), err
	case ill.DeleteItem:
		_, err := client.DeleteItem(ctx, &ncip.DeleteItem{ItemID: item(fx.Item)})
		return tolerate(classify(err), ncip.ProblemUnknownItem), err
	case ill.RenewItem:
		user := inst
		if fx.Party == ill.AtRequester {
			user = optionalUser(l.Patron)
		}
		resp, err := client.RenewItem(ctx, &ncip.RenewItem{UserID: user, ItemID: item(fx.Item), DesiredDateDue: ncip.At(fx.DueDate)})
		res := classify(err)
		if res.Outcome == outcomeOK && resp != nil {
			res.DueDate = resp.DateDue.Time
		}
		return res, err
	case ill.RecallItem:
		_, err := client.RecallItem(ctx, &ncip.RecallItem{ItemID: item(fx.Item), DesiredDateDue: ncip.At(fx.DueDate)})
		return tolerate(classify(err), ncip.ProblemUnsupportedService), err
	}
	return result{Outcome: outcomeFailed, Detail: "the engine makes no " + fx.Kind.String() + " call"}, nil
}

// tolerate counts a Problem of the given type as done: checking in an item
// that is not checked out, deleting one already gone, cancelling a request
// the ILS no longer has (ncip-ill.md §3.1 R13: treat "Item Not Checked Out"
// as ok), asking again for a request the lender holds.
func tolerate(r result, problem string) result {
	if r.Outcome == outcomeProblem && ncip.Match(r.Problem, problem) {
		r.Outcome = outcomeOK
	}
	return r
}

func optionalUser(id string) *ncip.UserID {
	if id == "" {
		return nil
	}
	return &ncip.UserID{Value: id}
}

// blocked reads a LookupUserResponse's blocks and privilege status
// (ncip-ill.md §3.1 R2: UserPrivilege STATUS and BlockOrTrap).
func blocked(resp *ncip.LookupUserResponse) bool {
	if resp == nil || resp.UserOptionalFields == nil {
		return false
	}
	f := resp.UserOptionalFields
	if len(f.BlockOrTraps) > 0 {
		return true
	}
	for _, p := range f.UserPrivileges {
		if p.Status == nil || !strings.EqualFold(p.AgencyUserPrivilegeType.Value, "STATUS") {
			continue
		}
		switch strings.ToUpper(strings.TrimSpace(p.Status.Type.Value)) {
		case "BLOCKED", "EXPIRED", "INACTIVE", "SUSPENDED":
			return true
		}
	}
	return false
}

func bibFields(b Bib) *ncip.ItemOptionalFields {
	if b.Title == "" && b.Author == "" {
		return nil
	}
	return &ncip.ItemOptionalFields{BibliographicDescription: &ncip.BibliographicDescription{Title: b.Title, Author: b.Author, PublicationDate: b.Date}}
}

// bibIDs names the work for a RequestItem without an item id: its ISBN,
// ISSN, LCCN or OCLC number, else its title.
func bibIDs(b Bib) []ncip.BibliographicID {
	id := func(v, code string) []ncip.BibliographicID {
		return []ncip.BibliographicID{{ItemID: &ncip.BibliographicItemID{Identifier: v, Code: ncip.SV(code)}}}
	}
	switch {
	case b.ISBN != "":
		return id(b.ISBN, "ISBN")
	case b.ISSN != "":
		return id(b.ISSN, "ISSN")
	case b.LCCN != "":
		return id(b.LCCN, "LCCN")
	case b.OCLC != "":
		return []ncip.BibliographicID{{RecordID: &ncip.BibliographicRecordID{Identifier: b.OCLC, Code: ncip.SV("OCLC")}}}
	}
	return []ncip.BibliographicID{{RecordID: &ncip.BibliographicRecordID{Identifier: b.Title, AgencyID: ncip.SV("title")}}}
}

// institutional is the patron a lender charges the requester's loans to.
func (e *Engine) institutional(requester string) string {
	if m, ok := e.members[requester]; ok {
		return m.InstitutionalPatron
	}
	return "ILL-" + requester
}
