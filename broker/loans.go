package broker

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/protobuf/proto"

	"github.com/illgw/illgw/broker/ill"
	"github.com/illgw/illgw/broker/loan"
	"github.com/illgw/illgw/broker/state"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

// Limits on what a client may put in a loan, checked before anything is
// stored.
const (
	maxCodeLen      = 64        // member codes
	maxIDLen        = 128       // patron, item and external request ids
	maxTextLen      = 2048      // titles, authors, notes
	maxRecordLen    = 256 << 10 // a MARC record in Bib.record
	defaultPageSize = 50
	maxPageSize     = 1000
	// maxScanPages bounds the store pages one List call reads, so a filter
	// that matches nothing cannot make one call read every loan.
	maxScanPages = 64
	// maxWatchIDs bounds the loan ids one Watch filters on.
	maxWatchIDs = 1000
	// IDAlphabet and IDLen describe loan ids (broker/ill.ShortID).
	IDAlphabet = ill.IDAlphabet
	IDLen      = ill.IDLen
	// TemporaryItemPrefix starts the barcode of every temporary ILL item
	// (DESIGN.md "The broker"); the loan id follows it.
	TemporaryItemPrefix = ill.TemporaryItemPrefix
)

// marshal encodes protobuf messages the broker stores, deterministically.
var marshal = proto.MarshalOptions{Deterministic: true}

// decodeLoan reads a stored loan for the API; one that does not decode is
// DATA_LOSS.
func decodeLoan(rec state.Loan) (*illgwv1.Loan, error) {
	r, err := loan.Decode(rec)
	if err != nil {
		return nil, loanError("loan "+truncate(rec.ID, 20), err)
	}
	return loanToProto(r), nil
}

// LoanOptions configure the loan engine (broker/loan) behind the Loans
// service; cmd/illgw maps the config file's loans: section onto them.
type LoanOptions struct {
	// Timeouts are the lender time-outs per service level
	// (loans.lender_timeout).
	Timeouts ill.Timeouts
	// AnonymiseAfter is how long a finished loan keeps its patron
	// (loans.anonymise_after): 0 means 720h.
	AnonymiseAfter time.Duration
	// Catalog finds the holdings a rota is built from; nil means the
	// broker's own Catalog service across every member that lends.
	// HoldingsFrom adapts any Catalog service.
	Catalog loan.Catalog
	// Instance names this gateway instance in the claims it writes.
	Instance string
	// Tune, when set, may change the engine's options before it is made
	// (poll and retry intervals in tests).
	Tune func(*loan.Options)
}

// newLoanEngine builds the loan engine over the broker's store and member
// registry. Without a registry the engine stores transitions and makes no
// calls.
func newLoanEngine(b *Broker, o LoanOptions) *loan.Engine {
	if o.Catalog == nil {
		o.Catalog = b.defaultHoldings()
	}
	lo := loan.Options{Store: b.store, Catalog: o.Catalog, Timeouts: o.Timeouts, AnonymiseAfter: o.AnonymiseAfter,
		Instance: o.Instance, Logger: b.log, Now: b.now}
	if b.registry != nil {
		lo.ILS = loan.Registry(b.registry)
		for _, m := range b.registry.Members() {
			l := m.Lending()
			lo.Members = append(lo.Members, loan.Member{Code: m.Code(), Lends: l.Lends, Borrows: l.Borrows, InstitutionalPatron: l.InstitutionalPatron})
		}
	} else {
		lo.NoCalls = true
	}
	if len(lo.Members) == 0 {
		for _, m := range b.members {
			lo.Members = append(lo.Members, loan.Member{Code: m.Code, Lends: m.Lends, Borrows: m.Borrows})
		}
	}
	if o.Tune != nil {
		o.Tune(&lo)
	}
	e, err := loan.New(lo)
	if err != nil {
		// Only a nil store gets here; the broker cannot work without one.
		panic("broker: " + err.Error())
	}
	return e
}

// Loans returns the loan engine, for cmd/illgw to run its timers (Run) and
// close it on shutdown.
func (b *Broker) Loans() *loan.Engine { return b.loans }

type loansService struct {
	illgwv1.UnimplementedLoansServer
	b *Broker
}

// Create stores a new loan (issue 8 point 2): the patron is checked at the
// requesting member (NCIP LookupUser), the rota is built from the
// catalogue's holdings and the first lender is asked (NCIP RequestItem).
// With an external_request_id, a repeated Create for the same requester
// returns the first loan instead of making a second.
func (s *loansService) Create(ctx context.Context, req *illgwv1.CreateLoanRequest) (*illgwv1.Loan, error) {
	if err := s.b.checkCreate(req); err != nil {
		return nil, err
	}
	bib := req.GetBib()
	q := loan.CreateRequest{
		Requester: req.GetRequester(),
		Patron:    req.GetPatronId(),
		Bib: loan.Bib{Title: bib.GetTitle(), Author: bib.GetAuthor(), ISBN: bib.GetIsbn(), ISSN: bib.GetIssn(), LCCN: bib.GetLccn(),
			OCLC: bib.GetOclcNumber(), Date: bib.GetPublicationDate(), ItemID: bib.GetItemId(), Record: bib.GetRecord()},
		Level:          ill.ServiceLevel(req.GetServiceLevel()),
		ExternalID:     req.GetExternalRequestId(),
		PickupLocation: req.GetPickupLocation(),
		Note:           req.GetNote(),
		Actor:          engineActor(actorOf(ctx, req.GetActor())),
	}
	if t := req.GetNeedBefore(); t != nil {
		q.NeedBefore = t.AsTime()
	}
	r, err := s.b.loans.Create(ctx, q)
	if err != nil {
		return nil, loanError("loan", err)
	}
	return s.b.loanWithHistory(ctx, r)
}

func (b *Broker) checkCreate(req *illgwv1.CreateLoanRequest) error {
	if req.GetRequester() == "" {
		return errorf(codes.InvalidArgument, "requester is required")
	}
	if len(req.GetRequester()) > maxCodeLen {
		return errorf(codes.InvalidArgument, "requester longer than %d bytes", maxCodeLen)
	}
	m, ok := b.byCode[req.GetRequester()]
	if !ok {
		return errorf(codes.InvalidArgument, "requester %q is not a configured member", req.GetRequester())
	}
	if !m.Borrows {
		return errorf(codes.FailedPrecondition, "member %s does not borrow (members[].lending.borrows)", m.Code)
	}
	if req.GetPatronId() == "" {
		return errorf(codes.InvalidArgument, "patron_id is required")
	}
	bib := req.GetBib()
	if bib == nil {
		return errorf(codes.InvalidArgument, "bib is required: an identifier, a title or a record")
	}
	if bib.GetTitle() == "" && bib.GetIsbn() == "" && bib.GetIssn() == "" && bib.GetLccn() == "" &&
		bib.GetOclcNumber() == "" && bib.GetItemId() == "" && len(bib.GetRecord()) == 0 {
		return errorf(codes.InvalidArgument, "bib is empty: give an identifier, a title or a record")
	}
	if len(bib.GetRecord()) > maxRecordLen {
		return errorf(codes.InvalidArgument, "bib.record is %d bytes; the limit is %d", len(bib.GetRecord()), maxRecordLen)
	}
	if _, ok := illgwv1.ServiceLevel_name[int32(req.GetServiceLevel())]; !ok {
		return errorf(codes.InvalidArgument, "service_level %d is not defined", req.GetServiceLevel())
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{
		{"patron_id", req.GetPatronId(), maxIDLen},
		{"external_request_id", req.GetExternalRequestId(), maxIDLen},
		{"pickup_location", req.GetPickupLocation(), maxIDLen},
		{"note", req.GetNote(), maxTextLen},
		{"bib.title", bib.GetTitle(), maxTextLen},
		{"bib.author", bib.GetAuthor(), maxTextLen},
		{"bib.isbn", bib.GetIsbn(), maxIDLen},
		{"bib.issn", bib.GetIssn(), maxIDLen},
		{"bib.lccn", bib.GetLccn(), maxIDLen},
		{"bib.oclc_number", bib.GetOclcNumber(), maxIDLen},
		{"bib.publication_date", bib.GetPublicationDate(), maxIDLen},
		{"bib.item_id", bib.GetItemId(), maxIDLen},
		{"actor.id", req.GetActor().GetId(), maxIDLen},
		{"actor.member", req.GetActor().GetMember(), maxCodeLen},
	} {
		if len(f.v) > f.max {
			return errorf(codes.InvalidArgument, "%s longer than %d bytes", f.name, f.max)
		}
	}
	return nil
}

// actorOf returns the request's actor, or, when the client named none, an
// operator named after its TLS client certificate ("local" without one).
func actorOf(ctx context.Context, a *illgwv1.Actor) *illgwv1.Actor {
	if a.GetKind() != illgwv1.Actor_KIND_UNSPECIFIED {
		return a
	}
	id := "local"
	if p, ok := peer.FromContext(ctx); ok {
		if ti, ok := p.AuthInfo.(credentials.TLSInfo); ok && len(ti.State.PeerCertificates) > 0 {
			id = ti.State.PeerCertificates[0].Subject.CommonName
		}
	}
	if a.GetId() != "" {
		id = a.GetId()
	}
	return &illgwv1.Actor{Kind: illgwv1.Actor_KIND_OPERATOR, Id: id, Member: a.GetMember()}
}

// Get returns a loan with its history and rota.
func (s *loansService) Get(ctx context.Context, req *illgwv1.GetLoanRequest) (*illgwv1.Loan, error) {
	if req.GetId() == "" {
		return nil, errorf(codes.InvalidArgument, "id is required")
	}
	if len(req.GetId()) > maxIDLen {
		return nil, errorf(codes.InvalidArgument, "id longer than %d bytes", maxIDLen)
	}
	r, err := s.b.loans.Get(ctx, req.GetId())
	if err != nil {
		return nil, loanError("loan "+truncate(req.GetId(), 20), err)
	}
	return s.b.loanWithHistory(ctx, r)
}

// loanWithHistory converts a loan and adds its events.
func (b *Broker) loanWithHistory(ctx context.Context, r *loan.Record) (*illgwv1.Loan, error) {
	out := loanToProto(r)
	evs, err := b.loans.History(ctx, r.Loan.ID)
	if err != nil {
		return nil, loanError("events of loan "+r.Loan.ID, err)
	}
	for _, e := range evs {
		ev := eventToProto(e)
		ev.Cursor = strconv.Itoa(e.Partition) + ":" + strconv.FormatUint(e.Pos, 10)
		out.Events = append(out.Events, ev)
	}
	return out, nil
}

// List returns loans a page at a time in partition and id order, filtered
// by requester, supplier, states and patron. The page token is
// "partition/last id".
func (s *loansService) List(ctx context.Context, req *illgwv1.ListLoansRequest) (*illgwv1.ListLoansResponse, error) {
	size := int(req.GetPageSize())
	if size <= 0 {
		size = defaultPageSize
	}
	size = min(size, maxPageSize)
	parts := s.b.store.Partitions()
	part, after, err := parsePageToken(req.GetPageToken(), parts)
	if err != nil {
		return nil, err
	}
	resp := &illgwv1.ListLoansResponse{}
	for pages := 0; part < parts; pages++ {
		if pages == maxScanPages {
			resp.NextPageToken = pageToken(part, after)
			return resp, nil
		}
		recs, next, err := s.b.store.List(ctx, state.ListOptions{Partition: part, After: after, Limit: size})
		if err != nil {
			return nil, storeError("loans", err)
		}
		for i, rec := range recs {
			l, err := decodeLoan(rec)
			if err != nil {
				return nil, err
			}
			if !matches(l, req) {
				continue
			}
			if req.GetWithEvents() {
				r, _ := loan.Decode(rec)
				if l, err = s.b.loanWithHistory(ctx, r); err != nil {
					return nil, err
				}
			}
			resp.Loans = append(resp.Loans, l)
			if len(resp.Loans) == size {
				if i < len(recs)-1 || next != "" {
					resp.NextPageToken = pageToken(part, rec.ID)
				} else if part+1 < parts {
					resp.NextPageToken = pageToken(part+1, "")
				}
				return resp, nil
			}
		}
		if next != "" {
			after = next
			continue
		}
		part, after = part+1, ""
	}
	return resp, nil
}

func matches(l *illgwv1.Loan, req *illgwv1.ListLoansRequest) bool {
	if req.GetRequester() != "" && l.GetRequester() != req.GetRequester() {
		return false
	}
	if req.GetPatronId() != "" && l.GetPatronId() != req.GetPatronId() {
		return false
	}
	if len(req.GetStates()) > 0 && !slices.Contains(req.GetStates(), l.GetState()) {
		return false
	}
	if sup := req.GetSupplier(); sup != "" && l.GetCurrentSupplier() != sup &&
		!slices.ContainsFunc(l.GetRota(), func(r *illgwv1.RotaEntry) bool { return r.GetMember() == sup }) {
		return false
	}
	return true
}

func pageToken(part int, after string) string {
	return strconv.Itoa(part) + "/" + after
}

func parsePageToken(tok string, parts int) (int, string, error) {
	if tok == "" {
		return 0, "", nil
	}
	p, after, ok := strings.Cut(tok, "/")
	n, err := strconv.Atoi(p)
	if !ok || err != nil || n < 0 || n >= parts || len(after) > maxIDLen {
		return 0, "", errorf(codes.InvalidArgument, "page_token %q is not one this server returned", truncate(tok, 40))
	}
	return n, after, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// loanError maps the engine's and the lifecycle's errors onto gRPC
// statuses.
func loanError(what string, err error) error {
	var (
		notAllowed *ill.NotAllowedError
		supplier   *ill.SupplierNotAllowedError
		actor      *ill.ActorError
		member     *ill.MemberError
		event      *ill.EventError
	)
	switch {
	case errors.As(err, &notAllowed), errors.As(err, &supplier):
		return errorf(codes.FailedPrecondition, "%s: %v", what, err)
	case errors.As(err, &actor), errors.As(err, &member):
		return errorf(codes.PermissionDenied, "%s: %v", what, err)
	case errors.As(err, &event), errors.Is(err, loan.ErrInvalid):
		return errorf(codes.InvalidArgument, "%s: %v", what, err)
	case errors.Is(err, loan.ErrVersion):
		return errorf(codes.FailedPrecondition, "%s: %v", what, err)
	case errors.Is(err, loan.ErrBusy):
		return errorf(codes.Aborted, "%s: %v", what, err)
	case errors.Is(err, loan.ErrClosed):
		return errorf(codes.Unavailable, "%s: the gateway is shutting down", what)
	case errors.Is(err, loan.ErrCorrupt):
		return errorf(codes.DataLoss, "%s: %v", what, err)
	}
	return storeError(what, err)
}
