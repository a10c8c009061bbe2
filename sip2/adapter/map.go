package adapter

import (
	"strconv"
	"strings"

	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
	"github.com/illgw/illgw/sip2"
)

// Conversions from the Circulation responses to SIP2 responses (SIP2 2.00
// §"Messages"). Identifiers the kiosk sent (institution AO, patron AA, item
// AB) are echoed when the broker leaves them empty; Reply.extra goes out as
// the message's extra fields, in order, so fields the ILS returned reach the
// kiosk.

func reply(r *illgwv1.Reply) (af, ag []string, extra []sip2.Field) {
	for _, f := range r.GetExtra() {
		extra = append(extra, sip2.Field{ID: f.GetCode(), Value: f.GetValue()})
	}
	return r.GetScreenMessages(), r.GetPrintLines(), extra
}

func flag(t illgwv1.Tristate) sip2.Flag {
	switch t {
	case illgwv1.Tristate_TRISTATE_YES:
		return sip2.Yes
	case illgwv1.Tristate_TRISTATE_NO:
		return sip2.No
	}
	return sip2.Unset
}

// media is a fixed Y/N/U field (magnetic media).
func media(t illgwv1.Tristate) byte {
	switch t {
	case illgwv1.Tristate_TRISTATE_YES:
		return 'Y'
	case illgwv1.Tristate_TRISTATE_NO:
		return 'N'
	}
	return 'U'
}

func yn(b bool) byte {
	if b {
		return 'Y'
	}
	return 'N'
}

// patronStatusBits is the 14-position patron status, SIP2 §"Patron Status
// Response", position by position.
func patronStatusBits(r *illgwv1.PatronRestrictions) sip2.PatronStatus {
	var s sip2.PatronStatus
	for i, b := range []bool{r.GetChargePrivilegesDenied(), r.GetRenewalPrivilegesDenied(), r.GetRecallPrivilegesDenied(),
		r.GetHoldPrivilegesDenied(), r.GetCardReportedLost(), r.GetTooManyItemsCharged(), r.GetTooManyItemsOverdue(),
		r.GetTooManyRenewals(), r.GetTooManyClaimsOfItemsReturned(), r.GetTooManyItemsLost(), r.GetExcessiveOutstandingFines(),
		r.GetExcessiveOutstandingFees(), r.GetRecallOverdue(), r.GetTooManyItemsBilled()} {
		if b {
			s |= 1 << i
		}
	}
	return s
}

func patronStatus(r *illgwv1.PatronStatusResponse, lang, inst, id string) *sip2.PatronStatusResponse {
	p := r.GetPatron()
	af, ag, extra := reply(r.GetReply())
	return &sip2.PatronStatusResponse{PatronStatus: patronStatusBits(p.GetRestrictions()), Language: or(p.GetLanguage(), lang),
		InstitutionID: inst, PatronID: or(p.GetPatronId(), id), PersonalName: p.GetPersonalName(),
		ValidPatron: flag(p.GetValid()), ValidPatronPassword: flag(p.GetPinValid()), CurrencyType: p.GetCurrency(),
		FeeAmount: p.GetFeeAmount(), ScreenMessage: af, PrintLine: ag, Extra: extra}
}

// count is a fixed 4-digit count; a negative one was not reported and goes
// out as blanks.
func count(n int32) sip2.Count {
	if n < 0 {
		return sip2.Unsupported
	}
	return sip2.Count(n)
}

func patronInformation(r *illgwv1.PatronInformationResponse, req *sip2.PatronInformation) *sip2.PatronInformationResponse {
	p := r.GetPatron()
	af, ag, extra := reply(r.GetReply())
	out := &sip2.PatronInformationResponse{PatronStatus: patronStatusBits(p.GetRestrictions()), Language: or(p.GetLanguage(), req.Language),
		HoldItemsCount: count(r.GetHoldItemsCount()), OverdueItemsCount: count(r.GetOverdueItemsCount()),
		ChargedItemsCount: count(r.GetChargedItemsCount()), FineItemsCount: count(r.GetFineItemsCount()),
		RecallItemsCount: count(r.GetRecallItemsCount()), UnavailableHoldsCount: count(r.GetUnavailableHoldsCount()),
		InstitutionID: req.InstitutionID, PatronID: or(p.GetPatronId(), req.PatronID), PersonalName: p.GetPersonalName(),
		ValidPatron: flag(p.GetValid()), ValidPatronPassword: flag(p.GetPinValid()), CurrencyType: p.GetCurrency(),
		FeeAmount: p.GetFeeAmount(), FeeLimit: p.GetFeeLimit(), HomeAddress: p.GetHomeAddress(), Email: p.GetEmail(),
		HomePhone: p.GetPhone(), ScreenMessage: af, PrintLine: ag, Extra: extra}
	if r.GetHoldItemsLimit() > 0 {
		out.HoldItemsLimit = itoa(int(r.GetHoldItemsLimit()))
	}
	if r.GetOverdueItemsLimit() > 0 {
		out.OverdueItemsLimit = itoa(int(r.GetOverdueItemsLimit()))
	}
	if r.GetChargedItemsLimit() > 0 {
		out.ChargedItemsLimit = itoa(int(r.GetChargedItemsLimit()))
	}
	for _, l := range r.GetLists() {
		switch l.GetKind() {
		case illgwv1.ItemList_KIND_HOLD:
			out.HoldItems = l.GetItems()
		case illgwv1.ItemList_KIND_OVERDUE:
			out.OverdueItems = l.GetItems()
		case illgwv1.ItemList_KIND_CHARGED:
			out.ChargedItems = l.GetItems()
		case illgwv1.ItemList_KIND_FINE:
			out.FineItems = l.GetItems()
		case illgwv1.ItemList_KIND_RECALL:
			out.RecallItems = l.GetItems()
		case illgwv1.ItemList_KIND_UNAVAILABLE_HOLD:
			out.UnavailableHoldItems = l.GetItems()
		}
	}
	return out
}

// summaryKind reads the 10-position summary of a 63: the first Y names the
// list asked for (hold, overdue, charged, fine, recall, unavailable hold).
func summaryKind(s string) illgwv1.ItemList_Kind {
	i := strings.IndexAny(s, "Yy")
	if i < 0 || i >= 6 {
		return illgwv1.ItemList_KIND_UNSPECIFIED
	}
	return illgwv1.ItemList_Kind(i + 1)
}

// dueDate is the AH due date: the ILS's text as it was, else the timestamp.
func dueDate(it *illgwv1.Item) string {
	if it.GetDueDateText() != "" {
		return it.GetDueDateText()
	}
	if t := it.GetDueDate(); t != nil {
		return sip2.FormatTimestamp(t.AsTime(), nil, false)
	}
	return ""
}

func checkout(r *illgwv1.CheckoutResponse, req *sip2.Checkout) *sip2.CheckoutResponse {
	it := r.GetItem()
	af, ag, extra := reply(r.GetReply())
	out := &sip2.CheckoutResponse{OK: r.GetOk(), RenewalOK: r.GetRenewalOk(), MagneticMedia: media(r.GetMagneticMedia()),
		Desensitize: yn(r.GetDesensitize()), TransactionDate: tsOr(r.GetTransactionDate()), InstitutionID: req.InstitutionID,
		PatronID: or(r.GetPatronId(), req.PatronID), ItemID: or(it.GetItemId(), req.ItemID), TitleID: it.GetTitle(),
		DueDate: dueDate(it), FeeType: it.GetFeeType(), CurrencyType: it.GetCurrency(), FeeAmount: it.GetFeeAmount(),
		MediaType: it.GetMediaType(), ItemProperties: it.GetItemProperties(), TransactionID: r.GetTransactionId(),
		ScreenMessage: af, PrintLine: ag, Extra: extra}
	if r.GetSecurityInhibit() {
		out.SecurityInhibit = sip2.Yes
	}
	return out
}

func checkin(r *illgwv1.CheckinResponse, req *sip2.Checkin) *sip2.CheckinResponse {
	it := r.GetItem()
	af, ag, extra := reply(r.GetReply())
	return &sip2.CheckinResponse{OK: r.GetOk(), Resensitize: r.GetResensitize(), MagneticMedia: media(r.GetMagneticMedia()),
		Alert: r.GetAlert(), TransactionDate: tsOr(r.GetTransactionDate()), InstitutionID: req.InstitutionID,
		ItemID: or(it.GetItemId(), req.ItemID), PermanentLocation: it.GetPermanentLocation(), TitleID: it.GetTitle(),
		SortBin: r.GetSortBin(), PatronID: r.GetPatronId(), MediaType: it.GetMediaType(), ItemProperties: it.GetItemProperties(),
		CallNumber: it.GetCallNumber(), AlertType: r.GetAlertType(), ScreenMessage: af, PrintLine: ag, Extra: extra}
}

func renew(r *illgwv1.RenewResponse, req *sip2.Renew) *sip2.RenewResponse {
	it := r.GetItem()
	af, ag, extra := reply(r.GetReply())
	return &sip2.RenewResponse{OK: r.GetOk(), RenewalOK: r.GetRenewalOk(), MagneticMedia: media(r.GetMagneticMedia()),
		Desensitize: yn(r.GetDesensitize()), TransactionDate: tsOr(r.GetTransactionDate()), InstitutionID: req.InstitutionID,
		PatronID: or(r.GetPatronId(), req.PatronID), ItemID: or(it.GetItemId(), req.ItemID), TitleID: it.GetTitle(),
		DueDate: dueDate(it), FeeType: it.GetFeeType(), CurrencyType: it.GetCurrency(), FeeAmount: it.GetFeeAmount(),
		MediaType: it.GetMediaType(), ItemProperties: it.GetItemProperties(), TransactionID: r.GetTransactionId(),
		ScreenMessage: af, PrintLine: ag, Extra: extra}
}

func itemInformation(r *illgwv1.ItemInformationResponse, req *sip2.ItemInformation) *sip2.ItemInformationResponse {
	it := r.GetItem()
	af, ag, extra := reply(r.GetReply())
	out := &sip2.ItemInformationResponse{CirculationStatus: it.GetCirculationStatus(), SecurityMarker: it.GetSecurityMarker(),
		FeeType: it.GetFeeType(), TransactionDate: tsOr(r.GetTransactionDate()), ItemID: or(it.GetItemId(), req.ItemID),
		TitleID: it.GetTitle(), DueDate: dueDate(it), Owner: it.GetOwner(), CurrencyType: it.GetCurrency(),
		FeeAmount: it.GetFeeAmount(), MediaType: it.GetMediaType(), PermanentLocation: it.GetPermanentLocation(),
		CurrentLocation: it.GetCurrentLocation(), ItemProperties: it.GetItemProperties(), ScreenMessage: af, PrintLine: ag, Extra: extra}
	if n := it.GetHoldQueueLength(); n > 0 {
		out.HoldQueueLength = itoa(int(n))
	}
	return out
}

// atoi32 reads a BP/BQ item number; anything else is 0 (not given).
func atoi32(s string) int32 {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 32)
	if err != nil || n < 0 {
		return 0
	}
	return int32(n)
}

func itoa(n int) string { return strconv.Itoa(n) }
