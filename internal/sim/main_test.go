package sim

import (
	"context"
	"testing"
	"time"

	"github.com/illgw/illgw/internal/testenv"
)

// TestMain fails the package when goroutines of the simulated servers
// outlive the tests (a Consortium not closed, connections left open).
func TestMain(m *testing.M) {
	testenv.Main(m, "illgw/internal/sim.", "illgw/sip2.", "illgw/z3950.", "illgw/ncip.", "net/http.(*conn)")
}

// start runs a consortium for one test.
func start(t *testing.T, opts Options) *Consortium {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func contextWithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d)
}
