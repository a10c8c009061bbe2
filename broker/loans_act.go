package broker

import (
	"context"
	"slices"

	"google.golang.org/grpc/codes"

	"github.com/illgw/illgw/broker/ill"
	"github.com/illgw/illgw/broker/loan"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

// Act applies an action to a loan (issue 8 point 3): the lifecycle event
// it stands for is checked against the transition table (broker/ill) and
// stored with the actor in one compare-and-set, then the NCIP calls of the
// step are made. RETRY_CALLS and SKIP_CALL act on failed calls.
func (s *loansService) Act(ctx context.Context, req *illgwv1.ActRequest) (*illgwv1.Loan, error) {
	if req.GetId() == "" || len(req.GetId()) > maxIDLen {
		return nil, errorf(codes.InvalidArgument, "id must be 1 to %d bytes", maxIDLen)
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{
		{"member", req.GetMember(), maxCodeLen},
		{"item_id", req.GetItemId(), maxIDLen},
		{"reason", req.GetReason(), ill.MaxReasonLen},
		{"note", req.GetNote(), maxTextLen},
		{"idempotency_key", req.GetIdempotencyKey(), maxIDLen},
		{"actor.id", req.GetActor().GetId(), maxIDLen},
		{"actor.member", req.GetActor().GetMember(), maxCodeLen},
	} {
		if len(f.v) > f.max {
			return nil, errorf(codes.InvalidArgument, "%s longer than %d bytes", f.name, f.max)
		}
	}
	if req.GetExpectedVersion() < 0 {
		return nil, errorf(codes.InvalidArgument, "expected_version is negative")
	}
	actor := engineActor(actorOf(ctx, req.GetActor()))
	if !actor.Kind.Valid() {
		return nil, errorf(codes.InvalidArgument, "actor kind %d is not defined", req.GetActor().GetKind())
	}
	var (
		r   *loan.Record
		err error
	)
	switch a := req.GetAction(); a {
	case illgwv1.LoanAction_LOAN_ACTION_RETRY_CALLS:
		r, err = s.b.loans.Retry(ctx, req.GetId(), actor, req.GetIdempotencyKey())
	case illgwv1.LoanAction_LOAN_ACTION_SKIP_CALL:
		r, err = s.b.loans.Skip(ctx, req.GetId(), actor, req.GetIdempotencyKey())
	default:
		ev, ok := actionEvents[a]
		if !ok {
			return nil, errorf(codes.InvalidArgument, "action %v is not defined", a)
		}
		reason := req.GetReason()
		if reason == "" {
			reason = req.GetNote()
		}
		q := loan.ActRequest{ID: req.GetId(), Event: ev, Actor: actor, Member: req.GetMember(), FromILS: req.GetFromIls(),
			ItemID: req.GetItemId(), Reason: reason, IdempotencyKey: req.GetIdempotencyKey(), ExpectedVersion: uint64(req.GetExpectedVersion())}
		if t := req.GetDueDate(); t != nil {
			q.DueDate = t.AsTime()
		}
		r, err = s.b.loans.Act(ctx, q)
	}
	if err != nil {
		return nil, loanError("loan "+truncate(req.GetId(), 20), err)
	}
	return s.b.loanWithHistory(ctx, r)
}

// Watch streams loan events from the partition feeds (DESIGN.md "The
// broker": watchers read every partition's feed), from the request's cursor
// or from now, filtered by loan, requester and supplier. Every event
// carries the cursor to resume after it.
func (s *loansService) Watch(req *illgwv1.WatchRequest, stream illgwv1.Loans_WatchServer) error {
	ctx := stream.Context()
	if len(req.GetLoanIds()) > maxWatchIDs {
		return errorf(codes.InvalidArgument, "at most %d loan ids", maxWatchIDs)
	}
	if len(req.GetRequester()) > maxCodeLen || len(req.GetSupplier()) > maxCodeLen {
		return errorf(codes.InvalidArgument, "requester or supplier longer than %d bytes", maxCodeLen)
	}
	var from loan.Cursor
	switch {
	case req.GetCursor() != "":
		c, err := loan.ParseCursor(req.GetCursor(), s.b.store.Partitions())
		if err != nil {
			return errorf(codes.InvalidArgument, "cursor %q is not one this server returned", truncate(req.GetCursor(), 40))
		}
		from = c
	case !req.GetFromBeginning():
		c, err := s.b.loans.Head(ctx)
		if err != nil {
			return loanError("loan feeds", err)
		}
		from = c
	}
	ids := req.GetLoanIds()
	err := s.b.loans.Watch(ctx, from, func(e loan.Event, c loan.Cursor) error {
		if len(ids) > 0 && !slices.Contains(ids, e.LoanID) {
			return nil
		}
		if req.GetRequester() != "" && e.Requester != req.GetRequester() {
			return nil
		}
		if req.GetSupplier() != "" && e.Lender != req.GetSupplier() && e.Member != req.GetSupplier() {
			return nil
		}
		ev := eventToProto(e)
		ev.Cursor = c.String()
		return stream.Send(ev)
	})
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return loanError("watch", err)
	}
	return nil
}
