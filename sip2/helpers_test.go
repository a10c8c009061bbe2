package sip2_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/illgw/illgw/internal/testenv"
	"github.com/illgw/illgw/sip2"
	"github.com/illgw/illgw/sip2/memory"
)

// TestMain fails the package when goroutines of the package outlive its
// tests (servers not shut down, connections left open).
func TestMain(m *testing.M) { testenv.Main(m, "illgw/sip2.") }

// Fixture data, as in DESIGN.md's demo: kiosk1/kiosk1pass at NORTH,
// N0001 in good standing, N0002 blocked, items NI0001..NI0010.
const (
	kioskLogin = "kiosk1"
	kioskPass  = "kiosk1pass"
)

func fixture() *memory.Backend {
	b := memory.New()
	b.AddAccount(memory.Account{Login: kioskLogin, PasswordHash: memory.HashPassword(kioskPass, 4), Institution: "NORTH", LibraryName: "North City Library"})
	b.AddAccount(memory.Account{Login: "kiosk850", PasswordHash: memory.HashPassword("pw850", 4), Institution: "NORTH", Charset: sip2.IBM850})
	b.AddAccount(memory.Account{Login: "kioskutf8", PasswordHash: memory.HashPassword("pwutf8", 4), Institution: "NORTH", Charset: sip2.UTF8})
	b.AddAccount(memory.Account{Login: "single", PasswordHash: memory.HashPassword("pw1", 4), Institution: "NORTH", MaxConnections: 1})
	b.AddPatron(memory.Patron{ID: "N0001", PIN: "1234", Name: "Ada Lovelace", Email: "ada@example.org"})
	b.AddPatron(memory.Patron{ID: "N0002", PIN: "1234", Name: "Blocked Bob", Status: sip2.ChargeDenied})
	b.AddPatron(memory.Patron{ID: "N0003", PIN: "7391", Name: "Renée Çelik-Müller", Fines: []memory.Fine{{ID: "F1", Amount: 250, Type: sip2.FeeOverdue}}})
	for i := 1; i <= 10; i++ {
		b.AddItem(memory.Item{ID: fmt.Sprintf("NI%04d", i), Title: fmt.Sprintf("Title %d", i), Owner: "NORTH", Location: "MAIN", MediaType: sip2.MediaBook})
	}
	return b
}

// startServer runs a Server on 127.0.0.1:0 until the test ends.
func startServer(t *testing.T, b sip2.Backend, opts func(*sip2.Server)) (*sip2.Server, string) {
	t.Helper()
	s := &sip2.Server{Backend: b, Location: time.UTC, Logger: discardLogger()}
	if opts != nil {
		opts(s)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; !errors.Is(err, sip2.ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
	})
	return s, ln.Addr().String()
}

// kiosk is a raw-byte terminal: it sends exactly the bytes given and reads
// up to the terminator.
type kiosk struct {
	t    *testing.T
	c    net.Conn
	r    *bufio.Reader
	term byte
}

func dialKiosk(t *testing.T, addr string) *kiosk {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &kiosk{t: t, c: c, r: bufio.NewReader(c), term: '\r'}
}

func tlsKiosk(t *testing.T, addr string, cfg *tls.Config) (*kiosk, error) {
	c, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Close() })
	return &kiosk{t: t, c: c, r: bufio.NewReader(c), term: '\r'}, nil
}

func (k *kiosk) send(raw string) {
	k.t.Helper()
	k.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := k.c.Write([]byte(raw)); err != nil {
		k.t.Fatalf("send %q: %v", raw, err)
	}
}

// recv returns one response with its terminator.
func (k *kiosk) recv() string {
	k.t.Helper()
	k.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	s, err := k.r.ReadString(k.term)
	if err != nil {
		k.t.Fatalf("recv: %v (got %q)", err, s)
	}
	return s
}

// roundTrip sends raw and returns the response without terminator.
func (k *kiosk) roundTrip(raw string) string {
	k.t.Helper()
	k.send(raw)
	return strings.TrimRight(k.recv(), "\r\n")
}

// closed reports whether the server closes the connection (within 5s)
// without sending anything more.
func (k *kiosk) closed() bool {
	k.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := k.r.ReadByte()
	if err == nil {
		k.t.Errorf("expected close, got byte %q", b)
		return false
	}
	return !errors.Is(err, os.ErrDeadlineExceeded)
}

func (k *kiosk) login(user, pass string) {
	k.t.Helper()
	if got := k.roundTrip("9300CN" + user + "|CO" + pass + "|CPMAIN|\r"); got != "941" {
		k.t.Fatalf("login %s: %q", user, got)
	}
}

// ck appends AY<seq>AZ<checksum> to a message.
func ck(msg string, seq int) string {
	b := fmt.Sprintf("%sAY%dAZ", msg, seq)
	return fmt.Sprintf("%s%04X", b, sip2.Checksum([]byte(b)))
}

// verify checks a response's trailer: its checksum verifies and it carries
// sequence number seq.
func verify(t *testing.T, resp string, seq int) {
	t.Helper()
	p, err := (sip2.Codec{Charset: sip2.UTF8}).Decode([]byte(resp))
	if err != nil || !p.Checked || p.Seq != seq {
		t.Errorf("response %q: err %v checked %v seq %d, want seq %d", resp, err, p.Checked, p.Seq, seq)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

const date = "20261127    031355"

type netipPrefix = netip.Prefix

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func listen() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

// eventually retries cond for up to 5 seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("not within 5s: %s", what)
			return
		}
	}
}

// tryLogin opens a connection and reports whether a login on it succeeds;
// the connection stays open until the test ends.
func tryLogin(t *testing.T, addr, user, pass string) bool {
	k := dialKiosk(t, addr)
	if _, err := k.c.Write([]byte("9300CN" + user + "|CO" + pass + "|\r")); err != nil {
		return false
	}
	k.c.SetReadDeadline(time.Now().Add(2 * time.Second))
	got, err := k.r.ReadString('\r')
	return err == nil && got == "941\r"
}
