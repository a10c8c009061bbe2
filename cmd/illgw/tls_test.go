package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/illgw/illgw/config"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue makes a leaf certificate for 127.0.0.1 (server) or a client named
// cn, and returns its PEM certificate and key.
func (ca *testCA) issue(t *testing.T, cn string, server bool) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestGRPCClientCertificates(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, "illgw test CA")
	srvCert, srvKey := ca.issue(t, "illgw", true)
	cliCert, cliKey := ca.issue(t, "alice", false)
	other := newCA(t, "someone else")
	strangerCert, strangerKey := other.issue(t, "mallory", false)
	caFile := writeFile(t, dir, "ca.pem", ca.pem)

	httpAddr, grpcAddr, httpsAddr := addr(t), addr(t), addr(t)
	certFile, keyFile := writeFile(t, dir, "srv.pem", srvCert), writeFile(t, dir, "srv.key", srvKey)
	cfg := "listen: {http: " + httpAddr + ", grpc: " + grpcAddr + ", sip2: '', z3950: ''}\n" +
		"tls:\n  grpc: {cert: " + certFile + ", key: " + keyFile + ", client_ca: " + caFile + "}\n" +
		"  http: {listen: " + httpsAddr + ", cert: " + certFile + ", key: " + keyFile + "}\n" +
		"state: {driver: embedded, path: " + filepath.Join(dir, "illgw.db") + "}\n" +
		"members:\n  - {code: NORTH, name: North, ncip: {url: 'http://127.0.0.1:1/ncip'}}\n"
	d := startIllgw(t, httpAddr, grpcAddr, "serve", "-config", writeFile(t, dir, "illgw.yaml", []byte(cfg)))
	d.waitHealthy(t)

	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.pem)

	// tls.http serves the same endpoints over HTTPS.
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	resp, err := hc.Get("https://" + httpsAddr + "/readyz")
	if err != nil {
		t.Fatalf("https /readyz: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("https /readyz = %d", resp.StatusCode)
	}
	if _, metrics := get(d.url("/metrics")); !strings.Contains(metrics, `illgw_connections_total{listener="https"} 1`) {
		t.Errorf("the HTTPS connection is not counted")
	}
	call := func(opt grpc.DialOption) (*illgwv1.Loan, error) {
		cc, err := grpc.NewClient(grpcAddr, opt)
		if err != nil {
			t.Fatal(err)
		}
		defer cc.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return illgwv1.NewLoansClient(cc).Create(ctx, &illgwv1.CreateLoanRequest{Requester: "NORTH", PatronId: "N0001", Bib: &illgwv1.Bib{Title: "t"}})
	}
	withCert := func(c, k []byte) grpc.DialOption {
		pair, err := tls.X509KeyPair(c, k)
		if err != nil {
			t.Fatal(err)
		}
		return grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: roots, Certificates: []tls.Certificate{pair}}))
	}

	loan, err := call(withCert(cliCert, cliKey))
	if err != nil {
		t.Fatalf("client with a certificate from the CA refused: %v", err)
	}
	if a := loan.Events[0].Actor; a.GetKind() != illgwv1.Actor_KIND_OPERATOR || a.GetId() != "alice" {
		t.Errorf("actor %v, want the certificate's name", a)
	}
	if _, err := call(grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: roots}))); status.Code(err) != codes.Unavailable {
		t.Errorf("client without a certificate: %v, want Unavailable", err)
	}
	if _, err := call(withCert(strangerCert, strangerKey)); status.Code(err) != codes.Unavailable {
		t.Errorf("client with another CA's certificate: %v, want Unavailable", err)
	}
	if _, err := call(grpc.WithTransportCredentials(insecure.NewCredentials())); status.Code(err) != codes.Unavailable {
		t.Errorf("plaintext client: %v, want Unavailable", err)
	}
}

func TestGRPCOffLoopbackNeedsTLS(t *testing.T) {
	dir := t.TempDir()
	port := addr(t)[len("127.0.0.1:"):]
	cfg := "listen: {http: " + addr(t) + ", grpc: '0.0.0.0:" + port + "', sip2: '', z3950: ''}\n" +
		"state: {driver: embedded, path: " + filepath.Join(dir, "illgw.db") + "}\n"
	file := writeFile(t, dir, "open.yaml", []byte(cfg))
	code, _, stderr := runIllgw(t, "", "serve", "-config", file)
	if code == 0 || !strings.Contains(stderr, "listen.grpc") || !strings.Contains(stderr, "client_ca") {
		t.Errorf("serve with gRPC on 0.0.0.0 without TLS: exit %d\n%s", code, stderr)
	}
	if c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second); err == nil {
		c.Close()
		t.Error("the gRPC port was bound anyway")
	}

	// The gateway refuses by itself too, whatever built its configuration.
	c := config.Default()
	c.Listen = config.Listen{GRPC: "0.0.0.0:" + port, HTTP: addr(t)}
	c.State.Path = filepath.Join(dir, "direct.db")
	_, err := start(context.Background(), c, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "not loopback") {
		t.Fatalf("start with gRPC on 0.0.0.0 without TLS: %v", err)
	}
	if _, err := os.Stat(c.State.Path); err == nil {
		t.Error("the store was opened before the refusal")
	}
}
