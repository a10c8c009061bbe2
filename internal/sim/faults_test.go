package sim

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/illgw/illgw/ncip"
	"github.com/illgw/illgw/z3950"
)

// TestRefused: a Refused service refuses connections and cuts open ones;
// Up listens again on the same port.
func TestRefused(t *testing.T) {
	c := start(t, Options{Members: []string{"NORTH", "SOUTH"}})
	m := c.Member("NORTH")
	s := dialSIP(t, m.SIP2Addr)
	if r := s.do("9300CNgw|COgwpass|CPNORTH|"); r != "941" {
		t.Fatal(r)
	}
	if err := m.SetFaults(Faults{Down: Refused}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{m.SIP2Addr, m.Z3950Addr, strings.TrimSuffix(strings.TrimPrefix(m.NCIPURL, "http://"), "/ncip")} {
		if conn, err := net.DialTimeout("tcp", a, time.Second); err == nil {
			conn.Close()
			t.Errorf("%s accepts connections while refused", a)
		}
	}
	s.c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := s.br.ReadByte(); err == nil || isTimeout(err) {
		t.Errorf("open connection not cut: %v", err)
	}
	if err := c.Ready(); err == nil {
		t.Error("Ready with a member refused")
	}
	// The other member is unaffected.
	if got := searchCount(t, ctxT(t), c.Member("SOUTH").Z3950Addr, "SOUTH", "@attr 1=4 computer"); got == 0 {
		t.Error("SOUTH found nothing")
	}
	if err := m.SetFaults(Faults{}); err != nil {
		t.Fatal(err)
	}
	s = dialSIP(t, m.SIP2Addr)
	if r := s.do("9300CNgw|COgwpass|CPNORTH|"); r != "941" {
		t.Fatalf("after coming back: %q", r)
	}
	if err := c.Ready(); err != nil {
		t.Error(err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestBlackHole: connections are accepted and nothing is ever answered;
// after the switch goes back the member answers again.
func TestBlackHole(t *testing.T) {
	c := start(t, Options{Members: []string{"EAST"}})
	m := c.Members[0]
	if err := m.SetFaults(Faults{Down: BlackHole}, SIP2, Catalog); err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", m.SIP2Addr, time.Second)
	if err != nil {
		t.Fatalf("black hole refused the connection: %v", err)
	}
	defer conn.Close()
	conn.Write([]byte("9300CNgw|COgwpass|CPEAST|\r"))
	conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	if n, err := conn.Read(make([]byte, 10)); !isTimeout(err) {
		t.Errorf("black hole answered %d bytes, %v", n, err)
	}
	ctx := ctxT(t)
	start := time.Now()
	shortCtx, cancel := contextWithTimeout(ctx, 500*time.Millisecond)
	_, err = z3950.Dial(shortCtx, m.Z3950Addr, nil)
	cancel()
	if err == nil || time.Since(start) > 3*time.Second {
		t.Errorf("Z39.50 Init to a black hole: %v after %v", err, time.Since(start))
	}
	// NCIP was not switched.
	if _, err := ncipClient(m).LookupUser(ctx, &ncip.LookupUser{UserID: &ncip.UserID{Value: "E0001"}}); err != nil {
		t.Errorf("NCIP while SIP2 and catalogue are black-holed: %v", err)
	}
	if err := m.SetFaults(Faults{}, SIP2, Catalog); err != nil {
		t.Fatal(err)
	}
	s := dialSIP(t, m.SIP2Addr)
	if r := s.do("9300CNgw|COgwpass|CPEAST|"); r != "941" {
		t.Fatalf("after the black hole: %q", r)
	}
	if got := searchCount(t, ctx, m.Z3950Addr, "EAST", "@attr 1=4 computer"); got == 0 {
		t.Error("EAST found nothing after the black hole")
	}
}

// TestLatency: every answer comes after the latency.
func TestLatency(t *testing.T) {
	c := start(t, Options{Members: []string{"NORTH"}})
	m := c.Members[0]
	const lat = 300 * time.Millisecond
	if err := m.SetFaults(Faults{Latency: lat}); err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	began := time.Now()
	if _, err := ncipClient(m).LookupUser(ctx, &ncip.LookupUser{UserID: &ncip.UserID{Value: "N0001"}}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(began); d < lat {
		t.Errorf("NCIP answered after %v, latency %v", d, lat)
	}
	s := dialSIP(t, m.SIP2Addr)
	began = time.Now()
	if r := s.do("9300CNgw|COgwpass|CPNORTH|"); r != "941" {
		t.Fatal(r)
	}
	if d := time.Since(began); d < lat {
		t.Errorf("SIP2 answered after %v", d)
	}
	began = time.Now()
	searchCount(t, ctx, m.Z3950Addr, "NORTH", "@attr 1=4 computer") // Init and Search: two answers
	if d := time.Since(began); d < 2*lat {
		t.Errorf("Z39.50 Init and Search answered after %v", d)
	}
	if err := m.SetFaults(Faults{}); err != nil {
		t.Fatal(err)
	}
	began = time.Now()
	s.do("9900302.00")
	if d := time.Since(began); d >= lat {
		t.Errorf("latency still applied after the switch: %v", d)
	}
}

// TestFailing: each protocol answers with its temporary error.
func TestFailing(t *testing.T) {
	c := start(t, Options{Members: []string{"SOUTH"}})
	m := c.Members[0]
	s := dialSIP(t, m.SIP2Addr)
	if r := s.do("9300CNgw|COgwpass|CPSOUTH|"); r != "941" {
		t.Fatal(r)
	}
	if err := m.SetFaults(Faults{Failing: true}); err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	if r := s.do("9900302.00"); !strings.HasPrefix(r, "98N") {
		t.Errorf("ACS status while failing: %q, want on-line N", r)
	}
	if r := s.do("11YN" + sipDate + sipDate + "AOSOUTH|AAS0001|ABSI0001|AC|AD1234|"); !strings.HasPrefix(r, "120") || !strings.Contains(r, "AFSystem unavailable") {
		t.Errorf("checkout while failing: %q", r)
	}
	if it, _ := m.Item("SI0001"); it.ChargedTo != "" {
		t.Errorf("failing checkout charged the item: %+v", it)
	}
	_, err := ncipClient(m).LookupUser(ctx, &ncip.LookupUser{UserID: &ncip.UserID{Value: "S0001"}})
	if problemOf(err) != ncip.ProblemTemporaryProcessingFailure {
		t.Errorf("NCIP while failing: %v", err)
	}
	cl, err := z3950.Dial(ctx, m.Z3950Addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close(ctx)
	q, _ := z3950.ParsePQF("@attr 1=4 computer")
	r, err := cl.Search(ctx, []string{"SOUTH"}, z3950.Query{RPN: q}, nil)
	var d *z3950.Diagnostic
	if !errors.As(err, &d) || d.Code != 2 {
		t.Errorf("search while failing: %+v, %v; want Bib-1 diagnostic 2", r, err)
	}
	if err := m.SetFaults(Faults{}); err != nil {
		t.Fatal(err)
	}
	if r := s.do("11YN" + sipDate + sipDate + "AOSOUTH|AAS0001|ABSI0001|AC|AD1234|"); !strings.HasPrefix(r, "121") {
		t.Errorf("checkout after recovery: %q", r)
	}
}

// TestCloseWhileDown: a consortium closes promptly with members refused or
// black-holed and a connection hanging in the black hole; TestMain checks
// that nothing is left running.
func TestCloseWhileDown(t *testing.T) {
	c, err := Start(ctxT(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Member("NORTH").SetFaults(Faults{Down: Refused}); err != nil {
		t.Fatal(err)
	}
	if err := c.Member("SOUTH").SetFaults(Faults{Down: BlackHole, Latency: time.Minute}); err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", c.Member("SOUTH").SIP2Addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("9300CNgw|COgwpass|CPSOUTH|\r"))
	if err := c.Member("EAST").SetFaults(Faults{Latency: time.Minute}); err != nil {
		t.Fatal(err)
	}
	slow := dialSIP(t, c.Member("EAST").SIP2Addr)
	slow.c.Write([]byte("9300CNgw|COgwpass|CPEAST|\r")) // its answer waits a minute
	time.Sleep(100 * time.Millisecond)
	began := time.Now()
	c.Close()
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("Close took %v", d)
	}
	if err := c.Member("EAST").SetFaults(Faults{}); err == nil {
		t.Error("SetFaults after Close succeeded")
	}
}
