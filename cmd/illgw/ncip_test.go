package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/illgw/illgw/config"
	"github.com/illgw/illgw/internal/testenv"
	"github.com/illgw/illgw/ncip"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

// TestNCIPThroughTheDemo drives every service the gateway answers through
// /ncip of a running `illgw demo`, as PARTNER1 (acting for NORTH).
func TestNCIPThroughTheDemo(t *testing.T) {
	d := startDemo(t, "-log-level", "debug")
	p := newNCIPPeer(t, d.url("/ncip"), nil)

	for _, m := range []struct{ code, prefix string }{{"NORTH", "N"}, {"SOUTH", "S"}, {"EAST", "E"}} {
		r := p.post("<LookupUser>" + p1(m.code) + barcodePIN(m.prefix+"0001", "1234") + "<UserElementType>Name Information</UserElementType></LookupUser>")
		mustOK(t, r)
		lu := r.Body.(*ncip.LookupUserResponse)
		if lu.UserID.Value != m.prefix+"0001" || lu.UserID.AgencyID.Value != m.code {
			t.Errorf("%s: UserId %+v", m.code, lu.UserID)
		}
		if got, want := lu.UserOptionalFields.NameInformation.Personal.Unstructured, "Good Standing, "+m.code; got != want {
			t.Errorf("%s: name %q, want %q", m.code, got, want)
		}
		if h := lu.Header; h == nil || h.FromAgencyID.AgencyID.Value != m.code || h.ToAgencyID.AgencyID.Value != "PARTNER1" {
			t.Errorf("%s: ResponseHeader %+v", m.code, h)
		}
	}
	r := p.post("<LookupUser>" + p1("NORTH") + xUser("N0002") + "</LookupUser>")
	mustOK(t, r)
	if f := r.Body.(*ncip.LookupUserResponse).UserOptionalFields; f == nil || len(f.BlockOrTraps) != 1 {
		t.Errorf("blocked N0002 without a BlockOrTrap: %+v", f)
	}
	mustProblem(t, p.post("<LookupUser>"+p1("NORTH")+barcodePIN("N0001", "7391")+"</LookupUser>"), ncip.ProblemUserAuthenticationFailed)
	mustProblem(t, p.post("<LookupUser>"+p1("EAST")+xUser("E0404")+"</LookupUser>"), ncip.ProblemUnknownUser)
	mustProblem(t, p.post("<LookupUser>"+p1("WEST")+xUser("W0001")+"</LookupUser>"), ncip.ProblemUnknownAgency)
	mustProblem(t, p.post("<LookupUser>"+ncipHeader("PARTNER1", "partner2secret", "NORTH")+xUser("N0001")+"</LookupUser>"), ncip.ProblemAgencyAuthenticationFailed)
	mustProblem(t, p.post("<LookupUser>"+ncipHeader("PARTNER1", "", "NORTH")+xUser("N0001")+"</LookupUser>"), ncip.ProblemAgencyAuthenticationFailed)

	r = p.post("<LookupItem>" + p1("SOUTH") + xItem("SI0001") + "</LookupItem>")
	mustOK(t, r)
	li := r.Body.(*ncip.LookupItemResponse)
	if li.ItemID.Value != "SI0001" || li.ItemOptionalFields == nil || li.ItemOptionalFields.BibliographicDescription == nil ||
		li.ItemOptionalFields.BibliographicDescription.Title == "" || li.ItemOptionalFields.CirculationStatus.Value != "Available On Shelf" {
		t.Errorf("LookupItem SI0001: %+v %+v", li.ItemID, li.ItemOptionalFields)
	}
	mustProblem(t, p.post("<LookupItem>"+p1("SOUTH")+xItem("NI0001")+"</LookupItem>"), ncip.ProblemUnknownItem)

	// RequestItem twice with the same RequestId: one loan.
	req := "<RequestItem>" + p1("NORTH") + xUser("N0001") +
		"<BibliographicId><BibliographicItemId><BibliographicItemIdentifier>0839108826</BibliographicItemIdentifier>" +
		"<BibliographicItemIdentifierCode>ISBN</BibliographicItemIdentifierCode></BibliographicItemId></BibliographicId>" +
		xRequest("P1-E2E-1") + "<RequestType>Loan</RequestType><RequestScopeType>Bibliographic Item</RequestScopeType></RequestItem>"
	r1, r2 := p.post(req), p.post(req)
	mustOK(t, r1)
	mustOK(t, r2)
	if ri := r2.Body.(*ncip.RequestItemResponse); ri.RequestID.Value != "P1-E2E-1" || ri.UserID.Value != "N0001" {
		t.Errorf("RequestItemResponse does not echo: %+v %+v", ri.RequestID, ri.UserID)
	}
	loans := illgwv1.NewLoansClient(dialPlain(t, d.grpcAddr))
	list, err := loans.List(ctxT(t), &illgwv1.ListLoansRequest{Requester: "NORTH", WithEvents: true})
	if err != nil {
		t.Fatal(err)
	}
	var loan *illgwv1.Loan
	for _, l := range list.GetLoans() {
		if l.GetExternalRequestId() == "P1-E2E-1" {
			if loan != nil {
				t.Fatal("a retried RequestItem made a second loan")
			}
			loan = l
		}
	}
	if loan == nil || loan.GetPatronId() != "N0001" || loan.GetBib().GetIsbn() != "0839108826" {
		t.Fatalf("loan of the RequestItem: %v", loan)
	}
	if a := loan.GetEvents()[0].GetActor(); a.GetKind() != illgwv1.Actor_KIND_PARTNER || a.GetId() != "PARTNER1" || a.GetMember() != "NORTH" {
		t.Errorf("created by %v", a)
	}

	r = p.post("<LookupRequest>" + p1("NORTH") + xRequest("P1-E2E-1") + "</LookupRequest>")
	mustOK(t, r)
	if lr := r.Body.(*ncip.LookupRequestResponse); lr.RequestID.Value != "P1-E2E-1" || lr.UserID.Value != "N0001" {
		t.Errorf("LookupRequest: %+v %+v", lr.RequestID, lr.UserID)
	}
	mustProblem(t, p.post("<LookupRequest>"+p1("NORTH")+xRequest("no-such")+"</LookupRequest>"), ncip.ProblemUnknownRequest)

	// The services that advance a loan go to Loans.Act. While the broker
	// does not implement it they answer Temporary Processing Failure;
	// afterwards never that "not yet" answer.
	_, actErr := loans.Act(ctxT(t), &illgwv1.ActRequest{Id: "NOSUCHID"})
	unimplemented := status.Code(actErr) == codes.Unimplemented
	tmp := "ILL" + loan.GetId()
	for _, msg := range []string{
		"<RenewItem>" + p1("NORTH") + xUser("N0001") + xItem(tmp) + "</RenewItem>",
		"<ItemShipped>" + p1("NORTH") + xRequest("P1-E2E-1") + "<DateShipped>2027-01-05T10:00:00Z</DateShipped><ShippingInformation><ShippingNote>x</ShippingNote></ShippingInformation></ItemShipped>",
		"<ItemReceived>" + p1("NORTH") + xItem(tmp) + "<DateReceived>2027-01-07T10:00:00Z</DateReceived></ItemReceived>",
		"<ItemRenewed>" + p1("NORTH") + xItem(tmp) + "<DateDue>2027-02-07T10:00:00Z</DateDue></ItemRenewed>",
		"<ItemCheckedIn>" + p1("NORTH") + xItem(tmp) + "</ItemCheckedIn>",
		"<ItemRequestCancelled>" + p1("NORTH") + xUser("N0001") + xRequest("P1-E2E-1") + "<RequestType>Loan</RequestType></ItemRequestCancelled>",
		"<CancelRequestItem>" + p1("NORTH") + xUser("N0001") + xRequest("P1-E2E-1") + "<RequestType>Loan</RequestType></CancelRequestItem>",
	} {
		r := p.post(msg)
		pr := problemOf(r)
		switch {
		case unimplemented && (pr == nil || pr.Type.Value != ncip.ProblemTemporaryProcessingFailure):
			t.Errorf("%.30s: %+v while Loans.Act is unimplemented, want Temporary Processing Failure", msg, pr)
		case !unimplemented && pr != nil && (strings.Contains(pr.Detail, "cannot do this yet") || ncip.Match(pr.Type.Value, ncip.ProblemUnsupportedService)):
			t.Errorf("%.30s: %+v though Loans.Act exists", msg, pr)
		}
	}
	p.validate()

	// Neither secrets nor PINs reach the logs, debug level included.
	logs := d.stderr.String()
	if !strings.Contains(logs, "grpc call") {
		t.Error("debug logs do not show the broker calls; the secret check would prove nothing")
	}
	for _, secret := range []string{"partner1secret", "partner2secret", "7391"} {
		if i := strings.Index(logs, secret); i >= 0 {
			t.Errorf("logs carry %q: …%s…", secret, logs[max(0, i-200):min(len(logs), i+100)])
		}
	}
}

// TestNCIPHostileInputs sends bombs to /ncip of the demo: each is refused
// within a second with an NCIP problem, and the gateway goes on answering.
func TestNCIPHostileInputs(t *testing.T) {
	d := startDemo(t)
	p := newNCIPPeer(t, d.url("/ncip"), nil)
	lookup := []byte(ncipOpen + "<LookupUser>" + p1("NORTH") + xUser("N0001") + "</LookupUser></NCIPMessage>")
	laughs := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">` +
		`<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">` +
		`<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>` +
		`<NCIPMessage xmlns="http://www.niso.org/2008/ncip"><LookupUser>` + p1("NORTH") + `<UserId><UserIdentifierValue>&lol4;</UserIdentifierValue></UserId></LookupUser></NCIPMessage>`
	for _, c := range []struct {
		name     string
		body     []byte
		status   int
		contains string
	}{
		{"10 MiB body", append(append([]byte(ncipOpen+"<LookupUser>"), bytes.Repeat([]byte("<!-- pad -->"), 10<<20/12)...), lookup[len(ncipOpen)+12:]...),
			http.StatusRequestEntityTooLarge, "larger than"},
		{"100,000-deep nesting", []byte(ncipOpen + strings.Repeat("<Ext>", 100000) + strings.Repeat("</Ext>", 100000) + "</NCIPMessage>"),
			http.StatusRequestEntityTooLarge, "larger than"},
		{"12,000-deep nesting under the size cap", []byte(ncipOpen + strings.Repeat("<a>", 12000) + strings.Repeat("</a>", 12000) + "</NCIPMessage>"),
			http.StatusOK, "nested deeper"},
		{"entity expansion", []byte(laughs), http.StatusOK, "DOCTYPE"},
	} {
		start := time.Now()
		code, b, err := p.raw(c.body)
		took := time.Since(start)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if took > time.Second {
			t.Errorf("%s: answered after %v, want within a second", c.name, took)
		}
		if code != c.status {
			t.Errorf("%s: HTTP %d, want %d", c.name, code, c.status)
		}
		p.keep(b)
		m, err := ncip.Decode(b, ncip.Limits{})
		if err != nil {
			t.Fatalf("%s: response does not decode: %v", c.name, err)
		}
		if pr := mustProblem(t, m, ncip.ProblemInvalidMessageSyntaxError); !strings.Contains(pr.Detail, c.contains) {
			t.Errorf("%s: detail %q lacks %q", c.name, pr.Detail, c.contains)
		}
		if code, body := get(d.url("/healthz")); code != http.StatusOK {
			t.Fatalf("after %s: /healthz %d %s", c.name, code, body)
		}
		code, b, err = p.raw(lookup)
		if err != nil || code != http.StatusOK || !bytes.Contains(b, []byte("Good Standing, NORTH")) {
			t.Fatalf("after %s: LookupUser %d %v %s", c.name, code, err, b)
		}
	}
	p.validate()
}

// TestNCIPClientCertificates: with tls.http client_ca, a partner known by its
// certificate's common name (partners[].client_cert_cn) needs no secret; a
// certificate of no partner, or a FromAgencyId that is not its own, is
// refused with Agency Authentication Failed.
func TestNCIPClientCertificates(t *testing.T) {
	l := northILS(t)
	dir := t.TempDir()
	ca := newCA(t, "ncip test CA")
	srvCert, srvKey := ca.issue(t, "127.0.0.1", true)
	httpsAddr := addr(t)
	extra := fmt.Sprintf(`tls:
  http: {listen: %s, cert: %s, key: %s, client_ca: %s}
partners:
  - {agency: PARTNERX, client_cert_cn: partnerx.example, member: NORTH}
  - {agency: PARTNER1, secret: {value: partner1secret}, member: NORTH}
`, httpsAddr, writeFile(t, dir, "srv.pem", srvCert), writeFile(t, dir, "srv.key", srvKey), writeFile(t, dir, "ca.pem", ca.pem))
	startGateway(t, circConfig(t, l.addr, extra))

	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	client := func(cn string) *http.Client {
		c, k := ca.issue(t, cn, false)
		pair, err := tls.X509KeyPair(c, k)
		if err != nil {
			t.Fatal(err)
		}
		return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{pair}}}}
	}
	url := "https://" + httpsAddr + "/ncip"
	px := newNCIPPeer(t, url, client("partnerx.example"))
	r := px.post("<LookupUser>" + ncipHeader("PARTNERX", "", "NORTH") + xUser("N0001") + "</LookupUser>")
	mustOK(t, r)
	if n := r.Body.(*ncip.LookupUserResponse).UserOptionalFields.NameInformation.Personal.Unstructured; n != "Ada Lovelace" {
		t.Errorf("name %q", n)
	}
	mustProblem(t, px.post("<LookupUser>"+ncipHeader("PARTNER1", "", "NORTH")+xUser("N0001")+"</LookupUser>"), ncip.ProblemAgencyAuthenticationFailed)

	other := newNCIPPeer(t, url, client("stranger.example"))
	mustProblem(t, other.post("<LookupUser>"+ncipHeader("PARTNERX", "", "NORTH")+xUser("N0001")+"</LookupUser>"), ncip.ProblemAgencyAuthenticationFailed)
	// The shared secret still works over the certificate of no partner.
	mustOK(t, other.post("<LookupUser>"+p1("NORTH")+xUser("N0001")+"</LookupUser>"))

	// Without a client certificate the TLS handshake itself fails.
	bare := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	if resp, err := bare.Post(url, "application/xml", strings.NewReader("<x/>")); err == nil {
		resp.Body.Close()
		t.Error("a client without a certificate was served")
	}
	px.validate()
	other.validate()
}

// TestNCIPLookupUserFromLDAP (issue 9 point 7): for a member whose patrons
// are in an LDAP directory, LookupUser with barcode and PIN is answered
// from the directory, not the ILS.
func TestNCIPLookupUserFromLDAP(t *testing.T) {
	dirSrv := testenv.Slapd(t, `dn: ou=patrons,dc=example,dc=org
objectClass: organizationalUnit
ou: patrons

dn: uid=N0100,ou=patrons,dc=example,dc=org
objectClass: inetOrgPerson
uid: N0100
cn: Lin Directory
sn: Directory
mail: lin@example.org
description: FALSE
userPassword: dir-pin-100

dn: uid=N0101,ou=patrons,dc=example,dc=org
objectClass: inetOrgPerson
uid: N0101
cn: Mo Blocked
sn: Blocked
description: TRUE
userPassword: dir-pin-101
`)
	l := northILS(t)
	y := fmt.Sprintf(`listen: {sip2: %s, z3950: %s, http: %s, grpc: %s}
state: {driver: embedded, path: %s}
members:
  - code: NORTH
    name: North City Library
    sip2: {addr: %s, login: gw, password: {value: gwpass}, institution: NORTH, timeout: 2s}
    patrons:
      ldap:
        url: %s
        bind_dn: %q
        password: {value: %q}
        base_dn: %q
        filter: "(&(objectClass=inetOrgPerson)(uid=%%s))"
        timeout: 2s
        attributes: {name: cn, email: mail, blocked: description}
partners:
  - {agency: PARTNER1, secret: {value: partner1secret}, member: NORTH}
breaker: {failures: 2, open_for: 500ms, probes: 1}
`, addr(t), addr(t), addr(t), addr(t), filepath.Join(t.TempDir(), "illgw.db"), l.addr, dirSrv.URL, dirSrv.AdminDN, dirSrv.AdminPassword, dirSrv.BaseDN)
	cfg, err := config.Parse([]byte(y), "ldap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	g, _ := startGateway(t, cfg)
	p := newNCIPPeer(t, "http://"+g.addrs["http"]+"/ncip", nil)

	r := p.post("<LookupUser>" + p1("NORTH") + barcodePIN("N0100", "dir-pin-100") + "</LookupUser>")
	mustOK(t, r)
	lu := r.Body.(*ncip.LookupUserResponse)
	if n := lu.UserOptionalFields.NameInformation.Personal.Unstructured; n != "Lin Directory" {
		t.Errorf("name %q, want the directory's", n)
	}
	mustProblem(t, p.post("<LookupUser>"+p1("NORTH")+barcodePIN("N0100", "1234")+"</LookupUser>"), ncip.ProblemUserAuthenticationFailed)
	// N0001 is the ILS's patron, not the directory's.
	mustProblem(t, p.post("<LookupUser>"+p1("NORTH")+barcodePIN("N0001", "1234")+"</LookupUser>"), ncip.ProblemUnknownUser)
	r = p.post("<LookupUser>" + p1("NORTH") + barcodePIN("N0101", "dir-pin-101") + "</LookupUser>")
	mustOK(t, r)
	if f := r.Body.(*ncip.LookupUserResponse).UserOptionalFields; len(f.BlockOrTraps) != 1 {
		t.Errorf("blocked directory patron without BlockOrTrap: %+v", f)
	}
	// Injection never authenticates anyone.
	mustProblem(t, p.post("<LookupUser>"+p1("NORTH")+barcodePIN("*", "dir-pin-100")+"</LookupUser>"), ncip.ProblemUnknownUser)
	// Directory down: fail closed, promptly.
	dirSrv.Stop(t)
	start := time.Now()
	pr := problemOf(p.post("<LookupUser>" + p1("NORTH") + barcodePIN("N0100", "dir-pin-100") + "</LookupUser>"))
	if pr == nil || pr.Type.Value != ncip.ProblemTemporaryProcessingFailure {
		t.Errorf("directory down: %+v, want Temporary Processing Failure", pr)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("directory down answered after %v", took)
	}
	p.validate()
}

// TestNCIPMemberInboundSecret: a member's ILS sends with
// members[].ncip.inbound_secret under its NCIP agency id and acts for its
// own member; its outbound secret is not accepted inbound.
func TestNCIPMemberInboundSecret(t *testing.T) {
	l := northILS(t)
	cfg := circConfig(t, l.addr, "")
	cfg.Members[0].NCIP = &config.NCIP{URL: "http://127.0.0.1:1/ncip", Agency: "NORTH-ILS",
		Timeout: 2 * time.Second, ContentType: "application/xml",
		Secret: config.Secret{Value: "to-the-ils"}, InboundSecret: config.Secret{Value: "from-the-ils"}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	g, _ := startGateway(t, cfg)
	p := newNCIPPeer(t, "http://"+g.addrs["http"]+"/ncip", nil)
	r := p.post("<LookupUser>" + ncipHeader("NORTH-ILS", "from-the-ils", "NORTH") + xUser("N0001") + "</LookupUser>")
	mustOK(t, r)
	if h := r.Body.(*ncip.LookupUserResponse).Header; h.ToAgencyID.AgencyID.Value != "NORTH-ILS" {
		t.Errorf("ResponseHeader %+v", h)
	}
	// A notification about a loan that does not exist: the sender is
	// accepted as NORTH's ILS, and the loan is unknown.
	mustProblem(t, p.post("<ItemReceived>"+ncipHeader("NORTH-ILS", "from-the-ils", "NORTH")+xItem("ILL23456789")+
		"<DateReceived>2027-01-07T10:00:00Z</DateReceived></ItemReceived>"), ncip.ProblemUnknownItem)
	mustProblem(t, p.post("<LookupUser>"+ncipHeader("NORTH-ILS", "to-the-ils", "NORTH")+xUser("N0001")+"</LookupUser>"), ncip.ProblemAgencyAuthenticationFailed)
	mustProblem(t, p.post("<LookupUser>"+ncipHeader("NORTH", "from-the-ils", "NORTH")+xUser("N0001")+"</LookupUser>"), ncip.ProblemAgencyAuthenticationFailed)
	p.validate()
}

// TestNCIPSlowBody: a client that trickles its body is cut off at the body
// deadline with an NCIP problem, while other requests are answered.
func TestNCIPSlowBody(t *testing.T) {
	srv := ncip.NewServer(ncip.NewMemory("NORTH"))
	hs := httptest.NewServer(bodyDeadline{h: srv, d: 300 * time.Millisecond})
	defer hs.Close()
	c, err := net.Dial("tcp", hs.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	fmt.Fprintf(c, "POST /ncip HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\nContent-Length: 5000\r\n\r\n<NCIPMessage")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer to a trickled body after %v: %v", time.Since(start), err)
	}
	body, _ := io.ReadAll(resp.Body)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("answered after %v, want about the 300ms deadline", took)
	}
	if resp.StatusCode != http.StatusBadRequest || !bytes.Contains(body, []byte("Invalid Message Syntax Error")) {
		t.Errorf("HTTP %d %s", resp.StatusCode, body)
	}
	// A prompt client on the same server is served.
	p := newNCIPPeer(t, hs.URL, nil)
	mustProblem(t, p.post("<LookupUser>"+xUser("N0001")+"</LookupUser>"), ncip.ProblemUnknownUser)
}
