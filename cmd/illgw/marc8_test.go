package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/illgw/illgw/config"
	"github.com/illgw/illgw/internal/sim"
	"github.com/illgw/illgw/z3950"
)

// TestMARC8ForOldClients: with search.marc8_for_old_clients the gateway's
// Z39.50 listener serves MARC-8 records (leader/09 blank) to a client that
// does not negotiate UTF-8, and UTF-8 (leader/09 'a') to one that does;
// without it every client gets UTF-8.
func TestMARC8ForOldClients(t *testing.T) {
	ctx := ctxT(t)
	members, err := sim.Start(ctx, sim.Options{Members: []string{"NORTH"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { members.Close() })
	gateway := func(marc8 bool) string {
		y := fmt.Sprintf(`listen: {sip2: "", z3950: %s, http: %s, grpc: %s}
state: {driver: embedded, path: %s}
search: {cache_ttl: 0s, marc8_for_old_clients: %t}
members:
  - code: NORTH
    name: North City Library
    catalog: {z3950: %s/NORTH, timeout: 5s}
`, addr(t), addr(t), addr(t), filepath.Join(t.TempDir(), "illgw.db"), marc8, members.Member("NORTH").Z3950Addr)
		cfg, err := config.Parse([]byte(y), "marc8.yaml")
		if err != nil {
			t.Fatal(err)
		}
		g, _ := startGateway(t, cfg)
		return g.addrs["z3950"]
	}
	leader9 := func(target string, utf8 bool) byte {
		t.Helper()
		c, err := z3950.Dial(ctx, target, &z3950.ClientOptions{UTF8: utf8})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(context.Background())
		q, err := z3950.ParsePQF("@attr 1=4 computer")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Search(ctx, []string{"NORTH"}, z3950.Query{RPN: q}, nil); err != nil {
			t.Fatal(err)
		}
		recs, err := c.Present(ctx, "", 1, 1, z3950.OIDUSMARC, "F")
		if err != nil || len(recs) != 1 || recs[0].Record == nil || len(recs[0].Record.Octets) < 24 {
			t.Fatalf("present: %v %+v", err, recs)
		}
		return recs[0].Record.Octets[9]
	}
	plain, marc8 := gateway(false), gateway(true)
	for _, tc := range []struct {
		target string
		utf8   bool
		want   byte
	}{
		{plain, false, 'a'},
		{plain, true, 'a'},
		{marc8, false, ' '},
		{marc8, true, 'a'},
	} {
		if got := leader9(tc.target, tc.utf8); got != tc.want {
			t.Errorf("marc8_for_old_clients=%t, client negotiates UTF-8=%t: leader/09 %q, want %q", tc.target == marc8, tc.utf8, got, tc.want)
		}
	}
}
