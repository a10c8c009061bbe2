package broker

import (
	"context"
	"net"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"github.com/illgw/illgw/broker/member"
	"github.com/illgw/illgw/broker/state"
	"github.com/illgw/illgw/ncip"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

// newNCIPMemberFixture serves a Broker whose EAST member has only an NCIP
// responder (ncip.Memory, patrons E0001 PIN 1234 and blocked E0002, items
// EI0001..EI0002) and checks its patrons there.
func newNCIPMemberFixture(t *testing.T) illgwv1.CirculationClient {
	t.Helper()
	mem := ncip.NewMemory("EAST")
	mem.AddUser(ncip.MemoryUser{ID: "E0001", PIN: "1234", GivenName: "Eve", Surname: "East", Email: "eve@example.org"})
	mem.AddUser(ncip.MemoryUser{ID: "E0002", PIN: "1234", GivenName: "Bo", Surname: "Blocked", Blocked: true})
	mem.AddItem(ncip.MemoryItem{ID: "EI0001", Title: "East title", CallNumber: "QA1"})
	ils := httptest.NewServer(ncip.NewServer(mem))
	st, err := state.Open(context.Background(), state.Options{Driver: "embedded", Path: filepath.Join(t.TempDir(), "illgw.db")})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := member.New(member.Options{Logger: quiet, Members: []member.Config{
		{Code: "EAST", NCIP: &member.NCIPConfig{URL: ils.URL, Agency: "EAST"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	b := New(Options{Store: st, Logger: quiet, Registry: reg, Members: []Member{{Code: "EAST", Patrons: PatronsNCIP}, {Code: "WEST"}}})
	srv := grpc.NewServer()
	b.Register(srv)
	bl := bufconn.Listen(1 << 20)
	go srv.Serve(bl)
	conn, err := grpc.NewClient("passthrough:///bufconn",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return bl.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		srv.Stop()
		reg.Close()
		st.Close()
		ils.Close()
	})
	return illgwv1.NewCirculationClient(conn)
}

type patronCase struct {
	member, id, pin string
	code            codes.Code
	name            string
	blocked         bool
}

func checkMemberPatron(t *testing.T, c illgwv1.CirculationClient, cases []patronCase) {
	t.Helper()
	for _, tc := range cases {
		resp, err := c.MemberPatron(ctxT(t), &illgwv1.MemberPatronRequest{Member: tc.member, PatronId: tc.id, Pin: tc.pin})
		if status.Code(err) != tc.code {
			t.Errorf("%s %s pin %q: %v, want %v", tc.member, tc.id, tc.pin, err, tc.code)
			continue
		}
		if err != nil {
			if s := status.Convert(err).Message(); tc.pin != "" && len(tc.pin) > 3 && contains(s, tc.pin) {
				t.Errorf("the PIN shows in %q", s)
			}
			continue
		}
		p := resp.GetPatron()
		if p.GetPersonalName() != tc.name || p.GetPatronId() != tc.id || p.GetValid() != illgwv1.Tristate_TRISTATE_YES ||
			p.GetRestrictions().GetChargePrivilegesDenied() != tc.blocked {
			t.Errorf("%s %s: %v", tc.member, tc.id, p)
		}
		if tc.pin != "" && p.GetPinValid() != illgwv1.Tristate_TRISTATE_YES {
			t.Errorf("%s %s: PIN given and right, pin_valid %v", tc.member, tc.id, p.GetPinValid())
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// TestMemberPatronSIP2 asks the ILS over SIP2 (patrons: sip2).
func TestMemberPatronSIP2(t *testing.T) {
	f := newCircFixture(t, PatronsSIP2, nil)
	checkMemberPatron(t, f.circ, []patronCase{
		{"NORTH", "N0001", "1234", codes.OK, "Ada Lovelace", false},
		{"NORTH", "N0001", "", codes.OK, "Ada Lovelace", false},
		{"NORTH", "N0001", "9876", codes.PermissionDenied, "", false},
		{"NORTH", "N0404", "", codes.NotFound, "", false},
		{"WEST", "W0001", "", codes.NotFound, "", false},
		{"SOUTH", "S0001", "", codes.FailedPrecondition, "", false}, // no library system
		{"NORTH", "", "", codes.InvalidArgument, "", false},
		{"", "N0001", "", codes.InvalidArgument, "", false},
	})
	resp, err := f.circ.MemberItem(ctxT(t), &illgwv1.MemberItemRequest{Member: "NORTH", ItemId: "NI0002"})
	if err != nil || resp.GetItem().GetTitle() != "Title 2" || resp.GetItem().GetItemId() != "NI0002" {
		t.Errorf("MemberItem NI0002: %v %v", resp, err)
	}
	if _, err := f.circ.MemberItem(ctxT(t), &illgwv1.MemberItemRequest{Member: "NORTH", ItemId: "NI0404"}); status.Code(err) != codes.NotFound {
		t.Errorf("MemberItem unknown: %v, want NotFound", err)
	}
	if _, err := f.circ.MemberItem(ctxT(t), &illgwv1.MemberItemRequest{Member: "NORTH", ItemId: string(make([]byte, 200))}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("MemberItem with a 200-byte id: %v", err)
	}
	// The ILS is down: UNAVAILABLE, not an unknown patron.
	f.acs.Close()
	if _, err := f.circ.MemberPatron(ctxT(t), &illgwv1.MemberPatronRequest{Member: "NORTH", PatronId: "N0001", Pin: "1234"}); status.Code(err) != codes.Unavailable {
		t.Errorf("ILS down: %v, want Unavailable", err)
	}
}

// TestMemberPatronDirectory asks the member's directory (patrons: ldap),
// never the ILS.
func TestMemberPatronDirectory(t *testing.T) {
	dir := &fakeDirectory{}
	f := newCircFixture(t, PatronsLDAP, dir)
	checkMemberPatron(t, f.circ, []patronCase{
		{"NORTH", "D0001", "4321", codes.OK, "Dir Patron", false},
		{"NORTH", "D0001", "not-the-directory-pin", codes.PermissionDenied, "", false},
		{"NORTH", "N0001", "1234", codes.NotFound, "", false}, // the ILS's patron, not the directory's
		{"NORTH", "D0001", "", codes.OK, "Dir Patron", false},
	})
	if dir.calls != 4 {
		t.Errorf("directory asked %d times, want 4", dir.calls)
	}
}

// TestMemberPatronNCIP asks the member ILS's NCIP responder (patrons: ncip),
// and items there too when the member has no SIP2.
func TestMemberPatronNCIP(t *testing.T) {
	c := newNCIPMemberFixture(t)
	checkMemberPatron(t, c, []patronCase{
		{"EAST", "E0001", "1234", codes.OK, "East, Eve", false},
		{"EAST", "E0002", "", codes.OK, "Blocked, Bo", true},
		{"EAST", "E0001", "4321", codes.PermissionDenied, "", false},
		{"EAST", "E0404", "1234", codes.NotFound, "", false},
		{"WEST", "W0001", "", codes.FailedPrecondition, "", false},
	})
	resp, err := c.MemberItem(ctxT(t), &illgwv1.MemberItemRequest{Member: "EAST", ItemId: "EI0001"})
	if err != nil || resp.GetItem().GetTitle() != "East title" || resp.GetItem().GetCirculationStatus() != "03" {
		t.Errorf("MemberItem over NCIP: %v %v", resp, err)
	}
	if _, err := c.MemberItem(ctxT(t), &illgwv1.MemberItemRequest{Member: "EAST", ItemId: "EI0404"}); status.Code(err) != codes.NotFound {
		t.Errorf("MemberItem unknown over NCIP: %v", err)
	}
}
