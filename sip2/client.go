package sip2

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// ErrProtocol: the ACS answered with something other than the request's
// response (wrong code, wrong sequence number, endless resend requests or
// undecodable bytes after every retry).
var ErrProtocol = errors.New("sip2: protocol error")

// ErrClientClosed is returned by calls on a closed Client.
var ErrClientClosed = errors.New("sip2: client closed")

// Client is an SC: it talks SIP2 to one ACS (a member library's SIP2
// server) over a small pool of logged-in connections. Error detection is on
// unless disabled: every request carries AY/AZ, every response's checksum is
// verified and a bad one is answered with 97 (Request ACS Resend); a 96 from
// the ACS makes the Client resend. A call whose pooled connection turns out
// broken is sent again, byte for byte, on a new connection, so the ACS's
// replay of a repeated request keeps it from running twice. Fields are read
// on first use; a Client is safe for concurrent use.
type Client struct {
	// Addr is the ACS's host:port. Required.
	Addr string
	// TLSConfig, when set, makes connections TLS. An empty ServerName
	// means the host of Addr.
	TLSConfig *tls.Config
	// Dial opens connections. Nil means a net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)

	// LoginUserID and LoginPassword are sent in the Login (93) that opens
	// every connection; with LoginUserID empty no login is sent.
	LoginUserID, LoginPassword string
	// LocationCode is the Login's CP.
	LocationCode string

	// Charset of field values. Zero is ASCII.
	Charset Charset
	// Location is the time zone of blank-zone timestamps. Nil: time.Local.
	Location *time.Location
	// UTC sends timestamps in UTC.
	UTC bool
	// Terminator ends each request. "" means "\r".
	Terminator string
	// MaxMessage is the largest response accepted. 0 means 4096.
	MaxMessage int
	// NoErrorDetection turns AY/AZ off, for ACSes that cannot do it.
	NoErrorDetection bool

	// MaxConns caps simultaneous connections, idle ones included; callers
	// beyond it wait for a connection to come back. 0 means 4.
	MaxConns int
	// MaxIdle is how many idle connections are kept logged in for the next
	// calls. 0 means MaxConns, and it is never more than MaxConns. A pool
	// that kept fewer would close connections a moment before the next
	// burst of calls dials and logs in again (a bcrypt check at many ACSes).
	MaxIdle int
	// IdleTimeout: an idle connection older than this is closed, not
	// reused. 0 means 5 minutes, under common ACS idle timeouts.
	IdleTimeout time.Duration
	// DialTimeout bounds dial, TLS handshake and login. 0 means 10s.
	DialTimeout time.Duration
	// Timeout bounds a call whose context has no deadline. 0 means 15s.
	Timeout time.Duration
	// Retries is how many 97s or resends one call may use. 0 means 2.
	Retries int

	once   sync.Once
	sem    chan struct{}
	mu     sync.Mutex
	idle   []*clientConn
	closed bool
}

type clientConn struct {
	nc    net.Conn
	r     *Reader
	codec Codec
	seq   int
	used  time.Time
}

func (c *Client) init() {
	c.once.Do(func() { c.sem = make(chan struct{}, orInt(c.MaxConns, 4)) })
}

// Close closes idle connections; connections in use close when their call
// ends. Later calls fail with ErrClientClosed.
func (c *Client) Close() error {
	c.init()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for _, cc := range c.idle {
		cc.nc.Close()
	}
	c.idle = nil
	return nil
}

// Do sends req and returns the ACS's response, of the type ResponseCode
// names (a *CheckoutResponse for a *Checkout). ctx bounds the whole call,
// connection and login included.
func (c *Client) Do(ctx context.Context, req Message) (Message, error) {
	c.init()
	if ResponseCode(req.Code()) == "" {
		return nil, fmt.Errorf("sip2: %s is not a request", req.Code())
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, orDuration(c.Timeout, 15*time.Second))
		defer cancel()
	}
	select {
	case c.sem <- struct{}{}:
		defer func() { <-c.sem }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	cc, reused, err := c.get(ctx)
	if err != nil {
		return nil, err
	}
	wire, seq := cc.encode(req, !c.NoErrorDetection)
	resp, err := c.roundTrip(ctx, cc, req, wire, seq)
	if err != nil && reused && brokenConn(err) && ctx.Err() == nil && (!c.NoErrorDetection || !stateChanging(req.Code())) {
		// The pooled connection had died (ACS restart, idle close): send
		// the same bytes on a new one. With error detection, an ACS that
		// had run the request replays its response instead of running it
		// again.
		cc.nc.Close()
		if cc, err = c.dial(ctx); err != nil {
			return nil, err
		}
		resp, err = c.roundTrip(ctx, cc, req, wire, seq)
	}
	if err != nil {
		cc.nc.Close()
		return nil, fmt.Errorf("sip2: %s to %s: %w", req.Code(), c.Addr, deadlineErr(ctx, err))
	}
	c.put(cc)
	return resp, nil
}

// deadlineErr returns the context's error for a call it ended: the socket
// deadline is the context's, and may fire a moment before the context
// notices.
func deadlineErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return context.DeadlineExceeded
	}
	return err
}

// brokenConn reports an error of the connection itself rather than of the
// protocol.
func brokenConn(err error) bool {
	return !errors.Is(err, ErrProtocol) && !errors.Is(err, os.ErrDeadlineExceeded)
}

func (c *Client) get(ctx context.Context) (*clientConn, bool, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, false, ErrClientClosed
	}
	for len(c.idle) > 0 {
		cc := c.idle[len(c.idle)-1]
		c.idle = c.idle[:len(c.idle)-1]
		if time.Since(cc.used) < orDuration(c.IdleTimeout, 5*time.Minute) {
			c.mu.Unlock()
			return cc, true, nil
		}
		cc.nc.Close()
	}
	c.mu.Unlock()
	cc, err := c.dial(ctx)
	return cc, false, err
}

func (c *Client) put(cc *clientConn) {
	cc.used = time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || len(c.idle) >= c.maxIdle() {
		cc.nc.Close()
		return
	}
	c.idle = append(c.idle, cc)
}

// maxIdle is MaxIdle with its default, capped at MaxConns.
func (c *Client) maxIdle() int {
	conns := orInt(c.MaxConns, 4)
	if c.MaxIdle <= 0 || c.MaxIdle > conns {
		return conns
	}
	return c.MaxIdle
}

// dial connects, shakes hands and logs in.
func (c *Client) dial(ctx context.Context) (*clientConn, error) {
	ctx, cancel := context.WithTimeout(ctx, orDuration(c.DialTimeout, 10*time.Second))
	defer cancel()
	dial := c.Dial
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	nc, err := dial(ctx, "tcp", c.Addr)
	if err != nil {
		return nil, fmt.Errorf("sip2: dial %s: %w", c.Addr, err)
	}
	if c.TLSConfig != nil {
		cfg := c.TLSConfig
		if cfg.ServerName == "" && !cfg.InsecureSkipVerify {
			cfg = cfg.Clone()
			if host, _, err := net.SplitHostPort(c.Addr); err == nil {
				cfg.ServerName = host
			}
		}
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, fmt.Errorf("sip2: TLS with %s: %w", c.Addr, err)
		}
		nc = tc
	}
	cc := &clientConn{nc: nc, r: NewReader(nc, c.MaxMessage), seq: -1,
		codec: Codec{Charset: c.Charset, Location: c.Location, UTC: c.UTC, MaxMessage: orInt(c.MaxMessage, DefaultMaxMessage)}}
	if c.LoginUserID == "" {
		return cc, nil
	}
	login := &Login{UIDAlgorithm: '0', PWDAlgorithm: '0', LoginUserID: c.LoginUserID, LoginPassword: c.LoginPassword, LocationCode: c.LocationCode}
	wire, seq := cc.encode(login, !c.NoErrorDetection)
	resp, err := c.roundTrip(ctx, cc, login, wire, seq)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("sip2: login to %s: %w", c.Addr, deadlineErr(ctx, err))
	}
	if !resp.(*LoginResponse).OK {
		nc.Close()
		return nil, fmt.Errorf("%w: %s refused login %q", ErrLoginFailed, c.Addr, c.LoginUserID)
	}
	return cc, nil
}

// encode returns m's wire form and the sequence number it carries (-1
// without error detection).
func (cc *clientConn) encode(m Message, ed bool) ([]byte, int) {
	if !ed {
		return cc.codec.Encode(m, NoSeq), NoSeq
	}
	cc.seq = (cc.seq + 1) % 10
	return cc.codec.Encode(m, cc.seq), cc.seq
}

// roundTrip writes wire (req encoded with sequence number seq) and reads
// its response, answering a garbled one with 97 and a 96 with a resend, up
// to c.Retries times.
func (c *Client) roundTrip(ctx context.Context, cc *clientConn, req Message, wire []byte, seq int) (Message, error) {
	deadline, _ := ctx.Deadline()
	cc.nc.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { cc.nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	term := c.Terminator
	if term == "" {
		term = "\r"
	}
	send := func(b []byte) error {
		_, err := cc.nc.Write(append(append(make([]byte, 0, len(b)+len(term)), b...), term...))
		return err
	}
	want := ResponseCode(req.Code())
	if err := send(wire); err != nil {
		return nil, err
	}
	for resends := 0; ; resends++ {
		raw, err := cc.r.ReadMessage()
		if err != nil {
			if errors.Is(err, ErrTooLarge) {
				err = fmt.Errorf("%w: %w", ErrProtocol, err)
			}
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		p, err := cc.codec.Decode(raw)
		if err == nil && p.Message.Code() != CodeRequestSCResend {
			switch {
			case p.Message.Code() != want:
				return nil, fmt.Errorf("%w: %s answered with %s", ErrProtocol, req.Code(), p.Message.Code())
			case seq >= 0 && p.Seq >= 0 && p.Seq != seq:
				return nil, fmt.Errorf("%w: response sequence number %d, request %d", ErrProtocol, p.Seq, seq)
			}
			return p.Message, nil
		}
		if resends == orInt(c.Retries, 2) {
			if err != nil {
				return nil, fmt.Errorf("%w: undecodable response after %d retries: %w", ErrProtocol, resends, err)
			}
			return nil, fmt.Errorf("%w: ACS still asks for a resend after %d retries", ErrProtocol, resends)
		}
		if err != nil {
			// Garbled response: ask for it again, SIP2 §"Request ACS Resend".
			ackSeq := NoSeq
			if seq >= 0 {
				ackSeq = 0
			}
			err = send(cc.codec.Encode(&RequestACSResend{}, ackSeq))
		} else {
			// 96: the ACS did not get our message right.
			err = send(wire)
		}
		if err != nil {
			return nil, err
		}
	}
}
