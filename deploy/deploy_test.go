// Package deploy holds the files an operator installs (illgw.service,
// illgw.production.yaml, redis.md); its tests check them against the real
// tools: systemd-analyze, illgw check-config and redis-server.
package deploy

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/illgw/illgw/broker/state"
	"github.com/illgw/illgw/internal/testenv"
)

var (
	buildOnce sync.Once
	illgwBin  string
	buildErr  error
)

// illgw builds cmd/illgw once for the package's tests.
func illgw(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "illgw-deploy-")
		if err != nil {
			buildErr = err
			return
		}
		illgwBin = filepath.Join(dir, "illgw")
		out, err := exec.Command("go", "build", "-o", illgwBin, "github.com/illgw/illgw/cmd/illgw").CombinedOutput()
		if err != nil {
			buildErr = &buildError{err, out}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return illgwBin
}

type buildError struct {
	err error
	out []byte
}

func (e *buildError) Error() string { return "building illgw: " + e.err.Error() + "\n" + string(e.out) }

func TestMain(m *testing.M) {
	code := m.Run()
	if illgwBin != "" {
		os.RemoveAll(filepath.Dir(illgwBin))
	}
	os.Exit(code)
}

// TestSystemdUnit runs systemd-analyze verify on illgw.service. verify
// insists that ExecStart's binary exists, so the unit is checked with
// /usr/local/bin/illgw replaced by a freshly built illgw; nothing else is
// changed. Any warning (an unknown or misspelt directive) fails the test.
func TestSystemdUnit(t *testing.T) {
	analyze := testenv.Require(t, "systemd-analyze", "systemd")
	unit, err := os.ReadFile("illgw.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"User=illgw", "StateDirectory=illgw", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
		"NoNewPrivileges=yes", "\nCapabilityBoundingSet=\n", "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
		"SystemCallFilter=@system-service", "ExecReload=/bin/kill -HUP $MAINPID",
	} {
		if !bytes.Contains(unit, []byte(want)) {
			t.Errorf("illgw.service lacks %q", want)
		}
	}
	if !bytes.Contains(unit, []byte("ExecStart=/usr/local/bin/illgw serve -config /etc/illgw/illgw.yaml")) {
		t.Fatal("illgw.service: ExecStart is not the documented command")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "illgw.service")
	os.WriteFile(path, bytes.ReplaceAll(unit, []byte("/usr/local/bin/illgw"), []byte(illgw(t))), 0o644)
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	sec, err := exec.Command(analyze, "security", "--offline=yes", path).CombinedOutput()
	if err == nil {
		if i := bytes.Index(sec, []byte("Overall exposure level")); i >= 0 {
			t.Logf("systemd-analyze security: %s", bytes.TrimSpace(sec[i:]))
		}
	}
}

// TestProductionConfig runs `illgw check-config` on illgw.production.yaml
// with /etc/illgw/ moved to a temporary folder holding dummy secret files
// and a generated certificate; then without one secret file, which must
// be refused by key.
func TestProductionConfig(t *testing.T) {
	bin := illgw(t)
	dir := t.TempDir()
	data, err := os.ReadFile("illgw.production.yaml")
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.ReplaceAll(data, []byte("/etc/illgw/"), []byte(dir+"/"))
	cfg := filepath.Join(dir, "illgw.yaml")
	os.WriteFile(cfg, data, 0o600)
	os.MkdirAll(filepath.Join(dir, "secrets"), 0o700)
	for _, name := range []string{"redis", "north-ncip", "north-ncip-inbound", "north-sip2", "south-ncip", "south-ncip-inbound", "south-ldap", "partner1-ncip"} {
		os.WriteFile(filepath.Join(dir, "secrets", name), []byte("dummy-"+name+"\n"), 0o600)
	}
	writeCert(t, filepath.Join(dir, "tls"))

	out, err := exec.Command(bin, "check-config", "-config", cfg).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ok (2 members, 1 database, 1 terminal, 1 partner, state redis)") {
		t.Fatalf("check-config of the production example: %v\n%s", err, out)
	}
	os.Remove(filepath.Join(dir, "secrets", "partner1-ncip"))
	out, err = exec.Command(bin, "check-config", "-config", cfg).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "partners[0].secret") || strings.Contains(string(out), "dummy-") {
		t.Fatalf("check-config without a partner secret file: %v\n%s", err, out)
	}
}

// writeCert writes server.crt, server.key and clients-ca.crt (a
// self-signed P-256 certificate) to dir.
func writeCert(t *testing.T, dir string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "illgw"}, DNSNames: []string{"illgw"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(dir, 0o700)
	crt := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	os.WriteFile(filepath.Join(dir, "server.crt"), crt, 0o600)
	os.WriteFile(filepath.Join(dir, "clients-ca.crt"), crt, 0o600)
	os.WriteFile(filepath.Join(dir, "server.key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)
}

// redisDoc returns the conf block and the ACL SETUSER line of redis.md.
func redisDoc(t *testing.T) (conf [][]string, acl []string) {
	t.Helper()
	doc, err := os.ReadFile("redis.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```conf\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("redis.md has no ```conf block")
	}
	for _, l := range strings.Split(strings.TrimSpace(block), "\n") {
		conf = append(conf, strings.Fields(l))
	}
	for _, l := range strings.Split(string(doc), "\n") {
		if strings.HasPrefix(l, "ACL SETUSER illgw ") {
			acl = strings.Fields(l)
		}
	}
	if acl == nil {
		t.Fatal("redis.md has no ACL SETUSER illgw line")
	}
	return conf, acl
}

// TestRedisSettingsAndACL applies redis.md's settings (CONFIG SET) and ACL
// user to a real redis-server, then runs every Store operation, an export
// and an import as that user: none may be refused, and the ACL log must
// stay empty (go-redis ignores some refused handshake commands, the log
// does not). The user must not reach other keys or admin commands.
func TestRedisSettingsAndACL(t *testing.T) {
	ctx := context.Background()
	srv := testenv.Redis(t)
	admin := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer admin.Close()
	conf, acl := redisDoc(t)
	for _, kv := range conf {
		if len(kv) != 2 {
			t.Fatalf("redis.md conf line %q is not `name value`", kv)
		}
		if err := admin.ConfigSet(ctx, kv[0], kv[1]).Err(); err != nil {
			t.Fatalf("CONFIG SET %s %s: %v", kv[0], kv[1], err)
		}
	}
	const pw = "test-password-for-illgw"
	args := []any{}
	for _, a := range acl {
		args = append(args, strings.Replace(a, ">CHANGE-ME", ">"+pw, 1))
	}
	if err := admin.Do(ctx, args...).Err(); err != nil {
		t.Fatalf("redis.md's ACL line: %v", err)
	}
	admin.Do(ctx, "ACL", "LOG", "RESET")

	s, err := state.Open(ctx, state.Options{Driver: "redis", Addrs: []string{srv.Addr}, Username: "illgw", Password: pw, Partitions: 4})
	if err != nil {
		t.Fatalf("open as the ACL user: %v", err)
	}
	defer s.Close()
	exercise(t, s, "A1")
	var buf bytes.Buffer
	if _, err := state.Export(ctx, s, &buf); err != nil {
		t.Fatalf("export as the ACL user: %v", err)
	}
	if _, err := state.Import(ctx, s, bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatalf("import (all there already) as the ACL user: %v", err)
	}
	s.Close()
	admin.FlushAll(ctx) // ACL users stay
	s, err = state.Open(ctx, state.Options{Driver: "redis", Addrs: []string{srv.Addr}, Username: "illgw", Password: pw, Partitions: 4})
	if err != nil {
		t.Fatalf("open of an empty store as the ACL user: %v", err)
	}
	if res, err := state.Import(ctx, s, bytes.NewReader(buf.Bytes())); err != nil || res.Added["event"] == 0 {
		t.Fatalf("import into an empty store as the ACL user: %+v, %v", res, err)
	}
	exercise(t, s, "A2") // beside the imported loans
	if log, err := admin.Do(ctx, "ACL", "LOG").Slice(); err != nil || len(log) != 0 {
		t.Fatalf("ACL LOG after illgw's operations: %v %v", log, err)
	}

	user := redis.NewClient(&redis.Options{Addr: srv.Addr, Username: "illgw", Password: pw})
	defer user.Close()
	for _, cmd := range [][]any{{"SET", "other", "x"}, {"GET", "other:illgw:x"}, {"FLUSHALL"}, {"CONFIG", "GET", "*"}, {"KEYS", "*"}, {"CLIENT", "KILL", "ID", "1"}} {
		if err := user.Do(ctx, cmd...).Err(); err == nil || !strings.Contains(err.Error(), "NOPERM") {
			t.Errorf("%v as illgw: %v, want NOPERM", cmd, err)
		}
	}
}

// exercise calls every Store method once.
func exercise(t *testing.T, s state.Store, id string) {
	t.Helper()
	ctx := context.Background()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s as the ACL user: %v", what, err)
		}
	}
	_, err := s.Apply(ctx, state.Mutation{LoanID: id, Data: []byte("x"), Events: []state.Event{{Type: "created"}},
		Timer: &state.Timer{Due: time.Now().Add(-time.Second), Kind: "k"}, DedupKey: "d1"})
	must("Apply", err)
	_, err = s.Apply(ctx, state.Mutation{LoanID: id, Data: []byte("x"), Events: []state.Event{{Type: "created"}},
		Timer: &state.Timer{Due: time.Now().Add(-time.Second), Kind: "k"}, DedupKey: "d1"})
	must("Apply (replayed)", err)
	_, err = s.CompareAndSet(ctx, id, 1, []byte("y"), nil, nil, "")
	must("CompareAndSet", err)
	_, err = s.Get(ctx, id)
	must("Get", err)
	_, err = s.Events(ctx, id)
	must("Events", err)
	p := s.PartitionOf(id)
	_, _, err = s.List(ctx, state.ListOptions{Partition: p})
	must("List", err)
	_, err = s.Feed(ctx, p, 0, 10)
	must("Feed", err)
	_, err = s.Apply(ctx, state.Mutation{LoanID: id, ExpectVersion: 2, Timer: &state.Timer{Due: time.Now().Add(time.Hour), Kind: "k"}})
	must("Apply with a timer", err)
	_, err = s.Apply(ctx, state.Mutation{LoanID: id, ExpectVersion: 3, CancelTimer: true})
	must("Apply cancelling a timer", err)
	_, err = s.ClaimDue(ctx, p, time.Now(), 10)
	must("ClaimDue", err)
	must("PutTTL", s.PutTTL(ctx, "k1", []byte("v"), time.Hour))
	_, err = s.GetTTL(ctx, "k1")
	must("GetTTL", err)
	_, _, err = s.PutIfAbsent(ctx, "k2", []byte("v"), time.Hour)
	must("PutIfAbsent", err)
	must("DeleteTTL", s.DeleteTTL(ctx, "k1"))
	_, err = s.Incr(ctx, "c1", time.Hour)
	must("Incr", err)
	_, err = s.Incr(ctx, "c2", time.Hour)
	must("Incr", err)
	must("Reset", s.Reset(ctx, "c2"))
	must("Ping", s.Ping(ctx))
}
