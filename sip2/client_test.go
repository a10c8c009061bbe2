package sip2_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/illgw/illgw/sip2"
)

func newClient(t *testing.T, addr string, opts func(*sip2.Client)) *sip2.Client {
	c := &sip2.Client{Addr: addr, LoginUserID: kioskLogin, LoginPassword: kioskPass, LocationCode: "MAIN", Location: time.UTC}
	if opts != nil {
		opts(c)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestClientOperations drives every operation through the Client against
// the Server and the memory backend, checking what a kiosk would see.
func TestClientOperations(t *testing.T) {
	b := fixture()
	_, addr := startServer(t, b, nil)
	c := newClient(t, addr, nil)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	st, err := c.Status(ctx, &sip2.SCStatus{MaxPrintWidth: 40})
	must(err)
	if !st.Online || st.InstitutionID != "NORTH" || st.SupportedMessages != "YYYYYYYYYYYYYYYY" {
		t.Errorf("status: %+v", st)
	}
	ps, err := c.PatronStatus(ctx, &sip2.PatronStatusRequest{InstitutionID: "NORTH", PatronID: "N0001", PatronPassword: "1234"})
	must(err)
	if ps.ValidPatron != sip2.Yes || ps.ValidPatronPassword != sip2.Yes || ps.PersonalName != "Ada Lovelace" || ps.PatronStatus != 0 {
		t.Errorf("23: %+v", ps)
	}
	ps, _ = c.PatronStatus(ctx, &sip2.PatronStatusRequest{InstitutionID: "NORTH", PatronID: "N0001", PatronPassword: "9999"})
	if ps.ValidPatronPassword != sip2.No {
		t.Errorf("wrong PIN: %+v", ps)
	}
	ps, _ = c.PatronStatus(ctx, &sip2.PatronStatusRequest{InstitutionID: "NORTH", PatronID: "N0002", PatronPassword: "1234"})
	if !ps.PatronStatus.Has(sip2.ChargeDenied) || ps.PatronStatus.String()[0] != 'Y' {
		t.Errorf("blocked patron status %q", ps.PatronStatus)
	}

	co, err := c.Checkout(ctx, &sip2.Checkout{InstitutionID: "NORTH", PatronID: "N0001", ItemID: "NI0001", PatronPassword: "1234"})
	must(err)
	if !co.OK || co.DueDate == "" || co.TitleID != "Title 1" {
		t.Errorf("11: %+v", co)
	}
	co, _ = c.Checkout(ctx, &sip2.Checkout{InstitutionID: "NORTH", PatronID: "N0003", ItemID: "NI0001", PatronPassword: "7391"})
	if co.OK || len(co.ScreenMessage) != 1 || !strings.Contains(co.ScreenMessage[0], "someone else") {
		t.Errorf("11 of a charged item: %+v", co)
	}
	pi, err := c.PatronInformation(ctx, &sip2.PatronInformation{InstitutionID: "NORTH", PatronID: "N0001", PatronPassword: "1234", Summary: "  Y"})
	must(err)
	if pi.ChargedItemsCount != 1 || len(pi.ChargedItems) != 1 || pi.ChargedItems[0] != "NI0001" || pi.HoldItemsCount != 0 {
		t.Errorf("64: %+v", pi)
	}
	ii, err := c.ItemInformation(ctx, &sip2.ItemInformation{InstitutionID: "NORTH", ItemID: "NI0001"})
	must(err)
	if ii.CirculationStatus != sip2.CirculationCharged || ii.DueDate == "" {
		t.Errorf("18: %+v", ii)
	}
	rn, err := c.Renew(ctx, &sip2.Renew{InstitutionID: "NORTH", PatronID: "N0001", ItemID: "NI0001", PatronPassword: "1234"})
	must(err)
	if !rn.OK || !rn.RenewalOK {
		t.Errorf("30: %+v", rn)
	}
	ra, err := c.RenewAll(ctx, &sip2.RenewAll{InstitutionID: "NORTH", PatronID: "N0001", PatronPassword: "1234"})
	must(err)
	if !ra.OK || ra.RenewedCount != 1 || len(ra.RenewedItems) != 1 || ra.UnrenewedCount != 0 {
		t.Errorf("66: %+v", ra)
	}
	ho, err := c.Hold(ctx, &sip2.Hold{HoldMode: '+', InstitutionID: "NORTH", PatronID: "N0003", ItemID: "NI0001", PatronPassword: "7391", PickupLocation: "MAIN"})
	must(err)
	if !ho.OK || ho.Available || ho.QueuePosition != "1" || ho.PickupLocation != "MAIN" {
		t.Errorf("16: %+v", ho)
	}
	rn, _ = c.Renew(ctx, &sip2.Renew{InstitutionID: "NORTH", PatronID: "N0001", ItemID: "NI0001", PatronPassword: "1234"})
	if rn.OK {
		t.Errorf("renewal of an item someone waits for: %+v", rn)
	}
	ci, err := c.Checkin(ctx, &sip2.Checkin{InstitutionID: "NORTH", ItemID: "NI0001", CurrentLocation: "MAIN"})
	must(err)
	if !ci.OK || !ci.Alert || ci.AlertType != sip2.AlertHoldHere || ci.HoldPatronID != "N0003" || ci.HoldPatronName != "Renée Çelik-Muller" && ci.HoldPatronName != "Renee Celik-Muller" {
		t.Errorf("10: %+v", ci)
	}
	co, _ = c.Checkout(ctx, &sip2.Checkout{InstitutionID: "NORTH", PatronID: "N0001", ItemID: "NI0001", PatronPassword: "1234"})
	if co.OK {
		t.Errorf("checkout of an item on hold for another: %+v", co)
	}
	fp, err := c.FeePaid(ctx, &sip2.FeePaid{FeeType: sip2.FeeOverdue, PaymentType: sip2.PaymentCash, CurrencyType: "USD", FeeAmount: "2.50", InstitutionID: "NORTH", PatronID: "N0003", TransactionID: "T1"})
	must(err)
	if !fp.PaymentAccepted || fp.TransactionID != "T1" {
		t.Errorf("38: %+v", fp)
	}
	if fp, _ = c.FeePaid(ctx, &sip2.FeePaid{FeeAmount: "1.00", InstitutionID: "NORTH", PatronID: "N0003"}); fp.PaymentAccepted {
		t.Errorf("payment beyond what is owed accepted")
	}
	bp, err := c.BlockPatron(ctx, &sip2.BlockPatron{CardRetained: true, InstitutionID: "NORTH", BlockedCardMessage: "card left in kiosk", PatronID: "N0001"})
	must(err)
	if !bp.PatronStatus.Has(sip2.ChargeDenied | sip2.CardLost) {
		t.Errorf("24 after block: %q", bp.PatronStatus)
	}
	if co, _ = c.Checkout(ctx, &sip2.Checkout{InstitutionID: "NORTH", PatronID: "N0001", ItemID: "NI0004", PatronPassword: "1234"}); co.OK {
		t.Error("blocked patron checked out")
	}
	pe, err := c.PatronEnable(ctx, &sip2.PatronEnable{InstitutionID: "NORTH", PatronID: "N0001", PatronPassword: "1234"})
	must(err)
	if pe.PatronStatus != 0 || pe.ValidPatron != sip2.Yes {
		t.Errorf("26: %+v", pe)
	}
	su, err := c.ItemStatusUpdate(ctx, &sip2.ItemStatusUpdate{InstitutionID: "NORTH", ItemID: "NI0002", ItemProperties: "fragile"})
	must(err)
	if it, _ := b.Item("NI0002"); !su.ItemPropertiesOK || it.Properties != "fragile" {
		t.Errorf("20: %+v", su)
	}
	es, err := c.EndPatronSession(ctx, &sip2.EndPatronSession{InstitutionID: "NORTH", PatronID: "N0001"})
	must(err)
	if !es.EndSession {
		t.Errorf("36: %+v", es)
	}
	ii, _ = c.ItemInformation(ctx, &sip2.ItemInformation{InstitutionID: "NORTH", ItemID: "NOPE"})
	if ii.CirculationStatus != sip2.CirculationOther || len(ii.ScreenMessage) == 0 {
		t.Errorf("unknown item: %+v", ii)
	}
	if _, err := c.Do(ctx, &sip2.CheckoutResponse{}); err == nil {
		t.Error("Do sent a response message")
	}
}

// countingListener counts accepted connections.
type countingListener struct {
	net.Listener
	n atomic.Int32
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

func serveOn(t *testing.T, ln net.Listener, b sip2.Backend, opts func(*sip2.Server)) {
	s := &sip2.Server{Backend: b, Location: time.UTC, Logger: discardLogger()}
	if opts != nil {
		opts(s)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
		<-done
	})
}

func TestClientPool(t *testing.T) {
	inner, _ := listen()
	ln := &countingListener{Listener: inner}
	serveOn(t, ln, fixture(), nil)
	c := newClient(t, ln.Addr().String(), func(c *sip2.Client) { c.MaxConns = 3; c.MaxIdle = 3 })
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := 0; i < 30; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.PatronStatus(context.Background(), &sip2.PatronStatusRequest{InstitutionID: "NORTH", PatronID: "N0001"}); err != nil {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	if failed.Load() != 0 || ln.n.Load() > 3 || ln.n.Load() < 1 {
		t.Errorf("%d failed calls, %d connections for MaxConns 3", failed.Load(), ln.n.Load())
	}
}

func TestClientLoginRefused(t *testing.T) {
	_, addr := startServer(t, fixture(), nil)
	c := newClient(t, addr, func(c *sip2.Client) { c.LoginPassword = "wrong" })
	if _, err := c.Status(context.Background(), &sip2.SCStatus{}); !errors.Is(err, sip2.ErrLoginFailed) {
		t.Errorf("got %v, want ErrLoginFailed", err)
	}
}

func TestClientNoErrorDetection(t *testing.T) {
	_, addr := startServer(t, fixture(), func(s *sip2.Server) { s.Terminator = "\r\n" })
	c := newClient(t, addr, func(c *sip2.Client) { c.NoErrorDetection = true })
	if st, err := c.Status(context.Background(), &sip2.SCStatus{}); err != nil || !st.Online {
		t.Errorf("status without ED over a CRLF server: %v", err)
	}
}

func TestClientTLS(t *testing.T) {
	cert, roots := testCA(t)
	_, addr := startServer(t, fixture(), func(s *sip2.Server) { s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}} })
	c := newClient(t, addr, func(c *sip2.Client) { c.TLSConfig = &tls.Config{RootCAs: roots} })
	if _, err := c.Status(context.Background(), &sip2.SCStatus{}); err != nil {
		t.Error(err)
	}
}

// fakeACS answers each message with what reply returns (raw, without
// terminator; nothing for an empty string). n counts messages per
// connection.
func fakeACS(t *testing.T, reply func(msg string, n int) string) string {
	ln, err := listen()
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, nc)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := sip2.NewReader(nc, 0)
				for n := 0; ; n++ {
					b, err := r.ReadMessage()
					if err != nil {
						return
					}
					if out := reply(string(b), n); out != "" {
						nc.Write([]byte(out + "\r"))
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// seqOf returns the AY digit of a message with error detection.
func seqOf(msg string) int { return int(msg[len(msg)-7] - '0') }

// TestClientResends: a response with a bad checksum is answered with 97
// and the good copy accepted; a 96 makes the client send its request again.
func TestClientResends(t *testing.T) {
	var saw97, resent atomic.Int32
	st := "98YYYYYN10000320261127    0313552.00AONORTH|BXYYYYYYYYYYYYYYYY|"
	addr := fakeACS(t, func(msg string, n int) string {
		switch {
		case strings.HasPrefix(msg, "93"):
			return ck("941", seqOf(msg))
		case strings.HasPrefix(msg, "97"):
			saw97.Add(1)
			return ck(st, 1)
		case strings.HasPrefix(msg, "99"):
			good := ck(st, seqOf(msg))
			return good[:len(good)-1] + "0" // corrupt the checksum
		case strings.HasPrefix(msg, "23") && n == 1:
			return "96AZFEF6"
		case strings.HasPrefix(msg, "23"):
			resent.Add(1)
			return ck("24              00120261127    031355AONORTH|AAN0001|AEAda|BLY|", seqOf(msg))
		}
		return ""
	})
	c := newClient(t, addr, nil)
	s, err := c.Status(context.Background(), &sip2.SCStatus{})
	if err != nil || !s.Online || saw97.Load() != 1 {
		t.Errorf("bad checksum: %v, 97 sent %d times", err, saw97.Load())
	}
	c2 := newClient(t, addr, nil)
	ps, err := c2.PatronStatus(context.Background(), &sip2.PatronStatusRequest{InstitutionID: "NORTH", PatronID: "N0001"})
	if err != nil || ps.PersonalName != "Ada" || resent.Load() != 1 {
		t.Errorf("after 96: %v %+v, resent %d", err, ps, resent.Load())
	}
	// An ACS that only ever sends garbage: a protocol error after the retries.
	bad := fakeACS(t, func(msg string, n int) string {
		if strings.HasPrefix(msg, "93") {
			return ck("941", seqOf(msg))
		}
		return "98garbage"
	})
	c3 := newClient(t, bad, nil)
	if _, err := c3.Status(context.Background(), &sip2.SCStatus{}); !errors.Is(err, sip2.ErrProtocol) {
		t.Errorf("garbage ACS: %v", err)
	}
}

func TestClientDeadline(t *testing.T) {
	addr := fakeACS(t, func(msg string, n int) string {
		if strings.HasPrefix(msg, "93") {
			return ck("941", seqOf(msg))
		}
		return "" // never answers
	})
	c := newClient(t, addr, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Status(ctx, &sip2.SCStatus{})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Errorf("got %v after %v", err, time.Since(start))
	}
	// Cancellation ends a call too.
	ctx2, cancel2 := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel2)
	if _, err := c.Status(ctx2, &sip2.SCStatus{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancel: %v", err)
	}
}

// dropProxy forwards bytes between client and server but, while armed,
// swallows the next server response that starts with prefix and closes the
// client's connection: the ACS ran the request, the kiosk never heard back.
type dropProxy struct {
	armed  atomic.Bool
	prefix string
}

func (p *dropProxy) start(t *testing.T, target string) string {
	ln, _ := listen()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			cc, err := ln.Accept()
			if err != nil {
				return
			}
			sc, err := net.Dial("tcp", target)
			if err != nil {
				cc.Close()
				continue
			}
			wg.Add(2)
			go func() { // client -> server
				defer wg.Done()
				buf := make([]byte, 4096)
				for {
					n, err := cc.Read(buf)
					if n > 0 {
						sc.Write(buf[:n])
					}
					if err != nil {
						sc.Close()
						return
					}
				}
			}()
			go func() { // server -> client, message by message
				defer wg.Done()
				defer cc.Close()
				r := bufio.NewReader(sc)
				for {
					msg, err := r.ReadString('\r')
					if err != nil {
						return
					}
					if strings.HasPrefix(msg, p.prefix) && p.armed.CompareAndSwap(true, false) {
						sc.Close()
						return
					}
					cc.Write([]byte(msg))
				}
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String()
}

// TestClientReconnectReplays: the connection dies after the ACS ran a
// checkout; the client sends the same bytes on a new connection and the
// ACS answers from its replay store, so the item is charged once.
func TestClientReconnectReplays(t *testing.T) {
	b := fixture()
	_, addr := startServer(t, b, nil)
	p := &dropProxy{prefix: "12"}
	c := newClient(t, p.start(t, addr), nil)
	ctx := context.Background()
	if _, err := c.Status(ctx, &sip2.SCStatus{}); err != nil { // pooled, logged-in connection
		t.Fatal(err)
	}
	p.armed.Store(true)
	co, err := c.Checkout(ctx, &sip2.Checkout{InstitutionID: "NORTH", PatronID: "N0001", ItemID: "NI0007", PatronPassword: "1234"})
	if err != nil || !co.OK {
		t.Fatalf("checkout through a dying connection: %v %+v", err, co)
	}
	if it, _ := b.Item("NI0007"); it.Checkouts != 1 || it.Renewals != 0 {
		t.Errorf("item charged %d times and renewed %d times, want 1 and 0", it.Checkouts, it.Renewals)
	}
	if p.armed.Load() {
		t.Error("the proxy never dropped the response; the test proved nothing")
	}
}

// TestClientReconnectAfterIdleClose: the ACS closed the pooled connection
// while idle; the next call reconnects.
func TestClientReconnectAfterIdleClose(t *testing.T) {
	_, addr := startServer(t, fixture(), func(s *sip2.Server) { s.IdleTimeout = 500 * time.Millisecond })
	c := newClient(t, addr, nil)
	ctx := context.Background()
	if _, err := c.Status(ctx, &sip2.SCStatus{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	if _, err := c.Status(ctx, &sip2.SCStatus{}); err != nil {
		t.Errorf("after idle close: %v", err)
	}
}
