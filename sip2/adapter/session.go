package adapter

import (
	"context"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
	"github.com/illgw/illgw/sip2"
)

// Session is one logged-in terminal: every request goes to the broker with
// the Terminal the Login returned. It implements exactly the operations the
// Circulation service has, so the ACS status's supported messages field
// (BX) lists those.
type Session struct {
	c       illgwv1.CirculationClient
	t       *illgwv1.Terminal
	charset sip2.Charset
	offline atomic.Bool // the last Status said the member ILS is off-line
}

var (
	_ sip2.Session            = (*Session)(nil)
	_ sip2.PatronInformer     = (*Session)(nil)
	_ sip2.PatronBlocker      = (*Session)(nil)
	_ sip2.PatronSessionEnder = (*Session)(nil)
	_ sip2.FeePayer           = (*Session)(nil)
	_ sip2.ItemInformer       = (*Session)(nil)
	_ sip2.ItemStatusUpdater  = (*Session)(nil)
	_ sip2.PatronEnabler      = (*Session)(nil)
	_ sip2.Holder             = (*Session)(nil)
	_ sip2.Renewer            = (*Session)(nil)
	_ sip2.AllRenewer         = (*Session)(nil)
	_ sip2.OnlineReporter     = (*Session)(nil)
	_ sip2.ConnectionLimiter  = (*Session)(nil)
	_ sip2.CharsetChooser     = (*Session)(nil)
)

// Terminal returns the terminal as the broker logged it in.
func (s *Session) Terminal() *illgwv1.Terminal { return s.t }

// Logout implements sip2.Session; the broker keeps no per-connection state.
func (s *Session) Logout() error { return nil }

// MaxConnections implements sip2.ConnectionLimiter with the account's cap.
func (s *Session) MaxConnections() int { return int(s.t.GetMaxConnections()) }

// Charset implements sip2.CharsetChooser with the terminal's charset.
func (s *Session) Charset() sip2.Charset { return s.charset }

// Online implements sip2.OnlineReporter: what the last Status said.
func (s *Session) Online(context.Context) bool { return !s.offline.Load() }

// Status implements sip2.Session, SIP2 §"SC Status": the member ILS's ACS
// status as the broker reports it, on-line N while the member's breaker is
// open or its ILS does not answer.
func (s *Session) Status(ctx context.Context, req *sip2.SCStatus) (*sip2.ACSStatus, error) {
	r, err := s.c.Status(withProtocol(ctx), &illgwv1.StatusRequest{Terminal: s.t, StatusCode: int32(req.StatusCode - '0'),
		MaxPrintWidth: int32(req.MaxPrintWidth), ProtocolVersion: req.ProtocolVersion})
	if err != nil {
		s.offline.Store(true)
		return nil, Error(err)
	}
	s.offline.Store(!r.GetOnline())
	af, ag, extra := reply(r.GetReply())
	return &sip2.ACSStatus{
		Online: r.GetOnline(), CheckinOK: r.GetCheckinOk(), CheckoutOK: r.GetCheckoutOk(), RenewalPolicy: r.GetRenewalPolicy(),
		StatusUpdateOK: r.GetStatusUpdateOk(), OfflineOK: r.GetOfflineOk(), TimeoutPeriod: sip2.Count(r.GetTimeoutPeriod()),
		RetriesAllowed: sip2.Count(r.GetRetriesAllowed()), DateTimeSync: tsOr(r.GetDateTime()), ProtocolVersion: "2.00",
		InstitutionID: s.t.GetInstitution(), LibraryName: r.GetLibraryName(), TerminalLocation: r.GetTerminalLocation(),
		ScreenMessage: af, PrintLine: ag, Extra: extra,
	}, nil
}

// PatronStatus implements sip2.Session, SIP2 §"Patron Status Request".
func (s *Session) PatronStatus(ctx context.Context, req *sip2.PatronStatusRequest) (*sip2.PatronStatusResponse, error) {
	r, err := s.c.PatronStatus(withProtocol(ctx), &illgwv1.PatronStatusRequest{Terminal: s.term(req.Language), PatronId: req.PatronID, Pin: req.PatronPassword})
	if err != nil {
		return nil, Error(err)
	}
	return patronStatus(r, req.Language, req.InstitutionID, req.PatronID), nil
}

// PatronInformation implements sip2.PatronInformer, SIP2 §"Patron
// Information".
func (s *Session) PatronInformation(ctx context.Context, req *sip2.PatronInformation) (*sip2.PatronInformationResponse, error) {
	r, err := s.c.PatronInformation(withProtocol(ctx), &illgwv1.PatronInformationRequest{Terminal: s.term(req.Language),
		PatronId: req.PatronID, Pin: req.PatronPassword, Summary: summaryKind(req.Summary),
		Start: atoi32(req.StartItem), End: atoi32(req.EndItem)})
	if err != nil {
		return nil, Error(err)
	}
	return patronInformation(r, req), nil
}

// Checkout implements sip2.Session, SIP2 §"Checkout".
func (s *Session) Checkout(ctx context.Context, req *sip2.Checkout) (*sip2.CheckoutResponse, error) {
	r, err := s.c.Checkout(withProtocol(ctx), &illgwv1.CheckoutRequest{Terminal: s.t, PatronId: req.PatronID, Pin: req.PatronPassword,
		ItemId: req.ItemID, FeeAcknowledged: req.FeeAcknowledged == sip2.Yes, NoBlock: req.NoBlock, NoBlockDueDate: pts(req.NbDueDate),
		ScRenewalPolicy: req.RenewalPolicy, Cancel: req.Cancel == sip2.Yes, TransactionDate: pts(req.TransactionDate)})
	if err != nil {
		return nil, Error(err)
	}
	return checkout(r, req), nil
}

// Checkin implements sip2.Session, SIP2 §"Checkin".
func (s *Session) Checkin(ctx context.Context, req *sip2.Checkin) (*sip2.CheckinResponse, error) {
	r, err := s.c.Checkin(withProtocol(ctx), &illgwv1.CheckinRequest{Terminal: s.t, ItemId: req.ItemID, ReturnDate: pts(req.ReturnDate),
		CurrentLocation: req.CurrentLocation, NoBlock: req.NoBlock, Cancel: req.Cancel == sip2.Yes, ItemProperties: req.ItemProperties,
		TransactionDate: pts(req.TransactionDate)})
	if err != nil {
		return nil, Error(err)
	}
	return checkin(r, req), nil
}

// Renew implements sip2.Renewer, SIP2 §"Renew".
func (s *Session) Renew(ctx context.Context, req *sip2.Renew) (*sip2.RenewResponse, error) {
	r, err := s.c.Renew(withProtocol(ctx), &illgwv1.RenewRequest{Terminal: s.t, PatronId: req.PatronID, Pin: req.PatronPassword,
		ItemId: req.ItemID, Title: req.TitleID, ThirdPartyAllowed: req.ThirdPartyAllowed, NoBlock: req.NoBlock,
		NoBlockDueDate: pts(req.NbDueDate), FeeAcknowledged: req.FeeAcknowledged == sip2.Yes, TransactionDate: pts(req.TransactionDate)})
	if err != nil {
		return nil, Error(err)
	}
	return renew(r, req), nil
}

// RenewAll implements sip2.AllRenewer, SIP2 §"Renew All".
func (s *Session) RenewAll(ctx context.Context, req *sip2.RenewAll) (*sip2.RenewAllResponse, error) {
	r, err := s.c.RenewAll(withProtocol(ctx), &illgwv1.RenewAllRequest{Terminal: s.t, PatronId: req.PatronID, Pin: req.PatronPassword,
		FeeAcknowledged: req.FeeAcknowledged == sip2.Yes, TransactionDate: pts(req.TransactionDate)})
	if err != nil {
		return nil, Error(err)
	}
	af, ag, extra := reply(r.GetReply())
	return &sip2.RenewAllResponse{OK: r.GetOk(), RenewedCount: sip2.Count(len(r.GetRenewedItems())),
		UnrenewedCount: sip2.Count(len(r.GetUnrenewedItems())), TransactionDate: tsOr(r.GetTransactionDate()),
		InstitutionID: req.InstitutionID, RenewedItems: r.GetRenewedItems(), UnrenewedItems: r.GetUnrenewedItems(),
		ScreenMessage: af, PrintLine: ag, Extra: extra}, nil
}

// ItemInformation implements sip2.ItemInformer, SIP2 §"Item Information".
func (s *Session) ItemInformation(ctx context.Context, req *sip2.ItemInformation) (*sip2.ItemInformationResponse, error) {
	r, err := s.c.ItemInformation(withProtocol(ctx), &illgwv1.ItemInformationRequest{Terminal: s.t, ItemId: req.ItemID, TransactionDate: pts(req.TransactionDate)})
	if err != nil {
		return nil, Error(err)
	}
	return itemInformation(r, req), nil
}

// FeePaid implements sip2.FeePayer, SIP2 §"Fee Paid".
func (s *Session) FeePaid(ctx context.Context, req *sip2.FeePaid) (*sip2.FeePaidResponse, error) {
	r, err := s.c.FeePaid(withProtocol(ctx), &illgwv1.FeePaidRequest{Terminal: s.t, PatronId: req.PatronID, Pin: req.PatronPassword,
		FeeType: req.FeeType, PaymentType: req.PaymentType, Currency: req.CurrencyType, Amount: req.FeeAmount, FeeId: req.FeeID,
		TransactionId: req.TransactionID, TransactionDate: pts(req.TransactionDate)})
	if err != nil {
		return nil, Error(err)
	}
	af, ag, extra := reply(r.GetReply())
	return &sip2.FeePaidResponse{PaymentAccepted: r.GetOk(), TransactionDate: tsOr(r.GetTransactionDate()), InstitutionID: req.InstitutionID,
		PatronID: or(r.GetPatronId(), req.PatronID), TransactionID: or(r.GetTransactionId(), req.TransactionID),
		ScreenMessage: af, PrintLine: ag, Extra: extra}, nil
}

// holdModes are the SIP2 hold mode characters, SIP2 §"Hold".
var holdModes = map[byte]illgwv1.HoldRequest_Mode{
	'+': illgwv1.HoldRequest_MODE_ADD, '-': illgwv1.HoldRequest_MODE_DELETE, '*': illgwv1.HoldRequest_MODE_CHANGE,
}

// Hold implements sip2.Holder, SIP2 §"Hold".
func (s *Session) Hold(ctx context.Context, req *sip2.Hold) (*sip2.HoldResponse, error) {
	hr := &illgwv1.HoldRequest{Terminal: s.t, Mode: holdModes[req.HoldMode], PatronId: req.PatronID, Pin: req.PatronPassword,
		ItemId: req.ItemID, TitleId: req.TitleID, PickupLocation: req.PickupLocation, HoldType: req.HoldType,
		FeeAcknowledged: req.FeeAcknowledged == sip2.Yes, TransactionDate: pts(req.TransactionDate)}
	if t, ok := sip2.ParseTimestamp(req.ExpirationDate, nil); ok {
		hr.ExpirationDate = pts(t)
	}
	r, err := s.c.Hold(withProtocol(ctx), hr)
	if err != nil {
		return nil, Error(err)
	}
	af, ag, extra := reply(r.GetReply())
	out := &sip2.HoldResponse{OK: r.GetOk(), Available: r.GetAvailable(), TransactionDate: tsOr(r.GetTransactionDate()),
		PickupLocation: r.GetPickupLocation(), InstitutionID: req.InstitutionID, PatronID: or(r.GetPatronId(), req.PatronID),
		ItemID: r.GetItemId(), TitleID: r.GetTitleId(), ScreenMessage: af, PrintLine: ag, Extra: extra}
	if t := r.GetExpirationDate(); t != nil {
		out.ExpirationDate = sip2.FormatTimestamp(t.AsTime(), nil, false)
	}
	if n := r.GetQueuePosition(); n > 0 {
		out.QueuePosition = itoa(int(n))
	}
	return out, nil
}

// EndPatronSession implements sip2.PatronSessionEnder, SIP2 §"End Patron
// Session".
func (s *Session) EndPatronSession(ctx context.Context, req *sip2.EndPatronSession) (*sip2.EndSessionResponse, error) {
	r, err := s.c.EndSession(withProtocol(ctx), &illgwv1.EndSessionRequest{Terminal: s.t, PatronId: req.PatronID, Pin: req.PatronPassword})
	if err != nil {
		return nil, Error(err)
	}
	af, ag, extra := reply(r.GetReply())
	return &sip2.EndSessionResponse{EndSession: r.GetEnded(), InstitutionID: req.InstitutionID, PatronID: or(r.GetPatronId(), req.PatronID),
		ScreenMessage: af, PrintLine: ag, Extra: extra}, nil
}

// BlockPatron implements sip2.PatronBlocker, SIP2 §"Block Patron".
func (s *Session) BlockPatron(ctx context.Context, req *sip2.BlockPatron) (*sip2.PatronStatusResponse, error) {
	r, err := s.c.BlockPatron(withProtocol(ctx), &illgwv1.BlockPatronRequest{Terminal: s.t, PatronId: req.PatronID,
		CardRetained: req.CardRetained, BlockedCardMessage: req.BlockedCardMessage, TransactionDate: pts(req.TransactionDate)})
	if err != nil {
		return nil, Error(err)
	}
	return patronStatus(r, "", req.InstitutionID, req.PatronID), nil
}

// PatronEnable implements sip2.PatronEnabler, SIP2 §"Patron Enable".
func (s *Session) PatronEnable(ctx context.Context, req *sip2.PatronEnable) (*sip2.PatronEnableResponse, error) {
	r, err := s.c.PatronEnable(withProtocol(ctx), &illgwv1.PatronEnableRequest{Terminal: s.t, PatronId: req.PatronID,
		Pin: req.PatronPassword, TransactionDate: pts(req.TransactionDate)})
	if err != nil {
		return nil, Error(err)
	}
	ps := patronStatus(r, "", req.InstitutionID, req.PatronID)
	return &sip2.PatronEnableResponse{PatronStatus: ps.PatronStatus, Language: ps.Language, TransactionDate: ps.TransactionDate,
		InstitutionID: ps.InstitutionID, PatronID: ps.PatronID, PersonalName: ps.PersonalName, ValidPatron: ps.ValidPatron,
		ValidPatronPassword: ps.ValidPatronPassword, ScreenMessage: ps.ScreenMessage, PrintLine: ps.PrintLine, Extra: ps.Extra}, nil
}

// ItemStatusUpdate implements sip2.ItemStatusUpdater, SIP2 §"Item Status
// Update".
func (s *Session) ItemStatusUpdate(ctx context.Context, req *sip2.ItemStatusUpdate) (*sip2.ItemStatusUpdateResponse, error) {
	r, err := s.c.ItemStatusUpdate(withProtocol(ctx), &illgwv1.ItemStatusUpdateRequest{Terminal: s.t, ItemId: req.ItemID,
		ItemProperties: req.ItemProperties, TransactionDate: pts(req.TransactionDate)})
	if err != nil {
		return nil, Error(err)
	}
	af, ag, extra := reply(r.GetReply())
	return &sip2.ItemStatusUpdateResponse{ItemPropertiesOK: r.GetOk(), TransactionDate: tsOr(r.GetTransactionDate()),
		ItemID: or(r.GetItem().GetItemId(), req.ItemID), TitleID: r.GetItem().GetTitle(), ItemProperties: r.GetItem().GetItemProperties(),
		ScreenMessage: af, PrintLine: ag, Extra: extra}, nil
}

// term is the session's terminal with the request's language, when it has
// one other than "000" (unknown).
func (s *Session) term(lang string) *illgwv1.Terminal {
	if lang == "" || lang == "000" || lang == s.t.GetLanguage() {
		return s.t
	}
	t := &illgwv1.Terminal{Login: s.t.GetLogin(), Member: s.t.GetMember(), Institution: s.t.GetInstitution(),
		Location: s.t.GetLocation(), Language: lang, RemoteAddr: s.t.GetRemoteAddr(),
		MaxConnections: s.t.GetMaxConnections(), Charset: s.t.GetCharset()}
	return t
}

func pts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// tsOr is a response timestamp; none means now (the codec sends the current
// time for a zero one).
func tsOr(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime()
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
