package memory

import (
	"context"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/illgw/illgw/sip2"
)

func TestParseMoney(t *testing.T) {
	for in, want := range map[string]int{"12": 1200, "12.5": 1250, "12.50": 1250, "0.07": 7, ".5": 50} {
		if got, ok := parseMoney(in); !ok || got != want {
			t.Errorf("parseMoney(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "1.234", "1,00", "-1", "1.2.3", "99999999999"} {
		if _, ok := parseMoney(in); ok {
			t.Errorf("parseMoney(%q) accepted", in)
		}
	}
	if money(1250) != "12.50" || money(7) != "0.07" {
		t.Error("money")
	}
}

func TestWindow(t *testing.T) {
	l := []string{"a", "b", "c", "d"}
	for _, tc := range []struct {
		bp, bq string
		want   []string
	}{{"", "", l}, {"2", "3", []string{"b", "c"}}, {"3", "", []string{"c", "d"}}, {"5", "9", nil}, {"x", "2", []string{"a", "b"}}, {"2", "9", []string{"b", "c", "d"}}} {
		if got := window(l, tc.bp, tc.bq); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("window(%q,%q) = %v want %v", tc.bp, tc.bq, got, tc.want)
		}
	}
}

func setup(t *testing.T) (*Backend, *Session) {
	b := New()
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	b.Now = func() time.Time { return now }
	b.AddAccount(Account{Login: "k", PasswordHash: HashPassword("pw", 4), Institution: "NORTH",
		AllowedCIDRs: []netip.Prefix{netip.MustParsePrefix("192.168.0.0/16")}})
	b.AddPatron(Patron{ID: "P1", PIN: "1", Name: "One"})
	b.AddPatron(Patron{ID: "P2", PIN: "2", Name: "Two"})
	b.AddItem(Item{ID: "I1", Title: "T1"})
	ci := sip2.ConnInfo{Remote: netip.MustParseAddrPort("192.168.1.9:4000")}
	s, err := b.Login(context.Background(), "k", "pw", ci)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Login(context.Background(), "k", "pw", sip2.ConnInfo{Remote: netip.MustParseAddrPort("10.1.1.1:4000")}); err == nil {
		t.Error("login from outside the allowed CIDRs")
	}
	if _, err := b.Login(context.Background(), "k", "nope", ci); err != sip2.ErrLoginFailed {
		t.Errorf("bad password: %v", err)
	}
	return b, s.(*Session)
}

func TestHoldsAndRenewals(t *testing.T) {
	b, s := setup(t)
	ctx := context.Background()
	if r, err := s.Checkout(ctx, &sip2.Checkout{PatronID: "P1", ItemID: "I1", PatronPassword: "1"}); err != nil || r.DueDate != "20261211    100000" {
		t.Fatalf("checkout: %v %+v", err, r)
	}
	for i := 0; i < 3; i++ {
		if _, err := s.Renew(ctx, &sip2.Renew{PatronID: "P1", ItemID: "I1"}); err != nil {
			t.Fatalf("renewal %d: %v", i, err)
		}
	}
	if _, err := s.Renew(ctx, &sip2.Renew{PatronID: "P1", ItemID: "I1"}); err == nil {
		t.Error("fourth renewal allowed")
	}
	h, err := s.Hold(ctx, &sip2.Hold{HoldMode: '+', PatronID: "P2", ItemID: "I1", PatronPassword: "2"})
	if err != nil || h.QueuePosition != "1" || h.Available {
		t.Fatalf("hold: %v %+v", err, h)
	}
	if _, err := s.Hold(ctx, &sip2.Hold{HoldMode: '-', PatronID: "P2", ItemID: "I1"}); err != nil {
		t.Fatal(err)
	}
	if it, _ := b.Item("I1"); len(it.Holds) != 0 {
		t.Errorf("hold not cancelled: %v", it.Holds)
	}
	if _, err := s.Hold(ctx, &sip2.Hold{HoldMode: '*', PatronID: "P2", ItemID: "I1"}); err == nil {
		t.Error("changed a hold that does not exist")
	}
	// Offline checkout replayed later: no block, due date as given.
	due := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	if r, err := s.Checkout(ctx, &sip2.Checkout{NoBlock: true, NbDueDate: due, PatronID: "P2", ItemID: "I1"}); err != nil || !r.OK {
		t.Fatalf("no-block checkout: %v", err)
	}
	if it, _ := b.Item("I1"); !it.Due.Equal(due) || it.ChargedTo != "P2" {
		t.Errorf("no-block checkout: %+v", it)
	}
	b.SetOnline(false)
	if s.Online(ctx) {
		t.Error("online while set offline")
	}
}
