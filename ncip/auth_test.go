package ncip

import (
	"bytes"
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
