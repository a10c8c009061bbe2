package broker

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

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
	// externalIDTTL is how long Create remembers an external request id.
	externalIDTTL = 400 * 24 * time.Hour
	// IDAlphabet is the alphabet of loan ids: digits and capitals without
	// 0, 1, I and O, which kiosk staff misread.
	IDAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
	// IDLen is the length of a loan id: 40 random bits.
	IDLen = 8
	// TemporaryItemPrefix starts the barcode of every temporary ILL item
	// (DESIGN.md "The broker"); the loan id follows it.
	TemporaryItemPrefix = "ILL"
)

var marshal = proto.MarshalOptions{Deterministic: true}

type loansService struct {
	illgwv1.UnimplementedLoansServer
	b *Broker
}

// newLoanID returns IDLen characters of IDAlphabet from crypto/rand.
func newLoanID() string {
	var raw [IDLen]byte
	rand.Read(raw[:])
	for i, c := range raw {
		raw[i] = IDAlphabet[int(c)%len(IDAlphabet)] // 256 is a multiple of 32: no bias
	}
	return string(raw[:])
}

// Create stores a new loan in state NEW at version 1 with a "created" event
// naming its actor (issue 2 §8; the lifecycle beyond NEW comes with
// issue 8). With an external_request_id, a repeated Create for the same
// requester returns the first loan instead of making a second.
func (s *loansService) Create(ctx context.Context, req *illgwv1.CreateLoanRequest) (*illgwv1.Loan, error) {
	if err := s.b.checkCreate(req); err != nil {
		return nil, err
	}
	actor := actorOf(ctx, req.GetActor())
	now := s.b.now()
	id := newLoanID()
	if ext := req.GetExternalRequestId(); ext != "" {
		key := externalKey(req.GetRequester(), ext)
		stored, _, err := s.b.store.PutIfAbsent(ctx, key, []byte(id), externalIDTTL)
		if err != nil {
			return nil, storeError("loan", err)
		}
		id = string(stored)
	}
	loan := &illgwv1.Loan{
		Id:                id,
		State:             illgwv1.LoanState_LOAN_STATE_NEW,
		Requester:         req.GetRequester(),
		PatronId:          req.GetPatronId(),
		Bib:               req.GetBib(),
		ServiceLevel:      req.GetServiceLevel(),
		CreatedAt:         timestamppb.New(now),
		UpdatedAt:         timestamppb.New(now),
		ExternalRequestId: req.GetExternalRequestId(),
		TemporaryItemId:   TemporaryItemPrefix + id,
		PickupLocation:    req.GetPickupLocation(),
		Note:              req.GetNote(),
		NeedBefore:        req.GetNeedBefore(),
	}
	if loan.ServiceLevel == illgwv1.ServiceLevel_SERVICE_LEVEL_UNSPECIFIED {
		loan.ServiceLevel = illgwv1.ServiceLevel_SERVICE_LEVEL_NORMAL
	}
	ev := &illgwv1.LoanEvent{
		Version: 1,
		At:      timestamppb.New(now),
		Actor:   actor,
		Kind:    "created",
		ToState: illgwv1.LoanState_LOAN_STATE_NEW,
		Member:  req.GetRequester(),
	}
	data, err := marshal.Marshal(loan)
	if err != nil {
		return nil, errorf(codes.Internal, "encoding loan: %v", err)
	}
	evData, err := marshal.Marshal(ev)
	if err != nil {
		return nil, errorf(codes.Internal, "encoding event: %v", err)
	}
	_, err = s.b.store.Apply(ctx, state.Mutation{
		LoanID: id,
		Data:   data,
		Events: []state.Event{{Type: ev.Kind, Actor: actorString(actor), Data: evData, Time: now}},
	})
	if errors.Is(err, state.ErrExists) && req.GetExternalRequestId() != "" {
		// A retry of an earlier Create with the same external id.
		return s.b.getLoan(ctx, id, true)
	}
	if errors.Is(err, state.ErrExists) {
		return nil, errorf(codes.Aborted, "loan id collision, retry")
	}
	if err != nil {
		return nil, storeError("loan", err)
	}
	s.b.log.InfoContext(ctx, "loan created", "loan", id, "requester", loan.Requester, "actor", actorString(actor))
	return s.b.getLoan(ctx, id, true)
}

func externalKey(requester, ext string) string {
	h := sha256.Sum256([]byte(requester + "\x00" + ext))
	return "loanext:" + hex.EncodeToString(h[:16])
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

// actorString is the actor as the store's event log keeps it: kind:id.
func actorString(a *illgwv1.Actor) string {
	kind := strings.ToLower(strings.TrimPrefix(a.GetKind().String(), "KIND_"))
	return kind + ":" + a.GetId()
}

// Get returns a loan with its events.
func (s *loansService) Get(ctx context.Context, req *illgwv1.GetLoanRequest) (*illgwv1.Loan, error) {
	if req.GetId() == "" {
		return nil, errorf(codes.InvalidArgument, "id is required")
	}
	if len(req.GetId()) > maxIDLen {
		return nil, errorf(codes.InvalidArgument, "id longer than %d bytes", maxIDLen)
	}
	return s.b.getLoan(ctx, req.GetId(), true)
}

// getLoan reads a loan and, when withEvents, its event log.
func (b *Broker) getLoan(ctx context.Context, id string, withEvents bool) (*illgwv1.Loan, error) {
	rec, err := b.store.Get(ctx, id)
	if err != nil {
		return nil, storeError("loan "+id, err)
	}
	loan, err := decodeLoan(rec)
	if err != nil {
		return nil, err
	}
	if !withEvents {
		return loan, nil
	}
	evs, err := b.store.Events(ctx, id)
	if err != nil {
		return nil, storeError("events of loan "+id, err)
	}
	for _, e := range evs {
		ev, err := decodeEvent(e, rec.Partition)
		if err != nil {
			return nil, err
		}
		loan.Events = append(loan.Events, ev)
	}
	return loan, nil
}

// decodeLoan turns a stored record into a Loan; the store's version and
// time are the truth.
func decodeLoan(rec state.Loan) (*illgwv1.Loan, error) {
	loan := &illgwv1.Loan{}
	if err := proto.Unmarshal(rec.Data, loan); err != nil {
		return nil, errorf(codes.DataLoss, "loan %s: stored record does not decode: %v", rec.ID, err)
	}
	loan.Id = rec.ID
	loan.Version = int64(rec.Version)
	if !rec.UpdatedAt.IsZero() {
		loan.UpdatedAt = timestamppb.New(rec.UpdatedAt)
	}
	return loan, nil
}

func decodeEvent(e state.Event, partition int) (*illgwv1.LoanEvent, error) {
	ev := &illgwv1.LoanEvent{}
	if err := proto.Unmarshal(e.Data, ev); err != nil {
		return nil, errorf(codes.DataLoss, "loan %s event %d does not decode: %v", e.LoanID, e.Seq, err)
	}
	ev.LoanId = e.LoanID
	if !e.Time.IsZero() {
		ev.At = timestamppb.New(e.Time)
	}
	ev.Cursor = strconv.Itoa(partition) + ":" + strconv.FormatUint(e.Pos, 10)
	return ev, nil
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
	part, after, err := parsePageToken(req.GetPageToken(), s.b.store.Partitions())
	if err != nil {
		return nil, err
	}
	resp := &illgwv1.ListLoansResponse{}
	for pages := 0; part < s.b.store.Partitions(); pages++ {
		if pages == maxScanPages {
			resp.NextPageToken = pageToken(part, after)
			return resp, nil
		}
		recs, next, err := s.b.store.List(ctx, state.ListOptions{Partition: part, After: after, Limit: size})
		if err != nil {
			return nil, storeError("loans", err)
		}
		for i, rec := range recs {
			loan, err := decodeLoan(rec)
			if err != nil {
				return nil, err
			}
			if !matches(loan, req) {
				continue
			}
			if req.GetWithEvents() {
				if loan, err = s.b.getLoan(ctx, rec.ID, true); err != nil {
					return nil, err
				}
			}
			resp.Loans = append(resp.Loans, loan)
			if len(resp.Loans) == size {
				if i < len(recs)-1 || next != "" {
					resp.NextPageToken = pageToken(part, rec.ID)
				} else if part+1 < s.b.store.Partitions() {
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

// Act applies an action to a loan. The transition table (broker/ill) and
// the NCIP calls of each step come with issue 8.
func (s *loansService) Act(context.Context, *illgwv1.ActRequest) (*illgwv1.Loan, error) {
	return nil, notYet("Loans.Act", issueLoans)
}

// Watch streams loan events; it comes with issue 8.
func (s *loansService) Watch(*illgwv1.WatchRequest, illgwv1.Loans_WatchServer) error {
	return notYet("Loans.Watch", issueLoans)
}
