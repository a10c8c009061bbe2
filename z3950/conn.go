package z3950

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/illgw/illgw/z3950/ber"
)

// conn is one association: the per-connection state machine. It reads PDUs, checks the
// state, calls the session and writes the reply.
type conn struct {
	srv  *Server
	nc   net.Conn
	ip   netip.Addr
	br   *bufio.Reader
	busy atomic.Bool

	sess       Session
	msgSize    int            // negotiated preferredMessageSize
	recordSize int            // negotiated exceptionalRecordSize
	utf8       bool           // Charset-3 negotiated UTF-8
	marc8      bool           // records in MARC-8 (Server.MARC8 and no UTF-8 negotiated)
	sets       map[string]int // result set name -> hit count
}

func (c *conn) serve() {
	defer func() {
		if c.sess != nil {
			ctx, cancel := context.WithTimeout(context.Background(), orDefault(c.srv.OpTimeout, time.Minute))
			_ = c.sess.Close(ctx)
			cancel()
		}
		_ = c.nc.Close()
	}()
	defer func() {
		// A panicking backend ends its own association, never the server.
		if r := recover(); r != nil {
			c.srv.logger().Error("z3950: panic serving connection", "remote", c.ip.String(), "panic", r, "stack", string(debug.Stack()))
			c.send(&Close{Reason: CloseSystemProblem})
		}
	}()
	first := true
	for {
		// Wait for the first byte of the next PDU under the idle timeout ...
		_ = c.nc.SetReadDeadline(time.Now().Add(orDefault(c.srv.IdleTimeout, 10*time.Minute)))
		b, err := c.br.Peek(1)
		if err != nil {
			if first || errors.Is(err, io.EOF) || c.srv.closing.Load() {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				c.send(&Close{Reason: CloseLackOfActivity})
			}
			return
		}
		if first && b[0] >= 'A' && b[0] <= 'Z' {
			c.serveHTTP()
			return
		}
		first = false
		// ... then the whole PDU under the per-PDU deadline.
		_ = c.nc.SetReadDeadline(time.Now().Add(orDefault(c.srv.PDUTimeout, 30*time.Second)))
		c.busy.Store(true)
		frame, err := ber.ReadFrame(c.br, c.srv.limits())
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !isTimeout(err) {
				c.send(&Close{Reason: CloseProtocolError, Diagnostic: "undecodable PDU"})
			}
			return
		}
		pdu, err := Decode(frame, c.srv.limits())
		if err != nil {
			// A request that decoded but asks for something unsupported (a CCL query, a
			// complex record composition) gets a failed response carrying the diagnostic;
			// anything else ends the association.
			if c.sess == nil || !c.refuse(frame, err) {
				c.protocolError(err)
				return
			}
			c.busy.Store(false)
			continue
		}
		if !c.handle(pdu) {
			return
		}
		c.busy.Store(false)
		if c.srv.closing.Load() {
			c.send(&Close{Reason: CloseShutdown})
			return
		}
	}
}

// refuse answers a request whose decoding produced a *Diagnostic with the matching failed
// response. It reports whether it did.
func (c *conn) refuse(frame []byte, err error) bool {
	var d *Diagnostic
	if !errors.As(err, &d) {
		return false
	}
	t, perr := ber.Parse(frame, c.srv.limits())
	if perr != nil {
		return false
	}
	var resp PDU
	switch t.Root().Tag().Num {
	case TagSearchRequest:
		resp = &SearchResponse{ResultSetStatus: 3, records: records{Diagnostics: []Diagnostic{*d}}}
	case TagPresentRequest:
		resp = &PresentResponse{PresentStatus: PresentFailure, records: records{Diagnostics: []Diagnostic{*d}}}
	case TagScanRequest:
		resp = &ScanResponse{Status: ScanFailure, Diagnostics: []Diagnostic{*d}}
	case TagSortRequest:
		resp = &SortResponse{Status: SortFailure, Diagnostics: []Diagnostic{*d}}
	default:
		return false
	}
	return c.send(resp)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// protocolError answers an undecodable PDU with Close(protocolError) (Z39.50-2003 §3.2.11.1).
func (c *conn) protocolError(err error) {
	var d *Diagnostic
	msg := "malformed PDU"
	if errors.As(err, &d) {
		msg = d.Error()
	} else if errors.Is(err, ErrUnsupportedPDU) {
		msg = "unsupported PDU"
	}
	c.send(&Close{Reason: CloseProtocolError, Diagnostic: msg})
}

func (c *conn) send(p PDU) bool {
	_ = c.nc.SetWriteDeadline(time.Now().Add(orDefault(c.srv.WriteTimeout, 30*time.Second)))
	_, err := c.nc.Write(Encode(p))
	return err == nil
}

func (c *conn) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), orDefault(c.srv.OpTimeout, time.Minute))
}

// handle dispatches one PDU; it reports whether the connection stays open.
func (c *conn) handle(p PDU) bool {
	if _, ok := p.(*InitRequest); !ok && c.sess == nil {
		if _, isClose := p.(*Close); isClose {
			return false
		}
		c.send(&Close{Reason: CloseProtocolError, Diagnostic: "Init required first"})
		return false
	}
	switch p := p.(type) {
	case *InitRequest:
		return c.handleInit(p)
	case *SearchRequest:
		return c.send(c.handleSearch(p))
	case *PresentRequest:
		return c.send(c.handlePresent(p))
	case *ScanRequest:
		return c.send(c.handleScan(p))
	case *SortRequest:
		return c.send(c.handleSort(p))
	case *DeleteRequest:
		return c.send(c.handleDelete(p))
	case *Close:
		c.send(&Close{Common: Common{ReferenceID: p.ReferenceID}, Reason: CloseFinished,
			Diagnostic: "Association terminated by client"})
		return false
	default:
		c.send(&Close{Reason: CloseProtocolError, Diagnostic: "unexpected PDU"})
		return false
	}
}

// diagnose turns a backend error into a diagnostic: a *Diagnostic goes out as it is; anything
// else is logged and becomes Bib-1 2 (temporary system error), so no Go error text leaks.
func (c *conn) diagnose(op string, err error) Diagnostic {
	var d *Diagnostic
	if errors.As(err, &d) {
		return *d
	}
	if errors.Is(err, context.DeadlineExceeded) {
		c.srv.logger().Warn("z3950: backend timed out", "op", op, "remote", c.ip.String())
	} else {
		c.srv.logger().Error("z3950: backend error", "op", op, "remote", c.ip.String(), "err", err)
	}
	return Diagnostic{Code: 2}
}

// serveHTTP hands the connection to HTTPHandler (SRU on the Z39.50 port).
func (c *conn) serveHTTP() {
	if c.srv.HTTPHandler == nil {
		return
	}
	_ = c.nc.SetReadDeadline(time.Time{})
	done := make(chan struct{})
	bc := &bufConn{Conn: c.nc, r: c.br, done: done}
	hs := &http.Server{
		Handler:           c.srv.HTTPHandler,
		ReadHeaderTimeout: orDefault(c.srv.PDUTimeout, 30*time.Second),
		IdleTimeout:       orDefault(c.srv.IdleTimeout, 10*time.Minute),
		WriteTimeout:      orDefault(c.srv.WriteTimeout, 30*time.Second),
		MaxHeaderBytes:    64 << 10,
	}
	_ = hs.Serve(&oneConnListener{c: bc})
	<-done // the HTTP server closes the connection on client close, idle timeout or error
}

// bufConn is a net.Conn whose reads go through the peeked bufio.Reader.
type bufConn struct {
	net.Conn
	r    *bufio.Reader
	once sync.Once
	done chan struct{}
}

func (b *bufConn) Read(p []byte) (int, error) { return b.r.Read(p) }

func (b *bufConn) Close() error {
	b.once.Do(func() { close(b.done) })
	return b.Conn.Close()
}

// oneConnListener yields one connection, then reports closed.
type oneConnListener struct {
	mu sync.Mutex
	c  net.Conn
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.c == nil {
		return nil, net.ErrClosed
	}
	c := l.c
	l.c = nil
	return c, nil
}

func (l *oneConnListener) Close() error   { return nil }
func (l *oneConnListener) Addr() net.Addr { return &net.TCPAddr{} }
