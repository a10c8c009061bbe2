package sip2_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/illgw/illgw/sip2"
	"github.com/illgw/illgw/sip2/memory"
)

// TestReplayEntryHoldsNoPIN: the entry a state-changing request leaves in
// the ReplayStore is the request's keyed digest and the response; neither
// holds the PIN (AD) or the request, and a retry is still answered byte for
// byte, across a reconnect (issue 6 point 2).
func TestReplayEntryHoldsNoPIN(t *testing.T) {
	b := fixture()
	store := &sip2.MemoryReplayStore{}
	_, addr := startServer(t, b, func(s *sip2.Server) { s.ReplayStore = store; s.ReplayKey = []byte("gateway secret") })
	k := dialKiosk(t, addr)
	k.login(kioskLogin, kioskPass)
	checkout := ck("11YN"+date+"                  AONORTH|AAN0003|ABNI0004|AC|AD7391|", 2)
	first := k.roundTrip(checkout + "\r")
	if !strings.HasPrefix(first, "121") {
		t.Fatalf("checkout: %q", first)
	}
	e, ok, err := store.Get(context.Background(), kioskLogin)
	if !ok || err != nil {
		t.Fatalf("no entry: %v", err)
	}
	if len(e.Digest) != sip2.ReplayDigestSize || bytes.Contains(e.Digest, []byte("7391")) || bytes.Contains(e.Digest, []byte(checkout)) {
		t.Errorf("digest %q", e.Digest)
	}
	if string(e.Response) != first || strings.Contains(first, "|AD") {
		t.Errorf("stored response %q, sent %q", e.Response, first)
	}
	k2 := dialKiosk(t, addr)
	k2.login(kioskLogin, kioskPass)
	if again := k2.roundTrip(checkout + "\r"); again != first {
		t.Errorf("retry after reconnect: %q, want %q", again, first)
	}
	if it, _ := b.Item("NI0004"); it.Checkouts != 1 || it.Renewals != 0 {
		t.Errorf("item charged %d times, renewed %d; want 1 and 0", it.Checkouts, it.Renewals)
	}
}

// TestReplayDigestKeyed: the digest is keyed by the Server's ReplayKey, so
// an instance with another key (or anyone without it) cannot match it: the
// same bytes run again there.
func TestReplayDigestKeyed(t *testing.T) {
	b := fixture()
	store := &sip2.MemoryReplayStore{}
	_, a1 := startServer(t, b, func(s *sip2.Server) { s.ReplayStore = store; s.ReplayKey = []byte("one") })
	_, a2 := startServer(t, b, func(s *sip2.Server) { s.ReplayStore = store; s.ReplayKey = []byte("two") })
	pay := ck("37"+date+"0400USDBV1.00|AONORTH|AAN0003|AD7391|", 3) + "\r"
	for _, addr := range []string{a1, a2} {
		k := dialKiosk(t, addr)
		k.login(kioskLogin, kioskPass)
		if r := k.roundTrip(pay); !strings.HasPrefix(r, "38Y") {
			t.Fatalf("fee paid: %q", r)
		}
	}
	if b.Payments() != 2 {
		t.Errorf("payments %d, want 2 (keys differ, so no replay)", b.Payments())
	}
}

// leakyBackend is an ILS that echoes the patron's PIN back in an unknown
// field of its checkout response.
type leakyBackend struct{ *memory.Backend }

type leakySession struct{ *memory.Session }

func (l leakyBackend) Login(ctx context.Context, login, password string, ci sip2.ConnInfo) (sip2.Session, error) {
	s, err := l.Backend.Login(ctx, login, password, ci)
	if err != nil {
		return nil, err
	}
	return leakySession{s.(*memory.Session)}, nil
}

func (l leakySession) Checkout(ctx context.Context, req *sip2.Checkout) (*sip2.CheckoutResponse, error) {
	r, err := l.Session.Checkout(ctx, req)
	if r != nil {
		r.Extra = append(r.Extra, sip2.Field{ID: "AD", Value: req.PatronPassword}, sip2.Field{ID: "ZZ", Value: "kept"})
	}
	return r, err
}

// TestReplayDropsEchoedPIN: a PIN a backend passes through in a response to
// a state-changing request reaches neither the kiosk nor the store; other
// unknown fields do.
func TestReplayDropsEchoedPIN(t *testing.T) {
	store := &sip2.MemoryReplayStore{}
	_, addr := startServer(t, leakyBackend{fixture()}, func(s *sip2.Server) { s.ReplayStore = store })
	k := dialKiosk(t, addr)
	k.login(kioskLogin, kioskPass)
	resp := k.roundTrip(ck("11YN"+date+"                  AONORTH|AAN0003|ABNI0005|AC|AD7391|", 1) + "\r")
	if !strings.HasPrefix(resp, "121") || strings.Contains(resp, "|AD") || !strings.Contains(resp, "|ZZkept|") {
		t.Errorf("checkout response %q", resp)
	}
	verify(t, resp, 1)
	if e, _, _ := store.Get(context.Background(), kioskLogin); bytes.Contains(e.Response, []byte("AD7391")) {
		t.Errorf("stored response holds the PIN: %q", e.Response)
	}
}
