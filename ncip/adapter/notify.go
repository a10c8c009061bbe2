package adapter

import (
	"context"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/illgw/illgw/ncip"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

// Notifications from a member's ILS or ILL staff tool advance the loan they
// name (issue 8 point 4). Which action a notification is depends on which
// side of the loan sends it: the requester (the loan's borrowing member) or
// the supplier (any other member). Each is applied with an idempotency key
// made of the message's identity, so a retried notification is a no-op.

// notify finds the loan a notification names and applies the action for
// the sender's side of it.
func (a *Adapter) notify(ctx context.Context, service string, h *ncip.InitiationHeader, rid *ncip.RequestID, iid *ncip.ItemID,
	requester, supplier illgwv1.LoanAction, build func(*illgwv1.ActRequest), when string) error {
	if _, err := a.route(ctx, service, h); err != nil {
		return err
	}
	_, s, err := a.sender(ctx, service)
	if err != nil {
		return err
	}
	loan, err := a.findLoan(ctx, service, rid, iid)
	if err != nil {
		return err
	}
	action := supplier
	if s.Member == loan.GetRequester() {
		action = requester
	}
	// A member's ILS reporting a step has made that step's NCIP call
	// itself; the broker must not make it again.
	ar := &illgwv1.ActRequest{Action: action, IdempotencyKey: key(service, loan.GetId(), s.Member, when), FromIls: !s.Partner}
	if iid != nil {
		ar.ItemId = iid.Value
	}
	if build != nil {
		build(ar)
	}
	subject := SubjectRequest
	if rid == nil {
		subject = SubjectItem
	}
	_, err = a.act(ctx, service, loan, subject, ref(rid, iid), ar)
	return err
}

// ItemShipped handles NCIP 2.02 Part 1 §"Item Shipped": from the lender it
// is the shipment (S7), from the requester the return shipment (R14). A
// DateDue in ItemOptionalFields becomes the loan's due date.
func (a *Adapter) ItemShipped(ctx context.Context, req *ncip.ItemShipped) (*ncip.ItemShippedResponse, error) {
	err := a.notify(ctx, "ItemShipped", req.Header, req.RequestID, req.ItemID,
		illgwv1.LoanAction_LOAN_ACTION_SHIP_BACK, illgwv1.LoanAction_LOAN_ACTION_SHIP,
		func(ar *illgwv1.ActRequest) {
			if f := req.ItemOptionalFields; f != nil && !f.DateDue.IsZero() {
				ar.DueDate = timestamppb.New(f.DateDue.Time)
			}
		}, stamp(req.DateShipped))
	if err != nil {
		return nil, err
	}
	return &ncip.ItemShippedResponse{}, nil
}

// ItemReceived handles NCIP 2.02 Part 1 §"Item Received": at the requester
// the loaned item arrived (R9); at the lender its item came back and is
// checked in (S13).
func (a *Adapter) ItemReceived(ctx context.Context, req *ncip.ItemReceived) (*ncip.ItemReceivedResponse, error) {
	err := a.notify(ctx, "ItemReceived", req.Header, req.RequestID, req.ItemID,
		illgwv1.LoanAction_LOAN_ACTION_RECEIVE, illgwv1.LoanAction_LOAN_ACTION_CHECK_IN, nil, stamp(req.DateReceived))
	if err != nil {
		return nil, err
	}
	return &ncip.ItemReceivedResponse{}, nil
}

// ItemCheckedIn handles NCIP 2.02 Part 1 §"Item Checked In": at the
// requester the patron returned the temporary item (R13); at the lender
// the item is back on its shelf (S13).
func (a *Adapter) ItemCheckedIn(ctx context.Context, req *ncip.ItemCheckedIn) (*ncip.ItemCheckedInResponse, error) {
	err := a.notify(ctx, "ItemCheckedIn", req.Header, nil, req.ItemID,
		illgwv1.LoanAction_LOAN_ACTION_RETURN, illgwv1.LoanAction_LOAN_ACTION_CHECK_IN, nil, "")
	if err != nil {
		return nil, err
	}
	return &ncip.ItemCheckedInResponse{}, nil
}

// ItemRequestCancelled handles NCIP 2.02 Part 1 §"Item Request Cancelled":
// the requester withdrew the request (R16), or the lender cancelled it and
// the rota moves on (R7/S14).
func (a *Adapter) ItemRequestCancelled(ctx context.Context, req *ncip.ItemRequestCancelled) (*ncip.ItemRequestCancelledResponse, error) {
	err := a.notify(ctx, "ItemRequestCancelled", req.Header, req.RequestID, req.ItemID,
		illgwv1.LoanAction_LOAN_ACTION_CANCEL, illgwv1.LoanAction_LOAN_ACTION_LENDER_CANCEL, nil, "")
	if err != nil {
		return nil, err
	}
	return &ncip.ItemRequestCancelledResponse{}, nil
}

// ItemRenewed handles NCIP 2.02 Part 1 §"Item Renewed": from the
// requester, its ILS renewed the temporary item and asks the lender (R11);
// from the lender, the renewal is granted to the DateDue given (S11).
func (a *Adapter) ItemRenewed(ctx context.Context, req *ncip.ItemRenewed) (*ncip.ItemRenewedResponse, error) {
	err := a.notify(ctx, "ItemRenewed", req.Header, nil, req.ItemID,
		illgwv1.LoanAction_LOAN_ACTION_RENEW, illgwv1.LoanAction_LOAN_ACTION_RENEW_GRANTED,
		func(ar *illgwv1.ActRequest) { ar.DueDate = timestamppb.New(req.DateDue.Time) }, stamp(req.DateDue))
	if err != nil {
		return nil, err
	}
	return &ncip.ItemRenewedResponse{}, nil
}
