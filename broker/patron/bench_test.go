package patron

import (
	"context"
	"testing"

	"github.com/illgw/illgw/internal/testenv"
)

// BenchmarkLookup and BenchmarkAuthenticate measure one call against a
// local slapd through the pooled connections (run with -benchtime=200x).
func BenchmarkLookup(b *testing.B) {
	srv := testenv.Slapd(b, readLDIF(b))
	l := newLDAP(b, baseOptions(srv, openStore(b)))
	ctx := context.Background()
	for b.Loop() {
		if _, err := l.Lookup(ctx, "p0001"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAuthenticate(b *testing.B) {
	srv := testenv.Slapd(b, readLDIF(b))
	l := newLDAP(b, baseOptions(srv, openStore(b)))
	ctx := context.Background()
	for b.Loop() {
		if _, err := l.Authenticate(ctx, "p0001", pinP0001); err != nil {
			b.Fatal(err)
		}
	}
}
