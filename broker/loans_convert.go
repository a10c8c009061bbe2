package broker

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/illgw/illgw/broker/ill"
	"github.com/illgw/illgw/broker/loan"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

// actionEvents maps each lifecycle action of the API to its event in the
// transition table (one to one; RETRY_CALLS and SKIP_CALL are not events).
var actionEvents = map[illgwv1.LoanAction]ill.EventKind{
	illgwv1.LoanAction_LOAN_ACTION_SHIP:             ill.ItemShipped,
	illgwv1.LoanAction_LOAN_ACTION_RECEIVE:          ill.ItemReceived,
	illgwv1.LoanAction_LOAN_ACTION_CHECK_OUT:        ill.PatronCheckedOut,
	illgwv1.LoanAction_LOAN_ACTION_RETURN:           ill.PatronCheckedIn,
	illgwv1.LoanAction_LOAN_ACTION_SHIP_BACK:        ill.ReturnShipped,
	illgwv1.LoanAction_LOAN_ACTION_CHECK_IN:         ill.LenderCheckedIn,
	illgwv1.LoanAction_LOAN_ACTION_RENEW:            ill.RenewRequested,
	illgwv1.LoanAction_LOAN_ACTION_RECALL:           ill.ItemRecalled,
	illgwv1.LoanAction_LOAN_ACTION_CANCEL:           ill.CancelRequested,
	illgwv1.LoanAction_LOAN_ACTION_MARK_UNFILLED:    ill.LenderUnfilled,
	illgwv1.LoanAction_LOAN_ACTION_WILL_SUPPLY:      ill.LenderWillSupply,
	illgwv1.LoanAction_LOAN_ACTION_LENDER_CANCEL:    ill.LenderCancelled,
	illgwv1.LoanAction_LOAN_ACTION_SET_DUE_DATE:     ill.DueDateSet,
	illgwv1.LoanAction_LOAN_ACTION_RENEW_GRANTED:    ill.RenewGranted,
	illgwv1.LoanAction_LOAN_ACTION_RENEW_DENIED:     ill.RenewDenied,
	illgwv1.LoanAction_LOAN_ACTION_MARK_OVERDUE:     ill.ItemOverdue,
	illgwv1.LoanAction_LOAN_ACTION_CANCEL_CONFIRMED: ill.CancelConfirmed,
	illgwv1.LoanAction_LOAN_ACTION_CANCEL_DENIED:    ill.CancelDenied,
	illgwv1.LoanAction_LOAN_ACTION_MARK_LOST:        ill.ItemLost,
	illgwv1.LoanAction_LOAN_ACTION_OVERRIDE_PATRON:  ill.PatronOverride,
	illgwv1.LoanAction_LOAN_ACTION_RETRY_ROTA:       ill.RotaRetry,
	illgwv1.LoanAction_LOAN_ACTION_ANONYMISE:        ill.Anonymise,
}

// eventActions is actionEvents inverted.
var eventActions = func() map[ill.EventKind]illgwv1.LoanAction {
	m := make(map[ill.EventKind]illgwv1.LoanAction, len(actionEvents))
	for a, e := range actionEvents {
		m[e] = a
	}
	return m
}()

func pbTime(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// engineActor converts an API actor.
func engineActor(a *illgwv1.Actor) loan.Actor {
	return loan.Actor{Kind: ill.ActorKind(a.GetKind()), ID: a.GetId(), Member: a.GetMember()}
}

func actorToProto(a loan.Actor) *illgwv1.Actor {
	return &illgwv1.Actor{Kind: illgwv1.Actor_Kind(a.Kind), Id: a.ID, Member: a.Member}
}

// loanToProto converts a stored loan for the API (without its events).
func loanToProto(r *loan.Record) *illgwv1.Loan {
	l := &r.Loan
	out := &illgwv1.Loan{
		Id: l.ID, Version: int64(r.Version), State: illgwv1.LoanState(l.State), Requester: l.Requester, PatronId: l.Patron,
		Bib: &illgwv1.Bib{Title: r.Bib.Title, Author: r.Bib.Author, Isbn: r.Bib.ISBN, Issn: r.Bib.ISSN, Lccn: r.Bib.LCCN,
			OclcNumber: r.Bib.OCLC, PublicationDate: r.Bib.Date, ItemId: r.Bib.ItemID, Record: r.Bib.Record},
		ServiceLevel: illgwv1.ServiceLevel(l.Level), CurrentSupplier: l.Lender, DueDate: pbTime(l.DueDate),
		CreatedAt: pbTime(l.CreatedAt), UpdatedAt: pbTime(l.UpdatedAt), ExternalRequestId: r.ExternalID,
		TemporaryItemId: r.TemporaryItem(), PickupLocation: r.PickupLocation, Note: r.Note, NeedBefore: pbTime(r.NeedBefore),
		Reason: l.Reason, Problem: r.Problem(), FinishedAt: pbTime(l.FinishedAt), Anonymised: l.Anonymised,
	}
	for _, x := range l.Rota {
		out.Rota = append(out.Rota, &illgwv1.RotaEntry{Member: x.Member, State: illgwv1.SupplierState(x.State), Reason: x.Reason,
			AskedAt: pbTime(x.AskedAt), AnsweredAt: pbTime(x.AnsweredAt), ItemId: x.ItemID, CallNumber: x.CallNumber,
			Available: x.Available, ActiveLoans: int32(x.ActiveLoans), Deadline: pbTime(x.Deadline), RequestId: r.LenderRequests[x.Member]})
	}
	for _, c := range r.Outbox {
		out.PendingCalls = append(out.PendingCalls, &illgwv1.PendingCall{Call: c.Effect.Kind.String(), Member: c.Effect.Member,
			ItemId: c.Effect.Item, Attempts: int32(c.Attempts), Failed: c.Failed, Error: c.Error, NextAttempt: pbTime(c.NextAt)})
	}
	for _, k := range ill.Allowed(l.State) {
		if a, ok := eventActions[k]; ok {
			out.AllowedActions = append(out.AllowedActions, a)
		}
	}
	switch {
	case r.HasFailedCall():
		out.AllowedActions = append(out.AllowedActions, illgwv1.LoanAction_LOAN_ACTION_RETRY_CALLS, illgwv1.LoanAction_LOAN_ACTION_SKIP_CALL)
	case r.Flag != nil:
		// A flag is cleared by recording the step, or by skip-call;
		// there is no call to retry.
		out.AllowedActions = append(out.AllowedActions, illgwv1.LoanAction_LOAN_ACTION_SKIP_CALL)
	}
	return out
}

// eventToProto converts one history entry (the cursor is set by the
// caller).
func eventToProto(e loan.Event) *illgwv1.LoanEvent {
	out := &illgwv1.LoanEvent{LoanId: e.LoanID, Version: int64(e.Version), At: pbTime(e.At), Actor: actorToProto(e.Actor),
		Kind: e.Kind, FromState: illgwv1.LoanState(e.From), ToState: illgwv1.LoanState(e.To), Message: e.Message, Member: e.Member}
	if k, err := ill.ParseEventKind(e.Kind); err == nil {
		out.Action = eventActions[k]
	}
	switch e.Kind {
	case loan.KindCallRetry:
		out.Action = illgwv1.LoanAction_LOAN_ACTION_RETRY_CALLS
	case loan.KindCallSkipped:
		out.Action = illgwv1.LoanAction_LOAN_ACTION_SKIP_CALL
	}
	if e.Actor.Kind == ill.ActorSystem {
		out.Action = illgwv1.LoanAction_LOAN_ACTION_UNSPECIFIED
	}
	return out
}
