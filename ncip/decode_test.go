package ncip

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestDecodeLenient feeds the shapes real partners send (reference/ncip-ill.md §1.8).
func TestDecodeLenient(t *testing.T) {
	t.Run("no namespace, no version", func(t *testing.T) {
		m, err := Decode([]byte(`<NCIPMessage><CheckInItem><ItemId><ItemIdentifierValue>I1</ItemIdentifierValue></ItemId></CheckInItem></NCIPMessage>`), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "version", m.Version, "")
		eqItem(t, body[*CheckInItem](t, m).ItemID, "", "", "I1")
	})
	t.Run("unqualified version, any prefix", func(t *testing.T) {
		m, err := Decode([]byte(`<x:NCIPMessage xmlns:x="http://www.niso.org/2008/ncip" version="5.6"><x:DeleteItem><x:ItemId><x:ItemIdentifierValue>I2</x:ItemIdentifierValue></x:ItemId></x:DeleteItem></x:NCIPMessage>`), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "version", m.Version, "5.6")
		eqItem(t, body[*DeleteItem](t, m).ItemID, "", "", "I2")
	})
	t.Run("any order", func(t *testing.T) {
		m, err := Decode([]byte(`<NCIPMessage xmlns="http://www.niso.org/2008/ncip"><RequestItem>
			<RequestScopeType>Item</RequestScopeType><RequestType>Page</RequestType>
			<ItemId><ItemIdentifierValue>I3</ItemIdentifierValue><AgencyId>A</AgencyId></ItemId>
			<UserId><UserIdentifierValue>U3</UserIdentifierValue><UserIdentifierType>Barcode</UserIdentifierType></UserId>
			<InitiationHeader><ToAgencyId><AgencyId>T</AgencyId></ToAgencyId><FromAgencyId><AgencyId>F</AgencyId></FromAgencyId></InitiationHeader>
			<Unknown><Deep/></Unknown>
			</RequestItem></NCIPMessage>`), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		b := body[*RequestItem](t, m)
		eqInit(t, b.Header, "F", "", "T", "")
		eqUser(t, b.UserID, "", "Barcode", "U3")
		eq(t, "ItemIds", len(b.ItemIDs), 1)
		eqItem(t, &b.ItemIDs[0], "A", "", "I3")
		eq(t, "RequestType", b.RequestType.Value, "Page")
		eq(t, "RequestScopeType", b.RequestScopeType.Value, "Item")
	})
	t.Run("NCIP 1 Scheme/Value and UniqueAgencyId", func(t *testing.T) {
		m, err := Decode([]byte(`<NCIPMessage version="http://www.niso.org/ncip/v1_0/imp1/dtd/ncip_v1_0.dtd"><AcceptItem>
			<InitiationHeader><FromAgencyId><UniqueAgencyId><Scheme>http://example.org/agencies.scm</Scheme><Value>OLDILL</Value></UniqueAgencyId></FromAgencyId>
			<ToAgencyId><AgencyId>LIB</AgencyId></ToAgencyId></InitiationHeader>
			<RequestId><RequestIdentifierValue>R9</RequestIdentifierValue></RequestId>
			<RequestedActionType><Scheme>http://www.niso.org/ncip/v1_0/imp1/schemes/requestedactiontype/requestedactiontype.scm</Scheme><Value>Hold For Pickup</Value></RequestedActionType>
			</AcceptItem></NCIPMessage>`), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		b := body[*AcceptItem](t, m)
		eqSV(t, "FromAgencyId", b.Header.FromAgencyID.AgencyID, "http://example.org/agencies.scm", "OLDILL")
		eqSV(t, "RequestedActionType", b.RequestedActionType, "http://www.niso.org/ncip/v1_0/imp1/schemes/requestedactiontype/requestedactiontype.scm", "Hold For Pickup")
		eqReq(t, b.RequestID, "", "R9")
	})
	t.Run("dates without zone, ISO-8859-1", func(t *testing.T) {
		m, err := Decode([]byte("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><NCIPMessage><RenewItem><UserId><UserIdentifierValue>Jos\xe9</UserIdentifierValue></UserId><ItemId><ItemIdentifierValue>I</ItemIdentifierValue></ItemId><DesiredDateDue>2026-12-01</DesiredDateDue><DesiredDateForReturn>2026-12-02T10:00:00</DesiredDateForReturn></RenewItem></NCIPMessage>"), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		b := body[*RenewItem](t, m)
		eq(t, "UserIdentifierValue", b.UserID.Value, "José")
		eqTime(t, "DesiredDateDue", b.DesiredDateDue, "2026-12-01T00:00:00Z")
		eqTime(t, "DesiredDateForReturn", b.DesiredDateForReturn, "2026-12-02T10:00:00Z")
	})
}

// TestDecodeHostile checks fixed hostile inputs: each is refused with the
// right Problem, promptly, without a panic.
func TestDecodeHostile(t *testing.T) {
	deep := strings.Repeat("<a>", 10000) + strings.Repeat("</a>", 10000)
	cases := []struct {
		name, in, problem, detail string
	}{
		{"entity expansion DOCTYPE", `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><NCIPMessage><LookupUser><UserId><UserIdentifierValue>&lol2;</UserIdentifierValue></UserId></LookupUser></NCIPMessage>`, ProblemInvalidMessageSyntaxError, "DOCTYPE is not allowed"},
		{"external entity", `<!DOCTYPE x SYSTEM "file:///etc/passwd"><NCIPMessage/>`, ProblemInvalidMessageSyntaxError, "DOCTYPE is not allowed"},
		{"deep nesting inside size cap", `<NCIPMessage><LookupUser>` + deep + `</LookupUser></NCIPMessage>`, ProblemInvalidMessageSyntaxError, "elements nested deeper than 64"},
		{"too many elements", `<NCIPMessage><LookupUser>` + strings.Repeat("<a/>", 10001) + `</LookupUser></NCIPMessage>`, ProblemInvalidMessageSyntaxError, "more than 10000 elements"},
		{"too large", `<NCIPMessage>` + strings.Repeat(" ", DefaultMaxBytes) + `</NCIPMessage>`, ProblemInvalidMessageSyntaxError, "message is larger than 102400 bytes"},
		{"not XML", `hello`, ProblemInvalidMessageSyntaxError, "no XML element"},
		{"empty", ``, ProblemInvalidMessageSyntaxError, "no XML element"},
		{"truncated", `<NCIPMessage><LookupUser><UserId>`, ProblemInvalidMessageSyntaxError, "XML syntax error on line 1: unexpected EOF"},
		{"mismatched", `<NCIPMessage><LookupUser><UserId></LookupUser></NCIPMessage>`, ProblemInvalidMessageSyntaxError, "XML syntax error on line 1: element <UserId> closed by </LookupUser>"},
		{"wrong root", `<ISO18626Message/>`, ProblemInvalidMessageSyntaxError, "root element is ISO18626Message, not NCIPMessage"},
		{"two services", `<NCIPMessage><CheckInItem/><DeleteItem/></NCIPMessage>`, ProblemInvalidMessageSyntaxError, "more than one service element (DeleteItem after CheckInItem)"},
		{"no service", `<NCIPMessage></NCIPMessage>`, ProblemNeededDataMissing, "NCIPMessage has no service element"},
		{"unknown service", `<NCIPMessage><UpdateUser/></NCIPMessage>`, ProblemUnsupportedService, "UpdateUser is not supported"},
		{"bad date", `<NCIPMessage><RenewItem><DesiredDateDue>soon</DesiredDateDue></RenewItem></NCIPMessage>`, ProblemInvalidMessageSyntaxError, `DesiredDateDue: not a date-time: "soon"`},
		{"bad number", `<NCIPMessage><RenewItemResponse><RenewalCount>many</RenewalCount></RenewItemResponse></NCIPMessage>`, ProblemInvalidMessageSyntaxError, "element content does not match the NCIP 2.02 schema"},
		{"unknown encoding", `<?xml version="1.0" encoding="EBCDIC"?><NCIPMessage/>`, ProblemInvalidMessageSyntaxError, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := []byte(c.in)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err := Decode(in, Limits{})
			d := time.Since(start)
			runtime.ReadMemStats(&after)
			t.Logf("%d bytes refused in %v, %d bytes allocated", len(in), d, after.TotalAlloc-before.TotalAlloc)
			if d > time.Second {
				t.Errorf("took %v", d)
			}
			p := problemOf(t, err, c.problem)
			if c.detail != "" {
				eq(t, "ProblemDetail", p.Detail, c.detail)
			}
		})
	}
}

func TestProblemTable(t *testing.T) {
	eq(t, "SchemeOf(Unknown User)", SchemeOf(ProblemUnknownUser), SchemeLookupUserProcessingError)
	eq(t, "SchemeOf(Unsupported Service)", SchemeOf(ProblemUnsupportedService), SchemeGeneralProcessingError)
	eq(t, "SchemeOf(free text)", SchemeOf("Lookup User Failed"), "")
	eq(t, "service scheme", NewServiceProblem("CheckOutItem", ProblemUnknownUser, "").Type.Scheme, SchemeCheckOutItemProcessingError)
	eq(t, "service scheme fallback", NewServiceProblem("DeleteItem", ProblemUnknownItem, "").Type.Scheme, SchemeAcceptItemProcessingError)
	eq(t, "Match", Match("UserBlocked", "User Blocked"), true)
	eq(t, "Match", Match("user blocked", ProblemUserBlocked), true)
	eq(t, "Match", Match("User Blocked", ProblemUnknownUser), false)
	c, ok := Canonical("renewal not allowed item has outstanding requests")
	eq(t, "Canonical", c, ProblemRenewalNotAllowedItemHasOutstandingRequests)
	eq(t, "Canonical ok", ok, true)
	if _, ok := Canonical("Problem performing AcceptItem"); ok {
		t.Error("Canonical found free text")
	}
	eq(t, "count", len(problemTypes), 71)
	p := NewProblem(ProblemUnknownUser, "no such user").WithElement("UserIdentifierValue", "secret-barcode")
	if strings.Contains(p.Error(), "secret-barcode") {
		t.Errorf("Error() shows ProblemValue: %s", p.Error())
	}
	var target error = &Problem{Type: SV("unknownuser")}
	if !p.Is(target) {
		t.Error("Is does not match by squashed type")
	}
}
