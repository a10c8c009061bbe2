package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/illgw/illgw/config"
	"github.com/illgw/illgw/internal/testenv"
	"github.com/illgw/illgw/sip2"
	"github.com/illgw/illgw/sip2/memory"
)

// TestSIP2ShutdownFinishesInFlight: a checkout under way when the gateway
// is told to stop gets its response, then the gateway closes cleanly.
func TestSIP2ShutdownFinishesInFlight(t *testing.T) {
	north := northILS(t)
	north.stop()
	north.serve = slowBackend{north.b, time.Second}
	north.start()
	cfg := circConfig(t, north.addr, "")
	g, err := start(context.Background(), cfg, newLogger(config.Log{Level: "error"}, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	k := dialKiosk(t, g.addrs["sip2"], nil)
	if !k.login("kiosk1", "kiosk1pass") {
		t.Fatal("login refused")
	}
	k.send(&sip2.Checkout{InstitutionID: "NORTH", PatronID: "N0001", PatronPassword: "1234", ItemID: "NI0006"})
	time.Sleep(300 * time.Millisecond)
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownBudget)
		defer cancel()
		done <- g.shutdown(ctx)
	}()
	m, raw := k.read()
	if co, ok := m.(*sip2.CheckoutResponse); !ok || !co.OK {
		t.Errorf("the in-flight checkout answered %q", raw)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("shutdown: %v", err)
		}
	case <-time.After(shutdownBudget + 2*time.Second):
		t.Fatal("shutdown did not return")
	}
	if c, err := net.DialTimeout("tcp", g.addrs["sip2"], time.Second); err == nil {
		c.Close()
		t.Error("the SIP2 listener still accepts after shutdown")
	}
}

// TestDemoSIP2 drives `illgw demo` (the real binary, with its simulated
// member libraries) over SIP2 with DESIGN.md's demo fixtures.
func TestDemoSIP2(t *testing.T) {
	httpAddr, grpcAddr, sipAddr := addr(t), addr(t), addr(t)
	d := startIllgw(t, httpAddr, grpcAddr, "demo", "-http", httpAddr, "-grpc", grpcAddr, "-sip2", sipAddr, "-z3950", addr(t), "-log-level", "debug")
	d.waitHealthy(t)
	k := dialKiosk(t, sipAddr, nil)
	do[*sip2.ACSStatus](k, &sip2.SCStatus{})
	if !k.login("kiosk1", "kiosk1pass") {
		t.Fatal("kiosk1/kiosk1pass refused by the demo")
	}
	if st := do[*sip2.ACSStatus](k, &sip2.SCStatus{}); !st.Online || st.InstitutionID != "NORTH" {
		t.Errorf("98: online %v institution %q", st.Online, st.InstitutionID)
	}
	info := func() *sip2.PatronInformationResponse {
		return do[*sip2.PatronInformationResponse](k, &sip2.PatronInformation{InstitutionID: "NORTH", PatronID: "N0001", PatronPassword: "1234", Summary: "  Y       "})
	}
	pi := info()
	if pi.ValidPatron != sip2.Yes || pi.ValidPatronPassword != sip2.Yes || pi.ChargedItemsCount != 0 || pi.HoldItemsCount != 0 || pi.OverdueItemsCount != 0 || pi.PatronStatus.String()[0] != ' ' {
		t.Errorf("64 for N0001 at start: %+v", pi)
	}
	if ps := do[*sip2.PatronStatusResponse](k, &sip2.PatronStatusRequest{InstitutionID: "NORTH", PatronID: "N0002", PatronPassword: "1234"}); ps.PatronStatus.String()[0] != 'Y' {
		t.Errorf("24 for N0002: status %q", ps.PatronStatus)
	}
	status := func(item string) string {
		return do[*sip2.ItemInformationResponse](k, &sip2.ItemInformation{InstitutionID: "NORTH", ItemID: item}).CirculationStatus
	}
	for i := 1; i <= 10; i++ {
		if s := status(fmt.Sprintf("NI%04d", i)); s != sip2.CirculationAvailable {
			t.Errorf("NI%04d: circulation status %q at start", i, s)
		}
	}
	if co := do[*sip2.CheckoutResponse](k, &sip2.Checkout{InstitutionID: "NORTH", PatronID: "N0001", PatronPassword: "1234", ItemID: "NI0001"}); !co.OK {
		t.Fatalf("12: %+v", co)
	}
	if s := status("NI0001"); s != sip2.CirculationCharged {
		t.Errorf("NI0001 after checkout: %q", s)
	}
	if pi := info(); pi.ChargedItemsCount != 1 || len(pi.ChargedItems) != 1 || pi.ChargedItems[0] != "NI0001" {
		t.Errorf("64 after checkout: charged %d %q", pi.ChargedItemsCount, pi.ChargedItems)
	}
	if rn := do[*sip2.RenewResponse](k, &sip2.Renew{InstitutionID: "NORTH", PatronID: "N0001", PatronPassword: "1234", ItemID: "NI0001"}); !rn.OK {
		t.Errorf("30: %+v", rn)
	}
	if ra := do[*sip2.RenewAllResponse](k, &sip2.RenewAll{InstitutionID: "NORTH", PatronID: "N0001", PatronPassword: "1234"}); ra.RenewedCount+ra.UnrenewedCount != 1 {
		t.Errorf("66: renewed %d unrenewed %d", ra.RenewedCount, ra.UnrenewedCount)
	}
	if ci := do[*sip2.CheckinResponse](k, &sip2.Checkin{InstitutionID: "NORTH", ItemID: "NI0001", CurrentLocation: "MAIN"}); !ci.OK {
		t.Errorf("10: %+v", ci)
	}
	if s := status("NI0001"); s != sip2.CirculationAvailable {
		t.Errorf("NI0001 after checkin: %q", s)
	}
	do[*sip2.FeePaidResponse](k, &sip2.FeePaid{InstitutionID: "NORTH", PatronID: "N0001", PatronPassword: "1234", FeeType: sip2.FeeOverdue, PaymentType: sip2.PaymentCash, CurrencyType: "USD", FeeAmount: "0.50"})
	if h := do[*sip2.HoldResponse](k, &sip2.Hold{HoldMode: '+', InstitutionID: "NORTH", PatronID: "N0001", PatronPassword: "1234", ItemID: "NI0002"}); !h.OK {
		t.Errorf("16: %+v", h)
	}
	do[*sip2.ItemStatusUpdateResponse](k, &sip2.ItemStatusUpdate{InstitutionID: "NORTH", ItemID: "NI0003", ItemProperties: "demo"})
	do[*sip2.PatronStatusResponse](k, &sip2.BlockPatron{InstitutionID: "NORTH", PatronID: "N0002", BlockedCardMessage: "test"})
	do[*sip2.PatronEnableResponse](k, &sip2.PatronEnable{InstitutionID: "NORTH", PatronID: "N0002", PatronPassword: "1234"})
	if es := do[*sip2.EndSessionResponse](k, &sip2.EndPatronSession{InstitutionID: "NORTH", PatronID: "N0001", PatronPassword: "1234"}); !es.EndSession {
		t.Errorf("36: %+v", es)
	}
	d.terminate(t)
	checkNoSecrets(t, d.stderr.String())
}

// TestSIP2RemoteBroker: a second gateway serving SIP2 with -broker-addr
// sends its kiosks' requests to the first one's broker; a retry of a
// checkout sent there first and then to the other instance is answered
// from the shared replay entry, and the ILS charges once.
func TestSIP2RemoteBroker(t *testing.T) {
	north := northILS(t)
	a, _ := startGateway(t, circConfig(t, north.addr, ""))
	cfgB, err := config.Parse([]byte(fmt.Sprintf("listen: {sip2: %s, z3950: %s, http: %s, grpc: %s}\nstate: {driver: embedded, path: %s}\n",
		addr(t), addr(t), addr(t), addr(t), filepath.Join(t.TempDir(), "edge.db"))), "edge.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := cfgB.Validate(); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	b, err := start(context.Background(), cfgB, newLogger(config.Log{Level: "debug"}, logs), startOptions{brokerAddr: a.addrs["grpc"]})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownBudget)
		defer cancel()
		b.shutdown(ctx)
	})
	kb := dialKiosk(t, b.addrs["sip2"], nil)
	if !kb.login("kiosk1", "kiosk1pass") {
		t.Fatal("kiosk1 refused through the remote broker")
	}
	raw := kb.send(&sip2.Checkout{InstitutionID: "NORTH", PatronID: "N0001", PatronPassword: "1234", ItemID: "NI0009"})
	m, first := kb.read()
	if co, ok := m.(*sip2.CheckoutResponse); !ok || !co.OK {
		t.Fatalf("checkout through the remote broker: %q", first)
	}
	ka := dialKiosk(t, a.addrs["sip2"], nil)
	if !ka.login("kiosk1", "kiosk1pass") {
		t.Fatal("login refused")
	}
	ka.sendRaw(raw)
	if _, again := ka.read(); string(again) != string(first) {
		t.Errorf("the retry on the other instance answered\n%q\nnot\n%q", again, first)
	}
	if it, _ := north.b.Item("NI0009"); it.Checkouts != 1 || it.Renewals != 0 {
		t.Errorf("the ILS saw checkouts %d renewals %d (want 1, 0)", it.Checkouts, it.Renewals)
	}
	if _, err := dialBroker(startOptions{brokerAddr: "10.1.2.3:50051"}); err == nil {
		t.Error("a plaintext remote broker off loopback was accepted")
	}
	checkNoSecrets(t, logs.String())
}

func TestServeBrokerFlags(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, dir, "edge.yaml", []byte(fmt.Sprintf("listen: {sip2: %s, z3950: %s, http: %s, grpc: %s}\nstate: {driver: embedded, path: %s}\n",
		addr(t), addr(t), addr(t), addr(t), filepath.Join(dir, "edge.db"))))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-broker-ca", filepath.Join(dir, "missing.pem")}, "-broker-ca"},
		{[]string{"-broker-ca", cfg}, "no PEM certificate"},
		{[]string{"-broker-cert", cfg, "-broker-key", cfg, "-broker-addr", "127.0.0.1:1"}, "-broker-cert"},
	} {
		code, _, stderr := runIllgw(t, "", append([]string{"serve", "-config", cfg}, c.args...)...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("serve %v: exit %d, stderr %q (want 2 and %q)", c.args, code, stderr, c.want)
		}
	}
}

// TestSIP2PatronsFromLDAP (issue 9 point 6): for a member whose patrons
// are in a directory, 23 and 63 with a PIN answer BL and CQ from a real
// slapd; a wrong PIN stops a checkout before the ILS sees it.
func TestSIP2PatronsFromLDAP(t *testing.T) {
	ldif, err := os.ReadFile("testdata/patrons.ldif")
	if err != nil {
		t.Fatal(err)
	}
	dir := testenv.Slapd(t, string(ldif))
	north := northILS(t)
	north.b.AddPatron(memory.Patron{ID: "p0001", PIN: "the-ILS-does-not-know-it", Name: "Ada at the ILS"})
	north.b.AddPatron(memory.Patron{ID: "p0003", PIN: "x", Name: "Cy at the ILS"})
	cfg := circConfig(t, north.addr, "", fmt.Sprintf(`{ldap: {url: %q, bind_dn: %q, password: {value: %q}, base_dn: %q, filter: "(&(objectClass=inetOrgPerson)(uid=%%s))", attributes: {name: cn, email: mail, blocked: description}, attempts: {max: 3}}}`,
		dir.URL, dir.AdminDN, dir.AdminPassword, dir.BaseDN))
	g, logs := startGateway(t, cfg)
	k := dialKiosk(t, g.addrs["sip2"], nil)
	if !k.login("kiosk1", "kiosk1pass") {
		t.Fatal("login refused")
	}
	ps := do[*sip2.PatronStatusResponse](k, &sip2.PatronStatusRequest{InstitutionID: "NORTH", PatronID: "p0001", PatronPassword: "pin-p0001-right"})
	if ps.ValidPatron != sip2.Yes || ps.ValidPatronPassword != sip2.Yes || ps.PatronStatus.String()[0] != ' ' {
		t.Errorf("24 with the directory's PIN: BL %c CQ %c status %q AF %q", ps.ValidPatron, ps.ValidPatronPassword, ps.PatronStatus, ps.ScreenMessage)
	}
	pi := do[*sip2.PatronInformationResponse](k, &sip2.PatronInformation{InstitutionID: "NORTH", PatronID: "p0001", PatronPassword: "the-ILS-does-not-know-it"})
	if pi.ValidPatron != sip2.Yes || pi.ValidPatronPassword != sip2.No || len(pi.ScreenMessage) == 0 || !strings.Contains(pi.ScreenMessage[0], "Incorrect PIN") {
		t.Errorf("64 with the ILS's PIN: BL %c CQ %c AF %q", pi.ValidPatron, pi.ValidPatronPassword, pi.ScreenMessage)
	}
	if ps := do[*sip2.PatronStatusResponse](k, &sip2.PatronStatusRequest{InstitutionID: "NORTH", PatronID: "*)(uid=*", PatronPassword: "pin-p0001-right"}); ps.ValidPatron != sip2.No {
		t.Errorf("24 for a filter injection: BL %c", ps.ValidPatron)
	}
	if ps := do[*sip2.PatronStatusResponse](k, &sip2.PatronStatusRequest{InstitutionID: "NORTH", PatronID: "p0003", PatronPassword: "pin-p0003-right"}); ps.ValidPatronPassword != sip2.Yes || ps.PatronStatus.String()[0] != 'Y' {
		t.Errorf("24 for a patron blocked in the directory: CQ %c status %q", ps.ValidPatronPassword, ps.PatronStatus)
	}
	co := do[*sip2.CheckoutResponse](k, &sip2.Checkout{InstitutionID: "NORTH", PatronID: "p0001", PatronPassword: "wrong", ItemID: "NI0001"})
	if co.OK || len(co.ScreenMessage) == 0 || !strings.Contains(co.ScreenMessage[0], "Incorrect PIN") {
		t.Errorf("12 with a wrong PIN: ok %v AF %q", co.OK, co.ScreenMessage)
	}
	if it, _ := north.b.Item("NI0001"); it.Checkouts != 0 {
		t.Error("the ILS charged an item for a patron the directory refused")
	}
	if co := do[*sip2.CheckoutResponse](k, &sip2.Checkout{InstitutionID: "NORTH", PatronID: "p0001", PatronPassword: "pin-p0001-right", ItemID: "NI0001"}); !co.OK {
		t.Errorf("12 with the directory's PIN: %+v", co)
	}
	// attempts: {max: 3}: the third wrong PIN locks the patron, whose
	// right PIN then no longer works.
	for i := range 3 {
		ps := do[*sip2.PatronStatusResponse](k, &sip2.PatronStatusRequest{InstitutionID: "NORTH", PatronID: "p0003", PatronPassword: "guess"})
		if ps.ValidPatronPassword != sip2.No || i == 2 && !strings.Contains(strings.Join(ps.ScreenMessage, " "), "Too many incorrect PINs") {
			t.Errorf("wrong PIN %d: CQ %c AF %q", i+1, ps.ValidPatronPassword, ps.ScreenMessage)
		}
	}
	if ps := do[*sip2.PatronStatusResponse](k, &sip2.PatronStatusRequest{InstitutionID: "NORTH", PatronID: "p0003", PatronPassword: "pin-p0003-right"}); ps.ValidPatronPassword != sip2.No || ps.ValidPatron != sip2.Yes {
		t.Errorf("a locked patron with the right PIN: BL %c CQ %c", ps.ValidPatron, ps.ValidPatronPassword)
	}
	checkNoSecrets(t, logs.String())
	for _, s := range []string{"pin-p0001-right", "the-ILS-does-not-know-it", dir.AdminPassword} {
		if strings.Contains(logs.String(), s) {
			t.Errorf("logs carry %q", s)
		}
	}
}

// TestSIP2TerminalAccounts: per-terminal charset (IBM850 names with
// accents), the account's connection cap and its allowed networks.
func TestSIP2TerminalAccounts(t *testing.T) {
	north := northILS(t)
	north.b.AddPatron(memory.Patron{ID: "N0003", PIN: "7391", Name: "Renée Çelik-Müller"})
	cfg := circConfig(t, north.addr, "")
	hash := cfg.Terminals[0].PasswordHash
	cfg.Terminals = append(cfg.Terminals,
		config.Terminal{Login: "kiosk850", PasswordHash: hash, Member: "NORTH", Charset: "ibm850", MaxConnections: 1, AllowedCIDRs: []string{"127.0.0.0/8"}},
		config.Terminal{Login: "branch", PasswordHash: hash, Member: "NORTH", Charset: "utf-8", MaxConnections: 4, AllowedCIDRs: []string{"10.0.0.0/8"}})
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	g, _ := startGateway(t, cfg)
	k := dialKiosk(t, g.addrs["sip2"], nil)
	if !k.login("kiosk850", "kiosk1pass") {
		t.Fatal("kiosk850 refused")
	}
	k.codec.Charset = sip2.IBM850
	k.send(&sip2.PatronStatusRequest{InstitutionID: "NORTH", PatronID: "N0003", PatronPassword: "7391"})
	m, raw := k.read()
	if ps, ok := m.(*sip2.PatronStatusResponse); !ok || ps.PersonalName != "Renée Çelik-Müller" || !strings.Contains(string(raw), "Ren\x82e \x80elik-M\x81ller") {
		t.Errorf("24 in IBM850: %q", raw)
	}
	if second := dialKiosk(t, g.addrs["sip2"], nil); second.login("kiosk850", "kiosk1pass") {
		t.Error("a second connection of an account with max_connections 1 logged in")
	}
	if other := dialKiosk(t, g.addrs["sip2"], nil); other.login("branch", "kiosk1pass") {
		t.Error("a terminal allowed from 10.0.0.0/8 only logged in from 127.0.0.1")
	}
}
