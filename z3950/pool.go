package z3950

import (
	"context"
	"sync"
	"time"
)

// Pool reuses Z39.50 associations per target address, so a caller that searches the same
// target often pays connect and Init once. A Client taken with Get is used by one caller at a
// time and handed back with Put; one that broke (timeout, lost connection) is closed instead.
type Pool struct {
	// Options are used to Dial new clients.
	Options *ClientOptions
	// MaxIdle bounds idle clients kept per address. 0 means 4.
	MaxIdle int
	// IdleTimeout closes clients idle longer than this instead of reusing them (targets drop
	// idle associations). 0 means 60 s.
	IdleTimeout time.Duration

	mu     sync.Mutex
	idle   map[string][]idleClient
	closed bool
}

type idleClient struct {
	c     *Client
	since time.Time
}

// Get returns an idle client for addr or dials a new one under ctx.
func (p *Pool) Get(ctx context.Context, addr string) (*Client, error) {
	p.mu.Lock()
	for len(p.idle[addr]) > 0 {
		list := p.idle[addr]
		ic := list[len(list)-1]
		p.idle[addr] = list[:len(list)-1]
		if time.Since(ic.since) < orDefault(p.IdleTimeout, time.Minute) && ic.c.Healthy() {
			p.mu.Unlock()
			return ic.c, nil
		}
		go closeQuietly(ic.c)
	}
	p.mu.Unlock()
	c, err := Dial(ctx, addr, p.Options)
	if err != nil {
		return nil, err
	}
	c.addr = addr
	return c, nil
}

// Put hands a client back for reuse; a broken client, or one beyond MaxIdle, is closed.
func (p *Pool) Put(c *Client) {
	if c == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || !c.Healthy() || len(p.idle[c.addr]) >= orDefault(p.MaxIdle, 4) {
		go closeQuietly(c)
		return
	}
	if p.idle == nil {
		p.idle = map[string][]idleClient{}
	}
	p.idle[c.addr] = append(p.idle[c.addr], idleClient{c: c, since: time.Now()})
}

// Close closes every idle client; clients handed back later are closed too.
func (p *Pool) Close() {
	p.mu.Lock()
	p.closed = true
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, list := range idle {
		for _, ic := range list {
			closeQuietly(ic.c)
		}
	}
}

func closeQuietly(c *Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = c.Close(ctx)
}
