package member

import (
	"context"
	"testing"

	"github.com/illgw/illgw/broker/state"
)

// BenchmarkDo measures what the registry adds to a call that does nothing:
// breaker, deadline, concurrency slot, metrics and (with a store) the
// cached flag read.
func BenchmarkDo(b *testing.B) {
	m, _ := NewMetrics(nil)
	st, err := state.Open(context.Background(), state.Options{Path: b.TempDir() + "/s.db"})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	for _, bc := range []struct {
		name  string
		flags FlagStore
	}{{"local", nil}, {"embedded-flags", st}} {
		b.Run(bc.name, func(b *testing.B) {
			r, err := New(Options{Members: []Config{ldapMember("NORTH")}, Flags: bc.flags, Metrics: m})
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			nop := func(context.Context) error { return nil }
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := r.Do(ctx, "NORTH", LDAP, nop); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
