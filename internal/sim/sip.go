package sim

import (
	"context"

	"github.com/illgw/illgw/sip2"
	sipmem "github.com/illgw/illgw/sip2/memory"
)

// sipBackend is the member's SIP2 ACS: sip2/memory's circulation rules over
// the member's model, with the member's switches and deleted items applied.
type sipBackend struct{ m *Member }

var _ sip2.PreLoginStatuser = sipBackend{}

// Login implements sip2.Backend (SIP2 §"Login").
func (b sipBackend) Login(ctx context.Context, login, password string, conn sip2.ConnInfo) (sip2.Session, error) {
	if login == "sim-staff" {
		return nil, sip2.ErrLoginFailed // the responder's own account
	}
	s, err := b.m.ils.Login(ctx, login, password, conn)
	if err != nil {
		return nil, err
	}
	return &sipSession{Session: s.(*sipmem.Session), m: b.m}, nil
}

// StatusBeforeLogin implements sip2.PreLoginStatuser.
func (b sipBackend) StatusBeforeLogin(ctx context.Context, req *sip2.SCStatus, conn sip2.ConnInfo) (*sip2.ACSStatus, error) {
	st, err := b.m.ils.StatusBeforeLogin(ctx, req, conn)
	if err == nil && b.m.failing(SIP2) {
		st.Online = false
	}
	return st, err
}

// sipSession is a logged-in terminal. It has every add-on operation of
// sip2/memory; those that touch an item refuse deleted items, and while the
// member is Failing the circulation operations are refused.
type sipSession struct {
	*sipmem.Session
	m *Member
}

var errUnavailable = &sip2.Error{ScreenMessage: "System unavailable"}

// fail reports the refusal for a request while Failing, or for a deleted
// item.
func (s *sipSession) fail(item string) error {
	if s.m.failing(SIP2) {
		return errUnavailable
	}
	if item != "" && s.m.isDeleted(item) {
		return &sip2.Error{ScreenMessage: "Unknown item."}
	}
	return nil
}

// Online implements sip2.OnlineReporter: false while Failing.
func (s *sipSession) Online(ctx context.Context) bool {
	return !s.m.failing(SIP2) && s.Session.Online(ctx)
}

// Checkout implements sip2.Session (SIP2 §"Checkout").
func (s *sipSession) Checkout(ctx context.Context, req *sip2.Checkout) (*sip2.CheckoutResponse, error) {
	if err := s.fail(req.ItemID); err != nil {
		return nil, err
	}
	return s.Session.Checkout(ctx, req)
}

// Checkin implements sip2.Session (SIP2 §"Checkin").
func (s *sipSession) Checkin(ctx context.Context, req *sip2.Checkin) (*sip2.CheckinResponse, error) {
	if err := s.fail(req.ItemID); err != nil {
		return nil, err
	}
	return s.Session.Checkin(ctx, req)
}

// PatronStatus implements sip2.Session (SIP2 §"Patron Status Request").
func (s *sipSession) PatronStatus(ctx context.Context, req *sip2.PatronStatusRequest) (*sip2.PatronStatusResponse, error) {
	if err := s.fail(""); err != nil {
		return nil, err
	}
	return s.Session.PatronStatus(ctx, req)
}

// PatronInformation implements sip2.PatronInformer (SIP2 §"Patron
// Information").
func (s *sipSession) PatronInformation(ctx context.Context, req *sip2.PatronInformation) (*sip2.PatronInformationResponse, error) {
	if err := s.fail(""); err != nil {
		return nil, err
	}
	return s.Session.PatronInformation(ctx, req)
}

// ItemInformation implements sip2.ItemInformer (SIP2 §"Item Information").
func (s *sipSession) ItemInformation(ctx context.Context, req *sip2.ItemInformation) (*sip2.ItemInformationResponse, error) {
	if s.m.failing(SIP2) {
		return nil, errUnavailable
	}
	if s.m.isDeleted(req.ItemID) {
		// Answered as sip2/memory answers an unknown item.
		gone := *req
		gone.ItemID = "\x00"
		r, err := s.Session.ItemInformation(ctx, &gone)
		if r != nil {
			r.ItemID = req.ItemID
		}
		return r, err
	}
	return s.Session.ItemInformation(ctx, req)
}

// Renew implements sip2.Renewer (SIP2 §"Renew").
func (s *sipSession) Renew(ctx context.Context, req *sip2.Renew) (*sip2.RenewResponse, error) {
	if err := s.fail(req.ItemID); err != nil {
		return nil, err
	}
	return s.Session.Renew(ctx, req)
}

// RenewAll implements sip2.AllRenewer (SIP2 §"Renew All").
func (s *sipSession) RenewAll(ctx context.Context, req *sip2.RenewAll) (*sip2.RenewAllResponse, error) {
	if err := s.fail(""); err != nil {
		return nil, err
	}
	return s.Session.RenewAll(ctx, req)
}

// Hold implements sip2.Holder (SIP2 §"Hold").
func (s *sipSession) Hold(ctx context.Context, req *sip2.Hold) (*sip2.HoldResponse, error) {
	if err := s.fail(req.ItemID); err != nil {
		return nil, err
	}
	return s.Session.Hold(ctx, req)
}

// FeePaid implements sip2.FeePayer (SIP2 §"Fee Paid").
func (s *sipSession) FeePaid(ctx context.Context, req *sip2.FeePaid) (*sip2.FeePaidResponse, error) {
	if err := s.fail(""); err != nil {
		return nil, err
	}
	return s.Session.FeePaid(ctx, req)
}
