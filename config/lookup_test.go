package config

import (
	"net/netip"
	"reflect"
	"slices"
	"testing"
)

func TestLookups(t *testing.T) {
	c, err := Parse([]byte(`
members:
  - code: NORTH
    sip2: {addr: 127.0.0.1:6101}
  - code: SOUTH
    ncip: {url: "http://127.0.0.1:9102/ncip"}
    lending: {lends: false}
databases:
  consortium: [NORTH, SOUTH]
terminals:
  - login: k
    member: NORTH
    password_hash: "$2a$10$D/Io2RNox4f/BWI2AKJKQeiY2UF1OnmNSlJSY1y04KUU6zPxjipI."
    allowed_cidrs: [10.1.0.0/16, "2001:db8::/32", 192.0.2.7]
`), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := c.Member("SOUTH"); !ok || m.Code != "SOUTH" || m.Lends() || !m.Borrows() || m.NCIP.Agency != "SOUTH" {
		t.Errorf("Member(SOUTH) = %+v, %v", m, ok)
	}
	if m, ok := c.Member("NORTH"); !ok || m.Lends() || m.Borrows() || m.SIP2.Institution != "NORTH" || m.SIP2.Pool != 4 {
		t.Errorf("Member(NORTH) = %+v, %v", m, ok)
	}
	if _, ok := c.Member("north"); ok {
		t.Error("Member is case-sensitive (codes are NCIP agency ids)")
	}
	for name, want := range map[string][]string{
		"consortium": {"NORTH", "SOUTH"}, "Consortium": {"NORTH", "SOUTH"},
		"NORTH": {"NORTH"}, "south": {"SOUTH"}, "WEST": nil,
	} {
		got, ok := c.Database(name)
		if ok != (want != nil) || !reflect.DeepEqual(got, want) {
			t.Errorf("Database(%q) = %v, %v; want %v", name, got, ok, want)
		}
	}
	term := &c.Terminals[0]
	for addr, want := range map[string]bool{
		"10.1.200.3": true, "10.2.0.1": false, "192.0.2.7": true, "192.0.2.8": false,
		"::ffff:10.1.0.1": true, "2001:db8::1": true, "2001:db9::1": false,
	} {
		if got := allows(term, netip.MustParseAddr(addr)); got != want {
			t.Errorf("Allows(%s) = %v, want %v", addr, got, want)
		}
	}
	if got := allows(&Terminal{}, netip.MustParseAddr("203.0.113.9")); !got {
		t.Error("a terminal without allowed_cidrs refused an address")
	}
}

// allows is the check the broker makes with a terminal's Prefixes: any
// address when there are none, else one a prefix holds.
func allows(t *Terminal, addr netip.Addr) bool {
	ps := t.Prefixes()
	return len(ps) == 0 || slices.ContainsFunc(ps, func(p netip.Prefix) bool { return p.Contains(addr.Unmap()) })
}
