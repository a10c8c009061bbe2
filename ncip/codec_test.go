package ncip

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/illgw/illgw/internal/testenv"
)

// xmllintValidate runs xmllint --schema over files and fails for any that
// does not validate against the official ncip_v2_02.xsd.
func xmllintValidate(t *testing.T, files []string) {
	t.Helper()
	xmllint := testenv.Require(t, "xmllint", "libxml2-utils")
	schema, err := filepath.Abs("testdata/ncip_v2_02.xsd")
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--noout", "--nonet", "--schema", schema}, files...)
	out, err := exec.Command(xmllint, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("xmllint: %v\n%s", err, out)
	}
	for _, f := range files {
		if !bytes.Contains(out, []byte(f+" validates")) {
			t.Errorf("%s does not validate:\n%s", f, out)
		}
	}
}

// writeEncoded encodes m into dir/name and returns the path.
func writeEncoded(t *testing.T, dir, name string, m *Message) string {
	t.Helper()
	out, err := Encode(m, EncodeOptions{})
	if err != nil {
		t.Fatalf("%s: Encode: %v", name, err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestEncodeGoldenValidates re-encodes every golden message, strict and
// lenient ones alike, and validates the output with xmllint.
func TestEncodeGoldenValidates(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for _, sub := range []string{"canonical", "folio-docs", "xc-ncip2-toolkit"} {
		for _, f := range goldenFiles(t, sub) {
			m := decodeFile(t, sub+"/"+f)
			files = append(files, writeEncoded(t, dir, sub+"-"+f, m))
		}
	}
	for name, m := range builtMessages() {
		files = append(files, writeEncoded(t, dir, "built-"+name+".xml", m))
	}
	xmllintValidate(t, files)
}

// TestRoundTrip checks that decoding what the encoder wrote gives back the
// same typed values.
func TestRoundTrip(t *testing.T) {
	for _, sub := range []string{"canonical", "folio-docs", "xc-ncip2-toolkit"} {
		for _, f := range goldenFiles(t, sub) {
			m := decodeFile(t, sub+"/"+f)
			out, err := Encode(m, EncodeOptions{})
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			m2, err := Decode(out, Limits{})
			if err != nil {
				t.Fatalf("%s: re-decode: %v\n%s", f, err, out)
			}
			if !reflect.DeepEqual(m, m2) {
				t.Errorf("%s: round trip changed the message\nfirst:  %+v\nsecond: %+v", f, m.Body, m2.Body)
			}
		}
	}
}

// builtMessages are messages built in Go, covering every service type of
// this package so that each is validated against the XSD at least once.
func builtMessages() map[string]*Message {
	ih := &InitiationHeader{FromAgencyID: Agency("PARTNER1"), FromAgencyAuthentication: "x", ToAgencyID: Agency("NORTH"), ApplicationProfileType: SV("ILLGW")}
	rh := &ResponseHeader{FromAgencyID: Agency("NORTH"), ToAgencyID: Agency("PARTNER1")}
	user := &UserID{AgencyID: SV("NORTH"), Type: SV("Barcode"), Value: "N0001"}
	item := &ItemID{AgencyID: SV("NORTH"), Value: "NI0001"}
	req := &RequestID{AgencyID: SV("PARTNER1"), Value: "R1"}
	due := At(time.Date(2026, 12, 24, 12, 0, 0, 0, time.UTC))
	one := 1
	amount := &Amount{CurrencyCode: SchemeValue{Scheme: "http://www.bsi-global.com/Technical+Information/Publications/_Publications/tig90x.doc", Value: "USD"}, MonetaryValue: 250}
	fiscal := &FiscalTransactionInformation{FiscalActionType: SV("Assess"), FiscalTransactionType: SV("Lost Item Replacement Charge"), Amount: amount}
	prob := []Problem{*NewServiceProblem("LookupUser", ProblemUnknownUser, "no such user").WithElement("UserIdentifierValue", "X")}
	bodies := []Body{
		&LookupUser{Header: ih, UserID: user, UserElementTypes: []SchemeValue{SV("Name Information")}, LoanedItemsDesired: true},
		&LookupUserResponse{Header: rh, UserID: user, LoanedItems: []LoanedItem{{ItemID: item, DateDue: due, Title: "T"}},
			UserOptionalFields: &UserOptionalFields{
				NameInformation: &NameInformation{Personal: &PersonalNameInformation{Structured: &StructuredPersonalUserName{GivenName: "A", Surname: "B"}}},
				UserPrivileges:  []UserPrivilege{{AgencyID: SV("NORTH"), AgencyUserPrivilegeType: SV("STATUS"), Status: &UserPrivilegeStatus{Type: SV("ACTIVE")}}},
				BlockOrTraps:    []BlockOrTrap{{AgencyID: SV("NORTH"), Type: SV("Block Check Out")}},
				UserIDs:         []UserID{*user},
				PreviousUserIDs: []PreviousUserID{{AgencyID: SV("NORTH"), Value: "OLD1"}},
			}},
		&LookupItem{Header: ih, ItemID: item, ItemElementTypes: []SchemeValue{SV("Circulation Status")}},
		&LookupItemResponse{Header: rh, ItemID: item, ItemTransaction: &ItemTransaction{CurrentBorrower: &UserRef{UserID: user}},
			ItemOptionalFields: &ItemOptionalFields{CirculationStatus: SV("On Loan"), HoldQueueLength: &one,
				Locations: []Location{{Type: SV("Permanent Location"), Name: []LocationName{{Level: 1, Value: "Main"}}}}, DateDue: due}},
		&LookupRequest{Header: ih, RequestID: req},
		&LookupRequestResponse{Header: rh, RequestID: req, ItemID: item, UserID: user, RequestType: SV("Hold"), RequestStatusType: SV("In Process")},
		&LookupAgency{Header: ih, AgencyID: SV("NORTH"), AgencyElementTypes: []SchemeValue{SV("Organization Name Information")}},
		&LookupAgencyResponse{Header: rh, AgencyID: SV("NORTH"), OrganizationNameInformation: []OrganizationNameInformation{{Type: SV("Legal"), Name: "North City Library"}},
			AuthenticationPrompts: []AuthenticationPrompt{{PromptOutput: PromptOutput{Data: "PIN?", Type: SV("Text")}, PromptInput: PromptInput{Type: SV("PIN"), DataFormat: SV("text/plain")}}}},
		&RequestItem{Header: ih, UserID: user, BibliographicIDs: []BibliographicID{{RecordID: &BibliographicRecordID{Identifier: "b1", Code: SV("SYSNUMBER")}}}, RequestID: req, RequestType: SV("Page"), RequestScopeType: SV("Title"), PickupLocation: SV("ILL")},
		&RequestItemResponse{Header: rh, RequestID: req, ItemID: item, UserID: user, RequestType: SV("Page"), RequestScopeType: SV("Item")},
		&RequestItemResponse{Header: rh, Problems: prob, RequiredFeeAmount: amount},
		&CancelRequestItem{Header: ih, UserID: user, RequestID: req, RequestType: SV("Page")},
		&CancelRequestItemResponse{Header: rh, RequestID: req, UserID: user},
		&RenewItem{Header: ih, UserID: user, ItemID: item, DesiredDateDue: due},
		&RenewItemResponse{Header: rh, ItemID: item, DateDue: due, RenewalCount: &one},
		&RenewItemResponse{Header: rh, Pending: &Pending{DateOfExpectedReply: due}},
		&RecallItem{Header: ih, ItemID: item, DesiredDateDue: due},
		&RecallItemResponse{Header: rh, ItemID: item, DateDue: due},
		&AcceptItem{Header: ih, MandatedAction: &MandatedAction{DateEventOccurred: due}, RequestID: req, RequestedActionType: SV("Hold For Pickup"), UserID: user, ItemID: item, DateForReturn: due, RenewalNotPermitted: true,
			ItemOptionalFields: &ItemOptionalFields{BibliographicDescription: &BibliographicDescription{Title: "T", BibliographicItemID: &BibliographicItemID{Identifier: "0839108826", Code: SV("ISBN")}}}, PickupLocation: SV("MAIN")},
		&AcceptItemResponse{Header: rh, RequestID: req, ItemID: item},
		&CheckOutItem{Header: ih, UserID: user, ItemID: item, RequestID: req, DesiredDateDue: due},
		&CheckOutItemResponse{Header: rh, ItemID: item, UserID: user, IndeterminateLoanPeriodFlag: true},
		&CheckInItem{Header: ih, ItemID: item},
		&CheckInItemResponse{Header: rh, ItemID: item, UserID: user, RoutingInformation: &RoutingInformation{RoutingInstructions: "Return to lender", Destination: Destination{BinNumber: "B1"}}},
		&DeleteItem{Header: ih, ItemID: item},
		&DeleteItemResponse{Header: rh, ItemID: item},
		&CreateUserFiscalTransaction{Header: ih, UserID: user, FiscalTransactionInformation: fiscal},
		&CreateUserFiscalTransactionResponse{Header: rh, UserID: user, FiscalTransactionReferenceID: &FiscalTransactionID{AgencyID: SV("NORTH"), Value: "F1"}},
		&ItemShipped{Header: ih, RequestID: req, ItemID: item, DateShipped: due, ShippingInformation: &ShippingInformation{ShippingNote: "box 3",
			PhysicalAddress: &PhysicalAddress{Structured: &StructuredAddress{Street: "1 Main St", Locality: "North City", PostalCode: "12345"}, Type: SV("Postal Address")}}},
		&ItemShippedResponse{Header: rh},
		&ItemReceived{Header: ih, ItemID: item, RequestID: req, DateReceived: due},
		&ItemReceivedResponse{Header: rh, Problems: prob},
		&ItemCheckedOut{Header: ih, UserID: user, ItemID: item, DateDue: due},
		&ItemCheckedOutResponse{Header: rh},
		&ItemCheckedIn{Header: ih, ItemID: item},
		&ItemCheckedInResponse{},
		&ItemRequestCancelled{Header: ih, UserID: user, RequestID: req, RequestType: SV("Hold")},
		&ItemRequestCancelledResponse{Header: rh},
		&ItemRenewed{Header: ih, ItemID: item, DateDue: due, FiscalTransactionInformation: fiscal},
		&ItemRenewedResponse{Header: rh},
	}
	out := map[string]*Message{}
	for i, b := range bodies {
		out[fmt.Sprintf("%02d-%s", i, b.ServiceName())] = &Message{Body: b}
	}
	out["message-level-problem"] = &Message{Problems: []Problem{*NewProblem(ProblemInvalidMessageSyntaxError, "bad")}}
	return out
}

func TestEncodeStrict(t *testing.T) {
	user := &UserID{Value: "u"}
	item := &ItemID{Value: "i"}
	bad := map[string]Body{
		"no DateDue choice":       &CheckOutItemResponse{ItemID: item, UserID: user},
		"two DateDue choices":     &CheckOutItemResponse{ItemID: item, UserID: user, DateDue: At(time.Now()), NonReturnableFlag: true},
		"UserId and AuthInput":    &LookupUser{UserID: user, AuthenticationInputs: []AuthenticationInput{{Data: "1", DataFormat: SV("text"), Type: SV("PIN")}}},
		"neither UserId nor Auth": &LookupUser{},
		"empty identifier":        &CheckInItem{ItemID: &ItemID{}},
		"header without To":       &CheckInItem{Header: &InitiationHeader{FromAgencyID: Agency("A")}, ItemID: item},
		"empty ProblemType":       &CheckInItemResponse{Problems: []Problem{{Detail: "x"}}},
		"nothing in response":     &LookupUserResponse{},
	}
	for name, b := range bad {
		if out, err := Encode(&Message{Body: b}, EncodeOptions{}); err == nil {
			t.Errorf("%s: Encode succeeded:\n%s", name, out)
		} else if !strings.HasPrefix(err.Error(), "ncip: encode") {
			t.Errorf("%s: error %q lacks the package prefix", name, err)
		}
	}
	if _, err := Encode(&Message{}, EncodeOptions{}); err == nil {
		t.Error("empty Message encoded")
	}

	// A response with Problems and data goes out with the Problems only.
	r := &CheckOutItemResponse{ItemID: item, UserID: user, Problems: []Problem{*NewProblem(ProblemUserBlocked, "")}}
	out, err := Encode(&Message{Body: r}, EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte("ItemId")) || !bytes.Contains(out, []byte("User Blocked")) {
		t.Errorf("problem response carries data or lacks the problem:\n%s", out)
	}
	if r.ItemID == nil {
		t.Error("Encode modified its argument")
	}

	out, err = Encode(&Message{Body: &CheckInItem{ItemID: item}, Version: "v"}, EncodeOptions{UnqualifiedVersion: true})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, []byte(` version="v"`)) || bytes.Contains(out, []byte("ncip:version")) {
		t.Errorf("UnqualifiedVersion: %s", out)
	}
}

// problemOf asserts err is a *Problem of the given type and returns it.
func problemOf(t *testing.T, err error, typ string) *Problem {
	t.Helper()
	var p *Problem
	if !errors.As(err, &p) {
		t.Fatalf("error %v (%T) is not a *Problem", err, err)
	}
	eq(t, "ProblemType", p.Type.Value, typ)
	if p.Type.Scheme == "" {
		t.Error("ProblemType has no scheme")
	}
	return p
}
