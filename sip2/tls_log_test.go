package sip2_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"log/slog"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/illgw/illgw/sip2"
	"github.com/illgw/illgw/sip2/memory"
)

// testCA makes a CA and a server certificate for 127.0.0.1 signed by it.
func testCA(t testing.TB) (server tls.Certificate, roots *x509.CertPool) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "illgw test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	roots = x509.NewCertPool()
	roots.AddCert(ca)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, roots
}

// TestTranscriptTLS: a kiosk trusting the test CA logs in and checks out
// over TLS; one that does not trust it, or offers only TLS 1.1, fails the
// handshake.
func TestTranscriptTLS(t *testing.T) {
	cert, roots := testCA(t)
	_, addr := startServer(t, fixture(), func(s *sip2.Server) {
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	})
	k, err := tlsKiosk(t, addr, &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	k.login(kioskLogin, kioskPass)
	resp := k.roundTrip(ck("11YN"+date+"                  AONORTH|AAN0001|ABNI0002|AC|AD1234|", 1) + "\r")
	verify(t, resp, 1)
	if !strings.HasPrefix(resp, "121NNY") {
		t.Errorf("checkout over TLS: %q", resp)
	}
	if _, err := tlsKiosk(t, addr, &tls.Config{ServerName: "127.0.0.1"}); err == nil {
		t.Error("handshake succeeded without the test CA")
	}
	if _, err := tlsKiosk(t, addr, &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", MaxVersion: tls.VersionTLS11}); err == nil {
		t.Error("TLS 1.1 accepted")
	}
	// Plain SIP2 on the TLS port gets nothing back.
	p := dialKiosk(t, addr)
	p.send("9300CNkiosk1|COkiosk1pass|\r")
	if !p.closed() {
		t.Error("plain text accepted on the TLS port")
	}
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSecretsNeverLogged: with every log level on, terminal passwords (CO,
// AC) and patron PINs (AD) appear nowhere in the log, whether the login or
// the PIN is right or wrong.
func TestSecretsNeverLogged(t *testing.T) {
	const (
		pass     = "Pa55-term-q7"
		badPass  = "Wr0ng-term-x9"
		pin      = "pin-5k2j"
		badPin   = "pin-bad-8h"
		termPass = "acpw-3m1c"
	)
	b := fixture()
	b.AddAccount(memory.Account{Login: "logged", PasswordHash: memory.HashPassword(pass, 4), Institution: "NORTH"})
	b.AddPatron(memory.Patron{ID: "P9", PIN: pin, Name: "Pat Nine"})
	var buf syncBuffer
	_, addr := startServer(t, b, func(s *sip2.Server) {
		s.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	k := dialKiosk(t, addr)
	k.roundTrip("9300CNlogged|CO" + badPass + "|\r")
	k.roundTrip(ck("9300CNlogged|CO"+pass+"|CPMAIN|", 0) + "\r")
	k.roundTrip("6300120261127    031355          AONORTH|AAP9|AC" + termPass + "|AD" + pin + "|\r")
	k.roundTrip("6300120261127    031355          AONORTH|AAP9|AC" + termPass + "|AD" + badPin + "|\r")
	k.roundTrip("11YN" + date + "                  AONORTH|AAP9|ABNI0001|AC" + termPass + "|AD" + pin + "|\r")
	k.roundTrip("25" + date + "AONORTH|AAP9|AD" + badPin + "|\r") // refused: wrong PIN
	k.roundTrip("23001" + date + "AONORTH|AAP9|AD" + pin + "\r")  // last field without its |
	k.c.Close()
	time.Sleep(100 * time.Millisecond)
	out := buf.String()
	for _, secret := range []string{pass, badPass, pin, badPin, termPass} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{"CO***", "AD***", "AC***", "login refused", "terminal logged in"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q (is debug logging of messages on?):\n%s", want, out)
		}
	}
}
