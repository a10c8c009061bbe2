package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/illgw/illgw/config"
	"github.com/illgw/illgw/internal/sim"
	"github.com/illgw/illgw/sip2"
)

// withTerminal is cfg with one more kiosk account, sharing kiosk1's hash.
func withTerminal(cfg *config.Config, login string) *config.Config {
	next := *cfg
	next.Terminals = append(slices.Clone(cfg.Terminals), config.Terminal{Login: login, PasswordHash: cfg.Terminals[0].PasswordHash, Member: "NORTH", Charset: "utf-8", MaxConnections: 4})
	return &next
}

// TestReloadKeepsKiosksAndAppliesTerminals: a kiosk logged in before a
// reload keeps working on its connection; an account added by the reload
// logs in on a new one; a changed listener address is reported as needing
// a restart, per key, and the gateway keeps its running listener.
func TestReloadKeepsKiosksAndAppliesTerminals(t *testing.T) {
	north := northILS(t)
	cfg := circConfig(t, north.addr, "")
	g, logs := startGateway(t, cfg)
	k := dialKiosk(t, g.addrs["sip2"], nil)
	if !k.login("kiosk1", "kiosk1pass") {
		t.Fatal("kiosk1 refused")
	}
	if dialKiosk(t, g.addrs["sip2"], nil).login("kiosk2", "kiosk1pass") {
		t.Fatal("kiosk2 logged in before it was configured")
	}
	next := withTerminal(cfg, "kiosk2")
	next.Listen.SIP2 = addr(t)
	if err := next.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := g.reload(next); err != nil {
		t.Fatalf("reload: %v", err)
	}
	pi := do[*sip2.PatronInformationResponse](k, &sip2.PatronInformation{InstitutionID: "NORTH", PatronID: "N0001", PatronPassword: "1234"})
	if pi.ValidPatron != sip2.Yes {
		t.Errorf("kiosk1 after the reload: patron N0001 valid %c", pi.ValidPatron)
	}
	if !dialKiosk(t, g.addrs["sip2"], nil).login("kiosk2", "kiosk1pass") {
		t.Error("kiosk2 refused after the reload that added it")
	}
	restart := grep(logs.String(), "needs a restart")
	if !strings.Contains(restart, "key=listen.sip2") || strings.Contains(restart, "key=listen.http") {
		t.Errorf("restart report: %q", restart)
	}
	checkNoSecrets(t, logs.String())
}

// TestReloadDuringACall: a checkout in flight while the configuration is
// swapped gets its answer, and the item is charged once.
func TestReloadDuringACall(t *testing.T) {
	north := northILS(t)
	north.stop()
	north.serve = slowBackend{north.b, 1500 * time.Millisecond}
	north.start()
	cfg := circConfig(t, north.addr, "")
	cfg.Members[0].SIP2.Timeout = 5 * time.Second
	g, _ := startGateway(t, cfg)
	k := dialKiosk(t, g.addrs["sip2"], nil)
	if !k.login("kiosk1", "kiosk1pass") {
		t.Fatal("kiosk1 refused")
	}
	k.send(&sip2.Checkout{InstitutionID: "NORTH", PatronID: "N0001", PatronPassword: "1234", ItemID: "NI0003"})
	time.Sleep(300 * time.Millisecond) // the checkout is now at the ILS
	old := g.cur.Load()
	if err := g.reload(withTerminal(cfg, "kiosk2")); err != nil {
		t.Fatal(err)
	}
	resp, raw := k.read()
	if co, ok := resp.(*sip2.CheckoutResponse); !ok || !co.OK {
		t.Fatalf("checkout across a reload answered %q", raw)
	}
	if !old.retired.Load() || g.cur.Load() == old {
		t.Error("the old configuration was not replaced")
	}
}

// TestReloadRefusesInvalidConfig: a file that does not validate is
// refused with its reason logged, and the running configuration stays.
func TestReloadRefusesInvalidConfig(t *testing.T) {
	north := northILS(t)
	cfg := circConfig(t, north.addr, "")
	g, logs := startGateway(t, cfg)
	before := g.cur.Load()
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("members: [{code: NORTH}]\nbogus_key: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	reloadFile(g, bad, g.log)
	if g.cur.Load() != before {
		t.Error("an invalid file replaced the running configuration")
	}
	if l := grep(logs.String(), "configuration refused"); !strings.Contains(l, "bogus_key") {
		t.Errorf("refusal does not say why: %q", l)
	}
	k := dialKiosk(t, g.addrs["sip2"], nil)
	if !k.login("kiosk1", "kiosk1pass") {
		t.Error("kiosk1 refused after a refused reload")
	}
}

// TestReloadRotatesCertificate: after the certificate files are replaced
// and the gateway reloads, a new TLS connection gets the new certificate
// while one opened before keeps working.
func TestReloadRotatesCertificate(t *testing.T) {
	north := northILS(t)
	dir := t.TempDir()
	ca := newCA(t, "illgw test CA")
	cert, key := ca.issue(t, "127.0.0.1", true)
	certFile, keyFile := writeFile(t, dir, "sip2.crt", cert), writeFile(t, dir, "sip2.key", key)
	cfg := circConfig(t, north.addr, fmt.Sprintf("tls: {sip2: {listen: %s, cert: %s, key: %s}}\n", addr(t), certFile, keyFile))
	g, _ := startGateway(t, cfg)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.pem)
	tc := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	k := dialKiosk(t, g.addrs["sip2-tls"], tc)
	if !k.login("kiosk1", "kiosk1pass") {
		t.Fatal("login over TLS refused")
	}
	serial := func(c *tls.Conn) string { return c.ConnectionState().PeerCertificates[0].SerialNumber.String() }
	first := serial(k.nc.(*tls.Conn))

	cert2, key2 := ca.issue(t, "127.0.0.1", true)
	writeFile(t, dir, "sip2.crt", cert2)
	writeFile(t, dir, "sip2.key", key2)
	if err := g.reload(cfg); err != nil {
		t.Fatal(err)
	}
	c, err := tls.Dial("tcp", g.addrs["sip2-tls"], tc)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := serial(c); got == first {
		t.Errorf("new connection still gets the old certificate %s", got)
	}
	pi := do[*sip2.PatronInformationResponse](k, &sip2.PatronInformation{InstitutionID: "NORTH", PatronID: "N0001", PatronPassword: "1234"})
	if pi.ValidPatron != sip2.Yes || serial(k.nc.(*tls.Conn)) != first {
		t.Error("the connection opened before the rotation did not keep working")
	}

	// A rotation to a broken key pair is refused; the good one stays.
	writeFile(t, dir, "sip2.key", []byte("not a key"))
	if err := g.reload(cfg); err == nil {
		t.Error("a broken key pair was accepted")
	}
	if c, err := tls.Dial("tcp", g.addrs["sip2-tls"], tc); err != nil {
		t.Errorf("after a refused rotation: %v", err)
	} else {
		c.Close()
	}
}

// TestHealthzFollowsSimulatedMembers: with the demo's members registered,
// /healthz is 503 naming the member while one is down, 200 once it is back.
func TestHealthzFollowsSimulatedMembers(t *testing.T) {
	cfg, err := demoConfig(filepath.Join(t.TempDir(), "illgw.db"), addr(t), addr(t), addr(t), addr(t))
	if err != nil {
		t.Fatal(err)
	}
	log := newLogger(config.Log{Level: "error"}, &syncBuffer{})
	members, err := startMembers(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { members.Close() })
	g, err := start(context.Background(), cfg, log, startOptions{waitFor: []func() error{members.Ready}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownBudget)
		defer cancel()
		g.shutdown(ctx)
	})
	url := "http://" + g.addrs["http"] + "/healthz"
	if code, body := get(url); code != http.StatusOK {
		t.Fatalf("all members up: %d %q", code, body)
	}
	south := members.Member("SOUTH")
	if err := south.SetFaults(simDown()); err != nil {
		t.Fatal(err)
	}
	if code, body := get(url); code != http.StatusServiceUnavailable || !strings.Contains(body, "SOUTH") {
		t.Errorf("SOUTH down: %d %q", code, body)
	}
	if err := south.SetFaults(simUp()); err != nil {
		t.Fatal(err)
	}
	if code, body := get(url); code != http.StatusOK {
		t.Errorf("SOUTH back: %d %q", code, body)
	}
}

func simDown() sim.Faults { return sim.Faults{Down: sim.Refused} }
func simUp() sim.Faults   { return sim.Faults{} }

// TestShutdownWithinBoundsAStuckStep: a shutdown step that ignores its
// deadline (a disk or a member that never answers) does not hold the
// process past the budget plus the grace.
func TestShutdownWithinBoundsAStuckStep(t *testing.T) {
	logs := &syncBuffer{}
	log := newLogger(config.Log{}, logs)
	block := make(chan struct{})
	defer close(block)
	start := time.Now()
	ok := shutdownWithin(func(ctx context.Context) error { <-block; return nil }, log, 200*time.Millisecond, 100*time.Millisecond)
	if took := time.Since(start); ok || took > 2*time.Second {
		t.Errorf("stuck shutdown: ok %v after %v", ok, took)
	}
	if !strings.Contains(logs.String(), "still blocked") {
		t.Errorf("no log of the stuck shutdown: %s", logs)
	}
	if !shutdownWithin(func(ctx context.Context) error { return nil }, log, time.Second, time.Second) {
		t.Error("a clean shutdown reported as failed")
	}
}

// TestSIGHUPReloadsTheFile drives the real process: SIGHUP with a changed
// listener address logs that it needs a restart; SIGHUP with a file that
// does not validate is refused with the reason, and the gateway keeps
// serving.
func TestSIGHUPReloadsTheFile(t *testing.T) {
	dir := t.TempDir()
	httpAddr, grpcAddr := addr(t), addr(t)
	body := "listen: {http: " + httpAddr + ", grpc: " + grpcAddr + ", sip2: '', z3950: ''}\n" +
		"state: {driver: embedded, path: " + filepath.Join(dir, "illgw.db") + "}\n" +
		"members:\n  - {code: NORTH, name: North, ncip: {url: 'http://127.0.0.1:1/ncip'}}\n"
	path := writeFile(t, dir, "illgw.yaml", []byte(body))
	d := startIllgw(t, httpAddr, grpcAddr, "serve", "-config", path)
	d.waitHealthy(t)
	waitLog := func(want string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if strings.Contains(d.stderr.String(), want) {
				return
			}
		}
		t.Fatalf("no %q in the log:\n%s", want, d.stderr.String())
	}
	writeFile(t, dir, "illgw.yaml", []byte(strings.Replace(body, "http: "+httpAddr, "http: "+addr(t), 1)))
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog("key=listen.http")
	writeFile(t, dir, "illgw.yaml", []byte(body+"bogus_key: 1\n"))
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog("configuration refused")
	if l := grep(d.stderr.String(), "configuration refused"); !strings.Contains(l, "bogus_key") {
		t.Errorf("refusal without its reason: %s", l)
	}
	if code, body := get(d.url("/healthz")); code != http.StatusOK {
		t.Errorf("/healthz after the reloads: %d %q", code, body)
	}
	if code, _ := d.terminate(t); code != 0 {
		t.Errorf("exit %d", code)
	}
}
