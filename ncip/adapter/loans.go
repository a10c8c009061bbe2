package adapter

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/illgw/illgw/ncip"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

// temporaryPrefix starts the barcode of every temporary ILL item; the loan
// id follows it (DESIGN.md "The broker").
const temporaryPrefix = "ILL"

// maxScan bounds the List pages findLoan reads for an id the sender gave.
const maxScan = 20

// findLoan returns the loan a RequestId or ItemId names, among the loans
// the sender's member takes part in (others are Unknown Request or Unknown
// Item, so that their existence does not leak). A RequestId is the
// gateway's loan id, the requester's own request id (a loan's
// external_request_id) or the request id a lender's ILS gave it; an ItemId
// is a temporary item barcode (ILL + loan id) or the lender's copy on the
// loan's rota. Ids other than the loan id are found by listing the
// member's loans, at most maxScan pages per side: the broker has no lookup
// by external id yet.
func (a *Adapter) findLoan(ctx context.Context, service string, rid *ncip.RequestID, iid *ncip.ItemID) (*illgwv1.Loan, error) {
	subject, value := SubjectRequest, ""
	if rid != nil {
		value = strings.TrimSpace(rid.Value)
	} else if iid != nil {
		subject, value = SubjectItem, strings.TrimSpace(iid.Value)
	}
	if value == "" {
		return nil, ncip.NewProblem(ncip.ProblemNeededDataMissing, "a RequestId or an ItemId is required").WithElement("RequestId", "")
	}
	_, s, err := a.sender(ctx, service)
	if err != nil {
		return nil, err
	}
	notFound := Problem(service, subject, value, status.Error(codes.NotFound, "no such loan"))
	id := value
	if subject == SubjectItem {
		id = strings.TrimPrefix(value, temporaryPrefix)
	}
	loan, err := a.Loans.Get(outgoing(ctx), &illgwv1.GetLoanRequest{Id: id})
	if err == nil {
		if !party(loan, s.Member) {
			// Other members' loans do not exist for the sender.
			return nil, notFound
		}
		return loan, nil
	}
	if status.Code(err) != codes.NotFound && status.Code(err) != codes.InvalidArgument {
		return nil, Problem(service, subject, value, err)
	}
	// Not a loan id: the sender's own request id, or a lender's item.
	match := func(l *illgwv1.Loan) bool {
		if subject == SubjectRequest {
			// The requester's own id, or the id a lender's ILS gave its
			// RequestItem.
			return l.GetExternalRequestId() == value ||
				slices.ContainsFunc(l.GetRota(), func(r *illgwv1.RotaEntry) bool { return r.GetRequestId() == value })
		}
		if l.GetBib().GetItemId() == value {
			return true
		}
		for _, r := range l.GetRota() {
			if r.GetItemId() == value {
				return true
			}
		}
		return false
	}
	filters := []*illgwv1.ListLoansRequest{{Requester: s.Member}, {Supplier: s.Member}}
	for _, f := range filters {
		f.PageSize = 200
		for range maxScan {
			resp, err := a.Loans.List(outgoing(ctx), f)
			if err != nil {
				return nil, Problem(service, subject, value, err)
			}
			for _, l := range resp.GetLoans() {
				if match(l) {
					return l, nil
				}
			}
			if f.PageToken = resp.GetNextPageToken(); f.PageToken == "" {
				break
			}
		}
	}
	return nil, notFound
}

// party reports whether member takes part in the loan: its requester, or a
// lender on its rota.
func party(l *illgwv1.Loan, member string) bool {
	return l.GetRequester() == member || l.GetCurrentSupplier() == member ||
		slices.ContainsFunc(l.GetRota(), func(r *illgwv1.RotaEntry) bool { return r.GetMember() == member })
}

// key derives an Act idempotency key from the parts of a message that make
// it the same message, so that a partner's retry is a no-op.
func key(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return "ncip:" + hex.EncodeToString(h[:16])
}

// bibOf builds the broker's description of what is asked for from a
// RequestItem's BibliographicId, ItemId and ItemOptionalFields.
func bibOf(req *ncip.RequestItem) *illgwv1.Bib {
	b := &illgwv1.Bib{}
	for _, bid := range req.BibliographicIDs {
		if it := bid.ItemID; it != nil {
			switch code := ncip.Fold(it.Code.Value); {
			case code == "isbn" || code == "":
				if b.Isbn == "" {
					b.Isbn = strings.TrimSpace(it.Identifier)
				}
			case code == "issn":
				b.Issn = strings.TrimSpace(it.Identifier)
			case code == "lccn":
				b.Lccn = strings.TrimSpace(it.Identifier)
			}
		}
		if rec := bid.RecordID; rec != nil {
			code := ncip.Fold(rec.Code.Value + rec.AgencyID.Value)
			if strings.Contains(code, "oclc") {
				b.OclcNumber = strings.TrimSpace(rec.Identifier)
			} else if strings.Contains(code, "lccn") {
				b.Lccn = strings.TrimSpace(rec.Identifier)
			}
		}
	}
	if len(req.ItemIDs) > 0 {
		b.ItemId = strings.TrimSpace(req.ItemIDs[0].Value)
	}
	if f := req.ItemOptionalFields; f != nil && f.BibliographicDescription != nil {
		d := f.BibliographicDescription
		b.Title, b.Author, b.PublicationDate = d.Title, d.Author, d.PublicationDate
		if d.BibliographicItemID != nil && b.Isbn == "" && ncip.Fold(d.BibliographicItemID.Code.Value) == "isbn" {
			b.Isbn = d.BibliographicItemID.Identifier
		}
	}
	return b
}

// RequestItem answers NCIP 2.02 Part 1 §"Request Item" by creating an
// interlibrary loan for the member the sender acts for (config
// partners[].member), for the patron named (issue 8 point 2). The sender's
// RequestId becomes the loan's external request id, so a retried
// RequestItem returns the same loan. The response echoes the RequestId, or
// gives the loan id when the sender sent none.
func (a *Adapter) RequestItem(ctx context.Context, req *ncip.RequestItem) (*ncip.RequestItemResponse, error) {
	if _, err := a.route(ctx, "RequestItem", req.Header); err != nil {
		return nil, err
	}
	agency, s, err := a.sender(ctx, "RequestItem")
	if err != nil {
		return nil, err
	}
	barcode, pin, _ := ncip.Credentials(req.UserID, req.AuthenticationInputs)
	if barcode == "" {
		return nil, ncip.NewProblem(ncip.ProblemNeededDataMissing, "a UserId or a barcode AuthenticationInput is required").WithElement("UserId", "")
	}
	if pin != "" {
		// The patron authenticates at their own library before anything is stored.
		if _, err := a.Circulation.MemberPatron(outgoing(ctx), &illgwv1.MemberPatronRequest{Member: s.Member, PatronId: barcode, Pin: pin}); err != nil {
			p := Problem("RequestItem", SubjectUser, barcode, err)
			if status.Code(err) == codes.PermissionDenied {
				p = ncip.NewServiceProblem("RequestItem", ncip.ProblemUserAuthenticationFailed, "").WithElement("AuthenticationInput", "")
			}
			return nil, p
		}
	}
	cr := &illgwv1.CreateLoanRequest{
		Requester: s.Member, PatronId: barcode, Bib: bibOf(req), Actor: actor(agency, s),
		PickupLocation: req.PickupLocation.Value,
	}
	if req.RequestID != nil {
		cr.ExternalRequestId = strings.TrimSpace(req.RequestID.Value)
	}
	if !req.NeedBeforeDate.IsZero() {
		cr.NeedBefore = timestamppb.New(req.NeedBeforeDate.Time)
	}
	loan, err := a.Loans.Create(outgoing(ctx), cr)
	if err != nil {
		return nil, Problem("RequestItem", SubjectUser, barcode, err)
	}
	if loan.GetState() == illgwv1.LoanState_LOAN_STATE_INVALID_PATRON {
		// The requesting member's ILS refused the patron (R2).
		detail := loan.GetReason()
		if detail == "" {
			detail = "the patron may not request interlibrary loans at " + s.Member
		}
		return nil, ncip.NewServiceProblem("RequestItem", ncip.ProblemUserIneligibleToRequestThisItem, detail).WithElement("UserIdentifierValue", barcode)
	}
	out := &ncip.RequestItemResponse{
		UserID:           userIDOf(req.UserID, s.Member, barcode),
		RequestType:      req.RequestType,
		RequestScopeType: req.RequestScopeType,
	}
	if req.RequestID != nil {
		rid := *req.RequestID
		out.RequestID = &rid
	} else {
		out.RequestID = &ncip.RequestID{AgencyID: ncip.SV(s.Member), Value: loan.GetId()}
	}
	if len(req.ItemIDs) > 0 {
		iid := req.ItemIDs[0]
		out.ItemID = &iid
	}
	return out, nil
}

// act applies a loan action for the sender and maps a refusal onto the
// service's problem. While the broker answers UNIMPLEMENTED, the partner
// gets Temporary Processing Failure.
func (a *Adapter) act(ctx context.Context, service string, loan *illgwv1.Loan, subject Subject, value string, ar *illgwv1.ActRequest) (*illgwv1.Loan, error) {
	agency, s, err := a.sender(ctx, service)
	if err != nil {
		return nil, err
	}
	ar.Id, ar.Actor = loan.GetId(), actor(agency, s)
	if ar.Member == "" {
		ar.Member = s.Member
	}
	out, err := a.Loans.Act(outgoing(ctx), ar)
	if err != nil {
		return nil, Problem(service, subject, value, err)
	}
	return out, nil
}

// CancelRequestItem answers NCIP 2.02 Part 1 §"Cancel Request Item": the
// loan the RequestId (or ItemId) names is cancelled (R16).
func (a *Adapter) CancelRequestItem(ctx context.Context, req *ncip.CancelRequestItem) (*ncip.CancelRequestItemResponse, error) {
	if _, err := a.route(ctx, "CancelRequestItem", req.Header); err != nil {
		return nil, err
	}
	if _, _, err := a.sender(ctx, "CancelRequestItem"); err != nil {
		return nil, err
	}
	loan, err := a.findLoan(ctx, "CancelRequestItem", req.RequestID, req.ItemID)
	if err != nil {
		return nil, err
	}
	ref := ref(req.RequestID, req.ItemID)
	if _, err := a.act(ctx, "CancelRequestItem", loan, SubjectRequest, ref, &illgwv1.ActRequest{Action: illgwv1.LoanAction_LOAN_ACTION_CANCEL,
		IdempotencyKey: key("CancelRequestItem", loan.GetId())}); err != nil {
		return nil, err
	}
	barcode, _, _ := ncip.Credentials(req.UserID, req.AuthenticationInputs)
	if barcode == "" {
		barcode = loan.GetPatronId()
	}
	out := &ncip.CancelRequestItemResponse{UserID: userIDOf(req.UserID, loan.GetRequester(), barcode)}
	if req.RequestID != nil {
		rid := *req.RequestID
		out.RequestID = &rid
	}
	if req.ItemID != nil {
		iid := *req.ItemID
		out.ItemID = &iid
	}
	return out, nil
}

// RenewItem answers NCIP 2.02 Part 1 §"Renew Item" for an interlibrary-loan
// item: the loan its ItemId names (the temporary barcode or the lender's
// copy) is renewed (R11/S11). A renewal the lender must still approve is
// answered Pending.
func (a *Adapter) RenewItem(ctx context.Context, req *ncip.RenewItem) (*ncip.RenewItemResponse, error) {
	if _, err := a.route(ctx, "RenewItem", req.Header); err != nil {
		return nil, err
	}
	if _, _, err := a.sender(ctx, "RenewItem"); err != nil {
		return nil, err
	}
	loan, err := a.findLoan(ctx, "RenewItem", nil, req.ItemID)
	if err != nil {
		return nil, err
	}
	// RenewItem carries no request id: a renewal is told from a retry by
	// the due date it extends (and the dates the sender gave).
	due := ""
	if loan.GetDueDate() != nil {
		due = loan.GetDueDate().AsTime().UTC().Format(time.RFC3339Nano)
	}
	ar := &illgwv1.ActRequest{Action: illgwv1.LoanAction_LOAN_ACTION_RENEW,
		IdempotencyKey: key("RenewItem", loan.GetId(), due, stamp(req.DesiredDateDue), mandated(req.MandatedAction))}
	if !req.DesiredDateDue.IsZero() {
		ar.DueDate = timestamppb.New(req.DesiredDateDue.Time)
	}
	after, err := a.act(ctx, "RenewItem", loan, SubjectItem, req.ItemID.Value, ar)
	if err != nil {
		return nil, err
	}
	if after.GetState() == illgwv1.LoanState_LOAN_STATE_RENEW_PENDING {
		return &ncip.RenewItemResponse{Pending: &ncip.Pending{}}, nil
	}
	iid := *req.ItemID
	out := &ncip.RenewItemResponse{ItemID: &iid}
	if barcode, _, _ := ncip.Credentials(req.UserID, req.AuthenticationInputs); barcode != "" {
		out.UserID = userIDOf(req.UserID, after.GetRequester(), barcode)
	}
	if after.GetDueDate() != nil {
		out.DateDue = ncip.At(after.GetDueDate().AsTime())
	}
	return out, nil
}

// ref is the identifier a request names, for ProblemValue.
func ref(rid *ncip.RequestID, iid *ncip.ItemID) string {
	if rid != nil {
		return rid.Value
	}
	if iid != nil {
		return iid.Value
	}
	return ""
}

// stamp is a date-time as text for an idempotency key, "" for none.
func stamp(t ncip.DateTime) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.999999999Z")
}

// mandated is the DateEventOccurred of an update service, "" for none.
func mandated(m *ncip.MandatedAction) string {
	if m == nil {
		return ""
	}
	return stamp(m.DateEventOccurred)
}
