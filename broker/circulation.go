package broker

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"golang.org/x/crypto/bcrypt"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/illgw/illgw/broker/member"
	"github.com/illgw/illgw/broker/patron"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
	"github.com/illgw/illgw/sip2"
)

// Terminal is one self-check kiosk account (config terminals:). cmd/illgw
// maps the file onto it.
type Terminal struct {
	Login string
	// PasswordHash is a bcrypt hash of the terminal password. The password
	// itself is never kept or logged.
	PasswordHash string
	// Member is the member library whose ILS the terminal's requests go to.
	Member string
	// Charset names the terminal's character set (ascii, ibm850,
	// iso-8859-1, utf-8); "" means utf-8.
	Charset string
	// AllowedCIDRs, when not empty, are the networks the terminal may log
	// in from.
	AllowedCIDRs []netip.Prefix
	// MaxConnections caps the account's simultaneous connections; 0 means
	// no cap. The SIP2 server enforces it.
	MaxConnections int
}

// PatronSource says where a member's patrons are authenticated (config
// members[].patrons).
type PatronSource int

// The patron sources. The zero value asks the member's ILS over SIP2.
const (
	PatronsSIP2 PatronSource = iota // the ILS answers BL and CQ itself
	PatronsNCIP                     // NCIP LookupUser with AuthenticationInput
	PatronsLDAP                     // Member.Directory (broker/patron)
)

// PatronDirectory authenticates a member's patrons; *patron.LDAP satisfies
// it (issue 9).
type PatronDirectory interface {
	Lookup(ctx context.Context, barcode string) (patron.Patron, error)
	Authenticate(ctx context.Context, barcode, pin string) (patron.Patron, error)
}

// DefaultReplayTTL is how long a terminal's SIP2 replay entry is kept
// when Options.ReplayTTL is 0: long enough for any kiosk retry. The entry
// holds the request's keyed digest and the response, never the request.
const DefaultReplayTTL = 10 * time.Minute

// maxReplayBytes bounds the response of a replay entry (SIP2 messages are
// a few KiB at most).
const maxReplayBytes = 64 << 10

// dummyHash is compared against when a login is unknown, so an unknown
// login takes as long as a wrong password (bcrypt cost 10, as config's).
var dummyHash = []byte("$2a$10$7EqJtq98hPqEX7fNZaFWoOhi5BWX4Z3wWAs4yfmNQsOI9pXNBNPVG")

// circulation implements the Circulation service (issue 6): terminal
// logins, and the SIP2 operations routed to each terminal's member ILS
// through broker/member's SIP2 client and breaker.
type circulation struct {
	illgwv1.UnimplementedCirculationServer
	b *Broker
}

// Login checks a terminal's account, SIP2 §"Login": the password against
// its bcrypt hash and the kiosk's address against its allowed networks. A
// refusal is ok=false (the SIP2 94 with ok 0), never an error; the reason is
// logged without the password.
func (c *circulation) Login(ctx context.Context, req *illgwv1.LoginRequest) (*illgwv1.LoginResponse, error) {
	t, ok := c.b.terminals[req.GetLogin()]
	if !ok {
		bcrypt.CompareHashAndPassword(dummyHash, []byte(req.GetPassword()))
		c.b.log.Warn("circulation: login refused: unknown terminal", "login", truncate(req.GetLogin(), maxCodeLen), "remote", req.GetRemoteAddr())
		return &illgwv1.LoginResponse{}, nil
	}
	if bcrypt.CompareHashAndPassword([]byte(t.PasswordHash), []byte(req.GetPassword())) != nil {
		c.b.log.Warn("circulation: login refused: wrong password", "login", t.Login, "remote", req.GetRemoteAddr())
		return &illgwv1.LoginResponse{}, nil
	}
	if !allowed(t.AllowedCIDRs, req.GetRemoteAddr()) {
		c.b.log.Warn("circulation: login refused: address not allowed for this terminal", "login", t.Login, "remote", req.GetRemoteAddr())
		return &illgwv1.LoginResponse{}, nil
	}
	return &illgwv1.LoginResponse{Ok: true, Terminal: &illgwv1.Terminal{
		Login: t.Login, Member: t.Member, Institution: t.Member, Location: req.GetLocation(),
		RemoteAddr: req.GetRemoteAddr(), MaxConnections: int32(t.MaxConnections), Charset: t.Charset,
	}}, nil
}

// allowed reports whether remote ("ip", "ip:port" or "[ip]:port") is in one
// of the prefixes; with none, every address is.
func allowed(prefixes []netip.Prefix, remote string) bool {
	if len(prefixes) == 0 {
		return true
	}
	addr, err := netip.ParseAddr(remote)
	if err != nil {
		ap, err := netip.ParseAddrPort(remote)
		if err != nil {
			return false
		}
		addr = ap.Addr()
	}
	addr = addr.Unmap()
	for _, p := range prefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// route is where a terminal's request goes: its configured account and
// member, and the member's SIP2 client.
type route struct {
	term   *Terminal
	member *Member
	sip2   *member.SIP2Client
	req    *illgwv1.Terminal
}

// route checks the terminal a request names against the configured
// accounts. The member always comes from the account, never from the
// request, so a terminal reaches its own member's ILS only.
func (c *circulation) route(t *illgwv1.Terminal) (route, error) {
	acct, ok := c.b.terminals[t.GetLogin()]
	if !ok {
		return route{}, errorf(codes.Unauthenticated, "no terminal %q is configured", truncate(t.GetLogin(), maxCodeLen))
	}
	m := c.b.byCode[acct.Member]
	if m == nil {
		return route{}, errorf(codes.FailedPrecondition, "terminal %s: member %s is not configured", acct.Login, acct.Member)
	}
	r := route{term: acct, member: m, req: t}
	if c.b.registry != nil {
		if rm := c.b.registry.Member(m.Code); rm != nil {
			r.sip2 = rm.SIP2()
		}
	}
	if r.sip2 == nil {
		return route{}, errorf(codes.FailedPrecondition, "member %s has no SIP2 library system configured", m.Code)
	}
	return r, nil
}

// memberError maps an outbound call's failure onto a gRPC status. The
// member's own words never go out (they may name hosts); the cause is
// logged by the caller.
func memberError(code string, err error) error {
	switch {
	case errors.Is(err, member.ErrOpen):
		return errorf(codes.Unavailable, "the library system of %s is unavailable (circuit open)", code)
	case errors.Is(err, member.ErrBusy):
		return errorf(codes.ResourceExhausted, "the library system of %s is busy", code)
	case errors.Is(err, context.Canceled):
		return errorf(codes.Canceled, "request cancelled")
	case errors.Is(err, context.DeadlineExceeded):
		return errorf(codes.DeadlineExceeded, "the library system of %s did not answer in time", code)
	}
	return errorf(codes.Unavailable, "the library system of %s is unavailable", code)
}

// call runs one SIP2 exchange with the route's ILS and logs a failure.
func call[R any](ctx context.Context, c *circulation, r route, op string, f func(context.Context) (R, error)) (R, error) {
	resp, err := f(ctx)
	if err != nil {
		c.b.log.Warn("circulation: member call failed", "op", op, "terminal", r.term.Login, "member", r.member.Code, "err", err)
		var zero R
		return zero, memberError(r.member.Code, err)
	}
	return resp, nil
}

// replayKey is a terminal's replay entry in the state store. The "d"
// marks entries holding a digest: entries written before, which held the
// request itself, are never read and expire on their TTL.
func replayKey(terminal string) string { return "sip2:replayd:" + terminal }

// GetReplay returns a terminal's last state-changing SIP2 request's digest
// (in ReplayEntry.request) and its response (issue 6 point 2): NOT_FOUND
// when there is none.
func (c *circulation) GetReplay(ctx context.Context, req *illgwv1.GetReplayRequest) (*illgwv1.ReplayEntry, error) {
	if _, ok := c.b.terminals[req.GetTerminal()]; !ok {
		return nil, errorf(codes.Unauthenticated, "no terminal %q is configured", truncate(req.GetTerminal(), maxCodeLen))
	}
	b, err := c.b.store.GetTTL(ctx, replayKey(req.GetTerminal()))
	if err != nil {
		return nil, storeError("replay entry", err)
	}
	digest, response, ok := decodeReplay(b)
	if !ok {
		return nil, errorf(codes.DataLoss, "replay entry of %s is damaged", req.GetTerminal())
	}
	return &illgwv1.ReplayEntry{Terminal: req.GetTerminal(), Request: digest, Response: response}, nil
}

// encodeReplay stores a replay entry as the request's digest
// (sip2.ReplayDigestSize bytes) followed by the response.
func encodeReplay(digest, response []byte) []byte {
	b := make([]byte, 0, len(digest)+len(response))
	return append(append(b, digest...), response...)
}

// decodeReplay reads what encodeReplay wrote; ok is false for anything
// shorter than a digest or over the entry limit. It allocates nothing: the
// halves share b.
func decodeReplay(b []byte) (digest, response []byte, ok bool) {
	if len(b) < sip2.ReplayDigestSize || len(b) > sip2.ReplayDigestSize+maxReplayBytes {
		return nil, nil, false
	}
	return b[:sip2.ReplayDigestSize], b[sip2.ReplayDigestSize:], true
}

// PutReplay replaces a terminal's replay entry; it expires after the
// broker's ReplayTTL. ReplayEntry.request must be the request's digest
// (sip2.ReplayEntry): anything of another length, such as the request
// itself with its PIN, is refused so that it never reaches the store.
func (c *circulation) PutReplay(ctx context.Context, req *illgwv1.ReplayEntry) (*illgwv1.PutReplayResponse, error) {
	if _, ok := c.b.terminals[req.GetTerminal()]; !ok {
		return nil, errorf(codes.Unauthenticated, "no terminal %q is configured", truncate(req.GetTerminal(), maxCodeLen))
	}
	if len(req.GetRequest()) != sip2.ReplayDigestSize {
		return nil, errorf(codes.InvalidArgument, "replay entry: request must be a %d-byte digest, not %d bytes", sip2.ReplayDigestSize, len(req.GetRequest()))
	}
	if len(req.GetResponse()) > maxReplayBytes {
		return nil, errorf(codes.InvalidArgument, "replay entry over %d bytes", maxReplayBytes)
	}
	b := encodeReplay(req.GetRequest(), req.GetResponse())
	if err := c.b.store.PutTTL(ctx, replayKey(req.GetTerminal()), b, c.b.replayTTL); err != nil {
		return nil, storeError("replay entry", err)
	}
	return &illgwv1.PutReplayResponse{}, nil
}

// screenError is a refusal whose message is meant for the kiosk's screen
// (a patron who failed authentication): PERMISSION_DENIED with the bare
// message, which sip2/adapter shows as it is.
func screenError(msg string) error { return status.Error(codes.PermissionDenied, msg) }
