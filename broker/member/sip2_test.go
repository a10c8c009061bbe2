package member

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/illgw/illgw/sip2"
	"github.com/illgw/illgw/sip2/memory"
)

func sipACS(t *testing.T) (string, *memory.Backend) {
	t.Helper()
	lib := memory.New()
	lib.AddAccount(memory.Account{Login: "gw", PasswordHash: memory.HashPassword("gwpass", 4), Institution: "NORTH"})
	lib.AddPatron(memory.Patron{ID: "N0001", PIN: "1234", Name: "Ada Lovelace"})
	lib.AddItem(memory.Item{ID: "NI0001", Title: "Notes on the Analytical Engine"})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &sip2.Server{Backend: lib, Logger: slog.New(slog.DiscardHandler)}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	})
	return ln.Addr().String(), lib
}

func TestSIP2ThroughRegistry(t *testing.T) {
	addr, lib := sipACS(t)
	r := newRegistry(t, Options{Members: []Config{{Code: "NORTH", SIP2: &SIP2Config{Addr: addr, Login: "gw", Password: "gwpass", Institution: "NORTH", Timeout: 2 * time.Second}}},
		Breaker: BreakerConfig{Failures: 2, MinRequests: 2}})
	s := r.Member("NORTH").SIP2()
	ctx := context.Background()
	// No AO given: the member's institution goes out.
	co, err := s.Checkout(ctx, &sip2.Checkout{PatronID: "N0001", ItemID: "NI0001", PatronPassword: "1234"})
	if err != nil || !co.OK || co.InstitutionID != "NORTH" {
		t.Fatalf("checkout: %v %+v", err, co)
	}
	if it, _ := lib.Item("NI0001"); it.ChargedTo != "N0001" {
		t.Fatalf("item not charged at the ACS: %+v", it)
	}
	// Negative answers (unknown patron, item already out) are answers.
	for range 5 {
		co, err := s.Checkout(ctx, &sip2.Checkout{PatronID: "NOBODY", ItemID: "NI0001"})
		if err != nil || co.OK {
			t.Fatalf("refused checkout: %v %+v", err, co)
		}
	}
	if h := health(t, r, "NORTH", SIP2); h.Breaker != gobreaker.StateClosed || h.Failures != 0 || h.Requests != 6 {
		t.Fatalf("health = %+v", h)
	}
}

// A refused gateway login is a failure (the member is unusable), and the
// password never shows in the error or the health report.
func TestSIP2BadLoginTrips(t *testing.T) {
	addr, _ := sipACS(t)
	r := newRegistry(t, Options{Members: []Config{{Code: "NORTH", SIP2: &SIP2Config{Addr: addr, Login: "gw", Password: "n0t-the-pass", Timeout: 2 * time.Second}}},
		Breaker: BreakerConfig{Failures: 2, OpenFor: time.Hour}})
	s := r.Member("NORTH").SIP2()
	for range 2 {
		_, err := s.Status(context.Background(), &sip2.SCStatus{})
		if !errors.Is(err, sip2.ErrLoginFailed) || strings.Contains(err.Error(), "n0t-the-pass") {
			t.Fatalf("err = %v", err)
		}
	}
	if _, err := s.Status(context.Background(), &sip2.SCStatus{}); !errors.Is(err, ErrOpen) {
		t.Fatalf("third call: %v", err)
	}
	if h := health(t, r, "NORTH", SIP2); strings.Contains(h.LastError, "n0t-the-pass") || h.LastError == "" {
		t.Fatalf("last error %q", h.LastError)
	}
}
