package broker

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
	"github.com/illgw/illgw/sip2"
)

// Conversions between the Circulation messages and the SIP2 messages the
// member ILS speaks (SIP2 2.00 §"Messages"). Fields the generalised messages
// have no place for travel in Reply.extra, in the order the ILS sent them.

func ts(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime()
}

func pts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func tri(f sip2.Flag) illgwv1.Tristate {
	switch f {
	case sip2.Yes:
		return illgwv1.Tristate_TRISTATE_YES
	case sip2.No:
		return illgwv1.Tristate_TRISTATE_NO
	}
	return illgwv1.Tristate_TRISTATE_UNKNOWN
}

func triByte(b byte) illgwv1.Tristate {
	switch b {
	case 'Y', 'y':
		return illgwv1.Tristate_TRISTATE_YES
	case 'N', 'n':
		return illgwv1.Tristate_TRISTATE_NO
	}
	return illgwv1.Tristate_TRISTATE_UNKNOWN
}

// restrictions maps the 14-position patron status, SIP2 §"Patron Status
// Response", position by position.
func restrictions(s sip2.PatronStatus) *illgwv1.PatronRestrictions {
	bit := func(i int) bool { return s&(1<<i) != 0 }
	return &illgwv1.PatronRestrictions{
		ChargePrivilegesDenied: bit(0), RenewalPrivilegesDenied: bit(1), RecallPrivilegesDenied: bit(2),
		HoldPrivilegesDenied: bit(3), CardReportedLost: bit(4), TooManyItemsCharged: bit(5),
		TooManyItemsOverdue: bit(6), TooManyRenewals: bit(7), TooManyClaimsOfItemsReturned: bit(8),
		TooManyItemsLost: bit(9), ExcessiveOutstandingFines: bit(10), ExcessiveOutstandingFees: bit(11),
		RecallOverdue: bit(12), TooManyItemsBilled: bit(13),
	}
}

// fields collects named SIP2 fields that have no place of their own, then
// the message's unknown ones.
func fields(extra []sip2.Field, named ...sip2.Field) []*illgwv1.Field {
	var out []*illgwv1.Field
	for _, f := range named {
		if f.Value != "" {
			out = append(out, &illgwv1.Field{Code: f.ID, Value: f.Value})
		}
	}
	for _, f := range extra {
		out = append(out, &illgwv1.Field{Code: f.ID, Value: f.Value})
	}
	return out
}

func reply(af, ag []string, extra []*illgwv1.Field) *illgwv1.Reply {
	if len(af) == 0 && len(ag) == 0 && len(extra) == 0 {
		return nil
	}
	return &illgwv1.Reply{ScreenMessages: af, PrintLines: ag, Extra: extra}
}

func count(c sip2.Count) int32 { return int32(c) }

func patronOf(id, name string, status sip2.PatronStatus, valid, pin sip2.Flag, currency, fee string) *illgwv1.Patron {
	return &illgwv1.Patron{PatronId: id, PersonalName: name, Valid: tri(valid), PinValid: tri(pin),
		Restrictions: restrictions(status), Currency: currency, FeeAmount: fee}
}

func patronStatusResp(r *sip2.PatronStatusResponse) *illgwv1.PatronStatusResponse {
	return &illgwv1.PatronStatusResponse{
		Patron: patronOf(r.PatronID, r.PersonalName, r.PatronStatus, r.ValidPatron, r.ValidPatronPassword, r.CurrencyType, r.FeeAmount),
		Reply:  reply(r.ScreenMessage, r.PrintLine, fields(r.Extra)),
	}
}

func patronInfoResp(r *sip2.PatronInformationResponse) *illgwv1.PatronInformationResponse {
	p := patronOf(r.PatronID, r.PersonalName, r.PatronStatus, r.ValidPatron, r.ValidPatronPassword, r.CurrencyType, r.FeeAmount)
	p.FeeLimit, p.Email, p.Phone, p.HomeAddress, p.Language = r.FeeLimit, r.Email, r.HomePhone, r.HomeAddress, r.Language
	out := &illgwv1.PatronInformationResponse{
		Patron: p, HoldItemsCount: count(r.HoldItemsCount), OverdueItemsCount: count(r.OverdueItemsCount),
		ChargedItemsCount: count(r.ChargedItemsCount), FineItemsCount: count(r.FineItemsCount),
		RecallItemsCount: count(r.RecallItemsCount), UnavailableHoldsCount: count(r.UnavailableHoldsCount),
		Reply: reply(r.ScreenMessage, r.PrintLine, fields(r.Extra,
			sip2.Field{ID: sip2.FieldHoldItemsLimit, Value: r.HoldItemsLimit},
			sip2.Field{ID: sip2.FieldOverdueItemsLimit, Value: r.OverdueItemsLimit},
			sip2.Field{ID: sip2.FieldChargedItemsLimit, Value: r.ChargedItemsLimit})),
	}
	for _, l := range []struct {
		kind  illgwv1.ItemList_Kind
		items []string
	}{
		{illgwv1.ItemList_KIND_HOLD, r.HoldItems}, {illgwv1.ItemList_KIND_OVERDUE, r.OverdueItems},
		{illgwv1.ItemList_KIND_CHARGED, r.ChargedItems}, {illgwv1.ItemList_KIND_FINE, r.FineItems},
		{illgwv1.ItemList_KIND_RECALL, r.RecallItems}, {illgwv1.ItemList_KIND_UNAVAILABLE_HOLD, r.UnavailableHoldItems},
	} {
		if len(l.items) > 0 {
			out.Lists = append(out.Lists, &illgwv1.ItemList{Kind: l.kind, Items: l.items})
		}
	}
	return out
}

// summary is the 10-position summary field of a 63, SIP2 §"Patron
// Information": Y at the position of the list asked for.
func summary(k illgwv1.ItemList_Kind) string {
	b := []byte("          ")
	if k > 0 && int(k) <= len(b) {
		b[k-1] = 'Y'
	}
	return string(b)
}

func itoaPos(n int32) string {
	if n <= 0 {
		return ""
	}
	return itoa32(n)
}

func itoa32(n int32) string {
	if n == 0 {
		return "0"
	}
	var b [12]byte
	i := len(b)
	neg := n < 0
	u := int64(n)
	if neg {
		u = -u
	}
	for u > 0 {
		i--
		b[i] = byte('0' + u%10)
		u /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// dueDate keeps the ILS's AH text and reads it as a timestamp when it is one.
func dueDate(item *illgwv1.Item, ah string) {
	item.DueDateText = ah
	if t, ok := sip2.ParseTimestamp(ah, nil); ok && !t.IsZero() {
		item.DueDate = timestamppb.New(t)
	}
}

func checkoutResp(r *sip2.CheckoutResponse) *illgwv1.CheckoutResponse {
	item := &illgwv1.Item{ItemId: r.ItemID, Title: r.TitleID, MediaType: r.MediaType, FeeType: r.FeeType,
		FeeAmount: r.FeeAmount, Currency: r.CurrencyType, ItemProperties: r.ItemProperties}
	dueDate(item, r.DueDate)
	return &illgwv1.CheckoutResponse{
		Ok: r.OK, RenewalOk: r.RenewalOK, MagneticMedia: triByte(r.MagneticMedia), Desensitize: r.Desensitize == 'Y',
		TransactionDate: pts(r.TransactionDate), Item: item, PatronId: r.PatronID, TransactionId: r.TransactionID,
		SecurityInhibit: r.SecurityInhibit == sip2.Yes,
		Reply: reply(r.ScreenMessage, r.PrintLine, fields(r.Extra,
			sip2.Field{ID: sip2.FieldValidPatron, Value: flagText(r.ValidPatron)},
			sip2.Field{ID: sip2.FieldValidPatronPassword, Value: flagText(r.ValidPatronPassword)})),
	}
}

func flagText(f sip2.Flag) string {
	if f == sip2.Unset {
		return ""
	}
	return string(rune(f))
}

func checkinResp(r *sip2.CheckinResponse) *illgwv1.CheckinResponse {
	return &illgwv1.CheckinResponse{
		Ok: r.OK, Resensitize: r.Resensitize, MagneticMedia: triByte(r.MagneticMedia), Alert: r.Alert,
		AlertType: r.AlertType, TransactionDate: pts(r.TransactionDate),
		Item: &illgwv1.Item{ItemId: r.ItemID, Title: r.TitleID, PermanentLocation: r.PermanentLocation,
			MediaType: r.MediaType, ItemProperties: r.ItemProperties, CallNumber: r.CallNumber},
		PatronId: r.PatronID, SortBin: r.SortBin,
		Reply: reply(r.ScreenMessage, r.PrintLine, fields(r.Extra,
			sip2.Field{ID: sip2.FieldCollectionCode, Value: r.CollectionCode},
			sip2.Field{ID: sip2.FieldDestinationLocation, Value: r.DestinationLocation},
			sip2.Field{ID: sip2.FieldHoldPatronID, Value: r.HoldPatronID},
			sip2.Field{ID: sip2.FieldHoldPatronName, Value: r.HoldPatronName})),
	}
}

func renewResp(r *sip2.RenewResponse) *illgwv1.RenewResponse {
	item := &illgwv1.Item{ItemId: r.ItemID, Title: r.TitleID, MediaType: r.MediaType, FeeType: r.FeeType,
		FeeAmount: r.FeeAmount, Currency: r.CurrencyType, ItemProperties: r.ItemProperties}
	dueDate(item, r.DueDate)
	return &illgwv1.RenewResponse{
		Ok: r.OK, RenewalOk: r.RenewalOK, MagneticMedia: triByte(r.MagneticMedia), Desensitize: r.Desensitize == 'Y',
		TransactionDate: pts(r.TransactionDate), Item: item, PatronId: r.PatronID, TransactionId: r.TransactionID,
		Reply: reply(r.ScreenMessage, r.PrintLine, fields(r.Extra,
			sip2.Field{ID: sip2.FieldSecurityInhibit, Value: flagText(r.SecurityInhibit)})),
	}
}

func itemInfoResp(r *sip2.ItemInformationResponse) *illgwv1.ItemInformationResponse {
	item := &illgwv1.Item{ItemId: r.ItemID, Title: r.TitleID, CirculationStatus: r.CirculationStatus,
		MediaType: r.MediaType, Owner: r.Owner, PermanentLocation: r.PermanentLocation, CurrentLocation: r.CurrentLocation,
		SecurityMarker: r.SecurityMarker, FeeType: r.FeeType, FeeAmount: r.FeeAmount, Currency: r.CurrencyType,
		ItemProperties: r.ItemProperties}
	dueDate(item, r.DueDate)
	if n, ok := atoi32(r.HoldQueueLength); ok {
		item.HoldQueueLength = n
	}
	return &illgwv1.ItemInformationResponse{Item: item, TransactionDate: pts(r.TransactionDate),
		Reply: reply(r.ScreenMessage, r.PrintLine, fields(r.Extra,
			sip2.Field{ID: sip2.FieldRecallDate, Value: r.RecallDate},
			sip2.Field{ID: sip2.FieldHoldPickupDate, Value: r.HoldPickupDate}))}
}

func atoi32(s string) (int32, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	var n int32
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int32(c-'0')
	}
	return n, true
}
