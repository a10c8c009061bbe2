package sim

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/illgw/illgw/ncip"
)

func ncipClient(m *Member) *ncip.Client {
	return &ncip.Client{URL: m.NCIPURL, FromAgency: "ILLGW", ToAgency: m.Code, Timeout: 5 * time.Second}
}

func problemOf(err error) string {
	var p *ncip.Problem
	if errors.As(err, &p) {
		return p.Type.Value
	}
	return ""
}

func authInputs(barcode, pin string) []ncip.AuthenticationInput {
	return []ncip.AuthenticationInput{
		{Data: barcode, DataFormat: ncip.SV("text/plain"), Type: ncip.SV("Barcode Id")},
		{Data: pin, DataFormat: ncip.SV("text/plain"), Type: ncip.SV("PIN")},
	}
}

// TestNCIPLookupUser: the demo patrons by UserId and by barcode and PIN.
func TestNCIPLookupUser(t *testing.T) {
	c := start(t, Options{})
	ctx := ctxT(t)
	for _, m := range c.Members {
		cl := ncipClient(m)
		p := Prefix(m.Code)
		r, err := cl.LookupUser(ctx, &ncip.LookupUser{UserID: &ncip.UserID{AgencyID: ncip.SV(m.Code), Value: p + "0001"}})
		if err != nil {
			t.Fatalf("%s LookupUser %s0001: %v", m.Code, p, err)
		}
		if r.UserID.Value != p+"0001" || status(r) != "ACTIVE" {
			t.Errorf("%s: %s0001 answered %+v, status %s", m.Code, p, r.UserID, status(r))
		}
		r, err = cl.LookupUser(ctx, &ncip.LookupUser{AuthenticationInputs: authInputs(p+"0002", "1234")})
		if err != nil {
			t.Fatal(err)
		}
		if r.UserID.Value != p+"0002" || status(r) != "BLOCKED" || len(r.UserOptionalFields.BlockOrTraps) != 1 {
			t.Errorf("%s: blocked patron answered %+v", m.Code, r.UserOptionalFields)
		}
		_, err = cl.LookupUser(ctx, &ncip.LookupUser{AuthenticationInputs: authInputs(p+"0001", "9999")})
		if got := problemOf(err); got != ncip.ProblemUserAuthenticationFailed {
			t.Errorf("%s: wrong PIN gave %v", m.Code, err)
		}
		_, err = cl.LookupUser(ctx, &ncip.LookupUser{UserID: &ncip.UserID{Value: "X9999"}})
		if got := problemOf(err); got != ncip.ProblemUnknownUser {
			t.Errorf("%s: unknown user gave %v", m.Code, err)
		}
	}
}

func status(r *ncip.LookupUserResponse) string {
	if f := r.UserOptionalFields; f != nil && len(f.UserPrivileges) > 0 && f.UserPrivileges[0].Status != nil {
		return f.UserPrivileges[0].Status.Type.Value
	}
	return ""
}

// TestNCIPLoanSteps drives an interlibrary loan's NCIP calls at a lender and
// a borrower: RequestItem and CheckOutItem to the borrower's institutional
// patron at SOUTH, AcceptItem at NORTH (the temporary item then circulates
// over SIP2), CheckInItem and DeleteItem; repeated calls are counted and
// have no second effect.
func TestNCIPLoanSteps(t *testing.T) {
	c := start(t, Options{})
	ctx := ctxT(t)
	north, south := c.Member("NORTH"), c.Member("SOUTH")
	lender, borrower := ncipClient(south), ncipClient(north)
	inst := &ncip.UserID{Value: InstitutionalPatron("NORTH")}
	item := &ncip.ItemID{AgencyID: ncip.SV("SOUTH"), Value: ItemID("SOUTH", 3)}

	rq, err := lender.RequestItem(ctx, &ncip.RequestItem{UserID: inst, ItemIDs: []ncip.ItemID{*item},
		RequestID: &ncip.RequestID{AgencyID: ncip.SV("ILLGW"), Value: "L1"}, RequestType: ncip.SV("Loan"), RequestScopeType: ncip.SV("Item")})
	if err != nil {
		t.Fatal(err)
	}
	if rq.RequestID.Value != "L1" || rq.UserID.Value != inst.Value {
		t.Errorf("RequestItem echoed %+v %+v", rq.RequestID, rq.UserID)
	}
	co, err := lender.CheckOutItem(ctx, &ncip.CheckOutItem{UserID: inst, ItemID: item})
	if err != nil {
		t.Fatal(err)
	}
	if co.ItemID.Value != item.Value || co.DateDue.IsZero() {
		t.Errorf("CheckOutItem answered %+v due %v", co.ItemID, co.DateDue)
	}
	if it, _ := south.Item(item.Value); it.ChargedTo != inst.Value || len(it.Holds) != 0 {
		t.Errorf("lender's item after CheckOutItem: %+v", it)
	}
	// A retry of the same checkout changes nothing.
	if _, err := lender.CheckOutItem(ctx, &ncip.CheckOutItem{UserID: inst, ItemID: item}); err != nil {
		t.Fatal(err)
	}
	if it, _ := south.Item(item.Value); it.Checkouts != 1 || it.Renewals != 0 {
		t.Errorf("a repeated CheckOutItem charged twice: %+v", it)
	}
	if n, e := south.Calls("CheckOutItem", item.Value), south.Effects("CheckOutItem", item.Value); n != 2 || e != 1 {
		t.Errorf("CheckOutItem counted %d calls, %d effects; want 2, 1", n, e)
	}

	// The borrower accepts the item for its patron.
	acc := &ncip.AcceptItem{RequestID: &ncip.RequestID{AgencyID: ncip.SV("ILLGW"), Value: "L1"}, RequestedActionType: ncip.SV("Hold For Pickup"),
		UserID: &ncip.UserID{Value: "N0001"}, ItemID: &ncip.ItemID{Value: "ILLL1"},
		ItemOptionalFields: &ncip.ItemOptionalFields{BibliographicDescription: &ncip.BibliographicDescription{Title: "Borrowed title"}}}
	ar, err := borrower.AcceptItem(ctx, acc)
	if err != nil {
		t.Fatal(err)
	}
	if ar.ItemID.Value != "ILLL1" || ar.RequestID.Value != "L1" {
		t.Errorf("AcceptItem answered %+v %+v", ar.ItemID, ar.RequestID)
	}
	if _, err := borrower.AcceptItem(ctx, acc); err != nil {
		t.Fatalf("AcceptItem retried: %v", err)
	}
	if n, e := north.Calls("AcceptItem", "L1"), north.Effects("AcceptItem", "L1"); n != 2 || e != 1 {
		t.Errorf("AcceptItem counted %d calls, %d effects; want 2, 1", n, e)
	}
	li, err := borrower.LookupItem(ctx, &ncip.LookupItem{ItemID: &ncip.ItemID{Value: "ILLL1"}})
	if err != nil {
		t.Fatal(err)
	}
	if li.ItemOptionalFields.CirculationStatus.Value != "Available On Shelf" || li.ItemOptionalFields.BibliographicDescription.Title != "Borrowed title" {
		t.Errorf("LookupItem of the temporary item: %+v", li.ItemOptionalFields)
	}

	// The patron borrows it at a kiosk (SIP2 at NORTH), then returns it.
	s := dialSIP(t, north.SIP2Addr)
	if r := s.do("9300CNgw|COgwpass|CPNORTH|"); r != "941" {
		t.Fatalf("login %q", r)
	}
	if r := s.do("11YN" + sipDate + sipDate + "AONORTH|AAN0002|ABILLL1|AC|AD1234|"); !strings.HasPrefix(r, "120") {
		t.Errorf("another patron borrowed the ILL item: %q", r)
	}
	if r := s.do("11YN" + sipDate + sipDate + "AONORTH|AAN0001|ABILLL1|AC|AD1234|"); !strings.HasPrefix(r, "121") {
		t.Fatalf("kiosk checkout of the ILL item: %q", r)
	}
	if r := s.do("09N" + sipDate + sipDate + "APNORTH|AONORTH|ABILLL1|AC|"); !strings.HasPrefix(r, "101") {
		t.Fatalf("kiosk checkin of the ILL item: %q", r)
	}
	// Back to the lender: the borrower deletes its temporary item; the
	// lender checks its own in.
	if _, err := borrower.CheckInItem(ctx, &ncip.CheckInItem{ItemID: &ncip.ItemID{Value: "ILLL1"}}); problemOf(err) != ncip.ProblemItemNotCheckedOut {
		t.Errorf("CheckInItem of an item on the shelf: %v", err)
	}
	if _, err := borrower.DeleteItem(ctx, &ncip.DeleteItem{ItemID: &ncip.ItemID{Value: "ILLL1"}}); err != nil {
		t.Fatal(err)
	}
	if _, ok := north.Item("ILLL1"); ok {
		t.Error("deleted item still there")
	}
	if r := s.do("17" + sipDate + "AONORTH|ABILLL1|"); strings.HasPrefix(r, "1803") || !strings.Contains(r, "ABILLL1|") {
		t.Errorf("SIP2 item information of a deleted item: %q", r)
	}
	if _, err := borrower.DeleteItem(ctx, &ncip.DeleteItem{ItemID: &ncip.ItemID{Value: "ILLL1"}}); problemOf(err) != ncip.ProblemUnknownItem {
		t.Errorf("second DeleteItem: %v", err)
	}
	ci, err := lender.CheckInItem(ctx, &ncip.CheckInItem{ItemID: item})
	if err != nil {
		t.Fatal(err)
	}
	if ci.ItemID.Value != item.Value {
		t.Errorf("CheckInItem echoed %+v", ci.ItemID)
	}
	if it, _ := south.Item(item.Value); it.ChargedTo != "" || it.Checkins != 1 {
		t.Errorf("lender's item after CheckInItem: %+v", it)
	}
	want := map[CallKey]int{{"RequestItem", "L1"}: 1, {"CheckOutItem", item.Value}: 2, {"CheckInItem", item.Value}: 1}
	if got := south.CallCounts(); len(got) != len(want) {
		t.Errorf("lender counts %v, want %v", got, want)
	} else {
		for k, v := range want {
			if got[k] != v {
				t.Errorf("lender %v = %d, want %d", k, got[k], v)
			}
		}
	}
	if n, e := north.Calls("DeleteItem", "ILLL1"), north.Effects("DeleteItem", "ILLL1"); n != 2 || e != 1 {
		t.Errorf("DeleteItem %d calls %d effects", n, e)
	}
}

// TestNCIPRequestByTitleRenewCancel: a request by ISBN finds the member's
// copy; renew and cancel change its state.
func TestNCIPRequestByTitleRenewCancel(t *testing.T) {
	c := start(t, Options{})
	ctx := ctxT(t)
	// The shared ISBN's holders.
	var holders []*Member
	for _, m := range c.Members {
		for _, rec := range m.Records {
			for _, i := range rec.ISBNs() {
				if strings.HasPrefix(i, sharedISBN) {
					holders = append(holders, m)
				}
			}
		}
	}
	if len(holders) < 2 {
		t.Fatalf("ISBN %s held by %d members", sharedISBN, len(holders))
	}
	m := holders[0]
	cl := ncipClient(m)
	user := &ncip.UserID{Value: GoodPatron(m.Code)}
	rq, err := cl.RequestItem(ctx, &ncip.RequestItem{UserID: user, RequestType: ncip.SV("Hold"), RequestScopeType: ncip.SV("Bibliographic Item"),
		BibliographicIDs: []ncip.BibliographicID{{ItemID: &ncip.BibliographicItemID{Identifier: sharedISBN, Code: ncip.SV("ISBN")}}}})
	if err != nil {
		t.Fatal(err)
	}
	if rq.ItemID == nil || rq.RequestID == nil {
		t.Fatalf("RequestItem by ISBN answered %+v", rq)
	}
	it, _ := m.Item(rq.ItemID.Value)
	if len(it.Holds) != 1 || it.Holds[0] != user.Value {
		t.Errorf("hold not placed: %+v", it)
	}
	if _, err := cl.CheckOutItem(ctx, &ncip.CheckOutItem{UserID: user, ItemID: rq.ItemID}); err != nil {
		t.Fatal(err)
	}
	before, _ := m.Item(rq.ItemID.Value)
	rn, err := cl.RenewItem(ctx, &ncip.RenewItem{UserID: user, ItemID: rq.ItemID})
	if err != nil {
		t.Fatal(err)
	}
	after, _ := m.Item(rq.ItemID.Value)
	if after.Renewals != 1 || rn.DateDue.Before(before.Due) {
		t.Errorf("renewal: %+v due %v (before %v)", after, rn.DateDue, before.Due)
	}
	// A second request, then its cancellation.
	other := &ncip.ItemID{Value: ItemID(m.Code, 9)}
	rq2, err := cl.RequestItem(ctx, &ncip.RequestItem{UserID: user, ItemIDs: []ncip.ItemID{*other}, RequestType: ncip.SV("Hold"), RequestScopeType: ncip.SV("Item")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.CancelRequestItem(ctx, &ncip.CancelRequestItem{UserID: user, RequestID: rq2.RequestID, RequestType: ncip.SV("Hold")}); err != nil {
		t.Fatal(err)
	}
	if it, _ := m.Item(other.Value); len(it.Holds) != 0 {
		t.Errorf("hold left after CancelRequestItem: %+v", it)
	}
	if _, err := cl.CancelRequestItem(ctx, &ncip.CancelRequestItem{UserID: user, RequestID: rq2.RequestID, RequestType: ncip.SV("Hold")}); problemOf(err) != ncip.ProblemUnknownRequest {
		t.Errorf("second cancel: %v", err)
	}
	if n, e := m.Calls("CancelRequestItem", rq2.RequestID.Value), m.Effects("CancelRequestItem", rq2.RequestID.Value); n != 2 || e != 1 {
		t.Errorf("CancelRequestItem %d calls %d effects", n, e)
	}
	// The blocked patron cannot request.
	_, err = cl.RequestItem(ctx, &ncip.RequestItem{UserID: &ncip.UserID{Value: BlockedPatron(m.Code)}, ItemIDs: []ncip.ItemID{*other}, RequestType: ncip.SV("Hold"), RequestScopeType: ncip.SV("Item")})
	if problemOf(err) != ncip.ProblemUserBlocked {
		t.Errorf("blocked patron's request: %v", err)
	}
}

// TestNCIPConcurrentRetries: a call and its retries arriving together take
// effect once, and every one is counted.
func TestNCIPConcurrentRetries(t *testing.T) {
	c := start(t, Options{Members: []string{"NORTH", "SOUTH"}})
	ctx := ctxT(t)
	m := c.Member("NORTH")
	cl := ncipClient(m)
	const n = 20
	errs := make(chan error, 2*n)
	for range n {
		go func() {
			_, err := cl.AcceptItem(ctx, &ncip.AcceptItem{RequestID: &ncip.RequestID{Value: "R7"}, RequestedActionType: ncip.SV("Hold For Pickup"), UserID: &ncip.UserID{Value: "N0001"}})
			errs <- err
		}()
		go func() {
			_, err := cl.CheckOutItem(ctx, &ncip.CheckOutItem{UserID: &ncip.UserID{Value: InstitutionalPatron("SOUTH")}, ItemID: &ncip.ItemID{Value: "NI0004"}})
			errs <- err
		}()
	}
	for range 2 * n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if calls, eff := m.Calls("AcceptItem", "R7"), m.Effects("AcceptItem", "R7"); calls != n || eff != 1 {
		t.Errorf("AcceptItem: %d calls, %d effects; want %d, 1", calls, eff, n)
	}
	if calls, eff := m.Calls("CheckOutItem", "NI0004"), m.Effects("CheckOutItem", "NI0004"); calls != n || eff != 1 {
		t.Errorf("CheckOutItem: %d calls, %d effects; want %d, 1", calls, eff, n)
	}
	if it, _ := m.Item("NI0004"); it.Checkouts != 1 || it.Renewals != 0 {
		t.Errorf("NI0004 after concurrent checkouts: %+v", it)
	}
	if ids := m.ItemIDs(); len(ids) != ItemsPerMember+1 {
		t.Errorf("items after concurrent AcceptItem: %v", ids)
	}
}

// TestStartOptions: fixed addresses are used; bad member lists are refused.
func TestStartOptions(t *testing.T) {
	addr := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().String()
	}
	a := Addrs{SIP2: addr(), NCIP: addr(), Z3950: addr()}
	c := start(t, Options{Members: []string{"WEST"}, Addrs: map[string]Addrs{"WEST": a}})
	m := c.Member("west")
	if m == nil || m.SIP2Addr != a.SIP2 || m.NCIPURL != "http://"+a.NCIP+"/ncip" || m.Z3950Addr != a.Z3950 {
		t.Errorf("member %+v, want addresses %+v", m, a)
	}
	if len(m.Records) != 24 {
		t.Errorf("a lone member holds %d records, want all 24", len(m.Records))
	}
	if _, ok := m.Patron("W0001"); !ok {
		t.Error("no W0001")
	}
	for _, bad := range [][]string{{"NORTH", "north"}, {""}} {
		if c, err := Start(ctxT(t), Options{Members: bad}); err == nil {
			c.Close()
			t.Errorf("Start(%q) succeeded", bad)
		}
	}
	if c, err := Start(ctxT(t), Options{Members: []string{"NORTH"}, Addrs: map[string]Addrs{"NORTH": {SIP2: a.SIP2}}}); err == nil {
		c.Close()
		t.Error("Start on a busy port succeeded")
	}
}

// TestNCIPPartners: with partners configured, a request without the shared
// secret is refused with Agency Authentication Failed.
func TestNCIPPartners(t *testing.T) {
	c := start(t, Options{Members: []string{"EAST"}, NCIPPartners: map[string]string{"ILLGW": "s3cret"}})
	ctx := ctxT(t)
	cl := ncipClient(c.Members[0])
	req := &ncip.LookupUser{UserID: &ncip.UserID{Value: "E0001"}}
	if _, err := cl.LookupUser(ctx, req); problemOf(err) != ncip.ProblemAgencyAuthenticationFailed {
		t.Errorf("without the secret: %v", err)
	}
	cl.Secret = "wrong"
	if _, err := cl.LookupUser(ctx, req); problemOf(err) != ncip.ProblemAgencyAuthenticationFailed {
		t.Errorf("with a wrong secret: %v", err)
	}
	cl.Secret = "s3cret"
	if r, err := cl.LookupUser(ctx, req); err != nil || r.UserID.Value != "E0001" {
		t.Errorf("with the secret: %v, %v", r, err)
	}
}
