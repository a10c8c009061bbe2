package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/illgw/illgw/config"
	"github.com/illgw/illgw/sip2"
)

// The end-to-end SIP2 tests run the gateway in this process (start, as
// `illgw serve` does) with a sip2/memory ACS as NORTH's ILS, and drive it
// over real sockets with raw SIP2 bytes. Fixtures are DESIGN.md's demo
// ones: kiosk1/kiosk1pass at NORTH, N0001 (PIN 1234) in good standing,
// N0002 blocked, items NI0001..NI0010.

func TestSIP2ThroughTheGateway(t *testing.T) {
	north := northILS(t)
	cfg := circConfig(t, north.addr, "")
	g, logs := startGateway(t, cfg)
	k := dialKiosk(t, g.addrs["sip2"], nil)

	// Some kiosks send 99 before logging in; it is answered.
	if st := do[*sip2.ACSStatus](k, &sip2.SCStatus{}); !sip2.Supports(st.SupportedMessages, sip2.CodeLogin) {
		t.Errorf("98 before login: BX %q", st.SupportedMessages)
	}
	if k.login("kiosk1", "wrong") {
		t.Fatal("a wrong terminal password logged in")
	}
	if !k.login("kiosk1", "kiosk1pass") {
		t.Fatal("kiosk1/kiosk1pass refused")
	}
	st := do[*sip2.ACSStatus](k, &sip2.SCStatus{ProtocolVersion: "2.00"})
	if !st.Online || st.InstitutionID != "NORTH" || st.LibraryName != "North City Library" {
		t.Errorf("98: online %v institution %q library %q", st.Online, st.InstitutionID, st.LibraryName)
	}
	for _, code := range []string{"23", "63", "11", "09", "17", "29", "65", "37", "15", "35", "01", "25", "19"} {
		if !sip2.Supports(st.SupportedMessages, code) {
			t.Errorf("BX %q does not list %s", st.SupportedMessages, code)
		}
	}

	pi := do[*sip2.PatronInformationResponse](k, &sip2.PatronInformation{InstitutionID: "NORTH", PatronID: "N0001", PatronPassword: "1234", Summary: "          "})
	if pi.ValidPatron != sip2.Yes || pi.ValidPatronPassword != sip2.Yes || pi.PersonalName != "Ada Lovelace" ||
		pi.ChargedItemsCount != 0 || pi.HoldItemsCount != 0 || pi.PatronStatus.String()[0] != ' ' || pi.InstitutionID != "NORTH" {
		t.Errorf("64 for N0001: %+v", pi)
	}
	bad := do[*sip2.PatronInformationResponse](k, &sip2.PatronInformation{InstitutionID: "NORTH", PatronID: "N0001", PatronPassword: "9999"})
	if bad.ValidPatron != sip2.Yes || bad.ValidPatronPassword != sip2.No {
		t.Errorf("64 with a wrong PIN: BL %c CQ %c", bad.ValidPatron, bad.ValidPatronPassword)
	}
	ps := do[*sip2.PatronStatusResponse](k, &sip2.PatronStatusRequest{InstitutionID: "NORTH", PatronID: "N0002", PatronPassword: "1234"})
	if ps.PatronStatus.String()[0] != 'Y' || ps.ValidPatron != sip2.Yes || ps.PersonalName != "Blocked Bob" {
		t.Errorf("24 for blocked N0002: status %q BL %c name %q", ps.PatronStatus, ps.ValidPatron, ps.PersonalName)
	}

	co := do[*sip2.CheckoutResponse](k, &sip2.Checkout{InstitutionID: "NORTH", PatronID: "N0001", PatronPassword: "1234", ItemID: "NI0001"})
	if !co.OK || co.ItemID != "NI0001" || co.TitleID != "Title 1" || co.DueDate == "" || co.PatronID != "N0001" {
		t.Errorf("12: %+v", co)
	}
	blocked := do[*sip2.CheckoutResponse](k, &sip2.Checkout{InstitutionID: "NORTH", PatronID: "N0002", PatronPassword: "1234", ItemID: "NI0002"})
	if blocked.OK || len(blocked.ScreenMessage) == 0 {
		t.Errorf("12 for blocked N0002: ok %v AF %q", blocked.OK, blocked.ScreenMessage)
	}
	if ii := do[*sip2.ItemInformationResponse](k, &sip2.ItemInformation{InstitutionID: "NORTH", ItemID: "NI0001"}); ii.CirculationStatus != sip2.CirculationCharged || ii.TitleID != "Title 1" {
		t.Errorf("18 for a charged item: status %q title %q", ii.CirculationStatus, ii.TitleID)
	}
	if ii := do[*sip2.ItemInformationResponse](k, &sip2.ItemInformation{InstitutionID: "NORTH", ItemID: "NI0005"}); ii.CirculationStatus != sip2.CirculationAvailable {
		t.Errorf("18 for an available item: status %q", ii.CirculationStatus)
	}
	pi = do[*sip2.PatronInformationResponse](k, &sip2.PatronInformation{InstitutionID: "NORTH", PatronID: "N0001", PatronPassword: "1234", Summary: "  Y       "})
	if pi.ChargedItemsCount != 1 || len(pi.ChargedItems) != 1 || pi.ChargedItems[0] != "NI0001" {
		t.Errorf("64 after a checkout: charged %d %q", pi.ChargedItemsCount, pi.ChargedItems)
	}
	if rn := do[*sip2.RenewResponse](k, &sip2.Renew{InstitutionID: "NORTH", PatronID: "N0001", PatronPassword: "1234", ItemID: "NI0001"}); !rn.OK || rn.DueDate == "" {
		t.Errorf("30: %+v", rn)
	}
	if ra := do[*sip2.RenewAllResponse](k, &sip2.RenewAll{InstitutionID: "NORTH", PatronID: "N0001", PatronPassword: "1234"}); !ra.OK || ra.RenewedCount != 1 || len(ra.RenewedItems) != 1 || ra.RenewedItems[0] != "NI0001" {
		t.Errorf("66: %+v", ra)
	}
	if fp := do[*sip2.FeePaidResponse](k, &sip2.FeePaid{InstitutionID: "NORTH", PatronID: "N0001", PatronPassword: "1234", FeeType: sip2.FeeOverdue, PaymentType: sip2.PaymentCash, CurrencyType: "USD", FeeAmount: "1.00", TransactionID: "T77"}); fp.PatronID != "N0001" || fp.TransactionID != "T77" {
		t.Errorf("38: %+v", fp)
	}
	if h := do[*sip2.HoldResponse](k, &sip2.Hold{HoldMode: '+', InstitutionID: "NORTH", PatronID: "N0001", PatronPassword: "1234", ItemID: "NI0003"}); !h.OK || h.ItemID != "NI0003" {
		t.Errorf("16: %+v", h)
	}
	if ci := do[*sip2.CheckinResponse](k, &sip2.Checkin{InstitutionID: "NORTH", ItemID: "NI0001", CurrentLocation: "MAIN"}); !ci.OK || ci.ItemID != "NI0001" {
		t.Errorf("10: %+v", ci)
	}
	if ii := do[*sip2.ItemInformationResponse](k, &sip2.ItemInformation{InstitutionID: "NORTH", ItemID: "NI0001"}); ii.CirculationStatus != sip2.CirculationAvailable {
		t.Errorf("18 after checkin: status %q", ii.CirculationStatus)
	}
	if su := do[*sip2.ItemStatusUpdateResponse](k, &sip2.ItemStatusUpdate{InstitutionID: "NORTH", ItemID: "NI0004", ItemProperties: "fragile"}); !su.ItemPropertiesOK {
		t.Errorf("20: %+v", su)
	}
	if it, _ := north.b.Item("NI0004"); it.Properties != "fragile" {
		t.Errorf("item properties at the ILS: %q", it.Properties)
	}
	if bp := do[*sip2.PatronStatusResponse](k, &sip2.BlockPatron{InstitutionID: "NORTH", PatronID: "N0001", BlockedCardMessage: "card retained"}); bp.PatronStatus.String()[0] != 'Y' {
		t.Errorf("24 after 01: status %q", bp.PatronStatus)
	}
	if pe := do[*sip2.PatronEnableResponse](k, &sip2.PatronEnable{InstitutionID: "NORTH", PatronID: "N0001", PatronPassword: "1234"}); pe.PatronStatus.String()[0] != ' ' || pe.ValidPatron != sip2.Yes {
		t.Errorf("26: status %q BL %c", pe.PatronStatus, pe.ValidPatron)
	}
	if es := do[*sip2.EndSessionResponse](k, &sip2.EndPatronSession{InstitutionID: "NORTH", PatronID: "N0001", PatronPassword: "1234"}); !es.EndSession || es.PatronID != "N0001" {
		t.Errorf("36: %+v", es)
	}
	checkNoSecrets(t, logs.String())
	// The broker calls are counted under the protocol they came in by.
	if code, body := get("http://" + g.addrs["http"] + "/metrics"); code != 200 ||
		!strings.Contains(body, `illgw_requests_total{code="OK",operation="/illgw.v1.Circulation/Checkout",protocol="sip2"}`) ||
		!strings.Contains(body, `illgw_breaker_state{member="NORTH",protocol="sip2"} 0`) {
		t.Errorf("/metrics (%d) lacks the SIP2 checkouts or NORTH's breaker:\n%s", code, grep(body, "sip2"))
	}
}

// TestSIP2RetryIsNotChargedTwice: a kiosk whose checkout response is lost
// reconnects and sends the same bytes again; the stored response answers
// and the ILS charges the item once.
func TestSIP2RetryIsNotChargedTwice(t *testing.T) {
	north := northILS(t)
	g, _ := startGateway(t, circConfig(t, north.addr, ""))
	k := dialKiosk(t, g.addrs["sip2"], nil)
	if !k.login("kiosk1", "kiosk1pass") {
		t.Fatal("login refused")
	}
	raw := k.send(&sip2.Checkout{InstitutionID: "NORTH", PatronID: "N0001", PatronPassword: "1234", ItemID: "NI0007"})
	// The response is lost: the kiosk gives up on the connection.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if it, _ := north.b.Item("NI0007"); it.ChargedTo == "N0001" || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	k.nc.Close()

	k2 := dialKiosk(t, g.addrs["sip2"], nil)
	if !k2.login("kiosk1", "kiosk1pass") {
		t.Fatal("login refused")
	}
	var first []byte
	for i := range 2 {
		k2.sendRaw(raw)
		m, b := k2.read()
		co, ok := m.(*sip2.CheckoutResponse)
		if !ok || !co.OK || co.ItemID != "NI0007" {
			t.Fatalf("retry %d answered %q", i, b)
		}
		if first == nil {
			first = b
		} else if string(b) != string(first) {
			t.Errorf("second retry answered differently:\n%q\n%q", first, b)
		}
	}
	it, _ := north.b.Item("NI0007")
	if it.Checkouts != 1 || it.Renewals != 0 || it.ChargedTo != "N0001" {
		t.Errorf("the ILS saw checkouts %d renewals %d (want 1, 0)", it.Checkouts, it.Renewals)
	}
	// A new request (next sequence number) runs as usual.
	if co := do[*sip2.CheckoutResponse](k2, &sip2.Checkout{InstitutionID: "NORTH", PatronID: "N0001", PatronPassword: "1234", ItemID: "NI0008"}); !co.OK {
		t.Errorf("next checkout: %+v", co)
	}
}

// TestSIP2MemberDown: with NORTH's ILS stopped the ACS status says on-line
// N with a screen message and a checkout is refused with a clear message;
// when the ILS returns, the status goes back on-line.
func TestSIP2MemberDown(t *testing.T) {
	north := northILS(t)
	g, _ := startGateway(t, circConfig(t, north.addr, ""))
	k := dialKiosk(t, g.addrs["sip2"], nil)
	if !k.login("kiosk1", "kiosk1pass") {
		t.Fatal("login refused")
	}
	if st := do[*sip2.ACSStatus](k, &sip2.SCStatus{}); !st.Online {
		t.Fatal("off-line before the ILS stopped")
	}
	north.stop()
	st := do[*sip2.ACSStatus](k, &sip2.SCStatus{})
	if st.Online || len(st.ScreenMessage) == 0 || !strings.Contains(st.ScreenMessage[0], "not available") {
		t.Errorf("98 with the ILS down: online %v AF %q", st.Online, st.ScreenMessage)
	}
	co := do[*sip2.CheckoutResponse](k, &sip2.Checkout{InstitutionID: "NORTH", PatronID: "N0001", PatronPassword: "1234", ItemID: "NI0001"})
	if co.OK || len(co.ScreenMessage) == 0 || !strings.Contains(co.ScreenMessage[0], "library system") {
		t.Errorf("12 with the ILS down: ok %v AF %q", co.OK, co.ScreenMessage)
	}
	// By now the breaker is open: the answer comes at once.
	start := time.Now()
	if st := do[*sip2.ACSStatus](k, &sip2.SCStatus{}); st.Online {
		t.Error("on-line with the breaker open")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("status with the breaker open took %v", d)
	}
	north.start()
	deadline := time.Now().Add(15 * time.Second)
	for !do[*sip2.ACSStatus](k, &sip2.SCStatus{}).Online {
		if time.Now().After(deadline) {
			t.Fatal("still off-line 15s after the ILS came back")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if co := do[*sip2.CheckoutResponse](k, &sip2.Checkout{InstitutionID: "NORTH", PatronID: "N0001", PatronPassword: "1234", ItemID: "NI0001"}); !co.OK {
		t.Errorf("12 after recovery: %+v", co)
	}
}

// TestSIP2OverTLS: tls.sip2 serves the same SIP2 over TLS 1.2+ with a
// certificate from a test CA.
func TestSIP2OverTLS(t *testing.T) {
	north := northILS(t)
	dir := t.TempDir()
	ca := newCA(t, "illgw test CA")
	cert, key := ca.issue(t, "127.0.0.1", true)
	certFile, keyFile := writeFile(t, dir, "sip2.crt", cert), writeFile(t, dir, "sip2.key", key)
	tlsAddr := addr(t)
	cfg := circConfig(t, north.addr, fmt.Sprintf("tls: {sip2: {listen: %s, cert: %s, key: %s}}\n", tlsAddr, certFile, keyFile))
	cfg.Terminals = append(cfg.Terminals, config.Terminal{Login: "solo", PasswordHash: cfg.Terminals[0].PasswordHash, Member: "NORTH", Charset: "utf-8", MaxConnections: 1})
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	g, logs := startGateway(t, cfg)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.pem)
	k := dialKiosk(t, g.addrs["sip2-tls"], &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12})
	if !k.login("kiosk1", "kiosk1pass") {
		t.Fatal("login over TLS refused")
	}
	pi := do[*sip2.PatronInformationResponse](k, &sip2.PatronInformation{InstitutionID: "NORTH", PatronID: "N0001", PatronPassword: "1234"})
	if pi.ValidPatron != sip2.Yes || pi.ValidPatronPassword != sip2.Yes {
		t.Errorf("64 over TLS: BL %c CQ %c", pi.ValidPatron, pi.ValidPatronPassword)
	}
	// The account cap counts TLS and plain connections together.
	solo := dialKiosk(t, g.addrs["sip2-tls"], &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if !solo.login("solo", "kiosk1pass") {
		t.Fatal("solo refused over TLS")
	}
	if plain := dialKiosk(t, g.addrs["sip2"], nil); plain.login("solo", "kiosk1pass") {
		t.Error("an account with max_connections 1 logged in over TLS and plain TCP at once")
	}
	// A client that trusts another CA does not get through.
	other := x509.NewCertPool()
	other.AppendCertsFromPEM(newCA(t, "other CA").pem)
	if c, err := tls.Dial("tcp", g.addrs["sip2-tls"], &tls.Config{RootCAs: other, ServerName: "127.0.0.1"}); err == nil {
		c.Close()
		t.Error("TLS handshake succeeded with an untrusted certificate")
	}
	checkNoSecrets(t, logs.String())
}
