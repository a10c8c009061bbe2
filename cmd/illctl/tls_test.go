package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// pki writes a CA, a server certificate for 127.0.0.1 and a client
// certificate named alice into dir and returns their paths.
func pki(t *testing.T, dir string) (caFile, srvCert, srvKey, cliCert, cliKey string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "illctl test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	leaf := func(name string, serial int64, server bool) (string, string) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}
		if server {
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
			tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kder, _ := x509.MarshalECPrivateKey(key)
		return write(name+".pem", "CERTIFICATE", der), write(name+".key", "EC PRIVATE KEY", kder)
	}
	caFile = write("ca.pem", "CERTIFICATE", caDER)
	srvCert, srvKey = leaf("illgw", 2, true)
	cliCert, cliKey = leaf("alice", 3, false)
	return
}

// TestClientCertificateFlags runs illctl against a gateway that requires
// client certificates: with -cert -key -ca it is served, without it is not.
func TestClientCertificateFlags(t *testing.T) {
	dir := t.TempDir()
	caFile, srvCert, srvKey, cliCert, cliKey := pki(t, dir)
	httpAddr, grpcAddr := freeAddr(t), freeAddr(t)
	cfg := filepath.Join(dir, "illgw.yaml")
	os.WriteFile(cfg, []byte("listen: {http: "+httpAddr+", grpc: "+grpcAddr+", sip2: '', z3950: ''}\n"+
		"tls: {grpc: {cert: "+srvCert+", key: "+srvKey+", client_ca: "+caFile+"}}\n"+
		"state: {driver: embedded, path: "+filepath.Join(dir, "illgw.db")+"}\n"+
		"members: [{code: NORTH, name: North, ncip: {url: 'http://127.0.0.1:1/ncip'}}]\n"), 0o600)
	startGateway(t, httpAddr, "serve", "-config", cfg)

	code, out, errs := illctl("-addr", grpcAddr, "-cert", cliCert, "-key", cliKey, "-ca", caFile, "loans", "create", "-requester", "NORTH", "-patron", "N0001", "-title", "t")
	if code != 0 || !strings.Contains(out, "operator:alice") {
		t.Errorf("with a client certificate: %d\n%s%s", code, out, errs)
	}
	// Monitoring runs illctl health over the same TLS: every member's
	// breaker and the store's health, exit 0 while all is up.
	code, out, errs = illctl("-addr", grpcAddr, "-cert", cliCert, "-key", cliKey, "-ca", caFile, "health")
	if code != 0 || !strings.Contains(out, "state store (embedded): ok") || !regexp.MustCompile(`NORTH\s+ncip\s+closed`).MatchString(out) {
		t.Errorf("health with a client certificate: %d\n%s%s", code, out, errs)
	}
	if code, _, errs := illctl("-addr", grpcAddr, "-ca", caFile, "-timeout", "3s", "members"); code != 1 || !strings.Contains(errs, "Unavailable") {
		t.Errorf("without a client certificate: %d %s", code, errs)
	}
	if code, _, _ := illctl("-addr", grpcAddr, "-timeout", "3s", "members"); code != 1 {
		t.Errorf("plaintext against a TLS gateway: exit %d, want 1", code)
	}
}
