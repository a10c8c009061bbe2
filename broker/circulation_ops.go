package broker

import (
	"context"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/illgw/illgw/broker/ill"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
	"github.com/illgw/illgw/sip2"
)

// The Circulation operations, one per SIP2 request (SIP2 2.00 §"Messages"),
// all of one shape: check the terminal, check the patron at the member's
// source when that is not the ILS, build the SIP2 request, send it to the
// member's ILS through its breaker, map the answer back. The institution id
// (AO) is left empty so broker/member fills in the member's own.

// Status answers for the terminal's member ILS, SIP2 §"SC Status": the
// ILS's own ACS status, with on-line false while its SIP2 breaker is open
// or the ILS does not answer (the registry refuses the call at once while
// the breaker is open, and lets probes through when it half-opens, which is
// how a kiosk's keep-alive 99s notice the recovery).
func (c *circulation) Status(ctx context.Context, req *illgwv1.StatusRequest) (*illgwv1.StatusResponse, error) {
	r, err := c.route(req.GetTerminal())
	if err != nil {
		return nil, err
	}
	st, err := r.sip2.Status(ctx, &sip2.SCStatus{StatusCode: byte('0' + req.GetStatusCode()%10),
		MaxPrintWidth: sip2.Count(req.GetMaxPrintWidth()), ProtocolVersion: "2.00"})
	if err != nil {
		c.b.log.Warn("circulation: member ILS status failed; reporting off-line", "terminal", r.term.Login, "member", r.member.Code, "err", err)
		return &illgwv1.StatusResponse{Online: false, DateTime: pts(c.b.now()), ProtocolVersion: "2.00",
			Institution: r.member.Code, LibraryName: r.member.Name, TerminalLocation: req.GetTerminal().GetLocation(),
			Reply: &illgwv1.Reply{ScreenMessages: []string{offlineMessage(r.member)}}}, nil
	}
	return &illgwv1.StatusResponse{
		Online: st.Online, CheckinOk: st.CheckinOK, CheckoutOk: st.CheckoutOK, RenewalPolicy: st.RenewalPolicy,
		StatusUpdateOk: st.StatusUpdateOK, OfflineOk: st.OfflineOK, TimeoutPeriod: count(st.TimeoutPeriod),
		RetriesAllowed: count(st.RetriesAllowed), DateTime: pts(st.DateTimeSync), ProtocolVersion: st.ProtocolVersion,
		Institution: r.member.Code, LibraryName: orString(st.LibraryName, r.member.Name),
		TerminalLocation:    orString(st.TerminalLocation, req.GetTerminal().GetLocation()),
		SupportedOperations: supportedOperations(st.SupportedMessages),
		Reply:               reply(st.ScreenMessage, st.PrintLine, fields(st.Extra)),
	}, nil
}

// offlineMessage is the screen message of an ACS status while the member's
// ILS cannot be reached.
func offlineMessage(m *Member) string {
	name := m.Name
	if name == "" {
		name = m.Code
	}
	return "The " + name + " library system is not available. Self-check is off-line; please ask staff for help."
}

func orString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// supportedOperations names the Circulation methods the member's ILS
// advertises in its BX field, SIP2 §"ACS Status".
func supportedOperations(bx string) []string {
	var out []string
	for _, op := range []struct{ code, name string }{
		{sip2.CodePatronStatusRequest, "PatronStatus"}, {sip2.CodeCheckout, "Checkout"}, {sip2.CodeCheckin, "Checkin"},
		{sip2.CodeBlockPatron, "BlockPatron"}, {sip2.CodeSCStatus, "Status"}, {sip2.CodeLogin, "Login"},
		{sip2.CodePatronInformation, "PatronInformation"}, {sip2.CodeEndPatronSession, "EndSession"},
		{sip2.CodeFeePaid, "FeePaid"}, {sip2.CodeItemInformation, "ItemInformation"},
		{sip2.CodeItemStatusUpdate, "ItemStatusUpdate"}, {sip2.CodePatronEnable, "PatronEnable"},
		{sip2.CodeHold, "Hold"}, {sip2.CodeRenew, "Renew"}, {sip2.CodeRenewAll, "RenewAll"},
	} {
		if sip2.Supports(bx, op.code) {
			out = append(out, op.name)
		}
	}
	return out
}

// maxFieldLen bounds every identifier, PIN and text a Circulation request
// carries (a SIP2 message is at most a few KiB in all).
const maxFieldLen = 256

// limits refuses a request with a field over maxFieldLen, before anything
// is sent to a member.
func limits(fields ...string) error {
	for _, f := range fields {
		if len(f) > maxFieldLen {
			return errorf(codes.InvalidArgument, "a field is longer than %d bytes", maxFieldLen)
		}
	}
	return nil
}

// patronGate checks the patron at the member's source for an operation
// that acts for a patron, and returns the PIN to send to the ILS: the
// kiosk's when the ILS checks patrons itself, none when another source
// has just checked it. For an operation that borrows (checkout, renew,
// renew all, hold) a patron the source blocks or whose card has expired
// is refused too: the ILS does not know of the source's block.
//
// A borrowing request without a PIN (SIP2 AD absent or empty) is not let
// through: the source is the authority for the member's patrons, so the
// patron is looked up there without a PIN (the LDAP directory's positive
// cache may answer; NCIP 2.02 Part 1 §"Lookup User" with the barcode
// alone) and refused when unknown, blocked or expired, or when the source
// cannot be reached (fail closed). Other operations without a PIN go to the
// ILS as they are.
func (c *circulation) patronGate(ctx context.Context, r route, id, pin string, borrows bool) (string, error) {
	if r.member.Patrons == PatronsSIP2 || pin == "" && !borrows {
		return pin, nil
	}
	pc := c.checkPatron(ctx, r, id, pin)
	if !pc.ok() || borrows && pc.barred {
		return "", screenError(pc.screen)
	}
	return "", nil
}

// forBorrowing and notBorrowing name patronGate's last argument.
const (
	forBorrowing = true
	notBorrowing = false
)

// PatronStatus answers SIP2 §"Patron Status Request" (23): from the ILS,
// with BL and CQ from the member's patron source when that is not the ILS.
func (c *circulation) PatronStatus(ctx context.Context, req *illgwv1.PatronStatusRequest) (*illgwv1.PatronStatusResponse, error) {
	r, err := c.route(req.GetTerminal())
	if err != nil {
		return nil, err
	}
	if err := limits(req.GetPatronId(), req.GetPin()); err != nil {
		return nil, err
	}
	pc := c.checkPatron(ctx, r, req.GetPatronId(), req.GetPin())
	if pc != nil && !pc.ok() {
		return &illgwv1.PatronStatusResponse{Patron: deniedPatron(req.GetPatronId(), pc), Reply: &illgwv1.Reply{ScreenMessages: []string{pc.screen}}}, nil
	}
	pin := req.GetPin()
	if pc != nil {
		pin = ""
	}
	resp, err := call(ctx, c, r, "PatronStatus", func(ctx context.Context) (*sip2.PatronStatusResponse, error) {
		return r.sip2.PatronStatus(ctx, &sip2.PatronStatusRequest{Language: r.req.GetLanguage(), PatronID: req.GetPatronId(), PatronPassword: pin})
	})
	if err != nil {
		return nil, err
	}
	out := patronStatusResp(resp)
	overridePatron(out.Patron, pc)
	return out, nil
}

// deniedPatron is the answer for a patron the source refused: all
// privileges denied, BL and CQ as the source said.
func deniedPatron(id string, pc *patronCheck) *illgwv1.Patron {
	return &illgwv1.Patron{PatronId: id, PersonalName: pc.name, Valid: triOf(pc.valid), PinValid: triOf(pc.valid && pc.pinValid),
		Restrictions: restrictions(sip2.AllDenied)}
}

// overridePatron puts the source's BL and CQ (and block) over the ILS's.
func overridePatron(p *illgwv1.Patron, pc *patronCheck) {
	if pc == nil || p == nil {
		return
	}
	p.Valid, p.PinValid = triOf(pc.valid), triOf(pc.pinValid)
	if p.PersonalName == "" {
		p.PersonalName = pc.name
	}
	if pc.blocked {
		if p.Restrictions == nil {
			p.Restrictions = &illgwv1.PatronRestrictions{}
		}
		p.Restrictions.ChargePrivilegesDenied = true
	}
}

func triOf(b bool) illgwv1.Tristate {
	if b {
		return illgwv1.Tristate_TRISTATE_YES
	}
	return illgwv1.Tristate_TRISTATE_NO
}

// PatronInformation answers SIP2 §"Patron Information" (63); the counts are
// the ILS's.
func (c *circulation) PatronInformation(ctx context.Context, req *illgwv1.PatronInformationRequest) (*illgwv1.PatronInformationResponse, error) {
	r, err := c.route(req.GetTerminal())
	if err != nil {
		return nil, err
	}
	if err := limits(req.GetPatronId(), req.GetPin()); err != nil {
		return nil, err
	}
	pc := c.checkPatron(ctx, r, req.GetPatronId(), req.GetPin())
	if pc != nil && !pc.ok() {
		return &illgwv1.PatronInformationResponse{Patron: deniedPatron(req.GetPatronId(), pc),
			HoldItemsCount: -1, OverdueItemsCount: -1, ChargedItemsCount: -1, FineItemsCount: -1, RecallItemsCount: -1, UnavailableHoldsCount: -1,
			Reply: &illgwv1.Reply{ScreenMessages: []string{pc.screen}}}, nil
	}
	pin := req.GetPin()
	if pc != nil {
		pin = ""
	}
	resp, err := call(ctx, c, r, "PatronInformation", func(ctx context.Context) (*sip2.PatronInformationResponse, error) {
		return r.sip2.PatronInformation(ctx, &sip2.PatronInformation{Language: r.req.GetLanguage(), Summary: summary(req.GetSummary()),
			PatronID: req.GetPatronId(), PatronPassword: pin, StartItem: itoaPos(req.GetStart()), EndItem: itoaPos(req.GetEnd())})
	})
	if err != nil {
		return nil, err
	}
	out := patronInfoResp(resp)
	overridePatron(out.Patron, pc)
	return out, nil
}

// consultLoans records an interlibrary-loan item's short id on an item an
// operation that needs no loan step answers about (circulation_ill.go has
// the kiosk steps that do).
func consultLoans(itemID string, item *illgwv1.Item) {
	if id, ok := ill.LoanIDFromBarcode(itemID); ok {
		noteLoan(id, item)
	}
}

// Checkout answers SIP2 §"Checkout" (11).
func (c *circulation) Checkout(ctx context.Context, req *illgwv1.CheckoutRequest) (*illgwv1.CheckoutResponse, error) {
	r, err := c.route(req.GetTerminal())
	if err != nil {
		return nil, err
	}
	if err := limits(req.GetPatronId(), req.GetPin(), req.GetItemId()); err != nil {
		return nil, err
	}
	pin, err := c.patronGate(ctx, r, req.GetPatronId(), req.GetPin(), forBorrowing)
	if err != nil {
		return nil, err
	}
	lr, err := c.checkoutGate(ctx, r, req.GetPatronId(), req.GetItemId())
	if err != nil {
		return nil, err
	}
	resp, err := call(ctx, c, r, "Checkout", func(ctx context.Context) (*sip2.CheckoutResponse, error) {
		return r.sip2.Checkout(ctx, &sip2.Checkout{RenewalPolicy: req.GetScRenewalPolicy(), NoBlock: req.GetNoBlock(),
			TransactionDate: c.when(req.GetTransactionDate()), NbDueDate: ts(req.GetNoBlockDueDate()),
			PatronID: req.GetPatronId(), ItemID: req.GetItemId(), PatronPassword: pin,
			FeeAcknowledged: flagIf(req.GetFeeAcknowledged()), Cancel: flagIf(req.GetCancel())})
	})
	if err != nil {
		return nil, err
	}
	out := checkoutResp(resp)
	consultLoans(req.GetItemId(), out.Item)
	lr.checkedOut(ctx, out)
	return out, nil
}

// when is a request's transaction date, or now.
func (c *circulation) when(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return c.b.now()
	}
	return t.AsTime()
}

func flagIf(b bool) sip2.Flag {
	if b {
		return sip2.Yes
	}
	return sip2.Unset
}

// Checkin answers SIP2 §"Checkin" (09).
func (c *circulation) Checkin(ctx context.Context, req *illgwv1.CheckinRequest) (*illgwv1.CheckinResponse, error) {
	r, err := c.route(req.GetTerminal())
	if err != nil {
		return nil, err
	}
	if err := limits(req.GetItemId(), req.GetCurrentLocation(), req.GetItemProperties()); err != nil {
		return nil, err
	}
	lr, _ := c.kioskLoan(ctx, r, req.GetItemId(), false)
	resp, err := call(ctx, c, r, "Checkin", func(ctx context.Context) (*sip2.CheckinResponse, error) {
		return r.sip2.Checkin(ctx, &sip2.Checkin{NoBlock: req.GetNoBlock(), TransactionDate: c.when(req.GetTransactionDate()),
			ReturnDate: ts(req.GetReturnDate()), CurrentLocation: req.GetCurrentLocation(), ItemID: req.GetItemId(),
			ItemProperties: req.GetItemProperties(), Cancel: flagIf(req.GetCancel())})
	})
	if err != nil {
		return nil, err
	}
	out := checkinResp(resp)
	consultLoans(req.GetItemId(), out.Item)
	lr.checkedIn(ctx, out)
	return out, nil
}

// Renew answers SIP2 §"Renew" (29).
func (c *circulation) Renew(ctx context.Context, req *illgwv1.RenewRequest) (*illgwv1.RenewResponse, error) {
	r, err := c.route(req.GetTerminal())
	if err != nil {
		return nil, err
	}
	if err := limits(req.GetPatronId(), req.GetPin(), req.GetItemId(), req.GetTitle()); err != nil {
		return nil, err
	}
	pin, err := c.patronGate(ctx, r, req.GetPatronId(), req.GetPin(), forBorrowing)
	if err != nil {
		return nil, err
	}
	if lr, err := c.kioskLoan(ctx, r, req.GetItemId(), true); err != nil || lr != nil {
		if err != nil {
			return nil, err
		}
		return lr.renew(ctx, req.GetPatronId())
	}
	resp, err := call(ctx, c, r, "Renew", func(ctx context.Context) (*sip2.RenewResponse, error) {
		return r.sip2.Renew(ctx, &sip2.Renew{ThirdPartyAllowed: req.GetThirdPartyAllowed(), NoBlock: req.GetNoBlock(),
			TransactionDate: c.when(req.GetTransactionDate()), NbDueDate: ts(req.GetNoBlockDueDate()),
			PatronID: req.GetPatronId(), PatronPassword: pin, ItemID: req.GetItemId(), TitleID: req.GetTitle(),
			FeeAcknowledged: flagIf(req.GetFeeAcknowledged())})
	})
	if err != nil {
		return nil, err
	}
	out := renewResp(resp)
	consultLoans(req.GetItemId(), out.Item)
	return out, nil
}

// RenewAll answers SIP2 §"Renew All" (65).
func (c *circulation) RenewAll(ctx context.Context, req *illgwv1.RenewAllRequest) (*illgwv1.RenewAllResponse, error) {
	r, err := c.route(req.GetTerminal())
	if err != nil {
		return nil, err
	}
	if err := limits(req.GetPatronId(), req.GetPin()); err != nil {
		return nil, err
	}
	pin, err := c.patronGate(ctx, r, req.GetPatronId(), req.GetPin(), forBorrowing)
	if err != nil {
		return nil, err
	}
	resp, err := call(ctx, c, r, "RenewAll", func(ctx context.Context) (*sip2.RenewAllResponse, error) {
		return r.sip2.RenewAll(ctx, &sip2.RenewAll{TransactionDate: c.when(req.GetTransactionDate()), PatronID: req.GetPatronId(),
			PatronPassword: pin, FeeAcknowledged: flagIf(req.GetFeeAcknowledged())})
	})
	if err != nil {
		return nil, err
	}
	return &illgwv1.RenewAllResponse{Ok: resp.OK, RenewedItems: resp.RenewedItems, UnrenewedItems: resp.UnrenewedItems,
		TransactionDate: pts(resp.TransactionDate), Reply: reply(resp.ScreenMessage, resp.PrintLine, fields(resp.Extra))}, nil
}

// ItemInformation answers SIP2 §"Item Information" (17).
func (c *circulation) ItemInformation(ctx context.Context, req *illgwv1.ItemInformationRequest) (*illgwv1.ItemInformationResponse, error) {
	r, err := c.route(req.GetTerminal())
	if err != nil {
		return nil, err
	}
	if err := limits(req.GetItemId()); err != nil {
		return nil, err
	}
	resp, err := call(ctx, c, r, "ItemInformation", func(ctx context.Context) (*sip2.ItemInformationResponse, error) {
		return r.sip2.ItemInformation(ctx, &sip2.ItemInformation{TransactionDate: c.when(req.GetTransactionDate()), ItemID: req.GetItemId()})
	})
	if err != nil {
		return nil, err
	}
	out := itemInfoResp(resp)
	consultLoans(req.GetItemId(), out.Item)
	lr, _ := c.kioskLoan(ctx, r, req.GetItemId(), false)
	lr.itemInfo(out)
	return out, nil
}

// FeePaid answers SIP2 §"Fee Paid" (37).
func (c *circulation) FeePaid(ctx context.Context, req *illgwv1.FeePaidRequest) (*illgwv1.FeePaidResponse, error) {
	r, err := c.route(req.GetTerminal())
	if err != nil {
		return nil, err
	}
	if err := limits(req.GetPatronId(), req.GetPin(), req.GetFeeId(), req.GetTransactionId(), req.GetAmount(), req.GetFeeType(), req.GetPaymentType(), req.GetCurrency()); err != nil {
		return nil, err
	}
	pin, err := c.patronGate(ctx, r, req.GetPatronId(), req.GetPin(), notBorrowing)
	if err != nil {
		return nil, err
	}
	resp, err := call(ctx, c, r, "FeePaid", func(ctx context.Context) (*sip2.FeePaidResponse, error) {
		return r.sip2.FeePaid(ctx, &sip2.FeePaid{TransactionDate: c.when(req.GetTransactionDate()), FeeType: req.GetFeeType(),
			PaymentType: req.GetPaymentType(), CurrencyType: req.GetCurrency(), FeeAmount: req.GetAmount(),
			PatronID: req.GetPatronId(), PatronPassword: pin, FeeID: req.GetFeeId(), TransactionID: req.GetTransactionId()})
	})
	if err != nil {
		return nil, err
	}
	return &illgwv1.FeePaidResponse{Ok: resp.PaymentAccepted, PatronId: resp.PatronID, TransactionId: resp.TransactionID,
		TransactionDate: pts(resp.TransactionDate), Reply: reply(resp.ScreenMessage, resp.PrintLine, fields(resp.Extra))}, nil
}

// holdModes are the SIP2 hold mode characters, SIP2 §"Hold".
var holdModes = map[illgwv1.HoldRequest_Mode]byte{
	illgwv1.HoldRequest_MODE_ADD: '+', illgwv1.HoldRequest_MODE_DELETE: '-', illgwv1.HoldRequest_MODE_CHANGE: '*',
}

// Hold answers SIP2 §"Hold" (15).
func (c *circulation) Hold(ctx context.Context, req *illgwv1.HoldRequest) (*illgwv1.HoldResponse, error) {
	r, err := c.route(req.GetTerminal())
	if err != nil {
		return nil, err
	}
	if err := limits(req.GetPatronId(), req.GetPin(), req.GetItemId(), req.GetTitleId(), req.GetPickupLocation(), req.GetHoldType()); err != nil {
		return nil, err
	}
	mode, ok := holdModes[req.GetMode()]
	if !ok {
		return nil, errorf(codes.InvalidArgument, "hold mode %v is not add, delete or change", req.GetMode())
	}
	pin, err := c.patronGate(ctx, r, req.GetPatronId(), req.GetPin(), forBorrowing)
	if err != nil {
		return nil, err
	}
	var expires string
	if t := ts(req.GetExpirationDate()); !t.IsZero() {
		expires = sip2.FormatTimestamp(t, nil, false)
	}
	resp, err := call(ctx, c, r, "Hold", func(ctx context.Context) (*sip2.HoldResponse, error) {
		return r.sip2.Hold(ctx, &sip2.Hold{HoldMode: mode, TransactionDate: c.when(req.GetTransactionDate()), ExpirationDate: expires,
			PickupLocation: req.GetPickupLocation(), HoldType: req.GetHoldType(), PatronID: req.GetPatronId(),
			PatronPassword: pin, ItemID: req.GetItemId(), TitleID: req.GetTitleId(), FeeAcknowledged: flagIf(req.GetFeeAcknowledged())})
	})
	if err != nil {
		return nil, err
	}
	out := &illgwv1.HoldResponse{Ok: resp.OK, Available: resp.Available, PickupLocation: resp.PickupLocation,
		PatronId: resp.PatronID, ItemId: resp.ItemID, TitleId: resp.TitleID, TransactionDate: pts(resp.TransactionDate),
		Reply: reply(resp.ScreenMessage, resp.PrintLine, fields(resp.Extra))}
	if t, ok := sip2.ParseTimestamp(resp.ExpirationDate, nil); ok {
		out.ExpirationDate = pts(t)
	}
	if n, ok := atoi32(resp.QueuePosition); ok {
		out.QueuePosition = n
	}
	return out, nil
}

// EndSession answers SIP2 §"End Patron Session" (35).
func (c *circulation) EndSession(ctx context.Context, req *illgwv1.EndSessionRequest) (*illgwv1.EndSessionResponse, error) {
	r, err := c.route(req.GetTerminal())
	if err != nil {
		return nil, err
	}
	if err := limits(req.GetPatronId(), req.GetPin()); err != nil {
		return nil, err
	}
	pin := req.GetPin()
	if r.member.Patrons != PatronsSIP2 {
		pin = ""
	}
	resp, err := call(ctx, c, r, "EndSession", func(ctx context.Context) (*sip2.EndSessionResponse, error) {
		return r.sip2.EndPatronSession(ctx, &sip2.EndPatronSession{TransactionDate: c.b.now(), PatronID: req.GetPatronId(), PatronPassword: pin})
	})
	if err != nil {
		return nil, err
	}
	return &illgwv1.EndSessionResponse{Ended: resp.EndSession, PatronId: resp.PatronID,
		Reply: reply(resp.ScreenMessage, resp.PrintLine, fields(resp.Extra))}, nil
}
