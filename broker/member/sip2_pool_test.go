package member

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/illgw/illgw/sip2"
	"github.com/illgw/illgw/sip2/memory"
)

// loginCounter is a member ILS that counts the logins it accepts.
type loginCounter struct {
	*memory.Backend
	n atomic.Int64
}

func (l *loginCounter) Login(ctx context.Context, login, password string, ci sip2.ConnInfo) (sip2.Session, error) {
	s, err := l.Backend.Login(ctx, login, password, ci)
	if err == nil {
		l.n.Add(1)
	}
	return s, err
}

// TestSIP2PoolLoginsUnderLoad: 50 concurrent calls, four times over,
// through a member whose SIP2 pool is 4 log in at most 4 times at the ILS
// (each login is a bcrypt check there); after the ILS drops every
// connection (a restart), the pool logs in again at most 4 more times.
func TestSIP2PoolLoginsUnderLoad(t *testing.T) {
	lib := &loginCounter{Backend: memory.New()}
	lib.AddAccount(memory.Account{Login: "gw", PasswordHash: memory.HashPassword("gwpass", 4), Institution: "NORTH"})
	lib.AddPatron(memory.Patron{ID: "N0001", PIN: "1234", Name: "Ada Lovelace"})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	srv := &sip2.Server{Backend: lib, Logger: slog.New(slog.DiscardHandler)}
	go srv.Serve(ln)
	r := newRegistry(t, Options{Members: []Config{{Code: "NORTH", SIP2: &SIP2Config{Addr: addr, Login: "gw", Password: "gwpass", Institution: "NORTH", Pool: 4, Timeout: 5 * time.Second}}}})
	s := r.Member("NORTH").SIP2()
	burst := func() {
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				p, err := s.PatronStatus(context.Background(), &sip2.PatronStatusRequest{PatronID: "N0001", PatronPassword: "1234"})
				if err != nil || p.PatronID != "N0001" {
					t.Errorf("patron status: %v %+v", err, p)
				}
			})
		}
		wg.Wait()
	}
	for range 4 {
		burst()
	}
	t.Logf("%d logins for 200 calls", lib.n.Load())
	if n := lib.n.Load(); n > 4 {
		t.Errorf("%d logins at the ILS for 200 calls over a pool of 4, want at most 4", n)
	}

	// The ILS restarts: every pooled connection is dead. Calls reconnect
	// (a real failure), and log in again no more than the pool holds.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("port %s not free again: %v", addr, err)
	}
	srv = &sip2.Server{Backend: lib, Logger: slog.New(slog.DiscardHandler)}
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	before := lib.n.Load()
	for range 2 {
		burst()
	}
	t.Logf("%d logins after the restart", lib.n.Load()-before)
	if n := lib.n.Load() - before; n > 4 {
		t.Errorf("%d logins after the ILS restart, want at most 4", n)
	}
}

// BenchmarkSIP2PoolBursts: each op is a burst of 50 concurrent patron
// status calls over a pool of 4 (as NCIP LookupUser requests arrive),
// reporting the logins the ILS saw per burst: 0 once the pool is warm.
func BenchmarkSIP2PoolBursts(b *testing.B) {
	lib := &loginCounter{Backend: memory.New()}
	lib.AddAccount(memory.Account{Login: "gw", PasswordHash: memory.HashPassword("gwpass", 4), Institution: "NORTH"})
	lib.AddPatron(memory.Patron{ID: "N0001", PIN: "1234", Name: "Ada Lovelace"})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &sip2.Server{Backend: lib, Logger: slog.New(slog.DiscardHandler)}
	go srv.Serve(ln)
	defer srv.Close()
	r, err := New(Options{Logger: slog.New(slog.DiscardHandler), Members: []Config{{Code: "NORTH", SIP2: &SIP2Config{Addr: ln.Addr().String(), Login: "gw", Password: "gwpass", Pool: 4, Timeout: 10 * time.Second}}}})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	s := r.Member("NORTH").SIP2()
	start := lib.n.Load()
	for b.Loop() {
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				if _, err := s.PatronStatus(context.Background(), &sip2.PatronStatusRequest{PatronID: "N0001", PatronPassword: "1234"}); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
	}
	b.ReportMetric(float64(lib.n.Load()-start)/float64(b.N), "logins/burst")
}
