package patron

import (
	"context"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// breakingProxy forwards TCP to a directory. After breakOld, a connection
// accepted before it is closed as soon as the client sends anything on it,
// without forwarding: the client learns only mid-request that its pooled
// connection is dead, as after a directory restart behind a load balancer.
type breakingProxy struct {
	ln     net.Listener
	target string
	gen    atomic.Int64
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  []net.Conn
}

func newBreakingProxy(t *testing.T, target string) *breakingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &breakingProxy{ln: ln, target: target}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

func (p *breakingProxy) breakOld() { p.gen.Add(1) }

func (p *breakingProxy) track(c net.Conn) {
	p.mu.Lock()
	p.conns = append(p.conns, c)
	p.mu.Unlock()
}

func (p *breakingProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.track(c)
		p.track(s)
		gen := p.gen.Load()
		p.wg.Add(2)
		go func() { // client -> directory, cut when the generation moved on
			defer p.wg.Done()
			defer s.Close()
			defer c.Close()
			buf := make([]byte, 4096)
			for {
				n, err := c.Read(buf)
				if n > 0 && p.gen.Load() != gen {
					return
				}
				if n > 0 {
					if _, werr := s.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}()
		go func() {
			defer p.wg.Done()
			defer c.Close()
			_, _ = io.Copy(c, s)
		}()
	}
}

// TestBrokenPooledConnectionReplaced: a pooled connection found dead in
// the middle of a request is replaced by a fresh one and the request
// retried once, so the patron at the kiosk sees no error and the breaker
// counts no failure.
func TestBrokenPooledConnectionReplaced(t *testing.T) {
	srv := slapd(t)
	proxy := newBreakingProxy(t, srv.URL[len("ldap://"):])
	o := baseOptions(srv, openStore(t))
	o.URL = "ldap://" + proxy.ln.Addr().String()
	o.CheckAfter = time.Hour // no health check: the request itself finds the break
	o.Breaker.Failures = 1
	l := newLDAP(t, o)
	ctx := context.Background()
	if _, err := l.Authenticate(ctx, "p0001", pinP0001); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		proxy.breakOld()
		p, err := l.Authenticate(ctx, "p0001", pinP0001)
		if err != nil || !p.PINVerified {
			t.Fatalf("after the pooled connections broke: %+v, %v", p, err)
		}
		if s := l.BreakerState(); s != "closed" {
			t.Fatalf("breaker %s", s)
		}
	}
}
