package ncip

import "testing"

const (
	v202    = "http://www.niso.org/schemas/ncip/v2_02/ncip_v2_02.xsd"
	v20imp1 = "http://www.niso.org/schemas/ncip/v2_0/imp1/xsd/ncip_v2_0.xsd"
	v20     = "http://www.niso.org/schemas/ncip/v2_0/ncip_v2_0.xsd"
	secret  = "s3cr3t-shared-key"
)

// goldenCanonical asserts the typed values of every message in
// testdata/canonical (written fresh for this project; all XSD-valid).
var goldenCanonical = map[string]func(t *testing.T, m *Message){
	"01-LookupUser-by-UserId.request.xml": func(t *testing.T, m *Message) {
		eq(t, "version", m.Version, v202)
		b := body[*LookupUser](t, m)
		eqInit(t, b.Header, "ILLGW", secret, "REQLIB", "ILLGW")
		eqUser(t, b.UserID, "REQLIB", "Barcode Id", "21234000123456")
		eq(t, "AuthenticationInputs", len(b.AuthenticationInputs), 0)
		eq(t, "UserElementTypes", len(b.UserElementTypes), 5)
		eq(t, "UserElementType[0]", b.UserElementTypes[0].Value, "Name Information")
		eq(t, "UserElementType[4]", b.UserElementTypes[4].Value, "User Id")
		eq(t, "LoanedItemsDesired", b.LoanedItemsDesired, Flag(false))
	},
	"02-LookupUser-by-AuthenticationInput.request.xml": func(t *testing.T, m *Message) {
		b := body[*LookupUser](t, m)
		eqInit(t, b.Header, "ILLGW", secret, "REQLIB", "ILLGW")
		if b.UserID != nil {
			t.Error("UserId set, want nil")
		}
		eq(t, "AuthenticationInputs", len(b.AuthenticationInputs), 2)
		a0, a1 := b.AuthenticationInputs[0], b.AuthenticationInputs[1]
		eq(t, "AI[0].Data", a0.Data, "21234000123456")
		eq(t, "AI[0].DataFormat", a0.DataFormat.Value, "text/plain")
		eq(t, "AI[0].Type", a0.Type.Value, "Barcode Id")
		eq(t, "AI[1].Data", a1.Data, "1234")
		eq(t, "AI[1].Type", a1.Type.Value, "PIN")
		eq(t, "UserElementTypes", len(b.UserElementTypes), 2)
	},
	"03-LookupUserResponse-ok.response.xml": func(t *testing.T, m *Message) {
		b := body[*LookupUserResponse](t, m)
		eqResp(t, b.Header, "REQLIB", "ILLGW")
		eq(t, "Problems", len(b.Problems), 0)
		eqUser(t, b.UserID, "REQLIB", "Barcode Id", "21234000123456")
		u := b.UserOptionalFields
		if u == nil || u.NameInformation == nil || u.NameInformation.Personal == nil || u.NameInformation.Personal.Structured == nil {
			t.Fatal("UserOptionalFields/NameInformation/PersonalNameInformation/StructuredPersonalUserName missing")
		}
		eq(t, "GivenName", u.NameInformation.Personal.Structured.GivenName, "Ada")
		eq(t, "Surname", u.NameInformation.Personal.Structured.Surname, "Lovelace")
		eq(t, "UserAddressInformation", len(u.UserAddressInformation), 1)
		ua := u.UserAddressInformation[0]
		eq(t, "UserAddressRoleType", ua.RoleType.Value, "Home")
		if ua.ElectronicAddress == nil {
			t.Fatal("ElectronicAddress missing")
		}
		eq(t, "ElectronicAddressType", ua.ElectronicAddress.Type.Value, "mailto")
		eq(t, "ElectronicAddressData", ua.ElectronicAddress.Data, "ada@example.org")
		eq(t, "UserPrivileges", len(u.UserPrivileges), 2)
		eq(t, "UserPrivilege[0].AgencyUserPrivilegeType", u.UserPrivileges[0].AgencyUserPrivilegeType.Value, "PROFILE")
		eq(t, "UserPrivilege[0].Status", u.UserPrivileges[0].Status.Type.Value, "Faculty")
		eq(t, "UserPrivilege[1].AgencyId", u.UserPrivileges[1].AgencyID.Value, "REQLIB")
		eq(t, "UserPrivilege[1].AgencyUserPrivilegeType", u.UserPrivileges[1].AgencyUserPrivilegeType.Value, "STATUS")
		eq(t, "UserPrivilege[1].Status", u.UserPrivileges[1].Status.Type.Value, "ACTIVE")
		eq(t, "UserOptionalFields/UserId", len(u.UserIDs), 1)
		eqUser(t, &u.UserIDs[0], "REQLIB", "Institution Id Number", "U0012345")
	},
	"04-LookupUserResponse-problem-UnknownUser.response.xml": func(t *testing.T, m *Message) {
		b := body[*LookupUserResponse](t, m)
		eqResp(t, b.Header, "REQLIB", "ILLGW")
		eq(t, "Problems", len(b.Problems), 1)
		eqProblem(t, b.Problems, 0, SchemeLookupUserProcessingError, ProblemUnknownUser,
			"No user with barcode 21234000999999", "UserIdentifierValue", "21234000999999")
		if b.UserID != nil {
			t.Error("UserId set beside a Problem")
		}
	},
	"05-AcceptItem.request.xml": func(t *testing.T, m *Message) {
		b := body[*AcceptItem](t, m)
		eqInit(t, b.Header, "ILLGW", secret, "REQLIB", "ILLGW")
		eqReq(t, b.RequestID, "ILLGW", "ILL-2026-000042")
		eq(t, "RequestedActionType", b.RequestedActionType.Value, "Hold For Pickup")
		eqUser(t, b.UserID, "REQLIB", "", "21234000123456")
		eqItem(t, b.ItemID, "SUPLIB", "", "ILL-2026-000042-4567")
		eqTime(t, "DateForReturn", b.DateForReturn, "2026-12-24T23:59:59Z")
		bd := b.ItemOptionalFields.BibliographicDescription
		eq(t, "Author", bd.Author, "Knuth, Donald E.")
		eq(t, "Title", bd.Title, "The art of computer programming. Vol. 1")
		eq(t, "BibliographicItemIdentifier", bd.BibliographicItemID.Identifier, "9780201896831")
		eq(t, "BibliographicItemIdentifierCode", bd.BibliographicItemID.Code.Value, "ISBN")
		eq(t, "CallNumber", b.ItemOptionalFields.ItemDescription.CallNumber, "QA76.6 .K64 1997")
		eq(t, "PickupLocation", b.PickupLocation.Value, "MAIN-CIRC")
	},
	"06-AcceptItemResponse.response.xml": func(t *testing.T, m *Message) {
		b := body[*AcceptItemResponse](t, m)
		eqResp(t, b.Header, "REQLIB", "ILLGW")
		eqReq(t, b.RequestID, "ILLGW", "ILL-2026-000042")
		eqItem(t, b.ItemID, "REQLIB", "Item Barcode", "ILL-2026-000042-4567")
	},
	"07-CheckOutItem.request.xml": func(t *testing.T, m *Message) {
		b := body[*CheckOutItem](t, m)
		eqInit(t, b.Header, "ILLGW", secret, "SUPLIB", "ILLGW")
		eqUser(t, b.UserID, "SUPLIB", "", "INST-REQLIB")
		eqItem(t, b.ItemID, "SUPLIB", "", "39000001234567")
		eqReq(t, b.RequestID, "ILLGW", "ILL-2026-000042")
		eqTime(t, "DesiredDateDue", b.DesiredDateDue, "2026-12-31T23:59:59Z")
		eq(t, "ItemElementTypes", len(b.ItemElementTypes), 1)
		eq(t, "ItemElementType", b.ItemElementTypes[0].Value, "Bibliographic Description")
	},
	"08-CheckOutItemResponse.response.xml": func(t *testing.T, m *Message) {
		b := body[*CheckOutItemResponse](t, m)
		eqResp(t, b.Header, "SUPLIB", "ILLGW")
		eqItem(t, b.ItemID, "SUPLIB", "", "39000001234567")
		eqUser(t, b.UserID, "SUPLIB", "", "INST-REQLIB")
		eqTime(t, "DateDue", b.DateDue, "2026-12-31T23:59:59Z")
		if b.RenewalCount == nil || *b.RenewalCount != 0 {
			t.Errorf("RenewalCount = %v, want 0", b.RenewalCount)
		}
		eq(t, "Title", b.ItemOptionalFields.BibliographicDescription.Title, "The art of computer programming. Vol. 1")
	},
	"09-CheckOutItemResponse-problem-UserBlocked.response.xml": func(t *testing.T, m *Message) {
		b := body[*CheckOutItemResponse](t, m)
		eqProblem(t, b.Problems, 0, SchemeCheckOutItemProcessingError, ProblemUserBlocked,
			"Institutional patron INST-REQLIB has a manual block", "UserId", "INST-REQLIB")
	},
	"10-CheckInItem.request.xml": func(t *testing.T, m *Message) {
		b := body[*CheckInItem](t, m)
		eqInit(t, b.Header, "ILLGW", secret, "SUPLIB", "ILLGW")
		eqItem(t, b.ItemID, "SUPLIB", "", "39000001234567")
		eq(t, "ItemElementTypes", len(b.ItemElementTypes), 1)
	},
	"11-CheckInItemResponse.response.xml": func(t *testing.T, m *Message) {
		b := body[*CheckInItemResponse](t, m)
		eqResp(t, b.Header, "SUPLIB", "ILLGW")
		eqItem(t, b.ItemID, "SUPLIB", "", "39000001234567")
		eqUser(t, b.UserID, "SUPLIB", "", "INST-REQLIB")
	},
	"12-CheckInItemResponse-problem-ItemNotCheckedOut.response.xml": func(t *testing.T, m *Message) {
		b := body[*CheckInItemResponse](t, m)
		eqProblem(t, b.Problems, 0, SchemeCheckInItemProcessingError, ProblemItemNotCheckedOut,
			"Item 39000001234567 has no open loan", "ItemIdentifierValue", "39000001234567")
	},
	"13-RequestItem.request.xml": func(t *testing.T, m *Message) {
		b := body[*RequestItem](t, m)
		eqInit(t, b.Header, "ILLGW", secret, "SUPLIB", "ILLGW")
		eqUser(t, b.UserID, "SUPLIB", "", "INST-REQLIB")
		eq(t, "BibliographicIds", len(b.BibliographicIDs), 1)
		r := b.BibliographicIDs[0].RecordID
		eq(t, "BibliographicRecordIdentifier", r.Identifier, "b1234567")
		eq(t, "BibliographicRecordIdentifierCode", r.Code.Value, "SYSNUMBER")
		eq(t, "ItemIds", len(b.ItemIDs), 0)
		eqReq(t, b.RequestID, "ILLGW", "ILL-2026-000042")
		eq(t, "RequestType", b.RequestType.Value, "Page")
		eq(t, "RequestScopeType", b.RequestScopeType.Value, "Title")
		eq(t, "PickupLocation", b.PickupLocation.Value, "ILL-OFFICE")
		eq(t, "ItemElementTypes", len(b.ItemElementTypes), 2)
	},
	"14-RequestItemResponse.response.xml": func(t *testing.T, m *Message) {
		b := body[*RequestItemResponse](t, m)
		eqResp(t, b.Header, "SUPLIB", "ILLGW")
		eqReq(t, b.RequestID, "SUPLIB", "hold-778899")
		eqItem(t, b.ItemID, "SUPLIB", "Item Barcode", "39000001234567")
		eqUser(t, b.UserID, "SUPLIB", "", "INST-REQLIB")
		eq(t, "RequestType", b.RequestType.Value, "Page")
		eq(t, "RequestScopeType", b.RequestScopeType.Value, "Title")
		eq(t, "CallNumber", b.ItemOptionalFields.ItemDescription.CallNumber, "QA76.6 .K64 1997")
	},
	"15-CancelRequestItem.request.xml": func(t *testing.T, m *Message) {
		b := body[*CancelRequestItem](t, m)
		eqInit(t, b.Header, "ILLGW", secret, "SUPLIB", "ILLGW")
		eqUser(t, b.UserID, "SUPLIB", "", "INST-REQLIB")
		eqReq(t, b.RequestID, "SUPLIB", "hold-778899")
		eq(t, "RequestType", b.RequestType.Value, "Page")
	},
	"16-CancelRequestItemResponse.response.xml": func(t *testing.T, m *Message) {
		b := body[*CancelRequestItemResponse](t, m)
		eqReq(t, b.RequestID, "SUPLIB", "hold-778899")
		eqUser(t, b.UserID, "SUPLIB", "", "INST-REQLIB")
	},
	"17-DeleteItem.request.xml": func(t *testing.T, m *Message) {
		b := body[*DeleteItem](t, m)
		eqInit(t, b.Header, "ILLGW", secret, "REQLIB", "ILLGW")
		eqItem(t, b.ItemID, "REQLIB", "", "ILL-2026-000042-4567")
	},
	"18-DeleteItemResponse.response.xml": func(t *testing.T, m *Message) {
		b := body[*DeleteItemResponse](t, m)
		eqResp(t, b.Header, "REQLIB", "ILLGW")
		eqItem(t, b.ItemID, "REQLIB", "", "ILL-2026-000042-4567")
	},
	"19-RenewItem.request.xml": func(t *testing.T, m *Message) {
		b := body[*RenewItem](t, m)
		eqUser(t, b.UserID, "REQLIB", "", "21234000123456")
		eqItem(t, b.ItemID, "REQLIB", "", "ILL-2026-000042-4567")
		eqTime(t, "DesiredDateDue", b.DesiredDateDue, "2027-01-21T23:59:59Z")
	},
	"20-RenewItemResponse.response.xml": func(t *testing.T, m *Message) {
		b := body[*RenewItemResponse](t, m)
		eqItem(t, b.ItemID, "REQLIB", "", "ILL-2026-000042-4567")
		eqTime(t, "DateDue", b.DateDue, "2027-01-21T23:59:59Z")
		if b.RenewalCount == nil || *b.RenewalCount != 1 {
			t.Errorf("RenewalCount = %v, want 1", b.RenewalCount)
		}
		if b.Pending != nil {
			t.Error("Pending set")
		}
	},
	"21-MessageLevel-Problem-UnsupportedService.response.xml": func(t *testing.T, m *Message) {
		if m.Body != nil {
			t.Errorf("Body = %T, want none", m.Body)
		}
		eqProblem(t, m.Problems, 0, SchemeGeneralProcessingError, ProblemUnsupportedService,
			"LookupAgency is not supported by this responder", "LookupAgency", "")
	},
	"22-MessageLevel-Problem-InvalidMessageSyntax.response.xml": func(t *testing.T, m *Message) {
		eqProblem(t, m.Problems, 0, SchemeMessagingError, ProblemInvalidMessageSyntaxError,
			"XML syntax error on line 7: element <UserId> closed by </LookupUser>", "", "")
	},
	"23-AuthenticationFailed.response.xml": func(t *testing.T, m *Message) {
		b := body[*CheckOutItemResponse](t, m)
		if b.Header != nil {
			t.Error("ResponseHeader set, want none")
		}
		eqProblem(t, b.Problems, 0, SchemeGeneralProcessingError, ProblemAgencyAuthenticationFailed,
			"FromAgencyAuthentication missing or not valid for FromAgencyId ILLGW", "InitiationHeader/FromAgencyAuthentication", "")
	},
}

// goldenFolio asserts the Relais D2D style messages from FOLIO mod-ncip's
// docs: unqualified version, default namespace, no authentication.
var goldenFolio = map[string]func(t *testing.T, m *Message){
	"acceptItem.xml": func(t *testing.T, m *Message) {
		eq(t, "version", m.Version, v20)
		b := body[*AcceptItem](t, m)
		eqInit(t, b.Header, "Relais", "", "LEHI", "")
		eqReq(t, b.RequestID, "Relais", "LEH-20191122954")
		eq(t, "RequestedActionType", b.RequestedActionType.Value, "Hold For Pickup")
		eqUser(t, b.UserID, "LEH", "", "8377630")
		eqItem(t, b.ItemID, "LEH", "", "LEH-20191122954")
		eq(t, "Author", b.ItemOptionalFields.BibliographicDescription.Author, "Author")
		eq(t, "Title", b.ItemOptionalFields.BibliographicDescription.Title, "Friday TEST")
		eq(t, "CallNumber", b.ItemOptionalFields.ItemDescription.CallNumber, "Call Number")
		eq(t, "PickupLocation", b.PickupLocation.Value, "FAIRCHILD")
		if !b.DateForReturn.IsZero() {
			t.Error("DateForReturn set")
		}
	},
	"checkInItem.xml": func(t *testing.T, m *Message) {
		eq(t, "version", m.Version, v20)
		b := body[*CheckInItem](t, m)
		eqInit(t, b.Header, "Relais", "", "LEH", "")
		eqItem(t, b.ItemID, "LEH", "", "LEH-201911071039")
		eq(t, "ItemElementType", b.ItemElementTypes[0].Value, "Bibliographic Description")
	},
	"checkOutItem.xml": func(t *testing.T, m *Message) {
		b := body[*CheckOutItem](t, m)
		eqInit(t, b.Header, "Relais", "", "Lehigh University", "")
		eqUser(t, b.UserID, "LEHI", "", "8377630")
		eqItem(t, b.ItemID, "LEHI", "", "LEH-201911071039")
		if b.RequestID != nil {
			t.Error("RequestId set")
		}
	},
	"lookupUser-without-barcode.xml": func(t *testing.T, m *Message) {
		b := body[*LookupUser](t, m)
		eqInit(t, b.Header, "Relais", "", "Lehigh University", "")
		eq(t, "AuthenticationInputs", len(b.AuthenticationInputs), 1)
		a := b.AuthenticationInputs[0]
		eq(t, "Data", a.Data, "myluid")
		eq(t, "DataFormat", a.DataFormat.Value, "text")
		eq(t, "Type", a.Type.Value, "username")
		eq(t, "UserElementTypes", len(b.UserElementTypes), 4)
	},
	"lookupUser.xml": func(t *testing.T, m *Message) {
		b := body[*LookupUser](t, m)
		eqInit(t, b.Header, "Relais", "", "LEHI", "")
		eqUser(t, b.UserID, "Relais", "", "8377630")
		eq(t, "UserElementType[2]", b.UserElementTypes[2].Value, "User Privilege")
	},
}

func TestDecodeCanonical(t *testing.T) {
	runGolden(t, "canonical", goldenCanonical)
}

func TestDecodeFolioDocs(t *testing.T) {
	runGolden(t, "folio-docs", goldenFolio)
}

func TestDecodeXCToolkit(t *testing.T) {
	runGolden(t, "xc-ncip2-toolkit", goldenXC)
}

// runGolden decodes every file of dir and runs its check; a file without a
// check, or a check without a file, fails the test.
func runGolden(t *testing.T, dir string, checks map[string]func(*testing.T, *Message)) {
	files := goldenFiles(t, dir)
	if len(files) != len(checks) {
		t.Errorf("%s: %d files, %d checks", dir, len(files), len(checks))
	}
	for _, f := range files {
		check, ok := checks[f]
		if !ok {
			t.Errorf("%s/%s: no check", dir, f)
			continue
		}
		t.Run(f, func(t *testing.T) { check(t, decodeFile(t, dir+"/"+f)) })
	}
}
