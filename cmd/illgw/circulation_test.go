package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/illgw/illgw/config"
	"github.com/illgw/illgw/internal/testenv"
	"github.com/illgw/illgw/sip2"
	"github.com/illgw/illgw/sip2/memory"
)

// The end-to-end SIP2 tests run the gateway in this process (start, as
// `illgw serve` does) with a sip2/memory ACS as NORTH's ILS, and drive it
// over real sockets with raw SIP2 bytes. Fixtures are DESIGN.md's demo
// ones: kiosk1/kiosk1pass at NORTH, N0001 (PIN 1234) in good standing,
// N0002 blocked, items NI0001..NI0010.

// ils is a member library's SIP2 ACS that can be stopped and started again
// on the same address, keeping its data.
type ils struct {
	t    *testing.T
	b    *memory.Backend
	addr string
	srv  *sip2.Server
	// serve, when set, is the Backend served instead of b (b wrapped).
	serve sip2.Backend
}

func northILS(t *testing.T) *ils {
	b := memory.New()
	b.AddAccount(memory.Account{Login: "gw", PasswordHash: memory.HashPassword("gwpass", 4), Institution: "NORTH", LibraryName: "North City Library", Charset: sip2.UTF8})
	b.AddPatron(memory.Patron{ID: "N0001", PIN: "1234", Name: "Ada Lovelace", Email: "ada@example.org"})
	b.AddPatron(memory.Patron{ID: "N0002", PIN: "1234", Name: "Blocked Bob", Status: sip2.ChargeDenied})
	for i := 1; i <= 10; i++ {
		b.AddItem(memory.Item{ID: fmt.Sprintf("NI%04d", i), Title: fmt.Sprintf("Title %d", i), Owner: "NORTH", Location: "MAIN", MediaType: sip2.MediaBook})
	}
	l := &ils{t: t, b: b, addr: addr(t)}
	l.start()
	t.Cleanup(l.stop)
	return l
}

func (l *ils) start() {
	l.t.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the port may linger a moment after stop
		if ln, err = net.Listen("tcp", l.addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		l.t.Fatal(err)
	}
	var be sip2.Backend = l.b
	if l.serve != nil {
		be = l.serve
	}
	l.srv = &sip2.Server{Backend: be, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	go l.srv.Serve(ln)
}

func (l *ils) stop() {
	if l.srv != nil {
		l.srv.Close()
		l.srv = nil
	}
}

// circConfig is a gateway configuration with NORTH's ILS at ilsAddr;
// patrons, if given, replaces NORTH's patrons: setting.
func circConfig(t *testing.T, ilsAddr, extra string, patrons ...string) *config.Config {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte("kiosk1pass"), config.PasswordCost)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	y := fmt.Sprintf(`listen: {sip2: %s, z3950: %s, http: %s, grpc: %s}
state: {driver: embedded, path: %s}
members:
  - code: NORTH
    name: North City Library
    sip2: {addr: %s, login: gw, password: {value: gwpass}, institution: NORTH, timeout: 2s}
    patrons: %s
terminals:
  - {login: kiosk1, password_hash: %q, member: NORTH}
breaker: {failures: 2, open_for: 500ms, probes: 1}
log: {level: debug}
%s`, addr(t), addr(t), addr(t), addr(t), filepath.Join(dir, "illgw.db"), ilsAddr, append(patrons, "{sip2: true}")[0], hash, extra)
	cfg, err := config.Parse([]byte(y), "circ.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// startGateway runs the gateway until the test ends; its logs, at debug
// level, go to the returned buffer.
func startGateway(t *testing.T, cfg *config.Config) (*gateway, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	g, err := start(context.Background(), cfg, newLogger(config.Log{Level: "debug"}, logs))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownBudget)
		defer cancel()
		if err := g.shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return g, logs
}

// kiosk is a self-check terminal speaking raw SIP2 with error detection.
type kiosk struct {
	t     *testing.T
	nc    net.Conn
	r     *sip2.Reader
	codec sip2.Codec
	seq   int
}

func dialKiosk(t *testing.T, addr string, tc *tls.Config) *kiosk {
	t.Helper()
	var nc net.Conn
	var err error
	if tc != nil {
		nc, err = tls.Dial("tcp", addr, tc)
	} else {
		nc, err = net.Dial("tcp", addr)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &kiosk{t: t, nc: nc, r: sip2.NewReader(nc, 0), codec: sip2.Codec{Charset: sip2.UTF8}}
}

// send writes m with the next sequence number and returns its bytes.
func (k *kiosk) send(m sip2.Message) []byte {
	k.t.Helper()
	b := k.codec.Encode(m, k.seq)
	k.seq = (k.seq + 1) % 10
	k.sendRaw(b)
	return b
}

func (k *kiosk) sendRaw(b []byte) {
	k.t.Helper()
	k.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := k.nc.Write(append(append([]byte(nil), b...), '\r')); err != nil {
		k.t.Fatal(err)
	}
}

// read returns the next response and its bytes.
func (k *kiosk) read() (sip2.Message, []byte) {
	k.t.Helper()
	k.nc.SetReadDeadline(time.Now().Add(15 * time.Second))
	raw, err := k.r.ReadMessage()
	if err != nil {
		k.t.Fatalf("reading a response: %v", err)
	}
	p, err := k.codec.Decode(raw)
	if err != nil {
		k.t.Fatalf("decoding %q: %v", raw, err)
	}
	if !p.Checked {
		k.t.Fatalf("response without a verified checksum: %q", raw)
	}
	return p.Message, raw
}

func do[R sip2.Message](k *kiosk, m sip2.Message) R {
	k.t.Helper()
	k.send(m)
	resp, raw := k.read()
	r, ok := resp.(R)
	if !ok {
		k.t.Fatalf("%s answered with %q", m.Code(), raw)
	}
	return r
}

func (k *kiosk) login(user, pass string) bool {
	k.t.Helper()
	return do[*sip2.LoginResponse](k, &sip2.Login{LoginUserID: user, LoginPassword: pass, LocationCode: "MAIN"}).OK
}

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

// grep returns the lines of s that contain sub.
func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// slowBackend is an ILS whose checkouts take a while.
type slowBackend struct {
	*memory.Backend
	delay time.Duration
}

type slowSession struct {
	sip2.Session
	delay time.Duration
}

func (b slowBackend) Login(ctx context.Context, login, password string, conn sip2.ConnInfo) (sip2.Session, error) {
	s, err := b.Backend.Login(ctx, login, password, conn)
	if err != nil {
		return nil, err
	}
	return slowSession{s, b.delay}, nil
}

func (s slowSession) Checkout(ctx context.Context, req *sip2.Checkout) (*sip2.CheckoutResponse, error) {
	time.Sleep(s.delay)
	return s.Session.Checkout(ctx, req)
}

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

// checkNoSecrets fails when a terminal password, the ILS login password or
// a patron PIN reached the gateway's logs (debug level included).
func checkNoSecrets(t *testing.T, logs string) {
	t.Helper()
	if !strings.Contains(logs, "sip2: received") {
		t.Error("debug logs do not show the SIP2 traffic; the secret check would prove nothing")
	}
	for _, secret := range []string{"kiosk1pass", "gwpass", "AD1234", "AD9999", "=1234 ", "\"1234\"", "pin=", "password="} {
		if strings.Contains(logs, secret) {
			i := strings.Index(logs, secret)
			t.Errorf("logs carry %q: …%s…", secret, logs[max(0, i-200):min(len(logs), i+100)])
		}
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
