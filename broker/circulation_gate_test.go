package broker

import (
	"log/slog"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/illgw/illgw/broker/patron"
	"github.com/illgw/illgw/internal/testenv"
	"github.com/illgw/illgw/ncip"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
	"github.com/illgw/illgw/sip2/memory"
)

// borrowWithoutPIN sends checkout (11), renew (29), renew all (65) and hold
// (15) for id with no PIN, as a kiosk that leaves AD out does, and checks
// each is refused with the screen message want and that the ILS saw none
// of them (no new charge, renewal or hold).
func borrowWithoutPIN(t *testing.T, f *circFixture, id, want string) {
	t.Helper()
	before, _ := f.ils.Item("NI0002")
	_, err := f.circ.Checkout(ctxT(t), &illgwv1.CheckoutRequest{Terminal: f.term, PatronId: id, ItemId: "NI0002"})
	wantCode(t, err, codes.PermissionDenied, want)
	if it, _ := f.ils.Item("NI0002"); it.Checkouts != before.Checkouts {
		t.Fatalf("11 without a PIN charged NI0002 to %s", id)
	}
	_, err = f.circ.Renew(ctxT(t), &illgwv1.RenewRequest{Terminal: f.term, PatronId: id, ItemId: "NI0003"})
	wantCode(t, err, codes.PermissionDenied, want)
	if it, _ := f.ils.Item("NI0003"); it.Renewals != 0 {
		t.Fatalf("29 without a PIN renewed NI0003 for %s", id)
	}
	_, err = f.circ.RenewAll(ctxT(t), &illgwv1.RenewAllRequest{Terminal: f.term, PatronId: id})
	wantCode(t, err, codes.PermissionDenied, want)
	_, err = f.circ.Hold(ctxT(t), &illgwv1.HoldRequest{Terminal: f.term, PatronId: id, ItemId: "NI0002", Mode: illgwv1.HoldRequest_MODE_ADD})
	wantCode(t, err, codes.PermissionDenied, want)
	if it, _ := f.ils.Item("NI0002"); len(it.Holds) != len(before.Holds) {
		t.Fatalf("15 without a PIN queued %v on NI0002", it.Holds)
	}
}

// notRefused checks that fee paid, patron enable and end session for id
// without a PIN still reach the ILS: the directory's block is about
// borrowing.
func notRefused(t *testing.T, f *circFixture, id string) {
	t.Helper()
	if _, err := f.circ.FeePaid(ctxT(t), &illgwv1.FeePaidRequest{Terminal: f.term, PatronId: id, Amount: "1.00", FeeType: "01", PaymentType: "00", Currency: "USD"}); status.Code(err) == codes.PermissionDenied {
		t.Errorf("37 without a PIN for %s refused: %v", id, err)
	}
	if _, err := f.circ.PatronEnable(ctxT(t), &illgwv1.PatronEnableRequest{Terminal: f.term, PatronId: id}); status.Code(err) == codes.PermissionDenied {
		t.Errorf("25 without a PIN for %s refused: %v", id, err)
	}
	if _, err := f.circ.EndSession(ctxT(t), &illgwv1.EndSessionRequest{Terminal: f.term, PatronId: id}); status.Code(err) == codes.PermissionDenied {
		t.Errorf("35 without a PIN for %s refused: %v", id, err)
	}
}

// gateILS gives the fixture's ILS the patrons ids, so that whatever is
// refused is refused by the gateway, not by an ILS that does not know them.
func gateILS(f *circFixture, ids ...string) {
	for _, id := range ids {
		f.ils.AddPatron(memory.Patron{ID: id, PIN: "ils-pin-" + id, Name: "ILS " + id})
	}
}

// borrowsWithoutPIN checks that a patron the source knows and does not bar
// may still check out without a PIN: the item is charged to them.
func borrowsWithoutPIN(t *testing.T, f *circFixture, id string) {
	t.Helper()
	co, err := f.circ.Checkout(ctxT(t), &illgwv1.CheckoutRequest{Terminal: f.term, PatronId: id, ItemId: "NI0001"})
	if err != nil || !co.GetOk() {
		t.Fatalf("11 without a PIN for %s: %v %v", id, co, err)
	}
	if it, _ := f.ils.Item("NI0001"); it.ChargedTo != id {
		t.Fatalf("NI0001 charged to %q, want %s", it.ChargedTo, id)
	}
	rn, err := f.circ.Renew(ctxT(t), &illgwv1.RenewRequest{Terminal: f.term, PatronId: id, ItemId: "NI0001"})
	if err != nil || !rn.GetOk() {
		t.Fatalf("29 without a PIN for %s: %v %v", id, rn, err)
	}
	if _, err := f.circ.RenewAll(ctxT(t), &illgwv1.RenewAllRequest{Terminal: f.term, PatronId: id}); err != nil {
		t.Fatalf("65 without a PIN for %s: %v", id, err)
	}
	if _, err := f.circ.Hold(ctxT(t), &illgwv1.HoldRequest{Terminal: f.term, PatronId: id, ItemId: "NI0003", Mode: illgwv1.HoldRequest_MODE_ADD}); err != nil {
		t.Fatalf("15 without a PIN for %s: %v", id, err)
	}
	if it, _ := f.ils.Item("NI0003"); len(it.Holds) != 1 || it.Holds[0] != id {
		t.Fatalf("15 without a PIN: NI0003 holds %v, want [%s]", it.Holds, id)
	}
}

// TestGateDirectoryNoPIN: at a member whose patrons are checked at an LDAP
// directory (a real slapd with testdata/patrons.ldif), a kiosk that sends
// no PIN cannot borrow for a patron the directory blocks (p0003), whose
// card has expired (p0002) or whom it does not know; a good patron (p0001)
// still can; with the directory stopped the request fails closed. Before
// the gate looked patrons up without a PIN, all of these reached the ILS.
func TestGateDirectoryNoPIN(t *testing.T) {
	ldif, err := os.ReadFile("testdata/patrons.ldif")
	if err != nil {
		t.Fatal(err)
	}
	srv := testenv.Slapd(t, string(ldif))
	dir, err := patron.NewLDAP(patron.LDAPOptions{
		Member: "NORTH", URL: srv.URL, BindDN: srv.AdminDN, BindPassword: srv.AdminPassword, BaseDN: srv.BaseDN,
		Filter:   "(&(objectClass=inetOrgPerson)(uid=%s))",
		Attrs:    patron.Attributes{Name: "cn", Email: "mail", Expiry: "shadowExpire", Blocked: "description", Type: "employeeType"},
		Timeout:  3 * time.Second,
		Attempts: patron.AttemptOptions{Max: -1},
		Breaker:  patron.BreakerOptions{Failures: 3, OpenFor: time.Second, Probes: 1},
		Logger:   slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dir.Close() })
	f := newCircFixture(t, PatronsLDAP, dir)
	gateILS(f, "p0001", "p0002", "p0003", "p9999")

	borrowWithoutPIN(t, f, "p0003", patron.ScreenMessage(patron.ErrBlocked))
	borrowWithoutPIN(t, f, "p0002", patron.ScreenMessage(patron.ErrExpired))
	// Known to the ILS but not to the directory, the authority here.
	borrowWithoutPIN(t, f, "p9999", patron.ScreenMessage(patron.ErrUnknownPatron))
	notRefused(t, f, "p0003")
	borrowsWithoutPIN(t, f, "p0001")

	// With a PIN the directory authenticates as before.
	_, err = f.circ.Checkout(ctxT(t), &illgwv1.CheckoutRequest{Terminal: f.term, PatronId: "p0003", Pin: "pin-p0003-right", ItemId: "NI0003"})
	wantCode(t, err, codes.PermissionDenied, patron.ScreenMessage(patron.ErrBlocked))

	srv.Stop(t)
	borrowWithoutPIN(t, f, "p0001", patron.ScreenMessage(patron.ErrUnavailable))
}

// TestGateNCIPNoPIN: the same at a member whose patrons are checked over
// NCIP LookupUser (the ncip memory responder): blocked and unknown patrons
// without a PIN are refused, a good one borrows, and the responder gone
// fails closed.
func TestGateNCIPNoPIN(t *testing.T) {
	resp := ncip.NewMemory("NORTH")
	resp.AddUser(ncip.MemoryUser{ID: "G0001", PIN: "4321", GivenName: "Gia", Surname: "Good"})
	resp.AddUser(ncip.MemoryUser{ID: "B0001", PIN: "5555", GivenName: "Bo", Surname: "Blocked", Blocked: true})
	srv := httptest.NewServer(ncip.NewServer(resp))
	defer srv.Close()
	f := newCircFixtureNCIP(t, PatronsNCIP, nil, srv.URL)
	gateILS(f, "G0001", "B0001", "X9999")

	borrowWithoutPIN(t, f, "B0001", patron.ScreenMessage(patron.ErrBlocked))
	borrowWithoutPIN(t, f, "X9999", patron.ScreenMessage(patron.ErrUnknownPatron))
	notRefused(t, f, "B0001")
	borrowsWithoutPIN(t, f, "G0001")

	srv.Close()
	borrowWithoutPIN(t, f, "G0001", patron.ScreenMessage(patron.ErrUnavailable))
}
