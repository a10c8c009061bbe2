package member

import (
	"context"
	"reflect"

	"github.com/illgw/illgw/sip2"
)

// SIP2Client talks SIP2 to one member ILS's ACS through the member's SIP2
// breaker, over the sip2.Client's pool of logged-in connections. Requests
// without an institution id (AO) get the member's. A response that says no
// (ok=0, a blocked patron) is an answer, not a failure; dead sockets,
// timeouts, refused logins and undecodable responses are failures.
type SIP2Client struct {
	g           *guard
	c           *sip2.Client
	institution string
}

func newSIP2Client(g *guard, cfg SIP2Config) *SIP2Client {
	cs := sip2.UTF8
	if cfg.Charset != "" {
		// checkMember has already refused names ParseCharset does not know.
		cs, _ = sip2.ParseCharset(cfg.Charset)
	}
	return &SIP2Client{g: g, institution: cfg.Institution, c: &sip2.Client{
		Addr:          cfg.Addr,
		TLSConfig:     cfg.TLS,
		LoginUserID:   cfg.Login,
		LoginPassword: cfg.Password,
		LocationCode:  cfg.Location,
		Charset:       cs,
		MaxConns:      cfg.Pool,
		DialTimeout:   g.timeout,
		Timeout:       g.timeout,
	}}
}

func (s *SIP2Client) close() { _ = s.c.Close() }

// Do sends any SIP2 request and returns the ACS's response (SIP2 §"Message
// Formats"); the typed methods below call it.
func (s *SIP2Client) Do(ctx context.Context, req sip2.Message) (sip2.Message, error) {
	s.fillInstitution(req)
	var resp sip2.Message
	err := s.g.r.Do(ctx, s.g.member, SIP2, func(ctx context.Context) error {
		var err error
		resp, err = s.c.Do(ctx, req)
		return err
	})
	return resp, err
}

// fillInstitution sets an empty InstitutionID field (AO) to the member's.
func (s *SIP2Client) fillInstitution(req sip2.Message) {
	if s.institution == "" {
		return
	}
	v := reflect.ValueOf(req)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return
	}
	if f := v.Elem().FieldByName("InstitutionID"); f.IsValid() && f.Kind() == reflect.String && f.CanSet() && f.String() == "" {
		f.SetString(s.institution)
	}
}

func sipCall[R sip2.Message](ctx context.Context, s *SIP2Client, req sip2.Message) (R, error) {
	var zero R
	resp, err := s.Do(ctx, req)
	if err != nil {
		return zero, err
	}
	r, ok := resp.(R)
	if !ok {
		return zero, &CallError{Member: s.g.member, Protocol: SIP2, Err: sip2.ErrProtocol}
	}
	return r, nil
}

// Status sends SC Status (99) and returns ACS Status (98), SIP2 §"SC Status".
func (s *SIP2Client) Status(ctx context.Context, req *sip2.SCStatus) (*sip2.ACSStatus, error) {
	return sipCall[*sip2.ACSStatus](ctx, s, req)
}

// PatronStatus sends Patron Status Request (23), SIP2 §"Patron Status Request".
func (s *SIP2Client) PatronStatus(ctx context.Context, req *sip2.PatronStatusRequest) (*sip2.PatronStatusResponse, error) {
	return sipCall[*sip2.PatronStatusResponse](ctx, s, req)
}

// PatronInformation sends Patron Information (63), SIP2 §"Patron Information".
func (s *SIP2Client) PatronInformation(ctx context.Context, req *sip2.PatronInformation) (*sip2.PatronInformationResponse, error) {
	return sipCall[*sip2.PatronInformationResponse](ctx, s, req)
}

// Checkout sends Checkout (11), SIP2 §"Checkout".
func (s *SIP2Client) Checkout(ctx context.Context, req *sip2.Checkout) (*sip2.CheckoutResponse, error) {
	return sipCall[*sip2.CheckoutResponse](ctx, s, req)
}

// Checkin sends Checkin (09), SIP2 §"Checkin".
func (s *SIP2Client) Checkin(ctx context.Context, req *sip2.Checkin) (*sip2.CheckinResponse, error) {
	return sipCall[*sip2.CheckinResponse](ctx, s, req)
}

// Renew sends Renew (29), SIP2 §"Renew".
func (s *SIP2Client) Renew(ctx context.Context, req *sip2.Renew) (*sip2.RenewResponse, error) {
	return sipCall[*sip2.RenewResponse](ctx, s, req)
}

// RenewAll sends Renew All (65), SIP2 §"Renew All".
func (s *SIP2Client) RenewAll(ctx context.Context, req *sip2.RenewAll) (*sip2.RenewAllResponse, error) {
	return sipCall[*sip2.RenewAllResponse](ctx, s, req)
}

// ItemInformation sends Item Information (17), SIP2 §"Item Information".
func (s *SIP2Client) ItemInformation(ctx context.Context, req *sip2.ItemInformation) (*sip2.ItemInformationResponse, error) {
	return sipCall[*sip2.ItemInformationResponse](ctx, s, req)
}

// FeePaid sends Fee Paid (37), SIP2 §"Fee Paid".
func (s *SIP2Client) FeePaid(ctx context.Context, req *sip2.FeePaid) (*sip2.FeePaidResponse, error) {
	return sipCall[*sip2.FeePaidResponse](ctx, s, req)
}

// Hold sends Hold (15), SIP2 §"Hold".
func (s *SIP2Client) Hold(ctx context.Context, req *sip2.Hold) (*sip2.HoldResponse, error) {
	return sipCall[*sip2.HoldResponse](ctx, s, req)
}

// EndPatronSession sends End Patron Session (35), SIP2 §"End Patron Session".
func (s *SIP2Client) EndPatronSession(ctx context.Context, req *sip2.EndPatronSession) (*sip2.EndSessionResponse, error) {
	return sipCall[*sip2.EndSessionResponse](ctx, s, req)
}
