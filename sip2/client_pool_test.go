package sip2_test

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/illgw/illgw/sip2"
	"github.com/illgw/illgw/sip2/memory"
)

// countingBackend counts the logins an ACS accepts.
type countingBackend struct {
	*memory.Backend
	logins atomic.Int64
}

func (c *countingBackend) Login(ctx context.Context, login, password string, ci sip2.ConnInfo) (sip2.Session, error) {
	s, err := c.Backend.Login(ctx, login, password, ci)
	if err == nil {
		c.logins.Add(1)
	}
	return s, err
}

// TestClientPoolReusesLogins: 50 callers at once, five times over, through
// a Client whose pool holds 4 connections log in at most 4 times at the ACS
// and never hold more than 4 connections: a connection is returned to the
// pool after each call, not closed.
func TestClientPoolReusesLogins(t *testing.T) {
	acs := &countingBackend{Backend: fixture()}
	_, addr := startServer(t, acs, nil)
	var open, peak atomic.Int64
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		for n, p := open.Add(1), peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		return &countedConn{Conn: nc, open: &open}, nil
	}
	c := &sip2.Client{Addr: addr, Dial: dial, LoginUserID: kioskLogin, LoginPassword: kioskPass, MaxConns: 4}
	defer c.Close()
	for range 5 {
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				r, err := c.PatronStatus(context.Background(), &sip2.PatronStatusRequest{InstitutionID: "NORTH", PatronID: "N0001", PatronPassword: "1234"})
				if err != nil || r.PatronID != "N0001" {
					t.Errorf("patron status: %v %+v", err, r)
				}
			})
		}
		wg.Wait()
	}
	if n := acs.logins.Load(); n > 4 {
		t.Errorf("%d logins at the ACS for 250 calls over a pool of 4, want at most 4", n)
	}
	if n := peak.Load(); n > 4 {
		t.Errorf("%d connections open at once, want at most 4", n)
	}
}

// countedConn counts itself out of open when first closed.
type countedConn struct {
	net.Conn
	open *atomic.Int64
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.open.Add(-1) })
	return c.Conn.Close()
}
