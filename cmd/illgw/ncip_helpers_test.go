package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/illgw/illgw/internal/testenv"
	"github.com/illgw/illgw/ncip"
)

// The NCIP end-to-end tests speak raw NCIP XML over HTTP to /ncip, as a
// partner's ILL system does, and validate every response with xmllint
// against the official ncip_v2_02.xsd (kept in the ncip package's testdata).

// ncipPeer posts NCIP messages to one /ncip endpoint and keeps every
// response for validation.
type ncipPeer struct {
	t      *testing.T
	url    string
	client *http.Client
	dir    string
	n      int
}

func newNCIPPeer(t *testing.T, url string, client *http.Client) *ncipPeer {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &ncipPeer{t: t, url: url, client: client, dir: t.TempDir()}
}

const ncipOpen = `<?xml version="1.0" encoding="UTF-8"?>` +
	`<NCIPMessage xmlns="http://www.niso.org/2008/ncip" xmlns:ncip="http://www.niso.org/2008/ncip" ncip:version="http://www.niso.org/schemas/ncip/v2_02/ncip_v2_02.xsd">`

// raw posts body and returns the HTTP status and the response body.
func (p *ncipPeer) raw(body []byte) (int, []byte, error) {
	resp, err := p.client.Post(p.url, "application/xml", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// post sends one service element and returns the decoded response.
func (p *ncipPeer) post(service string) *ncip.Message {
	p.t.Helper()
	code, b, err := p.raw([]byte(ncipOpen + service + "</NCIPMessage>"))
	if err != nil {
		p.t.Fatal(err)
	}
	if code != http.StatusOK {
		p.t.Fatalf("HTTP %d: %s", code, b)
	}
	p.keep(b)
	m, err := ncip.Decode(b, ncip.Limits{})
	if err != nil {
		p.t.Fatalf("response does not decode: %v\n%s", err, b)
	}
	return m
}

func (p *ncipPeer) keep(b []byte) {
	p.n++
	if err := os.WriteFile(filepath.Join(p.dir, fmt.Sprintf("r%03d.xml", p.n)), b, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// validate runs xmllint --schema over every response kept.
func (p *ncipPeer) validate() {
	p.t.Helper()
	xmllint := testenv.Require(p.t, "xmllint", "libxml2-utils")
	schema, err := filepath.Abs("../../ncip/testdata/ncip_v2_02.xsd")
	if err != nil {
		p.t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(p.dir, "*.xml"))
	out, err := exec.Command(xmllint, append([]string{"--noout", "--nonet", "--schema", schema}, files...)...).CombinedOutput()
	if err != nil {
		p.t.Fatalf("xmllint: %v\n%s", err, out)
	}
	for _, f := range files {
		if !bytes.Contains(out, []byte(f+" validates")) {
			p.t.Errorf("%s does not validate:\n%s", f, out)
		}
	}
}

// ncipHeader is an InitiationHeader from agency (with secret, if any) to a member.
func ncipHeader(from, secret, to string) string {
	s := "<InitiationHeader><FromAgencyId><AgencyId>" + from + "</AgencyId></FromAgencyId>"
	if secret != "" {
		s += "<FromAgencyAuthentication>" + secret + "</FromAgencyAuthentication>"
	}
	return s + "<ToAgencyId><AgencyId>" + to + "</AgencyId></ToAgencyId></InitiationHeader>"
}

func p1(to string) string { return ncipHeader("PARTNER1", "partner1secret", to) }

func barcodePIN(barcode, pin string) string {
	in := func(typ, data string) string {
		return "<AuthenticationInput><AuthenticationInputData>" + data + "</AuthenticationInputData><AuthenticationDataFormatType>text/plain</AuthenticationDataFormatType>" +
			"<AuthenticationInputType>" + typ + "</AuthenticationInputType></AuthenticationInput>"
	}
	s := in("Barcode Id", barcode)
	if pin != "" {
		s += in("PIN", pin)
	}
	return s
}

func xUser(v string) string {
	return "<UserId><UserIdentifierValue>" + v + "</UserIdentifierValue></UserId>"
}
func xItem(v string) string {
	return "<ItemId><ItemIdentifierValue>" + v + "</ItemIdentifierValue></ItemId>"
}
func xRequest(v string) string {
	return "<RequestId><RequestIdentifierValue>" + v + "</RequestIdentifierValue></RequestId>"
}

// problemOf returns the first Problem of a response, service or message level.
func problemOf(m *ncip.Message) *ncip.Problem {
	if len(m.Problems) > 0 {
		return &m.Problems[0]
	}
	var ps []ncip.Problem
	switch b := m.Body.(type) {
	case *ncip.LookupUserResponse:
		ps = b.Problems
	case *ncip.LookupItemResponse:
		ps = b.Problems
	case *ncip.LookupRequestResponse:
		ps = b.Problems
	case *ncip.RequestItemResponse:
		ps = b.Problems
	case *ncip.CancelRequestItemResponse:
		ps = b.Problems
	case *ncip.RenewItemResponse:
		ps = b.Problems
	case *ncip.ItemShippedResponse:
		ps = b.Problems
	case *ncip.ItemReceivedResponse:
		ps = b.Problems
	case *ncip.ItemCheckedInResponse:
		ps = b.Problems
	case *ncip.ItemRequestCancelledResponse:
		ps = b.Problems
	case *ncip.ItemRenewedResponse:
		ps = b.Problems
	}
	if len(ps) == 0 {
		return nil
	}
	return &ps[0]
}

func mustProblem(t *testing.T, m *ncip.Message, want string) *ncip.Problem {
	t.Helper()
	p := problemOf(m)
	if p == nil || !ncip.Match(p.Type.Value, want) {
		t.Fatalf("problem %+v, want %q (body %#v)", p, want, m.Body)
	}
	return p
}

func mustOK(t *testing.T, m *ncip.Message) {
	t.Helper()
	if p := problemOf(m); p != nil {
		t.Fatalf("problem %q: %s (%s %s)", p.Type.Value, p.Detail, p.Element, p.Value)
	}
}
