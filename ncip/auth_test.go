package ncip

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// clientCert returns a self-signed client certificate for cn.
func clientCert(t *testing.T, cn string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// TestServerClientCertificate authenticates a partner by its TLS client
// certificate: no secret needed, and FromAgencyId must match the mapping.
func TestServerClientCertificate(t *testing.T) {
	rs := &responses{}
	partner, stranger := clientCert(t, "partner1"), clientCert(t, "stranger")
	pool := x509.NewCertPool()
	pool.AddCert(partner.Leaf)
	h := &spy{}
	srv := &Server{Handler: h, Logger: quietLogger(), Auth: &Partners{
		Certificates: map[string]string{CertificateFingerprint(partner.Leaf.Raw): "PARTNER1"},
		Secrets:      map[string]string{"PARTNER2": "two"},
	}}
	ts := httptest.NewUnstartedServer(srv)
	ts.TLS = &tls.Config{ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: pool, MinVersion: tls.VersionTLS12}
	ts.StartTLS()
	defer ts.Close()

	do := func(cert *tls.Certificate, from string) *LookupUserResponse {
		t.Helper()
		tr := ts.Client().Transport.(*http.Transport).Clone()
		if cert != nil {
			tr.TLSClientConfig.Certificates = []tls.Certificate{*cert}
		}
		defer tr.CloseIdleConnections()
		in := `<NCIPMessage><LookupUser><InitiationHeader><FromAgencyId><AgencyId>` + from + `</AgencyId></FromAgencyId><ToAgencyId><AgencyId>NORTH</AgencyId></ToAgencyId></InitiationHeader><UserId><UserIdentifierValue>N0001</UserIdentifierValue></UserId></LookupUser></NCIPMessage>`
		resp, err := (&http.Client{Transport: tr}).Post(ts.URL, "application/xml", bytes.NewReader([]byte(in)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		rs.add(data)
		m, err := Decode(data, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		return body[*LookupUserResponse](t, m)
	}
	lu := do(&partner, "PARTNER1")
	eq(t, "problems with certificate", len(lu.Problems), 0)
	eq(t, "agency", h.agency, "PARTNER1")

	for name, r := range map[string]*LookupUserResponse{
		"certificate of another agency": do(&partner, "PARTNER2"),
		"no certificate, no secret":     do(nil, "PARTNER1"),
		"unknown certificate":           do(&stranger, "PARTNER1"),
	} {
		if len(lu.Problems) != 0 || len(r.Problems) != 1 {
			t.Fatalf("%s: %d problems", name, len(r.Problems))
		}
		eq(t, name, r.Problems[0].Type.Value, ProblemAgencyAuthenticationFailed)
	}
	rs.validate(t)
}

// TestPartnersAuthenticate checks the decision table of Partners directly.
func TestPartnersAuthenticate(t *testing.T) {
	cert := clientCert(t, "p1")
	fp := CertificateFingerprint(cert.Leaf.Raw)
	p := &Partners{Secrets: map[string]string{"P1": "one", "P2": "two"}, Certificates: map[string]string{fp: "P1"}}
	hdr := func(from, secret string) *InitiationHeader {
		return &InitiationHeader{FromAgencyID: Agency(from), ToAgencyID: Agency("NORTH"), FromAgencyAuthentication: secret}
	}
	verified := &tls.ConnectionState{PeerCertificates: []*x509.Certificate{cert.Leaf}, VerifiedChains: [][]*x509.Certificate{{cert.Leaf}}}
	unverified := &tls.ConnectionState{PeerCertificates: []*x509.Certificate{cert.Leaf}}
	cases := []struct {
		name   string
		in     AuthInput
		agency string
	}{
		{"secret", AuthInput{Header: hdr("P1", "one")}, "P1"},
		{"other partner's secret", AuthInput{Header: hdr("P1", "two")}, ""},
		{"prefix of the secret", AuthInput{Header: hdr("P2", "tw")}, ""},
		{"unknown agency", AuthInput{Header: hdr("P3", "")}, ""},
		{"no header", AuthInput{}, ""},
		{"verified certificate, no header", AuthInput{TLS: verified}, "P1"},
		{"verified certificate, same agency", AuthInput{TLS: verified, Header: hdr("P1", "")}, "P1"},
		{"verified certificate, other agency", AuthInput{TLS: verified, Header: hdr("P2", "two")}, ""},
		{"unverified certificate", AuthInput{TLS: unverified, Header: hdr("P1", "")}, ""},
		{"unverified certificate, secret", AuthInput{TLS: unverified, Header: hdr("P1", "one")}, "P1"},
	}
	for _, c := range cases {
		agency, err := p.Authenticate(context.Background(), &c.in)
		eq(t, c.name, agency, c.agency)
		if c.agency == "" {
			pr := problemOf(t, err, ProblemAgencyAuthenticationFailed)
			if strings.Contains(pr.Error(), "one") || strings.Contains(pr.Error(), "two") {
				t.Errorf("%s: error shows a secret: %v", c.name, pr)
			}
		} else if err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
