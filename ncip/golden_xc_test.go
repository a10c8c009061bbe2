package ncip

import (
	"path/filepath"
	"sort"
	"testing"
)

const (
	altova       = "http://www.altova.com"
	localAgncy   = "localhost/ncip/v1/schemes/agencies/1"
	xcAuthDetail = "You must supply either FromAgencyAuthentication or a recognized FromAgencyId"
)

func goldenFiles(t *testing.T, dir string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", dir, "*.xml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no golden files in %s: %v", dir, err)
	}
	var names []string
	for _, p := range paths {
		names = append(names, filepath.Base(p))
	}
	sort.Strings(names)
	return names
}

// altovaResponseHeader checks the header the XMLSpy-generated samples carry.
func altovaResponseHeader(t *testing.T, h *ResponseHeader) {
	t.Helper()
	eqResp(t, h, "String", "String")
	eqSV(t, "FromSystemId", h.FromSystemID, altova, "String")
	eq(t, "FromSystemAuthentication", h.FromSystemAuthentication, "String")
	eq(t, "FromAgencyAuthentication", h.FromAgencyAuthentication, "String")
	eqSV(t, "FromAgencyId/AgencyId", h.FromAgencyID.AgencyID, altova, "String")
	eqSV(t, "ToSystemId", h.ToSystemID, altova, "String")
}

func twoAuthProblems(t *testing.T, ps []Problem) {
	t.Helper()
	eq(t, "Problems", len(ps), 2)
	eqProblem(t, ps, 0, SchemeGeneralProcessingError, ProblemAgencyAuthenticationFailed, xcAuthDetail, "InitiationHeader/FromAgencyAuthentication", "")
	eqProblem(t, ps, 1, SchemeGeneralProcessingError, ProblemNeededDataMissing, xcAuthDetail, "InitiationHeader/FromAgencyId", "")
}

// goldenXC asserts the XC NCIP2-Toolkit samples (MIT): ns1: prefixes,
// qualified Scheme attributes everywhere.
var goldenXC = map[string]func(t *testing.T, m *Message){
	"AcceptItemResponseSample1.xml": func(t *testing.T, m *Message) {
		eq(t, "version", m.Version, v20imp1)
		b := body[*AcceptItemResponse](t, m)
		if b.RequestID == nil {
			t.Fatal("RequestId missing")
		}
		eqSV(t, "RequestId/AgencyId", b.RequestID.AgencyID, localAgncy, "LENDER")
		eq(t, "RequestIdentifierValue", b.RequestID.Value, "VDX1234")
	},
	"AcceptItemResponseSample2.xml": func(t *testing.T, m *Message) {
		twoAuthProblems(t, body[*AcceptItemResponse](t, m).Problems)
	},
	"AcceptItemSample1.xml": func(t *testing.T, m *Message) {
		b := body[*AcceptItem](t, m)
		eqInit(t, b.Header, "LENDER", "", "MIT", "")
		eqSV(t, "FromAgencyId/AgencyId", b.Header.FromAgencyID.AgencyID, localAgncy, "LENDER")
		eqReq(t, b.RequestID, "LENDER", "VDX1234")
		eqSV(t, "RequestedActionType", b.RequestedActionType, "http://www.niso.org/ncip/v1_0/imp1/schemes/requestedactiontype/requestedactiontype.scm", "Circulate")
		eqUser(t, b.UserID, "MIT", "", "OCLCTEST")
		eqItem(t, b.ItemID, "LENDER", "", "9998")
		eqTime(t, "DateForReturn", b.DateForReturn, "2010-11-20T00:00:00.329Z")
		bd := b.ItemOptionalFields.BibliographicDescription
		eq(t, "Author", bd.Author, "Iam T. Author")
		eq(t, "BibliographicItemIdentifier", bd.BibliographicItemID.Identifier, "98765432")
		eq(t, "BibliographicItemIdentifierCode", bd.BibliographicItemID.Code.Value, "ISBN")
		eq(t, "Edition", bd.Edition, "1st edition")
		eq(t, "Pagination", bd.Pagination, "30 pages")
		eq(t, "PlaceOfPublication", bd.PlaceOfPublication, "Dublin")
		eq(t, "PublicationDate", bd.PublicationDate, "December 2007")
		eq(t, "Publisher", bd.Publisher, "Dublin Publishers")
		eq(t, "Title", bd.Title, "The title of the book")
		eq(t, "BibliographicLevel", bd.BibliographicLevel.Value, "Monograph")
		eqSV(t, "Language", bd.Language, "http://lcweb.loc.gov/standards/iso639-2/bibcodes.html", "eng")
	},
	"CancelRequestItemSample1.xml": func(t *testing.T, m *Message) {
		b := body[*CancelRequestItem](t, m)
		eqInit(t, b.Header, "registry_id", "", "registry_id", "")
		eq(t, "AuthenticationInputs", len(b.AuthenticationInputs), 2)
		eq(t, "AI[0].Data", b.AuthenticationInputs[0].Data, "98765432")
		eqSV(t, "AI[0].DataFormat", b.AuthenticationInputs[0].DataFormat, "http://www.iana.org/assignments/media-types", "text/plain")
		eq(t, "AI[0].Type", b.AuthenticationInputs[0].Type.Value, "Barcode Id")
		eq(t, "AI[1].Data", b.AuthenticationInputs[1].Data, "password")
		eq(t, "AI[1].Type", b.AuthenticationInputs[1].Type.Value, "Password")
		eqReq(t, b.RequestID, "", "101919")
		eqSV(t, "RequestType", b.RequestType, "http://www.niso.org/ncip/v1_0/imp1/schemes/requesttype/requesttype.scm", "Hold")
	},
	"CheckInItemResponse.xml": func(t *testing.T, m *Message) {
		eqItem(t, body[*CheckInItemResponse](t, m).ItemID, "MIT", "", "10923123")
	},
	"CheckInItemSample1.xml": func(t *testing.T, m *Message) {
		b := body[*CheckInItem](t, m)
		eqInit(t, b.Header, "Dummy NCIP Responder", "", "MIT", "")
		if b.MandatedAction == nil {
			t.Fatal("MandatedAction missing")
		}
		eqTime(t, "DateEventOccurred", b.MandatedAction.DateEventOccurred, "2010-10-21T16:17:34.354Z")
		eqItem(t, b.ItemID, "MIT", "Barcode", "10923123")
		eq(t, "ItemIdentifierType.Scheme", b.ItemID.Type.Scheme, "http://www.niso.org/ncip/v1_0/imp1/schemes/visibleitemidentifiertype/visibleitemidentifiertype.scm")
	},
	"CheckOutItemResponse.xml": func(t *testing.T, m *Message) {
		b := body[*CheckOutItemResponse](t, m)
		eqItem(t, b.ItemID, "MIT", "", "19823098123")
		eqUser(t, b.UserID, "MIT", "", "10923123")
		eqTime(t, "DateDue", b.DateDue, "2010-11-18T16:17:03.291Z")
	},
	"CheckOutItemSample1.xml": func(t *testing.T, m *Message) {
		b := body[*CheckOutItem](t, m)
		eqInit(t, b.Header, "ENG", "", "MIT", "")
		eqUser(t, b.UserID, "MIT", "", "10923123")
		eqItem(t, b.ItemID, "MIT", "", "19823098123")
		eqReq(t, b.RequestID, "MIT", "REQ123")
	},
	"GeneralProcessingErrorResponseSample1.xml": func(t *testing.T, m *Message) {
		eqProblem(t, m.Problems, 0, SchemeGeneralProcessingError, ProblemTemporaryProcessingFailure,
			"Bytes read from the response message's InputStream (800) are not the same as the number available (596).", "", "")
	},
	"LookupItemResponseSample1.xml": func(t *testing.T, m *Message) {
		b := body[*LookupItemResponse](t, m)
		altovaResponseHeader(t, b.Header)
		twoAuthProblems(t, b.Problems)
	},
	"LookupItemResponseSample2.xml": func(t *testing.T, m *Message) {
		b := body[*LookupItemResponse](t, m)
		altovaResponseHeader(t, b.Header)
		eqItem(t, b.ItemID, "", "", "09128312")
		f := b.ItemOptionalFields
		bd := f.BibliographicDescription
		eq(t, "BibliographicItemIdentifierCode", bd.BibliographicItemID.Code.Value, "CODEN")
		eq(t, "BibliographicRecordIds", len(bd.BibliographicRecordIDs), 1)
		eqSV(t, "BibliographicRecordId/AgencyId", bd.BibliographicRecordIDs[0].AgencyID, altova, "String")
		eq(t, "ComponentIdentifierType", bd.ComponentID.Type.Value, "BICI")
		eq(t, "MediumType", bd.MediumType.Value, "Book")
		eq(t, "ElectronicDataFormatType", bd.ElectronicDataFormatType.Value, "image/tiff")
		eq(t, "ItemUseRestrictionTypes", len(f.ItemUseRestrictionTypes), 2)
		eq(t, "ItemUseRestrictionType[1]", f.ItemUseRestrictionTypes[1].Value, "In Library Use Only")
		eqSV(t, "CirculationStatus", f.CirculationStatus, "http://www.niso.org/ncip/v1_0/imp1/schemes/circulationstatus/circulationstatus.scm", "Available On Shelf")
		eq(t, "HoldQueueLength", *f.HoldQueueLength, 1)
		eq(t, "CopyNumber", f.ItemDescription.CopyNumber, "String")
		eq(t, "ItemDescriptionLevel", f.ItemDescription.ItemDescriptionLevel.Value, "Item")
		eq(t, "NumberOfPieces", f.ItemDescription.NumberOfPieces, 2)
		eq(t, "Locations", len(f.Locations), 2)
		eq(t, "Location[0].Type", f.Locations[0].Type.Value, "Temporary Location")
		eq(t, "Location[1].Type", f.Locations[1].Type.Value, "Permanent Location")
		eq(t, "Location[0].Names", len(f.Locations[0].Name), 2)
		eq(t, "LocationNameLevel", f.Locations[0].Name[0].Level, 2)
		eqTime(t, "Location[1].ValidToDate", f.Locations[1].ValidToDate, "1582-10-15T00:00:00Z")
		eq(t, "PhysicalConditionType", f.PhysicalCondition.Type.Value, "Binding Weak")
		eq(t, "ActualResource", f.ElectronicResource.ActualResource, "String")
		eq(t, "SecurityMarker", f.SecurityMarker.Value, "Checkpoint RFID")
		eq(t, "SensitizationFlag", f.SensitizationFlag, Flag(true))
	},
	"LookupItemSample1.xml": func(t *testing.T, m *Message) {
		b := body[*LookupItem](t, m)
		eqInit(t, b.Header, "String", "String", "String", "String")
		eq(t, "OnBehalfOfAgency", b.Header.OnBehalfOfAgency.id(), "String")
		eqSV(t, "ApplicationProfileType", b.Header.ApplicationProfileType, altova, "String")
		eqItem(t, b.ItemID, "String", "Accession Number", "25556192919132")
		eq(t, "ItemElementTypes", len(b.ItemElementTypes), 10)
		eq(t, "ItemElementType[9]", b.ItemElementTypes[9].Value, "Sensitization Flag")
		eq(t, "CurrentBorrowerDesired", b.CurrentBorrowerDesired, Flag(true))
		eq(t, "CurrentRequestersDesired", b.CurrentRequestersDesired, Flag(true))
	},
	"LookupItemSample2.xml": func(t *testing.T, m *Message) {
		b := body[*LookupItem](t, m)
		if b.ItemID != nil {
			t.Error("ItemId set")
		}
		eqReq(t, b.RequestID, "String", "String")
		eq(t, "RequestIdentifierType", b.RequestID.Type.Value, "String")
	},
	"LookupRequestResponseSample1.xml": func(t *testing.T, m *Message) {
		b := body[*LookupRequestResponse](t, m)
		altovaResponseHeader(t, b.Header)
		twoAuthProblems(t, b.Problems)
	},
	"LookupRequestResponseSample2.xml": func(t *testing.T, m *Message) {
		b := body[*LookupRequestResponse](t, m)
		eqItem(t, b.ItemID, "", "", "09128312")
		eqUser(t, b.UserID, "", "", "UW0923")
		eq(t, "RequestType", b.RequestType.Value, "Hold")
		eq(t, "RequestScopeType", b.RequestScopeType.Value, "Bibliographic Item")
		eq(t, "RequestStatusType", b.RequestStatusType.Value, "Available For Pickup")
		eq(t, "HoldQueuePosition", *b.HoldQueuePosition, 1)
		eq(t, "ShippingNote", b.ShippingInfo.ShippingNote, "Please package in recycled/recyclable packaging.")
		pa := b.ShippingInfo.PhysicalAddress
		eq(t, "UnstructuredAddressData", pa.Unstructured.Data, "Mr. Wolf/Weretown, WA")
		eq(t, "PhysicalAddressType", pa.Type.Value, "Postal Address")
		eqTime(t, "EarliestDateNeeded", b.EarliestDateNeeded, "2012-02-17T00:00:47Z")
		eqTime(t, "PickupExpiryDate", b.PickupExpiryDate, "2012-03-08T00:00:47.003Z")
		eq(t, "PickupLocation", b.PickupLocation.Value, "Main Circ Desk, Fromm Library")
		eqTime(t, "DateAvailable", b.DateAvailable, "2012-03-01T00:00:47.100Z")
		eq(t, "AcknowledgedFeeAmount", b.AcknowledgedFeeAmount.MonetaryValue, int64(300))
		eq(t, "PaidFeeAmount", b.PaidFeeAmount.MonetaryValue, int64(100))
		eq(t, "PaidFeeAmount/CurrencyCode", b.PaidFeeAmount.CurrencyCode.Value, "USD")
		eq(t, "UnstructuredPersonalUserName", b.UserOptionalFields.NameInformation.Personal.Unstructured, "Bodfish, John R.")
	},
	"LookupRequestSample1.xml": func(t *testing.T, m *Message) {
		b := body[*LookupRequest](t, m)
		eqReq(t, b.RequestID, "String", "18923123")
		eqSV(t, "RequestIdentifierType", b.RequestID.Type, "localhost.edu/ncip/schemes/requestidentifiertype/requestidentifiertype.scm", "Sequential Request Id")
		eq(t, "ItemElementTypes", len(b.ItemElementTypes), 10)
		eq(t, "UserElementTypes", len(b.UserElementTypes), 1)
		eq(t, "UserElementType", b.UserElementTypes[0].Value, "Name Information")
	},
	"LookupUserResponseSample1.xml": func(t *testing.T, m *Message) {
		b := body[*LookupUserResponse](t, m)
		eqUser(t, b.UserID, "", "", "987181")
		eq(t, "LoanedItems", len(b.LoanedItems), 1)
		li := b.LoanedItems[0]
		eqItem(t, li.ItemID, "", "", "09128312")
		eq(t, "ReminderLevel", *li.ReminderLevel, 1)
		eqTime(t, "DateDue", li.DateDue, "2010-11-20T00:00:00.329Z")
		eq(t, "Amount/CurrencyCode", li.Amount.CurrencyCode.Value, "USD")
		eq(t, "Amount/MonetaryValue", li.Amount.MonetaryValue, int64(0))
		eq(t, "RequestedItems", len(b.RequestedItems), 1)
		ri := b.RequestedItems[0]
		eq(t, "RequestType", ri.RequestType.Value, "Loan")
		eq(t, "RequestStatusType", ri.RequestStatusType.Value, "Available For Pickup")
		eqTime(t, "DatePlaced", ri.DatePlaced, "2010-11-20T00:00:00.329Z")
		eq(t, "Title", ri.Title, "Steal this book!")
	},
	"LookupUserSample1.xml": func(t *testing.T, m *Message) {
		b := body[*LookupUser](t, m)
		if b.Header != nil {
			t.Error("InitiationHeader set")
		}
		eq(t, "AuthenticationInputs", len(b.AuthenticationInputs), 2)
		eq(t, "AI[1].Type", b.AuthenticationInputs[1].Type.Value, "Password")
		eq(t, "LoanedItemsDesired", b.LoanedItemsDesired, Flag(true))
		eq(t, "RequestedItemsDesired", b.RequestedItemsDesired, Flag(true))
		eq(t, "UserFiscalAccountDesired", b.UserFiscalAccountDesired, Flag(true))
	},
	"ProblemResponseSample1.xml": func(t *testing.T, m *Message) {
		if m.Body != nil {
			t.Errorf("Body = %T", m.Body)
		}
		twoAuthProblems(t, m.Problems)
	},
	"ProblemResponseSample2.xml": func(t *testing.T, m *Message) {
		eqProblem(t, m.Problems, 0, SchemeGeneralProcessingError, ProblemUnknownAgency,
			`No agency with id "123456" found.`, "InitiationHeader/ToAgency/AgencyId", "")
	},
	"RenewItemResponse.xml": func(t *testing.T, m *Message) {
		b := body[*RenewItemResponse](t, m)
		eqItem(t, b.ItemID, "MIT", "", "19823098123")
		eqUser(t, b.UserID, "MIT", "", "10923123")
		eqTime(t, "DateDue", b.DateDue, "2010-11-18T16:17:03.291Z")
	},
	"RenewItemSample1.xml": func(t *testing.T, m *Message) {
		b := body[*RenewItem](t, m)
		eqInit(t, b.Header, "ENG", "", "MIT", "")
		eqUser(t, b.UserID, "MIT", "", "10923123")
		eqItem(t, b.ItemID, "MIT", "", "19823098123")
	},
	"RequestItemResponse.xml": func(t *testing.T, m *Message) {
		b := body[*RequestItemResponse](t, m)
		eqReq(t, b.RequestID, "", "WCNav1234")
		eqItem(t, b.ItemID, "", "", "35556991919116")
		eqUser(t, b.UserID, "", "", "p1921918933")
		eq(t, "RequestType", b.RequestType.Value, "Loan")
		eq(t, "RequestScopeType", b.RequestScopeType.Value, "Item")
	},
	"RequestItemResponseSample1.xml": func(t *testing.T, m *Message) {
		eqProblem(t, body[*RequestItemResponse](t, m).Problems, 0, SchemeRequestItemProcessingError, ProblemUserBlocked,
			"User left their love letters at the Law Library Circ Desk", "UserId", "patronoruseridhere")
	},
	"RequestItemSample1.xml": func(t *testing.T, m *Message) {
		b := body[*RequestItem](t, m)
		eqInit(t, b.Header, "ENG", "", "MIT", "")
		eqUser(t, b.UserID, "MIT", "", "23008000043915")
		r := b.BibliographicIDs[0].RecordID
		eq(t, "BibliographicRecordIdentifier", r.Identifier, "2052516")
		eq(t, "BibliographicRecordIdentifierCode", r.Code.Value, "OCLC")
		eqReq(t, b.RequestID, "ENG", "WCNav1234")
		eq(t, "RequestType", b.RequestType.Value, "Loan")
		eq(t, "RequestScopeType", b.RequestScopeType.Value, "Bibliographic Item")
	},
}
