package sip2

import (
	"context"
	"crypto/tls"
	"errors"
	"net/netip"
)

// Backend is what a circulation system implements to sit behind a Server.
// Modelled on go-smtp: the Backend opens one Session per logged-in
// connection; operations beyond the required ones are add-on interfaces the
// Session may implement, and the ACS status (98) advertises exactly those.
type Backend interface {
	// Login is called for each Login (93), SIP2 §"Login", with the login
	// user id (CN) and password (CO). It returns the terminal's Session, or
	// an error, which the Server answers with "940" (login refused). The
	// password must never be logged.
	Login(ctx context.Context, login, password string, conn ConnInfo) (Session, error)
}

// ConnInfo describes the connection a login arrives on.
type ConnInfo struct {
	// Remote is the terminal's address, for allowed-CIDR checks.
	Remote netip.AddrPort
	// Local is the address the terminal connected to.
	Local netip.AddrPort
	// TLS is the connection's TLS state, nil on plain TCP.
	TLS *tls.ConnectionState
	// Location is the location code (CP) sent with the login.
	Location string
}

// Session is a logged-in terminal. The Server calls its methods one at a
// time, in arrival order, each with a context that carries the request
// deadline and is cancelled when the server stops. A method returns either a
// response or an error; an *Error becomes the protocol's negative response
// carrying its screen message, any other error is logged and answered with a
// generic negative response. The Server adds the sequence number and
// checksum itself.
type Session interface {
	// Status answers an SC Status (99), SIP2 §"SC Status". The Server
	// overwrites the supported messages field (BX) with what the Session
	// implements, and the on-line flag when the Session is an OnlineReporter
	// that reports false.
	Status(ctx context.Context, req *SCStatus) (*ACSStatus, error)
	// PatronStatus answers a Patron Status Request (23).
	PatronStatus(ctx context.Context, req *PatronStatusRequest) (*PatronStatusResponse, error)
	// Checkout answers a Checkout (11).
	Checkout(ctx context.Context, req *Checkout) (*CheckoutResponse, error)
	// Checkin answers a Checkin (09).
	Checkin(ctx context.Context, req *Checkin) (*CheckinResponse, error)
	// Logout is called once when the connection ends or logs in again.
	Logout() error
}

// PatronInformer is a Session that answers Patron Information (63).
type PatronInformer interface {
	PatronInformation(ctx context.Context, req *PatronInformation) (*PatronInformationResponse, error)
}

// PatronBlocker is a Session that answers Block Patron (01) with a 24.
type PatronBlocker interface {
	BlockPatron(ctx context.Context, req *BlockPatron) (*PatronStatusResponse, error)
}

// PatronSessionEnder is a Session that answers End Patron Session (35).
type PatronSessionEnder interface {
	EndPatronSession(ctx context.Context, req *EndPatronSession) (*EndSessionResponse, error)
}

// FeePayer is a Session that answers Fee Paid (37).
type FeePayer interface {
	FeePaid(ctx context.Context, req *FeePaid) (*FeePaidResponse, error)
}

// ItemInformer is a Session that answers Item Information (17).
type ItemInformer interface {
	ItemInformation(ctx context.Context, req *ItemInformation) (*ItemInformationResponse, error)
}

// ItemStatusUpdater is a Session that answers Item Status Update (19).
type ItemStatusUpdater interface {
	ItemStatusUpdate(ctx context.Context, req *ItemStatusUpdate) (*ItemStatusUpdateResponse, error)
}

// PatronEnabler is a Session that answers Patron Enable (25).
type PatronEnabler interface {
	PatronEnable(ctx context.Context, req *PatronEnable) (*PatronEnableResponse, error)
}

// Holder is a Session that answers Hold (15).
type Holder interface {
	Hold(ctx context.Context, req *Hold) (*HoldResponse, error)
}

// Renewer is a Session that answers Renew (29).
type Renewer interface {
	Renew(ctx context.Context, req *Renew) (*RenewResponse, error)
}

// AllRenewer is a Session that answers Renew All (65).
type AllRenewer interface {
	RenewAll(ctx context.Context, req *RenewAll) (*RenewAllResponse, error)
}

// OnlineReporter is a Session that knows whether its circulation system is
// reachable. While Online reports false the ACS status says on-line N, so
// kiosks switch to their offline mode honestly (a gateway reports false
// while the member ILS's circuit breaker is open).
type OnlineReporter interface {
	Online(ctx context.Context) bool
}

// ConnectionLimiter is a Session whose account allows at most
// MaxConnections() simultaneous logged-in connections (0 means no limit).
// A login beyond it is refused with "940".
type ConnectionLimiter interface {
	MaxConnections() int
}

// CharsetChooser is a Session whose terminal uses a character set other than
// the Server's default. The Server switches the connection to it right after
// the login response.
type CharsetChooser interface {
	Charset() Charset
}

// PreLoginStatuser is a Backend that answers an SC Status (99) sent before
// login (Relais and some other kiosks send 99 first). Without it the Server
// answers with a minimal ACS status.
type PreLoginStatuser interface {
	StatusBeforeLogin(ctx context.Context, req *SCStatus, conn ConnInfo) (*ACSStatus, error)
}

// Error is the error a Session returns to refuse a request: the Server sends
// the request's negative response (for example a 12 with ok 0) with
// ScreenMessage as AF and PrintLine as AG. Err, if set, is the cause; it is
// logged and never sent.
type Error struct {
	ScreenMessage string
	PrintLine     string
	Err           error
}

// Error returns the screen message and the cause.
func (e *Error) Error() string {
	if e.Err != nil {
		return "sip2: " + e.ScreenMessage + ": " + e.Err.Error()
	}
	return "sip2: " + e.ScreenMessage
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// ErrLoginFailed is what a Backend returns for a bad login or password.
var ErrLoginFailed = errors.New("sip2: login failed")

// stateChanging lists the requests whose byte-identical retry is answered
// from the ReplayStore instead of running again.
func stateChanging(code string) bool {
	switch code {
	case CodeCheckout, CodeCheckin, CodeRenew, CodeFeePaid, CodeHold, CodeRenewAll,
		CodeBlockPatron, CodeItemStatusUpdate, CodePatronEnable:
		return true
	}
	return false
}
