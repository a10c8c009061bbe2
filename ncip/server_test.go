package ncip

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// responses collects every response body a test received, so that one
// xmllint run validates them all at the end of the test.
type responses struct {
	mu     sync.Mutex
	bodies [][]byte
}

func (r *responses) add(b []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bodies = append(r.bodies, b)
}

// validate writes the collected bodies to files and runs xmllint over them.
func (r *responses) validate(t *testing.T) {
	t.Helper()
	if len(r.bodies) == 0 {
		t.Fatal("no responses collected")
	}
	dir := t.TempDir()
	var files []string
	for i, b := range r.bodies {
		p := filepath.Join(dir, fmt.Sprintf("resp-%03d.xml", i))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	xmllintValidate(t, files)
}

// post sends body to url and decodes the NCIP response.
func post(t *testing.T, rs *responses, url, contentType string, body []byte) (int, *Message) {
	t.Helper()
	resp, err := http.Post(url, contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/xml; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	rs.add(data)
	m, err := Decode(data, Limits{})
	if err != nil {
		t.Fatalf("response does not decode: %v\n%s", err, data)
	}
	return resp.StatusCode, m
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newFixture returns a Memory responder for REQLIB with the users and items
// the canonical messages name.
func newFixture() *Memory {
	m := NewMemory("REQLIB")
	m.AddUser(MemoryUser{ID: "21234000123456", PIN: "1234", GivenName: "Ada", Surname: "Lovelace", Email: "ada@example.org"})
	m.AddUser(MemoryUser{ID: "INST-REQLIB", Surname: "Interlibrary loan"})
	m.AddUser(MemoryUser{ID: "BLOCKED1", Surname: "Blocked", Blocked: true})
	m.AddItem(MemoryItem{ID: "39000001234567", Title: "The art of computer programming. Vol. 1", Author: "Knuth, Donald E."})
	return m
}

func newTestServer(t *testing.T, h Handler, auth Authenticator) *httptest.Server {
	s := &Server{Handler: h, Auth: auth, Logger: quietLogger()}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts
}

var canonicalPartners = &Partners{Secrets: map[string]string{"ILLGW": "s3cr3t-shared-key"}}

// TestServerCanonical posts the canonical request messages in loan order to
// a Memory responder and checks what a partner would read back.
func TestServerCanonical(t *testing.T) {
	rs := &responses{}
	mem := newFixture()
	ts := newTestServer(t, mem, canonicalPartners)
	send := func(file string) *Message {
		t.Helper()
		status, m := post(t, rs, ts.URL, "application/xml", readTestdata(t, "canonical/"+file))
		eq(t, file+" status", status, http.StatusOK)
		eq(t, file+" version", m.Version, v202)
		return m
	}
	hdr := func(h *ResponseHeader) { t.Helper(); eqResp(t, h, "REQLIB", "ILLGW") }

	lu := body[*LookupUserResponse](t, send("01-LookupUser-by-UserId.request.xml"))
	hdr(lu.Header)
	eq(t, "problems", len(lu.Problems), 0)
	eqUser(t, lu.UserID, "REQLIB", "", "21234000123456")
	eq(t, "Surname", lu.UserOptionalFields.NameInformation.Personal.Structured.Surname, "Lovelace")
	eq(t, "status", lu.UserOptionalFields.UserPrivileges[0].Status.Type.Value, "ACTIVE")

	lu = body[*LookupUserResponse](t, send("02-LookupUser-by-AuthenticationInput.request.xml"))
	eqUser(t, lu.UserID, "REQLIB", "", "21234000123456")

	ai := body[*AcceptItemResponse](t, send("05-AcceptItem.request.xml"))
	hdr(ai.Header)
	eqReq(t, ai.RequestID, "ILLGW", "ILL-2026-000042")
	eqItem(t, ai.ItemID, "REQLIB", "", "ILL-2026-000042-4567")
	if it, ok := mem.Item("ILL-2026-000042-4567"); !ok || !it.Temporary || it.Title != "The art of computer programming. Vol. 1" {
		t.Errorf("temporary item = %+v, %v", it, ok)
	}
	// AcceptItem is idempotent on the request id.
	ai = body[*AcceptItemResponse](t, send("05-AcceptItem.request.xml"))
	eqItem(t, ai.ItemID, "REQLIB", "", "ILL-2026-000042-4567")

	co := body[*CheckOutItemResponse](t, send("07-CheckOutItem.request.xml"))
	eqItem(t, co.ItemID, "REQLIB", "", "39000001234567")
	eqUser(t, co.UserID, "REQLIB", "", "INST-REQLIB")
	eqTime(t, "DateDue", co.DateDue, "2026-12-31T23:59:59Z")

	ci := body[*CheckInItemResponse](t, send("10-CheckInItem.request.xml"))
	eqUser(t, ci.UserID, "REQLIB", "", "INST-REQLIB")
	ci = body[*CheckInItemResponse](t, send("10-CheckInItem.request.xml"))
	eqProblem(t, ci.Problems, 0, SchemeCheckInItemProcessingError, ProblemItemNotCheckedOut, "the item has no open loan", "ItemIdentifierValue", "39000001234567")
	eqResp(t, ci.Header, "SUPLIB", "ILLGW") // the request's ToAgencyId

	ri := body[*RequestItemResponse](t, send("13-RequestItem.request.xml"))
	eqReq(t, ri.RequestID, "REQLIB", "hold-1")
	eq(t, "RequestScopeType", ri.RequestScopeType.Value, "Title")

	cr := body[*CancelRequestItemResponse](t, send("15-CancelRequestItem.request.xml"))
	eqProblem(t, cr.Problems, 0, SchemeCancelRequestItemProcessingError, ProblemUnknownRequest, "no such request for this user", "RequestIdentifierValue", "hold-778899")

	rn := body[*RenewItemResponse](t, send("19-RenewItem.request.xml"))
	eqProblem(t, rn.Problems, 0, SchemeRenewItemProcessingError, ProblemItemNotCheckedOut, "the item is not on loan to this user", "ItemIdentifierValue", "ILL-2026-000042-4567")

	di := body[*DeleteItemResponse](t, send("17-DeleteItem.request.xml"))
	eqItem(t, di.ItemID, "REQLIB", "", "ILL-2026-000042-4567")
	if _, ok := mem.Item("ILL-2026-000042-4567"); ok {
		t.Error("temporary item still there after DeleteItem")
	}
	rs.validate(t)
}

// TestServerLenientInput answers the FOLIO/Relais-style and XC samples.
func TestServerLenientInput(t *testing.T) {
	rs := &responses{}
	mem := newFixture()
	mem.AddUser(MemoryUser{ID: "8377630", Surname: "Relais"})
	ts := newTestServer(t, mem, nil)
	_, m := post(t, rs, ts.URL, "text/xml; charset=UTF-8", readTestdata(t, "folio-docs/lookupUser.xml"))
	eq(t, "version echoed", m.Version, v20)
	lu := body[*LookupUserResponse](t, m)
	eqResp(t, lu.Header, "LEHI", "Relais")
	eqUser(t, lu.UserID, "REQLIB", "", "8377630")

	_, m = post(t, rs, ts.URL, "application/xml", readTestdata(t, "xc-ncip2-toolkit/LookupUserSample1.xml"))
	lu = body[*LookupUserResponse](t, m)
	if lu.Header != nil {
		t.Error("ResponseHeader without an InitiationHeader to answer")
	}
	eqProblem(t, lu.Problems, 0, SchemeLookupUserProcessingError, ProblemUnknownUser, "no such user", "AuthenticationInputData", "98765432")
	rs.validate(t)
}

func TestServerTransport(t *testing.T) {
	rs := &responses{}
	ts := newTestServer(t, newFixture(), nil)
	req := readTestdata(t, "canonical/01-LookupUser-by-UserId.request.xml")

	resp, err := http.Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	rs.add(data)
	eq(t, "GET status", resp.StatusCode, http.StatusMethodNotAllowed)
	eq(t, "Allow", resp.Header.Get("Allow"), "POST")
	m, err := Decode(data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "GET problem", m.Problems[0].Type.Value, ProblemProtocolError)

	status, m := post(t, rs, ts.URL, "application/json", req)
	eq(t, "json status", status, http.StatusUnsupportedMediaType)
	eq(t, "json problem", m.Problems[0].Type.Value, ProblemProtocolError)

	for _, ct := range []string{"application/xml", "text/xml", `application/xml; charset="utf-8"`, ""} {
		status, m = post(t, rs, ts.URL, ct, req)
		eq(t, ct+" status", status, http.StatusOK)
		eqUser(t, body[*LookupUserResponse](t, m).UserID, "REQLIB", "", "21234000123456")
	}
	form := "xml=" + strings.NewReplacer("%", "%25", "&", "%26", "+", "%2B", "=", "%3D").Replace(string(req))
	status, m = post(t, rs, ts.URL, "application/x-www-form-urlencoded", []byte(form))
	eq(t, "form status", status, http.StatusOK)
	eqUser(t, body[*LookupUserResponse](t, m).UserID, "REQLIB", "", "21234000123456")
	rs.validate(t)
}

func TestServerProblems(t *testing.T) {
	rs := &responses{}
	ts := newTestServer(t, newFixture(), nil)
	cases := []struct {
		name, in, typ, element string
	}{
		{"malformed", `<NCIPMessage><LookupUser><UserId></LookupUser></NCIPMessage>`, ProblemInvalidMessageSyntaxError, ""},
		{"unknown service", `<NCIPMessage xmlns="http://www.niso.org/2008/ncip"><UpdateUser/></NCIPMessage>`, ProblemUnsupportedService, "UpdateUser"},
		{"service the handler lacks", string(readTestdataString(t, `<NCIPMessage><LookupAgency><AgencyId>X</AgencyId><AgencyElementType>Name</AgencyElementType></LookupAgency></NCIPMessage>`)), ProblemUnsupportedService, "LookupAgency"},
		{"a response", string(readTestdata(t, "canonical/06-AcceptItemResponse.response.xml")), ProblemUnsupportedService, "AcceptItemResponse"},
		{"message-level problem", string(readTestdata(t, "xc-ncip2-toolkit/ProblemResponseSample2.xml")), ProblemUnsupportedService, ""},
	}
	for _, c := range cases {
		status, m := post(t, rs, ts.URL, "application/xml", []byte(c.in))
		eq(t, c.name+" status", status, http.StatusOK)
		if m.Body != nil || len(m.Problems) != 1 {
			t.Fatalf("%s: want one message-level problem, got %+v", c.name, m)
		}
		eq(t, c.name+" type", m.Problems[0].Type.Value, c.typ)
		eq(t, c.name+" element", m.Problems[0].Element, c.element)
	}
	rs.validate(t)
}

func readTestdataString(_ *testing.T, s string) []byte { return []byte(s) }

// spy is a Handler that records what it was given and fails as told.
type spy struct {
	mu     sync.Mutex
	agency string
	secret string
	fail   func() (*LookupUserResponse, error)
}

func (s *spy) LookupUser(ctx context.Context, req *LookupUser) (*LookupUserResponse, error) {
	s.mu.Lock()
	s.agency, s.secret = AgencyFromContext(ctx), req.Header.FromAgencyAuthentication
	s.mu.Unlock()
	if s.fail != nil {
		return s.fail()
	}
	return &LookupUserResponse{UserID: req.UserID}, nil
}

func TestServerAuthentication(t *testing.T) {
	rs := &responses{}
	h := &spy{}
	ts := newTestServer(t, h, &Partners{Secrets: map[string]string{"PARTNER1": "partner1secret", "EMPTY": ""}})
	msg := func(from, secret string) []byte {
		auth := ""
		if secret != "" {
			auth = "<FromAgencyAuthentication>" + secret + "</FromAgencyAuthentication>"
		}
		return []byte(`<NCIPMessage version="x"><LookupUser><InitiationHeader><FromAgencyId><AgencyId>` + from + `</AgencyId></FromAgencyId>` + auth +
			`<ToAgencyId><AgencyId>NORTH</AgencyId></ToAgencyId></InitiationHeader><UserId><UserIdentifierValue>N0001</UserIdentifierValue></UserId></LookupUser></NCIPMessage>`)
	}
	_, m := post(t, rs, ts.URL, "application/xml", msg("PARTNER1", "partner1secret"))
	lu := body[*LookupUserResponse](t, m)
	eq(t, "problems", len(lu.Problems), 0)
	eqResp(t, lu.Header, "NORTH", "PARTNER1")
	eq(t, "agency in ctx", h.agency, "PARTNER1")
	eq(t, "secret seen by handler", h.secret, "")

	for name, in := range map[string][]byte{
		"wrong secret":   msg("PARTNER1", "partner1secreT"),
		"no secret":      msg("PARTNER1", ""),
		"unknown agency": msg("PARTNER9", "partner1secret"),
		"empty secret":   msg("EMPTY", ""),
		"no header":      []byte(`<NCIPMessage><LookupUser><UserId><UserIdentifierValue>N0001</UserIdentifierValue></UserId></LookupUser></NCIPMessage>`),
	} {
		h.agency = "untouched"
		_, m := post(t, rs, ts.URL, "application/xml", in)
		lu := body[*LookupUserResponse](t, m)
		if len(lu.Problems) != 1 {
			t.Fatalf("%s: %d problems", name, len(lu.Problems))
		}
		eqSV(t, name, lu.Problems[0].Type, SchemeGeneralProcessingError, ProblemAgencyAuthenticationFailed)
		eq(t, name+" element", lu.Problems[0].Element, "InitiationHeader/FromAgencyAuthentication")
		eq(t, name+" handler called", h.agency, "untouched")
		if name != "no header" {
			eqResp(t, lu.Header, "NORTH", lu.Header.ToAgencyID.id())
		}
	}
	rs.validate(t)
}

func TestServerHandlerFailures(t *testing.T) {
	rs := &responses{}
	h := &spy{}
	ts := newTestServer(t, h, nil)
	in := readTestdata(t, "canonical/01-LookupUser-by-UserId.request.xml")
	for name, f := range map[string]func() (*LookupUserResponse, error){
		"plain error": func() (*LookupUserResponse, error) {
			return nil, errors.New("dial tcp 10.0.0.7:5432: connection refused")
		},
		"panic":            func() (*LookupUserResponse, error) { panic("boom") },
		"nil response":     func() (*LookupUserResponse, error) { return nil, nil },
		"invalid response": func() (*LookupUserResponse, error) { return &LookupUserResponse{}, nil },
	} {
		h.fail = f
		_, m := post(t, rs, ts.URL, "application/xml", in)
		lu := body[*LookupUserResponse](t, m)
		if len(lu.Problems) != 1 {
			t.Fatalf("%s: %d problems", name, len(lu.Problems))
		}
		eq(t, name, lu.Problems[0].Type.Value, ProblemTemporaryProcessingFailure)
		if strings.Contains(lu.Problems[0].Detail, "10.0.0.7") || strings.Contains(lu.Problems[0].Detail, "boom") {
			t.Errorf("%s: internal error text reached the client: %q", name, lu.Problems[0].Detail)
		}
		eqResp(t, lu.Header, "REQLIB", "ILLGW")
	}
	h.fail = func() (*LookupUserResponse, error) {
		return nil, NewServiceProblem("LookupUser", ProblemUserAccessDenied, "not for you")
	}
	_, m := post(t, rs, ts.URL, "application/xml", in)
	eqProblem(t, body[*LookupUserResponse](t, m).Problems, 0, SchemeLookupUserProcessingError, ProblemUserAccessDenied, "not for you", "", "")
	rs.validate(t)
}

// rawPost writes a request with a body of n bytes from gen over a plain TCP
// connection (the writer may be cut off) and reads the response.
func rawPost(t *testing.T, addr string, n int, fill func(w io.Writer)) (*http.Response, []byte, time.Duration) {
	t.Helper()
	start := time.Now()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	go func() {
		w := bufio.NewWriter(c)
		fmt.Fprintf(w, "POST /ncip HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\nContent-Length: %d\r\n\r\n", n)
		fill(w)
		_ = w.Flush()
	}()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, data, time.Since(start)
}

// TestServerHostile sends the fixed hostile inputs of issue 7 and expects a
// prompt, schema-valid problem response to each and a server still healthy.
func TestServerHostile(t *testing.T) {
	rs := &responses{}
	ts := newTestServer(t, newFixture(), nil)
	addr := strings.TrimPrefix(ts.URL, "http://")
	lol := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">` +
		`<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">` +
		`<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]><NCIPMessage><LookupUser><UserId><UserIdentifierValue>&lol9;</UserIdentifierValue></UserId></LookupUser></NCIPMessage>`
	deep := func(levels int) func(io.Writer) {
		return func(w io.Writer) {
			io.WriteString(w, strings.Repeat("<a>", levels))
			io.WriteString(w, strings.Repeat("</a>", levels))
		}
	}
	cases := []struct {
		name   string
		n      int
		fill   func(io.Writer)
		status int
		detail string
	}{
		{"10 MiB body", 10 << 20, func(w io.Writer) {
			chunk := bytes.Repeat([]byte("<a>"), 1<<12)
			for i := 0; i < (10<<20)/len(chunk); i++ {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}, http.StatusRequestEntityTooLarge, "message is larger than 102400 bytes"},
		{"100,000-deep nesting", 7 * 100000, deep(100000), http.StatusRequestEntityTooLarge, "message is larger than 102400 bytes"},
		{"10,000-deep nesting under the size cap", 7 * 10000, deep(10000), http.StatusOK, "elements nested deeper than 64"},
		{"entity expansion", len(lol), func(w io.Writer) { io.WriteString(w, lol) }, http.StatusOK, "DOCTYPE is not allowed"},
	}
	for _, c := range cases {
		resp, data, took := rawPost(t, addr, c.n, c.fill)
		rs.add(data)
		t.Logf("%s: %v", c.name, took)
		if took > time.Second {
			t.Errorf("%s: answered in %v", c.name, took)
		}
		eq(t, c.name+" status", resp.StatusCode, c.status)
		m, err := Decode(data, Limits{})
		if err != nil {
			t.Fatalf("%s: %v\n%s", c.name, err, data)
		}
		eq(t, c.name+" problem", m.Problems[0].Type.Value, ProblemInvalidMessageSyntaxError)
		eq(t, c.name+" detail", m.Problems[0].Detail, c.detail)
	}
	// Still healthy.
	_, m := post(t, rs, ts.URL, "application/xml", readTestdata(t, "canonical/01-LookupUser-by-UserId.request.xml"))
	eqUser(t, body[*LookupUserResponse](t, m).UserID, "REQLIB", "", "21234000123456")
	rs.validate(t)
}

// TestServerNeededDataMissing answers a request without an element its
// handler cannot do without, instead of calling the handler.
func TestServerNeededDataMissing(t *testing.T) {
	rs := &responses{}
	ts := newTestServer(t, newFixture(), nil)
	for in, element := range map[string]string{
		`<NCIPMessage><AcceptItem><RequestedActionType>Circulate</RequestedActionType></AcceptItem></NCIPMessage>`: "AcceptItem/RequestId",
		`<NCIPMessage><CheckInItem/></NCIPMessage>`:                                                                "CheckInItem/ItemId",
		`<NCIPMessage><CheckInItem><InitiationHeader><FromAgencyId><AgencyId>A</AgencyId></FromAgencyId></InitiationHeader><ItemId><ItemIdentifierValue>I</ItemIdentifierValue></ItemId></CheckInItem></NCIPMessage>`: "CheckInItem/InitiationHeader/ToAgencyId",
	} {
		_, m := post(t, rs, ts.URL, "application/xml", []byte(in))
		if m.Body == nil {
			t.Fatalf("%s: message-level answer %+v", element, m.Problems)
		}
		ps := reflectProblems(m.Body)
		if len(ps) != 1 {
			t.Fatalf("%s: %d problems", element, len(ps))
		}
		eq(t, element, ps[0].Type.Value, ProblemNeededDataMissing)
		eq(t, element+" element", ps[0].Element, element)
	}
	// Lenient still: both UserId and AuthenticationInput (FOLIO's PIN check).
	_, m := post(t, rs, ts.URL, "application/xml", []byte(`<NCIPMessage><LookupUser><UserId><UserIdentifierValue>21234000123456</UserIdentifierValue></UserId>`+
		`<AuthenticationInput><AuthenticationInputData>1234</AuthenticationInputData><AuthenticationDataFormatType>text</AuthenticationDataFormatType><AuthenticationInputType>PIN</AuthenticationInputType></AuthenticationInput></LookupUser></NCIPMessage>`))
	eqUser(t, body[*LookupUserResponse](t, m).UserID, "REQLIB", "", "21234000123456")
	_, m = post(t, rs, ts.URL, "application/xml", []byte(`<NCIPMessage><LookupUser><UserId><UserIdentifierValue>21234000123456</UserIdentifierValue></UserId>`+
		`<AuthenticationInput><AuthenticationInputData>0000</AuthenticationInputData><AuthenticationDataFormatType>text</AuthenticationDataFormatType><AuthenticationInputType>PIN</AuthenticationInputType></AuthenticationInput></LookupUser></NCIPMessage>`))
	eq(t, "wrong PIN", body[*LookupUserResponse](t, m).Problems[0].Type.Value, ProblemUserAuthenticationFailed)
	rs.validate(t)
}

func reflectProblems(b Body) []Problem {
	return reflect.ValueOf(b).Elem().FieldByName("Problems").Interface().([]Problem)
}
