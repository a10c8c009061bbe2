package adapter

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/illgw/illgw/ncip"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

func authInput(typ, data string) string {
	return "<AuthenticationInput><AuthenticationInputData>" + data + "</AuthenticationInputData>" +
		"<AuthenticationDataFormatType>text/plain</AuthenticationDataFormatType><AuthenticationInputType>" + typ +
		"</AuthenticationInputType></AuthenticationInput>"
}

func userID(v string) string {
	return "<UserId><UserIdentifierValue>" + v + "</UserIdentifierValue></UserId>"
}
func itemID(v string) string {
	return "<ItemId><ItemIdentifierValue>" + v + "</ItemIdentifierValue></ItemId>"
}
func requestID(v string) string {
	return "<RequestId><AgencyId>PARTNER1</AgencyId><RequestIdentifierValue>" + v + "</RequestIdentifierValue></RequestId>"
}

func TestLookupUser(t *testing.T) {
	e := newEnv(t)
	for _, m := range []string{"NORTH", "SOUTH", "EAST"} {
		p := prefixes[m]
		r := e.post(t, "<LookupUser>"+header("PARTNER1", m)+authInput("Barcode Id", p+"0001")+authInput("PIN", "1234")+
			"<UserElementType>Name Information</UserElementType></LookupUser>")
		noProblem(t, r)
		lu := r.Body.(*ncip.LookupUserResponse)
		if lu.UserID.Value != p+"0001" || lu.UserID.AgencyID.Value != m {
			t.Errorf("%s: UserId = %+v", m, lu.UserID)
		}
		if got := lu.UserOptionalFields.NameInformation.Personal.Unstructured; got != "Patron "+p+"0001" {
			t.Errorf("%s: name %q", m, got)
		}
		if lu.UserOptionalFields.UserAddressInformation != nil {
			t.Errorf("%s: address sent though only Name Information was asked for", m)
		}
		if lu.Header == nil || lu.Header.FromAgencyID.AgencyID.Value != m || lu.Header.ToAgencyID.AgencyID.Value != "PARTNER1" {
			t.Errorf("%s: ResponseHeader %+v", m, lu.Header)
		}
	}

	// A UserId is echoed as sent; a blocked patron carries a BlockOrTrap.
	r := e.post(t, "<LookupUser>"+header("PARTNER1", "NORTH")+"<UserId><AgencyId>NORTH</AgencyId><UserIdentifierType>Barcode</UserIdentifierType>"+
		"<UserIdentifierValue>N0002</UserIdentifierValue></UserId><LoanedItemsDesired/></LookupUser>")
	noProblem(t, r)
	lu := r.Body.(*ncip.LookupUserResponse)
	if lu.UserID.Type.Value != "Barcode" || lu.UserID.Value != "N0002" {
		t.Errorf("UserId not echoed: %+v", lu.UserID)
	}
	if len(lu.UserOptionalFields.BlockOrTraps) != 1 {
		t.Errorf("blocked patron without BlockOrTrap: %+v", lu.UserOptionalFields)
	}
	if len(lu.LoanedItemsCounts) != 1 || lu.LoanedItemsCounts[0].Value != 2 {
		t.Errorf("LoanedItemsCount = %+v", lu.LoanedItemsCounts)
	}

	wrongPIN := wantProblem(t, e.post(t, "<LookupUser>"+header("PARTNER1", "NORTH")+authInput("Barcode Id", "N0001")+authInput("PIN", "9999")+"</LookupUser>"),
		ncip.ProblemUserAuthenticationFailed)
	if strings.Contains(wrongPIN.Detail+wrongPIN.Value, "9999") {
		t.Errorf("the PIN shows in the problem: %+v", wrongPIN)
	}
	unknown := wantProblem(t, e.post(t, "<LookupUser>"+header("PARTNER1", "SOUTH")+userID("S0404")+"</LookupUser>"), ncip.ProblemUnknownUser)
	if unknown.Value != "S0404" || !strings.HasSuffix(unknown.Type.Scheme, "lookupuserprocessingerror.scm") {
		t.Errorf("Unknown User problem %+v", unknown)
	}
	agency := wantProblem(t, e.post(t, "<LookupUser>"+header("PARTNER1", "WEST")+userID("W0001")+"</LookupUser>"), ncip.ProblemUnknownAgency)
	if agency.Value != "WEST" {
		t.Errorf("Unknown Agency value %q", agency.Value)
	}
	// A catalogue-only member has no library system to ask.
	wantProblem(t, e.post(t, "<LookupUser>"+header("PARTNER1", "LOC")+userID("L0001")+"</LookupUser>"), ncip.ProblemUnknownAgency)
	wantProblem(t, e.post(t, "<LookupUser>"+strings.Replace(header("PARTNER1", "NORTH"), "partner1secret", "wrong", 1)+userID("N0001")+"</LookupUser>"),
		ncip.ProblemAgencyAuthenticationFailed)
	wantProblem(t, e.post(t, "<LookupUser>"+header("PARTNER1", "NORTH")+authInput("PIN", "1234")+"</LookupUser>"), ncip.ProblemNeededDataMissing)
	e.f.down = true
	wantProblem(t, e.post(t, "<LookupUser>"+header("PARTNER1", "NORTH")+userID("N0001")+"</LookupUser>"), ncip.ProblemTemporaryProcessingFailure)
	e.f.down = false

	for _, p := range e.f.protocols {
		if p != "ncip" {
			t.Fatalf("a broker call carried illgw-protocol %q, want ncip", p)
		}
	}
	e.validate(t)
}

func TestLookupItem(t *testing.T) {
	e := newEnv(t)
	r := e.post(t, "<LookupItem>"+header("PARTNER1", "SOUTH")+"<ItemId><AgencyId>SOUTH</AgencyId><ItemIdentifierValue>SI0001</ItemIdentifierValue></ItemId>"+
		"<ItemElementType>Bibliographic Description</ItemElementType><ItemElementType>Circulation Status</ItemElementType></LookupItem>")
	noProblem(t, r)
	li := r.Body.(*ncip.LookupItemResponse)
	if li.ItemID.Value != "SI0001" || li.ItemID.AgencyID.Value != "SOUTH" {
		t.Errorf("ItemId not echoed: %+v", li.ItemID)
	}
	f := li.ItemOptionalFields
	if f.BibliographicDescription.Title != "Title of SI0001" || f.CirculationStatus.Value != "Available On Shelf" {
		t.Errorf("item fields %+v %+v", f.BibliographicDescription, f.CirculationStatus)
	}
	if f.Locations != nil || !f.DateDue.IsZero() {
		t.Errorf("fields not asked for were sent: %+v", f)
	}
	// No element types: the usual ones.
	r = e.post(t, "<LookupItem>"+header("PARTNER1", "SOUTH")+itemID("SI0002")+"</LookupItem>")
	noProblem(t, r)
	if f := r.Body.(*ncip.LookupItemResponse).ItemOptionalFields; len(f.Locations) != 1 || f.ItemDescription.CallNumber != "QA76 .X1" || f.DateDue.IsZero() {
		t.Errorf("default item fields %+v", f)
	}
	p := wantProblem(t, e.post(t, "<LookupItem>"+header("PARTNER1", "SOUTH")+itemID("NI0001")+"</LookupItem>"), ncip.ProblemUnknownItem)
	if p.Value != "NI0001" {
		t.Errorf("Unknown Item value %q", p.Value)
	}
	e.validate(t)
}

func requestItem(from, to, patron, rid string) string {
	s := "<RequestItem>" + header(from, to) + userID(patron) +
		"<BibliographicId><BibliographicItemId><BibliographicItemIdentifier>0839108826</BibliographicItemIdentifier>" +
		"<BibliographicItemIdentifierCode>ISBN</BibliographicItemIdentifierCode></BibliographicItemId></BibliographicId>"
	if rid != "" {
		s += requestID(rid)
	}
	return s + "<RequestType>Loan</RequestType><RequestScopeType>Bibliographic Item</RequestScopeType>" +
		"<ItemOptionalFields><BibliographicDescription><Author>Doe, Jane</Author><Title>A shared title</Title></BibliographicDescription></ItemOptionalFields>" +
		"<NeedBeforeDate>2027-03-01T00:00:00Z</NeedBeforeDate></RequestItem>"
}

func TestRequestItemIsIdempotent(t *testing.T) {
	e := newEnv(t)
	r1 := e.post(t, requestItem("PARTNER1", "NORTH", "N0001", "P1-7"))
	noProblem(t, r1)
	r2 := e.post(t, requestItem("PARTNER1", "NORTH", "N0001", "P1-7"))
	noProblem(t, r2)
	if len(e.f.loans) != 1 {
		t.Fatalf("a retried RequestItem made %d loans", len(e.f.loans))
	}
	ri := r2.Body.(*ncip.RequestItemResponse)
	if ri.RequestID.Value != "P1-7" || ri.RequestID.AgencyID.Value != "PARTNER1" || ri.UserID.Value != "N0001" ||
		ri.RequestType.Value != "Loan" || ri.RequestScopeType.Value != "Bibliographic Item" {
		t.Errorf("response does not echo the request: %+v", ri)
	}
	var loan *illgwv1.Loan
	for _, l := range e.f.loans {
		loan = l
	}
	if loan.Requester != "NORTH" || loan.PatronId != "N0001" || loan.ExternalRequestId != "P1-7" || loan.Bib.GetIsbn() != "0839108826" ||
		loan.Bib.GetTitle() != "A shared title" || loan.Bib.GetAuthor() != "Doe, Jane" || loan.NeedBefore == nil {
		t.Errorf("loan %+v", loan)
	}
	if a := loan.Events[0].Actor; a.GetKind() != illgwv1.Actor_KIND_PARTNER || a.GetId() != "PARTNER1" || a.GetMember() != "NORTH" {
		t.Errorf("actor %+v", a)
	}

	// Without a RequestId the loan id is given back.
	r3 := e.post(t, requestItem("PARTNER1", "NORTH", "N0001", ""))
	noProblem(t, r3)
	if id := r3.Body.(*ncip.RequestItemResponse).RequestID; id == nil || e.f.loans[id.Value] == nil || id.AgencyID.Value != "NORTH" {
		t.Errorf("RequestId without one asked %+v", id)
	}
	// A patron the requesting member refuses: the loan ends INVALID_PATRON.
	p := wantProblem(t, e.post(t, requestItem("PARTNER1", "NORTH", "N0002", "P1-B")), ncip.ProblemUserIneligibleToRequestThisItem)
	if p.Value != "N0002" || !strings.HasSuffix(p.Type.Scheme, "requestitemprocessingerror.scm") {
		t.Errorf("refused patron: %+v", p)
	}
	// An agency that acts for no member may look up but not request.
	wantProblem(t, e.post(t, requestItem("LOOKER", "NORTH", "N0001", "L-1")), ncip.ProblemUnauthorizedServiceForAgency)
	// A wrong PIN in AuthenticationInput stops the request before a loan exists.
	n := len(e.f.loans)
	wantProblem(t, e.post(t, strings.Replace(requestItem("PARTNER1", "NORTH", "N0001", "P1-8"), userID("N0001"),
		authInput("Barcode Id", "N0001")+authInput("PIN", "0000"), 1)), ncip.ProblemUserAuthenticationFailed)
	if len(e.f.loans) != n {
		t.Error("a loan was created for a patron whose PIN was wrong")
	}
	e.validate(t)
}

func TestLookupRequest(t *testing.T) {
	e := newEnv(t)
	noProblem(t, e.post(t, requestItem("PARTNER1", "NORTH", "N0001", "P1-9")))
	// By the partner's id.
	r := e.post(t, "<LookupRequest>"+header("PARTNER1", "NORTH")+requestID("P1-9")+"</LookupRequest>")
	noProblem(t, r)
	lr := r.Body.(*ncip.LookupRequestResponse)
	if lr.RequestID.Value != "P1-9" || lr.UserID.Value != "N0001" || lr.RequestStatusType.Value != "In Process" ||
		lr.ItemOptionalFields.BibliographicDescription.Title != "A shared title" {
		t.Errorf("LookupRequest %+v", lr)
	}
	// By the gateway's loan id, and by the temporary item barcode.
	var id string
	for k := range e.f.loans {
		id = k
	}
	noProblem(t, e.post(t, "<LookupRequest>"+header("PARTNER1", "NORTH")+requestID(id)+"</LookupRequest>"))
	r = e.post(t, "<LookupRequest>"+header("PARTNER1", "NORTH")+itemID("ILL"+id)+"</LookupRequest>")
	noProblem(t, r)
	if lr := r.Body.(*ncip.LookupRequestResponse); lr.ItemID.Value != "ILL"+id || lr.RequestID.Value != id {
		t.Errorf("by item: %+v %+v", lr.ItemID, lr.RequestID)
	}
	// By the request id the lender's ILS gave, asked by that lender.
	r = e.post(t, "<LookupRequest>"+header("SOUTH", "NORTH")+requestID("SOUTH-REQ-"+id)+"</LookupRequest>")
	noProblem(t, r)
	if lr := r.Body.(*ncip.LookupRequestResponse); lr.RequestID.Value != "SOUTH-REQ-"+id || lr.UserID != nil {
		t.Errorf("by the lender's request id: %+v, patron %+v (a lender must not see the patron)", lr.RequestID, lr.UserID)
	}
	// A member that takes no part in the loan cannot see it, by any id.
	wantProblem(t, e.post(t, "<LookupRequest>"+header("EASTILS", "NORTH")+requestID(id)+"</LookupRequest>"), ncip.ProblemUnknownRequest)
	wantProblem(t, e.post(t, "<LookupRequest>"+header("EASTILS", "NORTH")+requestID("P1-9")+"</LookupRequest>"), ncip.ProblemUnknownRequest)
	// An agency acting for no member may not look loans up at all.
	wantProblem(t, e.post(t, "<LookupRequest>"+header("LOOKER", "NORTH")+requestID(id)+"</LookupRequest>"), ncip.ProblemUnauthorizedServiceForAgency)
	p := wantProblem(t, e.post(t, "<LookupRequest>"+header("PARTNER1", "NORTH")+requestID("nope")+"</LookupRequest>"), ncip.ProblemUnknownRequest)
	if p.Value != "nope" {
		t.Errorf("Unknown Request value %q", p.Value)
	}
	// LookupItem by RequestId names the temporary item.
	r = e.post(t, "<LookupItem>"+header("PARTNER1", "NORTH")+requestID("P1-9")+"</LookupItem>")
	noProblem(t, r)
	if li := r.Body.(*ncip.LookupItemResponse); li.ItemID.Value != "ILL"+id || li.RequestID.Value != "P1-9" {
		t.Errorf("LookupItem by request %+v %+v", li.ItemID, li.RequestID)
	}
	e.validate(t)
}

// TestLoanActions checks that each service that advances a loan calls
// Loans.Act with the action for the sender's side, the sender as actor and
// an idempotency key that a retry repeats.
func TestLoanActions(t *testing.T) {
	e := newEnv(t)
	noProblem(t, e.post(t, requestItem("PARTNER1", "NORTH", "N0001", "P1-1")))
	var id string
	for k := range e.f.loans {
		id = k
	}
	due := "<DateDue>2027-02-01T00:00:00Z</DateDue>"
	cases := []struct {
		name, msg string
		action    illgwv1.LoanAction
		actor     illgwv1.Actor_Kind
		member    string
	}{
		{"ItemShipped by the lender", "<ItemShipped>" + header("SOUTH", "NORTH") + "<RequestId><RequestIdentifierValue>" + id +
			"</RequestIdentifierValue></RequestId>" + itemID("SI0001") + "<DateShipped>2027-01-05T10:00:00Z</DateShipped>" +
			"<ShippingInformation><ShippingNote>box 3</ShippingNote></ShippingInformation><ItemOptionalFields>" + due + "</ItemOptionalFields></ItemShipped>",
			illgwv1.LoanAction_LOAN_ACTION_SHIP, illgwv1.Actor_KIND_MEMBER, "SOUTH"},
		{"ItemReceived by the requester", "<ItemReceived>" + header("NORTH", "NORTH") + itemID("ILL"+id) + "<DateReceived>2027-01-07T10:00:00Z</DateReceived></ItemReceived>",
			illgwv1.LoanAction_LOAN_ACTION_RECEIVE, illgwv1.Actor_KIND_MEMBER, "NORTH"},
		{"ItemRenewed", "<ItemRenewed>" + header("NORTH", "NORTH") + itemID("ILL"+id) + due + "</ItemRenewed>",
			illgwv1.LoanAction_LOAN_ACTION_RENEW, illgwv1.Actor_KIND_MEMBER, "NORTH"},
		{"RenewItem by the partner", "<RenewItem>" + header("PARTNER1", "NORTH") + userID("N0001") + itemID("ILL"+id) + "</RenewItem>",
			illgwv1.LoanAction_LOAN_ACTION_RENEW, illgwv1.Actor_KIND_PARTNER, "NORTH"},
		{"ItemCheckedIn by the requester", "<ItemCheckedIn>" + header("NORTH", "NORTH") + itemID("ILL"+id) + "</ItemCheckedIn>",
			illgwv1.LoanAction_LOAN_ACTION_RETURN, illgwv1.Actor_KIND_MEMBER, "NORTH"},
		{"ItemShipped back by the requester", "<ItemShipped>" + header("NORTH", "SOUTH") + itemID("ILL"+id) + "<DateShipped>2027-02-01T10:00:00Z</DateShipped>" +
			"<ShippingInformation><ShippingNote>back</ShippingNote></ShippingInformation></ItemShipped>",
			illgwv1.LoanAction_LOAN_ACTION_SHIP_BACK, illgwv1.Actor_KIND_MEMBER, "NORTH"},
		{"ItemCheckedIn by the lender (its own copy)", "<ItemCheckedIn>" + header("SOUTH", "SOUTH") + itemID("SI0001") + "</ItemCheckedIn>",
			illgwv1.LoanAction_LOAN_ACTION_CHECK_IN, illgwv1.Actor_KIND_MEMBER, "SOUTH"},
		{"ItemRequestCancelled by the lender", "<ItemRequestCancelled>" + header("SOUTH", "NORTH") + userID("N0001") + "<RequestId><RequestIdentifierValue>" + id +
			"</RequestIdentifierValue></RequestId><RequestType>Loan</RequestType></ItemRequestCancelled>",
			illgwv1.LoanAction_LOAN_ACTION_LENDER_CANCEL, illgwv1.Actor_KIND_MEMBER, "SOUTH"},
		{"ItemRenewed by the lender", "<ItemRenewed>" + header("SOUTH", "NORTH") + itemID("SI0001") + due + "</ItemRenewed>",
			illgwv1.LoanAction_LOAN_ACTION_RENEW_GRANTED, illgwv1.Actor_KIND_MEMBER, "SOUTH"},
		{"CancelRequestItem by the partner", "<CancelRequestItem>" + header("PARTNER1", "NORTH") + userID("N0001") + requestID("P1-1") + "<RequestType>Loan</RequestType></CancelRequestItem>",
			illgwv1.LoanAction_LOAN_ACTION_CANCEL, illgwv1.Actor_KIND_PARTNER, "NORTH"},
		{"ItemRequestCancelled by the requester", "<ItemRequestCancelled>" + header("NORTH", "NORTH") + userID("N0001") + itemID("ILL"+id) + "<RequestType>Loan</RequestType></ItemRequestCancelled>",
			illgwv1.LoanAction_LOAN_ACTION_CANCEL, illgwv1.Actor_KIND_MEMBER, "NORTH"},
	}
	for _, c := range cases {
		before := len(e.f.acts)
		noProblem(t, e.post(t, c.msg))
		noProblem(t, e.post(t, c.msg)) // a retry
		if len(e.f.acts) != before+2 {
			t.Fatalf("%s: %d Act calls, want 2", c.name, len(e.f.acts)-before)
		}
		a, retry := e.f.acts[before], e.f.acts[before+1]
		if a.GetId() != id || a.GetAction() != c.action || a.GetActor().GetKind() != c.actor || a.GetMember() != c.member {
			t.Errorf("%s: Act %v on %s by %v for %s, want %v by %v for %s", c.name, a.GetAction(), a.GetId(), a.GetActor(), a.GetMember(), c.action, c.actor, c.member)
		}
		if a.GetFromIls() != (c.actor == illgwv1.Actor_KIND_MEMBER) {
			t.Errorf("%s: from_ils %v", c.name, a.GetFromIls())
		}
		if a.GetIdempotencyKey() == "" || a.GetIdempotencyKey() != retry.GetIdempotencyKey() {
			t.Errorf("%s: idempotency keys %q and %q", c.name, a.GetIdempotencyKey(), retry.GetIdempotencyKey())
		}
	}
	if d := e.f.acts[0].GetDueDate(); d == nil || !d.AsTime().Equal(time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("ItemShipped due date %v", d)
	}
	// A second renewal of the same loan, once its due date moved, is a
	// new renewal, not a retry.
	n := len(e.f.acts)
	renew := "<RenewItem>" + header("PARTNER1", "NORTH") + userID("N0001") + itemID("ILL"+id) + "</RenewItem>"
	noProblem(t, e.post(t, renew))
	e.f.mu.Lock()
	e.f.loans[id].DueDate = timestamppb.New(time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC))
	e.f.mu.Unlock()
	noProblem(t, e.post(t, renew))
	if k1, k2 := e.f.acts[n].GetIdempotencyKey(), e.f.acts[n+1].GetIdempotencyKey(); k1 == k2 {
		t.Error("two renewals of different due dates share an idempotency key")
	}
	// RenewItem answers with the loan's due date and echoes the ItemId.
	r := e.post(t, "<RenewItem>"+header("PARTNER1", "NORTH")+userID("N0001")+itemID("ILL"+id)+"<DesiredDateDue>2027-03-01T00:00:00Z</DesiredDateDue></RenewItem>")
	noProblem(t, r)
	if ri := r.Body.(*ncip.RenewItemResponse); ri.ItemID.Value != "ILL"+id || ri.DateDue.IsZero() {
		t.Errorf("RenewItemResponse %+v", ri)
	}
	e.validate(t)
}

// TestActProblems: while Loans.Act is unimplemented, loan services answer
// Temporary Processing Failure; refusals map onto the service's problems.
func TestActProblems(t *testing.T) {
	e := newEnv(t)
	noProblem(t, e.post(t, requestItem("PARTNER1", "NORTH", "N0001", "P1-2")))
	cancel := "<CancelRequestItem>" + header("PARTNER1", "NORTH") + userID("N0001") + requestID("P1-2") + "<RequestType>Loan</RequestType></CancelRequestItem>"
	renew := "<RenewItem>" + header("PARTNER1", "NORTH") + userID("N0001") + itemID("SI0001") + "</RenewItem>"
	e.f.noAct = true
	wantProblem(t, e.post(t, cancel), ncip.ProblemTemporaryProcessingFailure)
	wantProblem(t, e.post(t, renew), ncip.ProblemTemporaryProcessingFailure)
	e.f.noAct = false
	e.f.actErr = codes.FailedPrecondition
	wantProblem(t, e.post(t, cancel), ncip.ProblemRequestAlreadyProcessed)
	wantProblem(t, e.post(t, renew), ncip.ProblemItemNotRenewable)
	e.f.actErr = codes.OK
	wantProblem(t, e.post(t, "<RenewItem>"+header("PARTNER1", "NORTH")+userID("N0001")+itemID("XX9")+"</RenewItem>"), ncip.ProblemUnknownItem)
	wantProblem(t, e.post(t, "<ItemReceived>"+header("LOOKER", "NORTH")+itemID("SI0001")+"<DateReceived>2027-01-07T10:00:00Z</DateReceived></ItemReceived>"),
		ncip.ProblemUnauthorizedServiceForAgency)
	e.validate(t)
}

func TestCredentials(t *testing.T) {
	for _, c := range []struct {
		id          *ncip.UserID
		in          []ncip.AuthenticationInput
		barcode, pn string
	}{
		{&ncip.UserID{Value: " N1 "}, nil, "N1", ""},
		{nil, []ncip.AuthenticationInput{{Type: ncip.SV("Barcode Id"), Data: "N2"}, {Type: ncip.SV("PIN"), Data: "12"}}, "N2", "12"},
		{nil, []ncip.AuthenticationInput{{Type: ncip.SV("barcodeid"), Data: "N3"}, {Type: ncip.SV("Password"), Data: "pw"}}, "N3", "pw"},
		{nil, []ncip.AuthenticationInput{{Type: ncip.SV("User Id"), Data: "N4"}}, "N4", ""},
		{nil, []ncip.AuthenticationInput{{Type: ncip.SV("Username"), Data: "N5"}, {Type: ncip.SV("Patron PIN"), Data: "9"}}, "N5", "9"},
		{&ncip.UserID{Value: "N6"}, []ncip.AuthenticationInput{{Type: ncip.SV("Barcode Id"), Data: "other"}}, "N6", ""},
		{nil, []ncip.AuthenticationInput{{Type: ncip.SV("Fingerprint"), Data: "x"}}, "", ""},
	} {
		b, p, _ := ncip.Credentials(c.id, c.in)
		if b != c.barcode || p != c.pn {
			t.Errorf("Credentials(%v, %v) = %q, %q; want %q, %q", c.id, c.in, b, p, c.barcode, c.pn)
		}
	}
}

// TestUnsupportedServices: services the gateway does not take through
// /ncip get Unsupported Service.
func TestUnsupportedServices(t *testing.T) {
	e := newEnv(t)
	r := e.post(t, "<CheckInItem>"+header("PARTNER1", "NORTH")+itemID("NI0001")+"</CheckInItem>")
	wantProblem(t, r, ncip.ProblemUnsupportedService)
	e.validate(t)
}
