package sim

import (
	"fmt"
	"net"
	"sync"
	"time"
)

// Service names one of the three servers of a Member.
type Service int

// The services of a Member.
const (
	SIP2 Service = iota
	NCIP
	Catalog
	numServices
)

// String returns the service's name.
func (s Service) String() string {
	switch s {
	case SIP2:
		return "sip2"
	case NCIP:
		return "ncip"
	case Catalog:
		return "catalog"
	}
	return fmt.Sprintf("service(%d)", int(s))
}

// Down says whether and how a service is out of reach.
type Down int

// The ways a service can be down.
const (
	// Up serves normally.
	Up Down = iota
	// Refused closes the listener (connections are refused) and cuts the
	// open connections; Up listens again on the same port.
	Refused
	// BlackHole accepts connections and never answers: requests on new and
	// open connections are read and dropped.
	BlackHole
)

// Faults are a service's switches. The zero value is a healthy service.
type Faults struct {
	// Latency delays every answer by this long.
	Latency time.Duration
	// Failing answers every request with the protocol's temporary error:
	// SIP2 a negative response with the screen message "System unavailable"
	// and on-line N in the ACS status; Z39.50/SRU Bib-1 diagnostic 2; NCIP
	// the Temporary Processing Failure problem.
	Failing bool
	// Down takes the listener out of service.
	Down Down
}

// faultListener is the listener a service's server accepts on: it passes
// connections through while up, closes and reopens the real listener for
// Refused, and swallows traffic for BlackHole.
type faultListener struct {
	addr string // host:port bound first, reused when reopening

	mu      sync.Mutex
	ln      net.Listener // nil while Refused
	faults  Faults
	changed chan struct{} // closed and replaced on every change
	conns   map[*faultConn]struct{}
	closed  bool
}

func newFaultListener(addr string) (*faultListener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &faultListener{addr: ln.Addr().String(), ln: ln, changed: make(chan struct{}), conns: map[*faultConn]struct{}{}}, nil
}

// Accept implements net.Listener. While Refused it waits for the service
// to come back or the listener to close.
func (l *faultListener) Accept() (net.Conn, error) {
	for {
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			return nil, net.ErrClosed
		}
		ln, changed := l.ln, l.changed
		l.mu.Unlock()
		if ln == nil {
			<-changed
			continue
		}
		c, err := ln.Accept()
		if err != nil {
			l.mu.Lock()
			replaced := l.ln != ln && !l.closed
			l.mu.Unlock()
			if replaced {
				continue // closed by a switch to Refused, not by Close
			}
			return nil, err
		}
		fc := &faultConn{Conn: c, l: l, done: make(chan struct{})}
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			c.Close()
			return nil, net.ErrClosed
		}
		l.conns[fc] = struct{}{}
		l.mu.Unlock()
		return fc, nil
	}
}

// Close implements net.Listener; it leaves accepted connections to their
// server.
func (l *faultListener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	close(l.changed)
	if l.ln != nil {
		return l.ln.Close()
	}
	return nil
}

// Addr implements net.Listener.
func (l *faultListener) Addr() net.Addr {
	a, _ := net.ResolveTCPAddr("tcp", l.addr)
	return a
}

// cutAll closes every open connection.
func (l *faultListener) cutAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.conns {
		c.Conn.Close()
	}
}

func (l *faultListener) current() Faults {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.faults
}

// set applies new switches: it closes or reopens the real listener and cuts
// open connections when the service goes Refused.
func (l *faultListener) set(f Faults) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return net.ErrClosed
	}
	switch {
	case f.Down == Refused && l.ln != nil:
		l.ln.Close()
		l.ln = nil
		for c := range l.conns {
			c.Conn.Close()
		}
	case f.Down != Refused && l.ln == nil:
		ln, err := net.Listen("tcp", l.addr)
		if err != nil {
			return fmt.Errorf("sim: listening again on %s: %w", l.addr, err)
		}
		l.ln = ln
	}
	l.faults = f
	close(l.changed)
	l.changed = make(chan struct{})
	return nil
}

// faultConn is one accepted connection under its listener's switches.
type faultConn struct {
	net.Conn
	l         *faultListener
	done      chan struct{}
	closeOnce sync.Once

	mu      sync.Mutex
	pending bool // a request was read and its answer not yet delayed
}

// Read drops what arrives while the service is black-holed.
func (c *faultConn) Read(p []byte) (int, error) {
	for {
		n, err := c.Conn.Read(p)
		if err == nil && n > 0 && c.l.current().Down == BlackHole {
			continue
		}
		if n > 0 {
			c.mu.Lock()
			c.pending = true
			c.mu.Unlock()
		}
		return n, err
	}
}

// Write delays the first write after each request by the latency, and
// discards what the server says while black-holed.
func (c *faultConn) Write(p []byte) (int, error) {
	f := c.l.current()
	c.mu.Lock()
	delay := c.pending
	c.pending = false
	c.mu.Unlock()
	if delay && f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		select {
		case <-t.C:
		case <-c.done:
			t.Stop()
			return 0, net.ErrClosed
		}
		f = c.l.current()
	}
	if f.Down == BlackHole {
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// Close closes the connection and forgets it.
func (c *faultConn) Close() error {
	c.closeOnce.Do(func() {
		close(c.done)
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}
