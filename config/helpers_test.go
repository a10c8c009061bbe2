package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Secret values the example's environment holds. Tests check that none of
// them ever appears in an error.
const (
	northZ3950 = "canary-z3950-7Hq"
	northNCIP  = "canary-ncip-out-2Zx"
	northIn    = "canary-ncip-in-9Kd"
	northSIP2  = "canary-sip2-Vw4"
	southNCIP  = "canary-south-file-Lp3"
	southLDAP  = "canary-ldap-Q8r"
	partner1   = "canary-partner-Mm1"
)

var canaries = []string{northZ3950, northNCIP, northIn, northSIP2, southNCIP, southLDAP, partner1}

// exampleEnv prepares what testdata/example.yaml needs: the secrets in
// environment variables and a file, and TLS files under tls/ in a fresh
// working directory. It returns the example's absolute path.
func exampleEnv(t *testing.T) string {
	t.Helper()
	example, err := filepath.Abs("testdata/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("NORTH_Z3950_PASSWORD", northZ3950)
	t.Setenv("NORTH_NCIP_SECRET", northNCIP)
	t.Setenv("NORTH_NCIP_INBOUND", northIn)
	t.Setenv("NORTH_SIP2_PASSWORD", northSIP2)
	t.Setenv("SOUTH_LDAP_PASSWORD", southLDAP)
	t.Setenv("PARTNER1_SECRET", partner1)
	dir := t.TempDir()
	t.Chdir(dir)
	writeFile(t, "secrets/south-ncip", southNCIP+"\n")
	writeTLS(t, "tls")
	return example
}

func writeFile(t *testing.T, name, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// writeTLS writes a self-signed server.crt/server.key and clients.crt
// (the same certificate, as a CA) into dir.
func writeTLS(t *testing.T, dir string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "illgw test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	writeFile(t, filepath.Join(dir, "server.crt"), cert)
	writeFile(t, filepath.Join(dir, "clients.crt"), cert)
	writeFile(t, filepath.Join(dir, "server.key"), string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})))
}
