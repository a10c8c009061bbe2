package adapter

import (
	"context"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc/metadata"

	"github.com/illgw/illgw/ncip"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

// Sender is an agency allowed to send NCIP to the gateway, as the
// Authenticator accepted it: a partner acting for a member library, or a
// member's own ILS.
type Sender struct {
	// Member is the member library the sender acts for: the loans a
	// partner requests are this member's.
	Member string
	// Partner is true for an outside ILL system, false for a member's ILS.
	Partner bool
}

// Adapter is the ncip.Handler of the gateway (issue 7 point 5): every NCIP
// request becomes calls on the broker's gRPC services, tagged with the
// "illgw-protocol: ncip" metadata. Requests are routed by ToAgencyId, which
// names a member library; responses echo the UserId, ItemId and RequestId
// asked about.
//
// The Adapter imports ncip and proto only; it may run in the gateway's
// process (over a loopback connection) or against a remote broker.
type Adapter struct {
	Circulation illgwv1.CirculationClient
	Loans       illgwv1.LoansClient
	Members     illgwv1.MembersClient
	// Senders maps each authenticated agency (ncip.AgencyFromContext) to
	// what it acts for. An agency not in it may look things up but not
	// request or advance loans.
	Senders map[string]Sender
	// MembersTTL is how long the member list read from the broker is
	// trusted for routing: 0 means 30s.
	MembersTTL time.Duration

	mu      sync.Mutex
	codes   []string
	fetched time.Time
}

var _ interface {
	ncip.Handler
	ncip.LookupItemHandler
	ncip.LookupRequestHandler
	ncip.RequestItemHandler
	ncip.CancelRequestItemHandler
	ncip.RenewItemHandler
	ncip.ItemShippedHandler
	ncip.ItemReceivedHandler
	ncip.ItemCheckedInHandler
	ncip.ItemRequestCancelledHandler
	ncip.ItemRenewedHandler
} = (*Adapter)(nil)

// outgoing tags a broker call as coming in by NCIP (illgwv1.ProtocolMetadataKey).
func outgoing(ctx context.Context) context.Context {
	return metadata.AppendToOutgoingContext(ctx, illgwv1.ProtocolMetadataKey, "ncip")
}

// isMember reports whether code is a configured member with a library
// system, reading the list
// from the broker when it is older than MembersTTL or the code is not in it.
func (a *Adapter) isMember(ctx context.Context, code string) (bool, error) {
	ttl := a.MembersTTL
	if ttl <= 0 {
		ttl = 30 * time.Second
	}
	a.mu.Lock()
	known, fresh := slices.Contains(a.codes, code), time.Since(a.fetched) < ttl
	a.mu.Unlock()
	if known || fresh {
		return known, nil
	}
	resp, err := a.Members.List(outgoing(ctx), &illgwv1.ListMembersRequest{})
	if err != nil {
		return false, err
	}
	var list []string
	for _, m := range resp.GetMembers() {
		// A catalogue-only member (an outside target) has no library
		// system to answer NCIP for it.
		if !m.GetCatalogOnly() {
			list = append(list, m.GetCode())
		}
	}
	a.mu.Lock()
	a.codes, a.fetched = list, time.Now()
	a.mu.Unlock()
	return slices.Contains(list, code), nil
}

// route returns the member a request is addressed to (its ToAgencyId), or
// the Unknown Agency problem (NCIP 2.02 Part 1 §"Initiation Header").
func (a *Adapter) route(ctx context.Context, service string, h *ncip.InitiationHeader) (string, error) {
	to := h.To()
	if to == "" {
		return "", ncip.NewProblem(ncip.ProblemNeededDataMissing, "InitiationHeader/ToAgencyId must name a member library").
			WithElement("InitiationHeader/ToAgencyId", "")
	}
	ok, err := a.isMember(ctx, to)
	if err != nil {
		return "", Problem(service, SubjectAgency, to, err)
	}
	if !ok {
		return "", ncip.NewProblem(ncip.ProblemUnknownAgency, "ToAgencyId is not a member library of this gateway").
			WithElement("InitiationHeader/ToAgencyId", to)
	}
	return to, nil
}

// sender returns what the authenticated agency acts for, or the
// Unauthorized Service For Agency problem for an agency that may not
// change loans.
func (a *Adapter) sender(ctx context.Context, service string) (string, Sender, error) {
	agency := ncip.AgencyFromContext(ctx)
	s, ok := a.Senders[agency]
	if !ok || s.Member == "" {
		return "", Sender{}, ncip.NewProblem(ncip.ProblemUnauthorizedServiceForAgency,
			service+" needs a partner or member agency that acts for a member library").WithElement("InitiationHeader/FromAgencyId", agency)
	}
	return agency, s, nil
}

// actor is the loan event actor for an agency.
func actor(agency string, s Sender) *illgwv1.Actor {
	if s.Partner {
		return &illgwv1.Actor{Kind: illgwv1.Actor_KIND_PARTNER, Id: agency, Member: s.Member}
	}
	return &illgwv1.Actor{Kind: illgwv1.Actor_KIND_MEMBER, Id: s.Member, Member: s.Member}
}

// userIDOf echoes the UserId asked about, or builds one for a barcode that
// came in AuthenticationInput.
func userIDOf(id *ncip.UserID, member, barcode string) *ncip.UserID {
	if id != nil && id.Value != "" {
		c := *id
		return &c
	}
	return &ncip.UserID{AgencyID: ncip.SV(member), Value: barcode}
}

// wants reports whether an element type was asked for; asking for none
// means asking for the usual ones.
func wants(types []ncip.SchemeValue, name string) bool {
	if len(types) == 0 {
		return true
	}
	for _, t := range types {
		if ncip.Match(t.Value, name) {
			return true
		}
	}
	return false
}
