package ncip

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestClientAgainstServer runs a whole ILL loan through the Client against
// the package's own Server over real HTTP.
func TestClientAgainstServer(t *testing.T) {
	mem := newFixture()
	ts := newTestServer(t, mem, canonicalPartners)
	c := &Client{URL: ts.URL, FromAgency: "ILLGW", ToAgency: "REQLIB", Secret: "s3cr3t-shared-key", Timeout: 5 * time.Second}
	ctx := context.Background()
	user := &UserID{Value: "21234000123456"}

	lu, err := c.LookupUser(ctx, &LookupUser{UserID: user, UserElementTypes: []SchemeValue{SV("Name Information")}})
	if err != nil {
		t.Fatal(err)
	}
	eqResp(t, lu.Header, "REQLIB", "ILLGW")
	eq(t, "GivenName", lu.UserOptionalFields.NameInformation.Personal.Structured.GivenName, "Ada")

	lu, err = c.LookupUser(ctx, &LookupUser{AuthenticationInputs: []AuthenticationInput{
		{Data: "21234000123456", DataFormat: SV("text/plain"), Type: SV("Barcode Id")},
		{Data: "9999", DataFormat: SV("text/plain"), Type: SV("PIN")}}})
	p := problemOf(t, err, ProblemUserAuthenticationFailed)
	eq(t, "scheme", p.Type.Scheme, SchemeLookupUserProcessingError)
	if lu == nil || lu.Header == nil {
		t.Error("the response is not returned beside its Problem")
	}
	if !errors.Is(err, NewProblem(ProblemUserAuthenticationFailed, "")) {
		t.Error("errors.Is does not match the problem type")
	}

	_, err = c.LookupUser(ctx, &LookupUser{UserID: &UserID{Value: "nobody"}})
	problemOf(t, err, ProblemUnknownUser)

	req := &RequestID{AgencyID: SV("ILLGW"), Value: "L1"}
	ai, err := c.AcceptItem(ctx, &AcceptItem{RequestID: req, RequestedActionType: SV("Hold For Pickup"), UserID: user,
		DateForReturn:      At(time.Date(2026, 12, 24, 0, 0, 0, 0, time.UTC)),
		ItemOptionalFields: &ItemOptionalFields{BibliographicDescription: &BibliographicDescription{Title: "Dune"}}})
	if err != nil {
		t.Fatal(err)
	}
	eqItem(t, ai.ItemID, "REQLIB", "", "ILLL1")
	item := &ItemID{Value: ai.ItemID.Value}

	due := time.Date(2026, 12, 20, 12, 0, 0, 0, time.UTC)
	co, err := c.CheckOutItem(ctx, &CheckOutItem{UserID: user, ItemID: item, DesiredDateDue: At(due)})
	if err != nil {
		t.Fatal(err)
	}
	eqTime(t, "DateDue", co.DateDue, due.Format(time.RFC3339))

	li, err := c.LookupItem(ctx, &LookupItem{ItemID: item})
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "CirculationStatus", li.ItemOptionalFields.CirculationStatus.Value, "On Loan")
	eq(t, "Title", li.ItemOptionalFields.BibliographicDescription.Title, "Dune")

	rn, err := c.RenewItem(ctx, &RenewItem{UserID: user, ItemID: item, DesiredDateDue: At(due.AddDate(0, 0, 14))})
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "RenewalCount", *rn.RenewalCount, 1)
	eqTime(t, "renewed DateDue", rn.DateDue, due.AddDate(0, 0, 14).Format(time.RFC3339))

	if _, err := c.CheckInItem(ctx, &CheckInItem{ItemID: item}); err != nil {
		t.Fatal(err)
	}
	_, err = c.CheckInItem(ctx, &CheckInItem{ItemID: item})
	problemOf(t, err, ProblemItemNotCheckedOut)

	ri, err := c.RequestItem(ctx, &RequestItem{UserID: user, ItemIDs: []ItemID{{Value: "39000001234567"}}, RequestType: SV("Hold"), RequestScopeType: SV("Item")})
	if err != nil {
		t.Fatal(err)
	}
	lr, err := c.LookupRequest(ctx, &LookupRequest{RequestID: ri.RequestID})
	if err != nil {
		t.Fatal(err)
	}
	eqItem(t, lr.ItemID, "REQLIB", "", "39000001234567")
	if _, err := c.CancelRequestItem(ctx, &CancelRequestItem{UserID: user, RequestID: ri.RequestID, RequestType: SV("Hold")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteItem(ctx, &DeleteItem{ItemID: item}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ItemShipped(ctx, &ItemShipped{RequestID: req, DateShipped: At(due), ShippingInformation: &ShippingInformation{
		ElectronicAddress: &ElectronicAddress{Type: SV("mailto"), Data: "ill@example.org"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ItemRenewed(ctx, &ItemRenewed{ItemID: item, DateDue: At(due)}); err != nil {
		t.Fatal(err)
	}
	eq(t, "notifications", len(mem.Notifications()), 2)
	eq(t, "notification", mem.Notifications()[0], "ItemShipped L1")

	_, err = c.LookupAgency(ctx, &LookupAgency{AgencyID: SV("REQLIB"), AgencyElementTypes: []SchemeValue{SV("Agency Address Information")}})
	eq(t, "unsupported element", problemOf(t, err, ProblemUnsupportedService).Element, "LookupAgency")

	bad := *c
	bad.Secret = "wrong"
	_, err = bad.LookupUser(ctx, &LookupUser{UserID: user})
	problemOf(t, err, ProblemAgencyAuthenticationFailed)
}

// capture is a responder that records requests and answers with a fixed body.
type capture struct {
	mu          sync.Mutex
	contentType []string
	bodies      [][]byte
	status      int
	answer      []byte
	delay       time.Duration
}

func (c *capture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	data, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	c.contentType = append(c.contentType, r.Header.Get("Content-Type"))
	c.bodies = append(c.bodies, data)
	status, answer, delay := c.status, c.answer, c.delay
	c.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(answer)
}

func TestClientQuirksAndStrictOutput(t *testing.T) {
	cp := &capture{answer: readTestdata(t, "xc-ncip2-toolkit/CheckInItemResponse.xml")}
	ts := httptest.NewServer(cp)
	defer ts.Close()
	ctx := context.Background()
	in := &CheckInItem{ItemID: &ItemID{Value: "10923123"}}

	strict := &Client{URL: ts.URL, FromAgency: "ILLGW", ToAgency: "MIT", Secret: "k", ApplicationProfileType: "Partner7"}
	r, err := strict.CheckInItem(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	eqItem(t, r.ItemID, "MIT", "", "10923123")
	if in.Header != nil {
		t.Error("the Client modified the caller's request")
	}
	quirky := &Client{URL: ts.URL, FromAgency: "ILLGW", ToAgency: "MIT", Quirks: Quirks{UnqualifiedVersion: true, TextXML: true}}
	if _, err := quirky.CheckInItem(ctx, in); err != nil {
		t.Fatal(err)
	}
	if _, err := strict.LookupUser(ctx, &LookupUser{}); err == nil {
		t.Error("an invalid request was sent")
	}

	eq(t, "requests", len(cp.bodies), 2)
	eq(t, "content type", cp.contentType[0], "application/xml; charset=utf-8")
	eq(t, "quirk content type", cp.contentType[1], "text/xml; charset=utf-8")
	m, err := Decode(cp.bodies[0], Limits{})
	if err != nil {
		t.Fatal(err)
	}
	eqInit(t, body[*CheckInItem](t, m).Header, "ILLGW", "k", "MIT", "Partner7")
	if !bytes.Contains(cp.bodies[0], []byte(`ncip:version="`+Version202+`"`)) {
		t.Errorf("strict output lacks ncip:version:\n%s", cp.bodies[0])
	}
	if !bytes.Contains(cp.bodies[1], []byte(` version="`)) || bytes.Contains(cp.bodies[1], []byte("ncip:version")) {
		t.Errorf("UnqualifiedVersion not applied:\n%s", cp.bodies[1])
	}
	p := filepath.Join(t.TempDir(), "sent.xml")
	if err := os.WriteFile(p, cp.bodies[0], 0o644); err != nil {
		t.Fatal(err)
	}
	xmllintValidate(t, []string{p})
}

// TestClientResponses feeds the Client recorded responses and failures.
func TestClientResponses(t *testing.T) {
	cp := &capture{}
	ts := httptest.NewServer(cp)
	defer ts.Close()
	c := &Client{URL: ts.URL, FromAgency: "ILLGW", ToAgency: "MIT", Timeout: 200 * time.Millisecond}
	ctx := context.Background()
	answer := func(status int, body []byte, delay time.Duration) {
		cp.mu.Lock()
		cp.status, cp.answer, cp.delay = status, body, delay
		cp.mu.Unlock()
	}
	co := &CheckOutItem{UserID: &UserID{Value: "10923123"}, ItemID: &ItemID{Value: "19823098123"}}

	answer(200, readTestdata(t, "xc-ncip2-toolkit/CheckOutItemResponse.xml"), 0)
	r, err := c.CheckOutItem(ctx, co)
	if err != nil {
		t.Fatal(err)
	}
	eqTime(t, "DateDue", r.DateDue, "2010-11-18T16:17:03.291Z")

	answer(200, readTestdata(t, "canonical/09-CheckOutItemResponse-problem-UserBlocked.response.xml"), 0)
	_, err = c.CheckOutItem(ctx, co)
	eq(t, "ProblemValue", problemOf(t, err, ProblemUserBlocked).Value, "INST-REQLIB")

	answer(200, readTestdata(t, "xc-ncip2-toolkit/GeneralProcessingErrorResponseSample1.xml"), 0)
	_, err = c.CheckOutItem(ctx, co)
	problemOf(t, err, ProblemTemporaryProcessingFailure)

	answer(200, readTestdata(t, "canonical/06-AcceptItemResponse.response.xml"), 0)
	if _, err = c.CheckOutItem(ctx, co); !errors.Is(err, ErrUnexpectedResponse) {
		t.Errorf("wrong service answered: err = %v", err)
	}

	// Shapes seen from real responders (reference/ncip-ill.md §1.4).
	answer(200, []byte(`<NCIPMessage><CheckOutItemResponse><ItemId><ItemIdentifierValue>I</ItemIdentifierValue></ItemId><UserId><UserIdentifierValue>U</UserIdentifierValue></UserId></CheckOutItemResponse></NCIPMessage>`), 0)
	if r, err = c.CheckOutItem(ctx, co); err != nil || !r.DateDue.IsZero() {
		t.Errorf("CheckOutItemResponse without DateDue: %v", err)
	}
	answer(200, []byte(`<NCIPMessage><CheckOutItemResponse/></NCIPMessage>`), 0)
	if _, err = c.CheckOutItem(ctx, co); !errors.Is(err, ErrIncompleteResponse) {
		t.Errorf("empty CheckOutItemResponse: err = %v", err)
	}
	answer(200, []byte(`<NCIPMessage><CheckOutItemResponse><Problem><ProblemType>UserBlocked</ProblemType></Problem><ItemId><ItemIdentifierValue>I</ItemIdentifierValue></ItemId></CheckOutItemResponse></NCIPMessage>`), 0)
	_, err = c.CheckOutItem(ctx, co)
	var pr *Problem
	if !errors.As(err, &pr) || !Match(pr.Type.Value, ProblemUserBlocked) {
		t.Errorf("Problem beside data: err = %v", err)
	}

	answer(500, []byte(`<Problem><message>java.lang.NullPointerException</message></Problem>`), 0)
	_, err = c.CheckOutItem(ctx, co)
	var he *HTTPError
	if !errors.As(err, &he) || he.StatusCode != 500 {
		t.Errorf("HTTP 500: err = %v", err)
	}

	answer(200, []byte("not xml"), 0)
	if _, err = c.CheckOutItem(ctx, co); err == nil {
		t.Error("garbage accepted")
	} else if _, ok := err.(*Problem); ok {
		t.Error("garbage reported as a responder Problem")
	}

	answer(200, bytes.Repeat([]byte(" "), 2<<20), 0)
	if _, err = c.CheckOutItem(ctx, co); err == nil {
		t.Error("oversized response accepted")
	}

	answer(200, readTestdata(t, "xc-ncip2-toolkit/CheckOutItemResponse.xml"), 5*time.Second)
	start := time.Now()
	_, err = c.CheckOutItem(ctx, co)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow responder: err = %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("deadline not kept: %v", d)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err = c.CheckOutItem(cctx, co); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err = %v", err)
	}
}
