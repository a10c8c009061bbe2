package broker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/illgw/illgw/broker/member"
	"github.com/illgw/illgw/broker/patron"
	"github.com/illgw/illgw/broker/state"
	"github.com/illgw/illgw/ncip"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
	"github.com/illgw/illgw/sip2"
	"github.com/illgw/illgw/sip2/memory"
)

// circFixture serves a Broker whose NORTH member has a sip2/memory ACS as
// its ILS, over an in-memory gRPC connection.
type circFixture struct {
	circ illgwv1.CirculationClient
	ils  *memory.Backend
	acs  *sip2.Server
	term *illgwv1.Terminal
}

// fakeDirectory is a patron directory holding D0001 and D0002, whom the
// directory blocks, both PIN 4321.
type fakeDirectory struct{ calls int }

func (d *fakeDirectory) Lookup(_ context.Context, barcode string) (patron.Patron, error) {
	d.calls++
	if barcode != "D0001" && barcode != "D0002" {
		return patron.Patron{}, patron.ErrUnknownPatron
	}
	return patron.Patron{Barcode: barcode, Name: "Dir Patron", Valid: true, Blocked: barcode == "D0002"}, nil
}

func (d *fakeDirectory) Authenticate(ctx context.Context, barcode, pin string) (patron.Patron, error) {
	p, err := d.Lookup(ctx, barcode)
	if err != nil {
		return p, err
	}
	if pin != "4321" {
		return patron.Patron{}, patron.ErrBadPIN
	}
	p.PINVerified = true
	return p, nil
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func newCircFixture(t *testing.T, source PatronSource, dir PatronDirectory) *circFixture {
	t.Helper()
	return newCircFixtureNCIP(t, source, dir, "")
}

// newCircFixtureNCIP is newCircFixture with NORTH's NCIP responder at
// ncipURL (none when empty).
func newCircFixtureNCIP(t *testing.T, source PatronSource, dir PatronDirectory, ncipURL string) *circFixture {
	t.Helper()
	ils := memory.New()
	ils.AddAccount(memory.Account{Login: "gw", PasswordHash: memory.HashPassword("gwpass", 4), Institution: "NORTH", LibraryName: "North City Library"})
	ils.AddPatron(memory.Patron{ID: "N0001", PIN: "1234", Name: "Ada Lovelace"})
	ils.AddPatron(memory.Patron{ID: "D0001", PIN: "not-the-directory-pin", Name: "Dir Patron"})
	for i := 1; i <= 3; i++ {
		ils.AddItem(memory.Item{ID: fmt.Sprintf("NI%04d", i), Title: fmt.Sprintf("Title %d", i)})
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	acs := &sip2.Server{Backend: ils, Logger: quiet}
	go acs.Serve(ln)

	st, err := state.Open(context.Background(), state.Options{Driver: "embedded", Path: filepath.Join(t.TempDir(), "illgw.db")})
	if err != nil {
		t.Fatal(err)
	}
	north := member.Config{Code: "NORTH", Name: "North City Library",
		SIP2: &member.SIP2Config{Addr: ln.Addr().String(), Login: "gw", Password: "gwpass", Institution: "NORTH"}}
	if ncipURL != "" {
		north.NCIP = &member.NCIPConfig{URL: ncipURL, Agency: "NORTH"}
	}
	reg, err := member.New(member.Options{Logger: quiet, Breaker: member.BreakerConfig{Failures: 1}, Members: []member.Config{north}})
	if err != nil {
		t.Fatal(err)
	}
	hash, _ := bcrypt.GenerateFromPassword([]byte("kiosk1pass"), bcrypt.MinCost)
	b := New(Options{Store: st, Logger: quiet, Registry: reg,
		Members: []Member{{Code: "NORTH", Name: "North City Library", Patrons: source, Directory: dir}, {Code: "SOUTH"}},
		Terminals: []Terminal{
			{Login: "kiosk1", PasswordHash: string(hash), Member: "NORTH", Charset: "ibm850", MaxConnections: 3},
			{Login: "lan-only", PasswordHash: string(hash), Member: "NORTH", AllowedCIDRs: []netip.Prefix{netip.MustParsePrefix("192.168.0.0/16")}},
			{Login: "south", PasswordHash: string(hash), Member: "SOUTH"},
		}})
	t.Cleanup(func() {
		acs.Close()
		reg.Close()
		st.Close()
	})
	conn := serveBroker(t, b)
	f := &circFixture{circ: illgwv1.NewCirculationClient(conn), ils: ils, acs: acs}
	resp, err := f.circ.Login(ctxT(t), &illgwv1.LoginRequest{Login: "kiosk1", Password: "kiosk1pass", Location: "MAIN", RemoteAddr: "127.0.0.1:5000"})
	if err != nil || !resp.GetOk() {
		t.Fatalf("login: %v %v", resp, err)
	}
	f.term = resp.GetTerminal()
	return f
}

func TestCirculationLogin(t *testing.T) {
	f := newCircFixture(t, PatronsSIP2, nil)
	if tm := f.term; tm.GetMember() != "NORTH" || tm.GetMaxConnections() != 3 || tm.GetCharset() != "ibm850" || tm.GetLocation() != "MAIN" {
		t.Errorf("terminal %v", tm)
	}
	for _, c := range []struct {
		login, password, remote string
		ok                      bool
	}{
		{"kiosk1", "wrong", "127.0.0.1:1", false},
		{"nobody", "kiosk1pass", "127.0.0.1:1", false},
		{"lan-only", "kiosk1pass", "10.1.2.3:4000", false},
		{"lan-only", "kiosk1pass", "192.168.7.8:4000", true},
		{"lan-only", "kiosk1pass", "[::ffff:192.168.7.8]:4000", true},
		{"lan-only", "kiosk1pass", "garbage", false},
	} {
		resp, err := f.circ.Login(ctxT(t), &illgwv1.LoginRequest{Login: c.login, Password: c.password, RemoteAddr: c.remote})
		if err != nil || resp.GetOk() != c.ok {
			t.Errorf("login %s from %s: ok %v err %v, want ok %v", c.login, c.remote, resp.GetOk(), err, c.ok)
		}
	}
}

func TestCirculationRouting(t *testing.T) {
	f := newCircFixture(t, PatronsSIP2, nil)
	_, err := f.circ.Checkout(ctxT(t), &illgwv1.CheckoutRequest{Terminal: &illgwv1.Terminal{Login: "intruder", Member: "NORTH"}, PatronId: "N0001", ItemId: "NI0001"})
	wantCode(t, err, codes.Unauthenticated, "intruder")
	_, err = f.circ.Status(ctxT(t), &illgwv1.StatusRequest{Terminal: &illgwv1.Terminal{Login: "south"}})
	wantCode(t, err, codes.FailedPrecondition, "SOUTH has no SIP2")
	// The member comes from the account, not from what the request says.
	resp, err := f.circ.Checkout(ctxT(t), &illgwv1.CheckoutRequest{Terminal: &illgwv1.Terminal{Login: "kiosk1", Member: "SOUTH"}, PatronId: "N0001", Pin: "1234", ItemId: "NI0001"})
	if err != nil || !resp.GetOk() || resp.GetItem().GetTitle() != "Title 1" || resp.GetItem().GetDueDateText() == "" || resp.GetItem().GetDueDate() == nil {
		t.Fatalf("checkout: %v %v", resp, err)
	}
	if it, _ := f.ils.Item("NI0001"); it.ChargedTo != "N0001" {
		t.Errorf("the ILS did not charge the item: %+v", it)
	}
	st, err := f.circ.Status(ctxT(t), &illgwv1.StatusRequest{Terminal: f.term})
	if err != nil || !st.GetOnline() || len(st.GetSupportedOperations()) == 0 {
		t.Fatalf("status: %v %v", st, err)
	}
	f.acs.Close()
	st, err = f.circ.Status(ctxT(t), &illgwv1.StatusRequest{Terminal: f.term})
	if err != nil || st.GetOnline() || len(st.GetReply().GetScreenMessages()) == 0 {
		t.Fatalf("status with the ILS down: %v %v", st, err)
	}
	// Failures: 1 opened the breaker; calls are refused at once.
	_, err = f.circ.Checkin(ctxT(t), &illgwv1.CheckinRequest{Terminal: f.term, ItemId: "NI0001"})
	wantCode(t, err, codes.Unavailable, "circuit open")
}

func TestCirculationDirectoryPatrons(t *testing.T) {
	dir := &fakeDirectory{}
	f := newCircFixture(t, PatronsLDAP, dir)
	ps, err := f.circ.PatronStatus(ctxT(t), &illgwv1.PatronStatusRequest{Terminal: f.term, PatronId: "D0001", Pin: "0000"})
	if err != nil || ps.GetPatron().GetValid() != illgwv1.Tristate_TRISTATE_YES || ps.GetPatron().GetPinValid() != illgwv1.Tristate_TRISTATE_NO ||
		ps.GetReply().GetScreenMessages()[0] != patron.ScreenMessage(patron.ErrBadPIN) {
		t.Fatalf("wrong PIN: %v %v", ps, err)
	}
	// The directory's PIN is what counts, not the ILS's.
	ps, err = f.circ.PatronStatus(ctxT(t), &illgwv1.PatronStatusRequest{Terminal: f.term, PatronId: "D0001", Pin: "4321"})
	if err != nil || ps.GetPatron().GetValid() != illgwv1.Tristate_TRISTATE_YES || ps.GetPatron().GetPinValid() != illgwv1.Tristate_TRISTATE_YES || ps.GetPatron().GetPersonalName() != "Dir Patron" {
		t.Fatalf("right PIN: %v %v", ps, err)
	}
	pi, err := f.circ.PatronInformation(ctxT(t), &illgwv1.PatronInformationRequest{Terminal: f.term, PatronId: "X9999", Pin: "4321"})
	if err != nil || pi.GetPatron().GetValid() != illgwv1.Tristate_TRISTATE_NO || pi.GetChargedItemsCount() != -1 {
		t.Fatalf("unknown patron: %v %v", pi, err)
	}
	_, err = f.circ.Checkout(ctxT(t), &illgwv1.CheckoutRequest{Terminal: f.term, PatronId: "D0001", Pin: "0000", ItemId: "NI0002"})
	wantCode(t, err, codes.PermissionDenied, patron.ScreenMessage(patron.ErrBadPIN))
	if it, _ := f.ils.Item("NI0002"); it.ChargedTo != "" {
		t.Error("a patron the directory refused was charged")
	}
	co, err := f.circ.Checkout(ctxT(t), &illgwv1.CheckoutRequest{Terminal: f.term, PatronId: "D0001", Pin: "4321", ItemId: "NI0002"})
	if err != nil || !co.GetOk() {
		t.Fatalf("checkout with the directory's PIN: %v %v", co, err)
	}
	if dir.calls != 5 {
		t.Errorf("directory calls %d, want 5", dir.calls)
	}
}

// TestCirculationDirectoryBlocks: a patron the directory blocks may not
// borrow with the right PIN: checkout, renew, renew all and hold are
// refused with the block's screen message and never reach the ILS, while
// fee paid still goes through.
func TestCirculationDirectoryBlocks(t *testing.T) {
	f := newCircFixture(t, PatronsLDAP, &fakeDirectory{})
	want := patron.ScreenMessage(patron.ErrBlocked)
	_, err := f.circ.Checkout(ctxT(t), &illgwv1.CheckoutRequest{Terminal: f.term, PatronId: "D0002", Pin: "4321", ItemId: "NI0004"})
	wantCode(t, err, codes.PermissionDenied, want)
	if it, _ := f.ils.Item("NI0004"); it.ChargedTo != "" {
		t.Error("a patron the directory blocks was charged")
	}
	_, err = f.circ.Renew(ctxT(t), &illgwv1.RenewRequest{Terminal: f.term, PatronId: "D0002", Pin: "4321", ItemId: "NI0004"})
	wantCode(t, err, codes.PermissionDenied, want)
	_, err = f.circ.RenewAll(ctxT(t), &illgwv1.RenewAllRequest{Terminal: f.term, PatronId: "D0002", Pin: "4321"})
	wantCode(t, err, codes.PermissionDenied, want)
	_, err = f.circ.Hold(ctxT(t), &illgwv1.HoldRequest{Terminal: f.term, PatronId: "D0002", Pin: "4321", ItemId: "NI0004", Mode: illgwv1.HoldRequest_MODE_ADD})
	wantCode(t, err, codes.PermissionDenied, want)
	if _, err := f.circ.FeePaid(ctxT(t), &illgwv1.FeePaidRequest{Terminal: f.term, PatronId: "D0002", Pin: "4321", Amount: "1.00", FeeType: "01", PaymentType: "00", Currency: "USD"}); status.Code(err) == codes.PermissionDenied {
		t.Errorf("fee paid by a blocked patron refused: %v", err)
	}
}

func TestCirculationReplayEntries(t *testing.T) {
	f := newCircFixture(t, PatronsSIP2, nil)
	_, err := f.circ.GetReplay(ctxT(t), &illgwv1.GetReplayRequest{Terminal: "kiosk1"})
	wantCode(t, err, codes.NotFound, "replay")
	_, err = f.circ.PutReplay(ctxT(t), &illgwv1.ReplayEntry{Terminal: "intruder", Request: []byte("x")})
	wantCode(t, err, codes.Unauthenticated, "intruder")
	_, err = f.circ.PutReplay(ctxT(t), &illgwv1.ReplayEntry{Terminal: "kiosk1", Request: make([]byte, sip2.ReplayDigestSize), Response: make([]byte, maxReplayBytes+1)})
	wantCode(t, err, codes.InvalidArgument, "replay entry")
	// A request's wire bytes (with its PIN) are not a digest: refused.
	_, err = f.circ.PutReplay(ctxT(t), &illgwv1.ReplayEntry{Terminal: "kiosk1", Request: []byte("11YN20260101    120000AAN0001|AD1234|AY1AZF00F")})
	wantCode(t, err, codes.InvalidArgument, "digest")
	req, resp := bytes.Repeat([]byte{0xa5}, sip2.ReplayDigestSize), []byte("121NNY20260101    120000AY1AZE00E")
	if _, err := f.circ.PutReplay(ctxT(t), &illgwv1.ReplayEntry{Terminal: "kiosk1", Request: req, Response: resp}); err != nil {
		t.Fatal(err)
	}
	e, err := f.circ.GetReplay(ctxT(t), &illgwv1.GetReplayRequest{Terminal: "kiosk1"})
	if err != nil || string(e.GetRequest()) != string(req) || string(e.GetResponse()) != string(resp) {
		t.Fatalf("get: %v %v", e, err)
	}
	_, err = f.circ.GetReplay(ctxT(t), &illgwv1.GetReplayRequest{Terminal: "lan-only"})
	wantCode(t, err, codes.NotFound, "replay")
}

// TestDecodeReplayHostile: damaged store entries are refused, never
// sliced out of range.
func TestDecodeReplayHostile(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":         nil,
		"short digest":  make([]byte, sip2.ReplayDigestSize-1),
		"response huge": make([]byte, sip2.ReplayDigestSize+maxReplayBytes+1),
	} {
		if _, _, ok := decodeReplay(b); ok {
			t.Errorf("%s: accepted", name)
		}
	}
	digest := bytes.Repeat([]byte{7}, sip2.ReplayDigestSize)
	d, resp, ok := decodeReplay(encodeReplay(digest, []byte("de")))
	if !ok || string(d) != string(digest) || string(resp) != "de" {
		t.Errorf("round trip: %q %q %v", d, resp, ok)
	}
}

func FuzzDecodeReplay(f *testing.F) {
	f.Add(encodeReplay(bytes.Repeat([]byte{1}, sip2.ReplayDigestSize), []byte("121NNY")))
	f.Add([]byte{0, 0, 0, 9, 'a'})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, resp, ok := decodeReplay(b)
		if !ok {
			return
		}
		again, resp2, ok := decodeReplay(encodeReplay(d, resp))
		if !ok || string(again) != string(d) || string(resp2) != string(resp) {
			t.Fatalf("re-encoding %q changed it", b)
		}
	})
}

func TestCirculationFieldLimits(t *testing.T) {
	f := newCircFixture(t, PatronsSIP2, nil)
	long := string(make([]byte, maxFieldLen+1))
	_, err := f.circ.Checkout(ctxT(t), &illgwv1.CheckoutRequest{Terminal: f.term, PatronId: "N0001", Pin: long, ItemId: "NI0001"})
	wantCode(t, err, codes.InvalidArgument, "longer than")
	// A terminal login nobody configured is not echoed back whole.
	huge := strings.Repeat("k", 100<<10)
	for name, call := range map[string]func() error{
		"checkout": func() error {
			_, err := f.circ.Checkout(ctxT(t), &illgwv1.CheckoutRequest{Terminal: &illgwv1.Terminal{Login: huge}, ItemId: "NI0001"})
			return err
		},
		"get replay": func() error {
			_, err := f.circ.GetReplay(ctxT(t), &illgwv1.GetReplayRequest{Terminal: huge})
			return err
		},
	} {
		err := call()
		wantCode(t, err, codes.Unauthenticated, "no terminal")
		if st, _ := status.FromError(err); len(st.Message()) > 200 {
			t.Errorf("%s: Unauthenticated message of %d bytes echoes the login", name, len(st.Message()))
		}
	}
	_, err = f.circ.ItemInformation(ctxT(t), &illgwv1.ItemInformationRequest{Terminal: f.term, ItemId: long})
	wantCode(t, err, codes.InvalidArgument, "longer than")
	if it, _ := f.ils.Item("NI0001"); it.ChargedTo != "" {
		t.Error("an over-long request reached the ILS")
	}
}

// TestCirculationNCIPPatrons: a member whose patrons are checked by NCIP
// LookupUser (with AuthenticationInput) against its ILS's responder.
func TestCirculationNCIPPatrons(t *testing.T) {
	resp := ncip.NewMemory("NORTH")
	resp.AddUser(ncip.MemoryUser{ID: "D0001", PIN: "4321", GivenName: "Nia", Surname: "Responder"})
	resp.AddUser(ncip.MemoryUser{ID: "N0001", PIN: "5555", Blocked: true})
	srv := httptest.NewServer(ncip.NewServer(resp))
	defer srv.Close()
	f := newCircFixtureNCIP(t, PatronsNCIP, nil, srv.URL)
	for _, c := range []struct {
		id, pin     string
		valid, pinV illgwv1.Tristate
		screen      string
	}{
		{"D0001", "4321", illgwv1.Tristate_TRISTATE_YES, illgwv1.Tristate_TRISTATE_YES, ""},
		{"D0001", "0000", illgwv1.Tristate_TRISTATE_YES, illgwv1.Tristate_TRISTATE_NO, patron.ScreenMessage(patron.ErrBadPIN)},
		{"X9999", "4321", illgwv1.Tristate_TRISTATE_NO, illgwv1.Tristate_TRISTATE_NO, patron.ScreenMessage(patron.ErrUnknownPatron)},
	} {
		ps, err := f.circ.PatronStatus(ctxT(t), &illgwv1.PatronStatusRequest{Terminal: f.term, PatronId: c.id, Pin: c.pin})
		if err != nil || ps.GetPatron().GetValid() != c.valid || ps.GetPatron().GetPinValid() != c.pinV ||
			c.screen != "" && (len(ps.GetReply().GetScreenMessages()) == 0 || ps.GetReply().GetScreenMessages()[0] != c.screen) {
			t.Errorf("23 for %s: %v %v", c.id, ps, err)
		}
	}
	// A patron the responder blocks has charge privileges denied even
	// where the ILS's SIP2 side has no block.
	ps, err := f.circ.PatronStatus(ctxT(t), &illgwv1.PatronStatusRequest{Terminal: f.term, PatronId: "N0001", Pin: "5555"})
	if err != nil || !ps.GetPatron().GetRestrictions().GetChargePrivilegesDenied() || ps.GetPatron().GetPinValid() != illgwv1.Tristate_TRISTATE_YES {
		t.Errorf("23 for a blocked patron: %v %v", ps, err)
	}
	// The responder down: fail closed.
	srv.Close()
	_, err = f.circ.Checkout(ctxT(t), &illgwv1.CheckoutRequest{Terminal: f.term, PatronId: "D0001", Pin: "4321", ItemId: "NI0003"})
	wantCode(t, err, codes.PermissionDenied, patron.ScreenMessage(patron.ErrUnavailable))
	if it, _ := f.ils.Item("NI0003"); it.ChargedTo != "" {
		t.Error("a checkout went through with the patron source down")
	}
}

// downResponder is an NCIP responder whose LookupUser fails inside: the
// ncip.Server answers Temporary Processing Failure.
type downResponder struct{ *ncip.Memory }

func (downResponder) LookupUser(context.Context, *ncip.LookupUser) (*ncip.LookupUserResponse, error) {
	return nil, errors.New("database locked")
}

// TestCirculationNCIPPatronsTemporaryFailure: a responder that answers
// Temporary Processing Failure has not refused the PIN: the kiosk is told
// the patron source is unavailable, not that the PIN is wrong, and nothing
// reaches the ILS.
func TestCirculationNCIPPatronsTemporaryFailure(t *testing.T) {
	srv := httptest.NewServer(&ncip.Server{Handler: downResponder{ncip.NewMemory("NORTH")}, Logger: quiet})
	defer srv.Close()
	f := newCircFixtureNCIP(t, PatronsNCIP, nil, srv.URL)
	want := patron.ScreenMessage(patron.ErrUnavailable)
	for _, pin := range []string{"4321", ""} {
		ps, err := f.circ.PatronStatus(ctxT(t), &illgwv1.PatronStatusRequest{Terminal: f.term, PatronId: "D0001", Pin: pin})
		if err != nil {
			t.Fatal(err)
		}
		if got := ps.GetReply().GetScreenMessages(); len(got) == 0 || got[0] != want {
			t.Errorf("23 with pin %q while the responder fails: screen %q, want %q", pin, got, want)
		}
	}
	_, err := f.circ.Checkout(ctxT(t), &illgwv1.CheckoutRequest{Terminal: f.term, PatronId: "D0001", Pin: "4321", ItemId: "NI0003"})
	wantCode(t, err, codes.PermissionDenied, want)
	if it, _ := f.ils.Item("NI0003"); it.ChargedTo != "" {
		t.Error("a checkout went through while the patron source failed")
	}
}
