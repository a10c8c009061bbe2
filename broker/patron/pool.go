package patron

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// errTooLarge ends a connection whose reply to one operation passed
// LDAPOptions.MaxResponseBytes.
var errTooLarge = errors.New("patron: directory reply larger than the limit")

// meteredConn counts the bytes read since the current operation began and
// fails the read that passes the budget, so a misbehaving directory cannot
// make the client buffer an unbounded reply (go-asn1-ber allows 2 GiB).
type meteredConn struct {
	net.Conn
	left atomic.Int64
}

func (m *meteredConn) Read(p []byte) (int, error) {
	n, err := m.Conn.Read(p)
	if m.left.Add(-int64(n)) < 0 {
		return 0, errTooLarge
	}
	return n, err
}

// conn is one pooled directory connection.
type conn struct {
	l    *ldap.Conn
	m    *meteredConn
	used time.Time // when it last went back to the pool
}

// do runs f on the connection under ctx: the reply budget is reset, the
// per-request timeout of go-ldap is set to what is left of ctx, and the
// connection is closed if ctx ends first (go-ldap calls take no context),
// in which case ctx's error is returned.
func (c *conn) do(ctx context.Context, budget int64, f func(*ldap.Conn) error) error {
	c.m.left.Store(budget)
	if dl, ok := ctx.Deadline(); ok {
		c.l.SetTimeout(time.Until(dl))
	}
	stop := context.AfterFunc(ctx, func() { c.l.Close() })
	err := f(c.l)
	if !stop() {
		return fmt.Errorf("%w: %w", ErrUnavailable, context.Cause(ctx))
	}
	return err
}

// serverAnswered reports whether err is an LDAP result the server sent
// (RFC 4511 §4.1.9 result codes are below 200; go-ldap's own codes, for
// network failures, timeouts and decoding errors, start at 200). After
// such an error the connection is still in a known state and may be reused.
func serverAnswered(err error) bool {
	var le *ldap.Error
	return errors.As(err, &le) && le.ResultCode < 200 && le.ResultCode != ldap.LDAPResultBusy &&
		le.ResultCode != ldap.LDAPResultUnavailable
}

// pool keeps up to size connections to one directory. Search connections
// are bound as the service account when dialled; PIN-bind connections are
// never used for anything but binds and the health check, so a patron's
// identity cannot leak into a search.
type pool struct {
	o       *LDAPOptions
	service bool // bind as the service account after dialling
	tls     *tls.Config
	addr    string
	ldaps   bool

	slots chan struct{} // one per connection in use
	mu    sync.Mutex
	idle  []*conn // most recently used last
	done  chan struct{}
	wg    sync.WaitGroup
}

func newPool(o *LDAPOptions, service bool) (*pool, error) {
	u, err := url.Parse(o.URL)
	if err != nil || u.Host == "" {
		return nil, errors.New("patron: URL has no host")
	}
	p := &pool{o: o, service: service, ldaps: u.Scheme == "ldaps", addr: u.Host,
		slots: make(chan struct{}, o.PoolSize), done: make(chan struct{})}
	host := u.Hostname()
	if u.Port() == "" {
		port := ldap.DefaultLdapPort
		if p.ldaps {
			port = ldap.DefaultLdapsPort
		}
		p.addr = net.JoinHostPort(host, port)
	}
	if o.TLS != nil {
		p.tls = o.TLS.Clone()
	} else {
		p.tls = &tls.Config{}
	}
	if p.tls.ServerName == "" {
		p.tls.ServerName = host
	}
	if p.tls.MinVersion == 0 {
		p.tls.MinVersion = tls.VersionTLS12
	}
	p.wg.Add(1)
	go p.janitor()
	return p, nil
}

// get returns a working connection, reused or freshly dialled, and whether
// it was reused. fresh skips the idle ones. The caller must put it back.
func (p *pool) get(ctx context.Context, fresh bool) (*conn, bool, error) {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, false, fmt.Errorf("%w: no free directory connection: %w", ErrUnavailable, context.Cause(ctx))
	case <-p.done:
		return nil, false, fmt.Errorf("%w: closed", ErrUnavailable)
	}
	for !fresh {
		c := p.pop()
		if c == nil {
			break
		}
		if c.l.IsClosing() || time.Since(c.used) > p.o.IdleTimeout {
			c.l.Close()
			continue
		}
		if time.Since(c.used) > p.o.CheckAfter && p.check(ctx, c) != nil {
			c.l.Close()
			continue
		}
		return c, true, nil
	}
	c, err := p.dial(ctx)
	if err != nil {
		<-p.slots
		return nil, false, err
	}
	return c, false, nil
}

// put returns c to the pool, or closes it when keep is false or the pool
// is closed.
func (p *pool) put(c *conn, keep bool) {
	defer func() { <-p.slots }()
	if !keep || c.l.IsClosing() {
		c.l.Close()
		return
	}
	c.used = time.Now()
	p.mu.Lock()
	select {
	case <-p.done:
		p.mu.Unlock()
		c.l.Close()
		return
	default:
	}
	p.idle = append(p.idle, c)
	p.mu.Unlock()
}

func (p *pool) pop() *conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.idle) == 0 {
		return nil
	}
	c := p.idle[len(p.idle)-1]
	p.idle = p.idle[:len(p.idle)-1]
	return c
}

// check reads the root DSE (RFC 4512 §5.1), the cheapest request every
// directory answers, to see that an idle connection still works.
func (p *pool) check(ctx context.Context, c *conn) error {
	ctx, cancel := context.WithTimeout(ctx, p.o.Timeout)
	defer cancel()
	return c.do(ctx, p.o.MaxResponseBytes, func(l *ldap.Conn) error {
		_, err := l.Search(ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases,
			1, 0, false, "(objectClass=*)", []string{"1.1"}, nil))
		return err
	})
}

// dial opens a connection: TCP (with TLS for ldaps://), StartTLS when
// configured, then the service bind for search connections. An empty
// BindDN leaves the connection anonymous (RFC 4513 §5.1.1).
func (p *pool) dial(ctx context.Context) (*conn, error) {
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	m := &meteredConn{Conn: raw}
	m.left.Store(p.o.MaxResponseBytes)
	var nc net.Conn = m
	if p.ldaps {
		tc := tls.Client(m, p.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, fmt.Errorf("%w: TLS handshake: %w", ErrUnavailable, err)
		}
		nc = tc
	}
	l := ldap.NewConn(nc, p.ldaps)
	l.Start()
	c := &conn{l: l, m: m}
	if p.o.StartTLS {
		if err := c.do(ctx, p.o.MaxResponseBytes, func(l *ldap.Conn) error { return l.StartTLS(p.tls) }); err != nil {
			l.Close()
			return nil, unavailable("StartTLS", err)
		}
	}
	if p.service && p.o.BindDN != "" {
		err := c.do(ctx, p.o.MaxResponseBytes, func(l *ldap.Conn) error { return l.Bind(p.o.BindDN, p.o.BindPassword) })
		if err != nil {
			l.Close()
			return nil, unavailable("service bind", err)
		}
	}
	return c, nil
}

// janitor closes connections idle for longer than IdleTimeout.
func (p *pool) janitor() {
	defer p.wg.Done()
	every := max(p.o.IdleTimeout/2, 10*time.Millisecond)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-p.done:
			return
		case <-t.C:
			p.mu.Lock()
			keep := p.idle[:0]
			for _, c := range p.idle {
				if c.l.IsClosing() || time.Since(c.used) > p.o.IdleTimeout {
					c.l.Close()
				} else {
					keep = append(keep, c)
				}
			}
			clear(p.idle[len(keep):])
			p.idle = keep
			p.mu.Unlock()
		}
	}
}

// idleCount is the number of idle connections (for tests).
func (p *pool) idleCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle)
}

// close closes the idle connections and stops the janitor; connections in
// use are closed when they are put back.
func (p *pool) close() {
	p.mu.Lock()
	select {
	case <-p.done:
		p.mu.Unlock()
		return
	default:
	}
	close(p.done)
	for _, c := range p.idle {
		c.l.Close()
	}
	p.idle = nil
	p.mu.Unlock()
	p.wg.Wait()
}
