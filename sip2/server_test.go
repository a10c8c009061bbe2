package sip2_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/illgw/illgw/sip2"
	"github.com/illgw/illgw/sip2/memory"
)

func TestLoginRequiredFirst(t *testing.T) {
	_, addr := startServer(t, fixture(), nil)

	// An SC status before login is answered (Relais-style kiosks).
	k := dialKiosk(t, addr)
	st := k.roundTrip("9900302.00\r")
	if !strings.HasPrefix(st, "98Y") || !strings.Contains(st, "AONORTH|") || !strings.Contains(st, "BXYYYYYYYYYYYYYYYY|") {
		t.Errorf("99 before login: %q", st)
	}
	// Anything else before login closes the connection unanswered.
	k.send("2300120261127    031716AONORTH|AAN0001|AC|AD1234|\r")
	if !k.closed() {
		t.Error("23 before login answered")
	}

	// Wrong passwords get 940, and the third closes the connection.
	k = dialKiosk(t, addr)
	for i := 0; i < 3; i++ {
		if got := k.roundTrip("9300CNkiosk1|COwrong|CPMAIN|\r"); got != "940" {
			t.Fatalf("bad login %d: %q", i, got)
		}
	}
	if !k.closed() {
		t.Error("connection open after three refused logins")
	}
	// Unknown login, then encrypted algorithm, then the right one.
	k = dialKiosk(t, addr)
	if got := k.roundTrip("9300CNnobody|COx|\r"); got != "940" {
		t.Errorf("unknown login: %q", got)
	}
	if got := k.roundTrip("9312CNkiosk1|COkiosk1pass|\r"); got != "940" {
		t.Errorf("algorithm 1/2 login: %q", got)
	}
	k.login(kioskLogin, kioskPass)
	if got := k.roundTrip("2300120261127    031716AONORTH|AAN0001|AC|AD1234|\r"); !strings.HasPrefix(got, "24              001") || !strings.Contains(got, "AEAda Lovelace|BLY|CQY|") {
		t.Errorf("23 after login: %q", got)
	}
}

func TestLoginTimeout(t *testing.T) {
	_, addr := startServer(t, fixture(), func(s *sip2.Server) { s.LoginTimeout = 300 * time.Millisecond })
	k := dialKiosk(t, addr)
	start := time.Now()
	if !k.closed() || time.Since(start) > 3*time.Second {
		t.Error("no close for a connection that never logs in")
	}
}

func TestIdleTimeout(t *testing.T) {
	_, addr := startServer(t, fixture(), func(s *sip2.Server) { s.IdleTimeout = time.Second })
	k := dialKiosk(t, addr)
	k.login(kioskLogin, kioskPass)
	time.Sleep(200 * time.Millisecond)
	k.roundTrip("9900302.00\r") // activity resets the timer
	if !k.closed() {
		t.Error("idle connection not closed")
	}
}

// TestTranscriptFraming: CRLF, a leading LF, trailing "|||", empty
// optional fields, a CRLF-answering server.
func TestTranscriptFraming(t *testing.T) {
	_, addr := startServer(t, fixture(), nil)
	k := dialKiosk(t, addr)
	k.send("9300CNkiosk1|COkiosk1pass|CPMAIN|\r\n")
	if got := k.recv(); got != "941\r" {
		t.Errorf("CRLF login: %q", got)
	}
	// The LF of the previous CRLF and a stray one lead this message.
	k.send("\n6300120261127    031355  Y       AONORTH|AAN0001|AC|AD1234|BP|BQ||||\r\n")
	got := strings.TrimSuffix(k.recv(), "\r")
	if !strings.HasPrefix(got, "64              001") || !strings.Contains(got, "AONORTH|AAN0001|AEAda Lovelace|") {
		t.Errorf("63 with empty BP/BQ and |||: %q", got)
	}
	// An empty line is answered 96, as Koha does.
	if got := k.roundTrip("\r"); got != "96" {
		t.Errorf("empty line: %q", got)
	}
	// Unknown message code: 96.
	if got := k.roundTrip("XS0|\r"); got != "96" {
		t.Errorf("unknown code: %q", got)
	}

	_, addr2 := startServer(t, fixture(), func(s *sip2.Server) { s.Terminator = "\r\n" })
	k2 := dialKiosk(t, addr2)
	k2.term = '\n'
	k2.send("9300CNkiosk1|COkiosk1pass|CPMAIN|\r\n")
	if got := k2.recv(); got != "941\r\n" {
		t.Errorf("CRLF server: %q", got)
	}
}

// TestTranscriptErrorDetection: sequence numbers echoed and wrapping 9 to 0,
// a bad checksum answered 96, 97 before any response answered 96, 97 after
// one answered with the same bytes.
func TestTranscriptErrorDetection(t *testing.T) {
	_, addr := startServer(t, fixture(), nil)
	k := dialKiosk(t, addr)
	if got := k.roundTrip("97AZFEF5\r"); got != "96AZFEF6" {
		t.Errorf("97 before any response: %q", got)
	}
	resp := k.roundTrip(ck("9300CNkiosk1|COkiosk1pass|CPMAIN|", 0) + "\r")
	verify(t, resp, 0)
	if !strings.HasPrefix(resp, "941AY0AZ") {
		t.Errorf("login with ED: %q", resp)
	}
	for i := 1; i <= 11; i++ {
		seq := i % 10
		resp := k.roundTrip(ck("2300120261127    031716AONORTH|AAN0001|AC|AD1234|", seq) + "\r")
		verify(t, resp, seq)
	}
	last := k.roundTrip(ck("1720261127    031355AONORTH|ABNI0001|", 2) + "\r")
	verify(t, last, 2)
	if got := k.roundTrip("97AZFEF5\r"); got != last {
		t.Errorf("97 resend:\n got %q\nwant %q", got, last)
	}
	if got := k.roundTrip("97\r"); got != last {
		t.Errorf("97 without checksum: %q", got)
	}
	// One flipped byte: 96 with a checksum, and nothing is run.
	bad := ck("11YN"+date+"                  AONORTH|AAN0001|ABNI0005|AC|AD1234|", 3)
	bad = strings.Replace(bad, "NI0005", "NI0006", 1)
	if got := k.roundTrip(bad + "\r"); got != "96AZFEF6" {
		t.Errorf("bad checksum: %q", got)
	}
	// The 96 is not what 97 resends.
	if got := k.roundTrip("97AZFEF5\r"); got != last {
		t.Errorf("97 after 96: %q", got)
	}
}

func TestRequireErrorDetection(t *testing.T) {
	_, addr := startServer(t, fixture(), func(s *sip2.Server) { s.RequireErrorDetection = true })
	k := dialKiosk(t, addr)
	if got := k.roundTrip("9300CNkiosk1|COkiosk1pass|CPMAIN|\r"); got != "96" {
		t.Errorf("login without checksum: %q", got)
	}
	verify(t, k.roundTrip(ck("9300CNkiosk1|COkiosk1pass|CPMAIN|", 5)+"\r"), 5)
}

// TestTranscriptDuplicateRetry: a kiosk that times out and sends the same
// checkout (same sequence number and checksum) gets the stored response, on
// the same connection and after reconnecting; the item is charged once.
func TestTranscriptDuplicateRetry(t *testing.T) {
	b := fixture()
	_, addr := startServer(t, b, nil)
	k := dialKiosk(t, addr)
	k.login(kioskLogin, kioskPass)
	checkout := ck("11YN"+date+"                  AONORTH|AAN0001|ABNI0003|AC|AD1234|", 4) + "\r"
	first := k.roundTrip(checkout)
	if !strings.HasPrefix(first, "121NNY") {
		t.Fatalf("checkout: %q", first)
	}
	if again := k.roundTrip(checkout); again != first {
		t.Errorf("retry answered differently:\n%q\n%q", again, first)
	}
	k2 := dialKiosk(t, addr)
	k2.login(kioskLogin, kioskPass)
	if again := k2.roundTrip(checkout); again != first {
		t.Errorf("retry after reconnect answered differently:\n%q\n%q", again, first)
	}
	it, _ := b.Item("NI0003")
	if it.Checkouts != 1 || it.Renewals != 0 {
		t.Errorf("item charged %d times, renewed %d times; want 1 and 0", it.Checkouts, it.Renewals)
	}
	// A fee paid twice by a retry is paid once.
	pay := ck("37"+date+"0400USDBV1.00|AONORTH|AAN0003|AD7391|", 5) + "\r"
	r1 := k2.roundTrip(pay)
	if r2 := k2.roundTrip(pay); r2 != r1 || !strings.HasPrefix(r1, "38Y") {
		t.Errorf("fee paid retry: %q then %q", r1, r2)
	}
	if p, _ := b.Patron("N0003"); b.Payments() != 1 || p.Fines[0].Amount != 150 {
		t.Errorf("payments %d, fine left %v", b.Payments(), p.Fines)
	}
	// The same request with a new sequence number is a new request: the
	// checkout of an item the patron has renews it.
	resp := k2.roundTrip(ck("11YN"+date+"                  AONORTH|AAN0001|ABNI0003|AC|AD1234|", 6) + "\r")
	if it, _ := b.Item("NI0003"); !strings.HasPrefix(resp, "121YNY") || it.Renewals != 1 || it.Checkouts != 1 {
		t.Errorf("new sequence number not run: %q %+v", resp, it)
	}
	// Without error detection nothing is replayed (no checksum to match).
	plain := "37" + date + "0400USDBV0.50|AONORTH|AAN0003|AD7391|\r"
	k2.roundTrip(plain)
	k2.roundTrip(plain)
	if b.Payments() != 3 {
		t.Errorf("payments %d, want 3", b.Payments())
	}
}

// TestTranscriptCharsets: names with accents in IBM850 and UTF-8, chosen
// per terminal account; checksums over the encoded bytes.
func TestTranscriptCharsets(t *testing.T) {
	_, addr := startServer(t, fixture(), nil)
	for _, tc := range []struct{ login, pass, name string }{
		{"kiosk850", "pw850", "Ren\x82e \x80elik-M\x81ller"},
		{"kioskutf8", "pwutf8", "Renée Çelik-Müller"},
		{kioskLogin, kioskPass, "Renee Celik-Muller"}, // ASCII account: accents dropped
	} {
		k := dialKiosk(t, addr)
		k.login(tc.login, tc.pass)
		resp := k.roundTrip(ck("2300120261127    031716AONORTH|AAN0003|AC|AD7391|", 1) + "\r")
		if !strings.Contains(resp, "|AE"+tc.name+"|") {
			t.Errorf("%s: %q lacks %q", tc.login, resp, tc.name)
		}
		p, err := (sip2.Codec{}).Decode([]byte(resp))
		if err != nil || !p.Checked {
			t.Errorf("%s: checksum over encoded bytes: %v", tc.login, err)
		}
	}
	// A checkin whose current location carries an IBM850 accent decodes.
	k := dialKiosk(t, addr)
	k.login("kiosk850", "pw850")
	if resp := k.roundTrip("09N" + date + date + "APSalle \x90tude|AONORTH|ABNI0001|AC|\r"); !strings.HasPrefix(resp, "101") {
		t.Errorf("checkin: %q", resp)
	}
}

// minimal is a Session with only the required operations.
type minimal struct{ sip2.Session }

type minimalBackend struct{ b *memory.Backend }

func (m minimalBackend) Login(ctx context.Context, l, p string, ci sip2.ConnInfo) (sip2.Session, error) {
	s, err := m.b.Login(ctx, l, p, ci)
	if err != nil {
		return nil, err
	}
	return minimal{s}, nil
}

// TestACSStatus: BX lists what the session implements; on-line N while the
// member system is down, Y again when it is back.
func TestACSStatus(t *testing.T) {
	b := fixture()
	_, addr := startServer(t, b, nil)
	k := dialKiosk(t, addr)
	k.login(kioskLogin, kioskPass)
	st := k.roundTrip("9900302.00\r")
	if !strings.HasPrefix(st, "98YYYYYN100003") || !strings.Contains(st, "2.00AONORTH|AMNorth City Library|BXYYYYYYYYYYYYYYYY|") {
		t.Errorf("98: %q", st)
	}
	b.SetOnline(false)
	if st := k.roundTrip("9900302.00\r"); !strings.HasPrefix(st, "98N") {
		t.Errorf("98 while offline: %q", st)
	}
	b.SetOnline(true)
	if st := k.roundTrip("9900302.00\r"); !strings.HasPrefix(st, "98Y") {
		t.Errorf("98 after recovery: %q", st)
	}

	_, addr2 := startServer(t, minimalBackend{b}, nil)
	k2 := dialKiosk(t, addr2)
	k2.login(kioskLogin, kioskPass)
	if st := k2.roundTrip("9900302.00\r"); !strings.Contains(st, "BXYYYNYYYNNNNNNNNN|") {
		t.Errorf("minimal 98: %q", st)
	}
	// An operation the session lacks gets its negative response.
	if got := k2.roundTrip("29NN" + date + "                  AONORTH|AAN0001|ABNI0001|AC|\r"); !strings.HasPrefix(got, "300NUN") || !strings.Contains(got, "|AFThis function is not available here.|") {
		t.Errorf("unsupported renew: %q", got)
	}
	// 99 before login without a PreLoginStatuser: a minimal 98.
	k3 := dialKiosk(t, addr2)
	if st := k3.roundTrip("9900302.00\r"); !strings.HasPrefix(st, "98YNNNNN999999") || !strings.Contains(st, "BXNNNNYYYNNNNNNNNN|") {
		t.Errorf("default 98 before login: %q", st)
	}
}

// failing is a Session whose checkout fails in Go terms and whose checkin
// is refused with an *Error.
type failing struct{ sip2.Session }

func (failing) Checkout(context.Context, *sip2.Checkout) (*sip2.CheckoutResponse, error) {
	return nil, errors.New("dial tcp 10.0.0.7:6001: connection refused")
}

func (failing) Checkin(context.Context, *sip2.Checkin) (*sip2.CheckinResponse, error) {
	return nil, &sip2.Error{ScreenMessage: "Return this item at the desk.", PrintLine: "See staff", Err: errors.New("item is reference-only")}
}

type failingBackend struct{ b *memory.Backend }

func (f failingBackend) Login(ctx context.Context, l, p string, ci sip2.ConnInfo) (sip2.Session, error) {
	s, err := f.b.Login(ctx, l, p, ci)
	if err != nil {
		return nil, err
	}
	return failing{s}, nil
}

func TestErrorsBecomeNegativeResponses(t *testing.T) {
	_, addr := startServer(t, failingBackend{fixture()}, nil)
	k := dialKiosk(t, addr)
	k.login(kioskLogin, kioskPass)
	got := k.roundTrip("11YN" + date + "                  AONORTH|AAN0001|ABNI0001|AC|AD1234|\r")
	if !strings.HasPrefix(got, "120NUN") || !strings.Contains(got, "AONORTH|AAN0001|ABNI0001|AJ|AH|AFThe library system is unavailable. Please ask staff for help.|") || strings.Contains(got, "10.0.0.7") {
		t.Errorf("failed checkout: %q", got)
	}
	got = k.roundTrip("09N" + date + date + "APMAIN|AONORTH|ABNI0001|AC|\r")
	if !strings.HasPrefix(got, "100NUY") || !strings.Contains(got, "AFReturn this item at the desk.|AGSee staff|") || strings.Contains(got, "reference-only") {
		t.Errorf("refused checkin: %q", got)
	}
	// Refusals from the memory backend: blocked patron.
	_, addr2 := startServer(t, fixture(), nil)
	k2 := dialKiosk(t, addr2)
	k2.login(kioskLogin, kioskPass)
	got = k2.roundTrip("11YN" + date + "                  AONORTH|AAN0002|ABNI0001|AC|AD1234|\r")
	if !strings.HasPrefix(got, "120NUN") || !strings.Contains(got, "AFYour account is blocked. Please ask staff.|") {
		t.Errorf("blocked patron checkout: %q", got)
	}
}

func TestOversizedMessage(t *testing.T) {
	_, addr := startServer(t, fixture(), func(s *sip2.Server) { s.MaxMessage = 1024 })
	k := dialKiosk(t, addr)
	k.login(kioskLogin, kioskPass)
	if got := k.roundTrip("23" + strings.Repeat("A", 100000) + "\r"); got != "96" {
		t.Errorf("oversized: %q", got)
	}
	if got := k.roundTrip("9900302.00\r"); !strings.HasPrefix(got, "98") {
		t.Errorf("after oversized: %q", got)
	}
	// Binary garbage: 96, connection stays usable.
	if got := k.roundTrip("\x80\x81\xfe\x00garbage\r"); got != "96" {
		t.Errorf("garbage: %q", got)
	}
}

func TestConnectionCaps(t *testing.T) {
	_, addr := startServer(t, fixture(), func(s *sip2.Server) { s.MaxPerIP = 2 })
	a, b := dialKiosk(t, addr), dialKiosk(t, addr)
	a.login(kioskLogin, kioskPass)
	b.login(kioskLogin, kioskPass)
	if c := dialKiosk(t, addr); !c.closed() {
		t.Error("third connection from one IP accepted")
	}
	a.c.Close()
	eventually(t, "a connection slot frees when one closes", func() bool {
		return tryLogin(t, addr, kioskLogin, kioskPass)
	})

	_, addr2 := startServer(t, fixture(), func(s *sip2.Server) { s.MaxConnections = 1 })
	dialKiosk(t, addr2).login(kioskLogin, kioskPass)
	if c := dialKiosk(t, addr2); !c.closed() {
		t.Error("connection over the overall cap accepted")
	}

	// Per-account cap from the session: the account "single" allows one.
	_, addr3 := startServer(t, fixture(), nil)
	s1 := dialKiosk(t, addr3)
	s1.login("single", "pw1")
	s2 := dialKiosk(t, addr3)
	if got := s2.roundTrip("9300CNsingle|COpw1|\r"); got != "940" {
		t.Errorf("second login of a one-connection account: %q", got)
	}
	s1.c.Close()
	eventually(t, "the account's slot frees when its connection closes", func() bool {
		return tryLogin(t, addr3, "single", "pw1")
	})
}

func TestAllowedCIDRs(t *testing.T) {
	b := fixture()
	b.AddAccount(memory.Account{Login: "far", PasswordHash: memory.HashPassword("pw", 4), Institution: "NORTH",
		AllowedCIDRs: []netipPrefix{mustPrefix("10.0.0.0/8")}})
	b.AddAccount(memory.Account{Login: "near", PasswordHash: memory.HashPassword("pw", 4), Institution: "NORTH",
		AllowedCIDRs: []netipPrefix{mustPrefix("127.0.0.0/8")}})
	_, addr := startServer(t, b, nil)
	k := dialKiosk(t, addr)
	if got := k.roundTrip("9300CNfar|COpw|\r"); got != "940" {
		t.Errorf("login from outside the allowed CIDRs: %q", got)
	}
	k.login("near", "pw")
}

func TestShutdown(t *testing.T) {
	s := &sip2.Server{Backend: fixture(), Logger: discardLogger()}
	ln, err := listen()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	k := dialKiosk(t, ln.Addr().String())
	k.login(kioskLogin, kioskPass)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("Shutdown took %v with one idle connection", time.Since(start))
	}
	if err := <-done; !errors.Is(err, sip2.ErrServerClosed) {
		t.Errorf("Serve: %v", err)
	}
	if !k.closed() {
		t.Error("idle connection open after Shutdown")
	}
}

// panicky is a Session whose item information panics.
type panicky struct{ sip2.Session }

func (panicky) ItemInformation(context.Context, *sip2.ItemInformation) (*sip2.ItemInformationResponse, error) {
	panic("bug in a backend")
}

type panickyBackend struct{ b *memory.Backend }

func (p panickyBackend) Login(ctx context.Context, l, pw string, ci sip2.ConnInfo) (sip2.Session, error) {
	s, err := p.b.Login(ctx, l, pw, ci)
	if err != nil {
		return nil, err
	}
	return panicky{s}, nil
}

// TestHostileTerminal: a panicking session closes only its connection; a
// message cut off by a closed connection is never run; huge field counts get
// 96.
func TestHostileTerminal(t *testing.T) {
	_, addr := startServer(t, panickyBackend{fixture()}, nil)
	k := dialKiosk(t, addr)
	k.login(kioskLogin, kioskPass)
	k.send("17" + date + "AONORTH|ABNI0001|\r")
	if !k.closed() {
		t.Error("connection open after a panic")
	}
	dialKiosk(t, addr).login(kioskLogin, kioskPass) // the server lives on

	b := fixture()
	_, addr = startServer(t, b, nil)
	k = dialKiosk(t, addr)
	k.login(kioskLogin, kioskPass)
	k.send("11YN" + date + "                  AONORTH|AAN0001|ABNI0009|AC|AD1234|") // no CR
	k.c.(*net.TCPConn).CloseWrite()
	if !k.closed() {
		t.Error("connection open after the terminal closed")
	}
	if it, _ := b.Item("NI0009"); it.Checkouts != 0 {
		t.Error("a message without its terminator was run")
	}
	k = dialKiosk(t, addr)
	k.login(kioskLogin, kioskPass)
	if got := k.roundTrip("23001" + date + strings.Repeat("|", 3000) + "\r"); got != "96" {
		t.Errorf("huge field count: %q", got)
	}
	if got := k.roundTrip("\xff\xfb\x01\xff\xfd\x039900302.00\r"); !strings.HasPrefix(got, "98") {
		t.Errorf("telnet negotiation before a 99: %q", got)
	}
}
