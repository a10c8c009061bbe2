package z3950

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/illgw/illgw/z3950/ber"
)

// Server is a Z39.50 server (Z39.50-2003 target). It is a plain struct: set the fields, then
// call Serve or ListenAndServe. Every limit has a default documented beside it.
type Server struct {
	// Addr is the listen address for ListenAndServe. "" means ":2100" (illgw's config
	// supplies 127.0.0.1:2100).
	Addr string
	// Backend answers the operations. Required.
	Backend Backend
	// HTTPHandler, when set, answers connections whose first byte is an HTTP request (SRU on
	// the Z39.50 port, as YAZ servers do). nil closes such connections.
	HTTPHandler http.Handler

	// MaxPDUSize bounds one PDU read from a client. 0 means 1 MiB.
	MaxPDUSize int
	// MaxDepth bounds BER nesting. 0 means 64.
	MaxDepth int
	// MaxMessageSize caps the negotiated preferredMessageSize, the size of response PDUs
	// carrying records. 0 means 1 MiB.
	MaxMessageSize int
	// MaxRecordSize caps the negotiated exceptionalRecordSize. 0 means 16 MiB.
	MaxRecordSize int
	// IdleTimeout closes a connection that sends nothing for this long. 0 means 10 minutes.
	IdleTimeout time.Duration
	// PDUTimeout bounds the time from a PDU's first byte to its last, so a client that
	// announces a large PDU and stalls cannot hold a connection slot. 0 means 30 s.
	PDUTimeout time.Duration
	// WriteTimeout bounds writing one response. 0 means 30 s.
	WriteTimeout time.Duration
	// OpTimeout bounds each backend call (the ctx deadline). 0 means 60 s.
	OpTimeout time.Duration
	// MaxConnections bounds concurrent connections; further ones are closed at once. 0 means 1024.
	MaxConnections int
	// MaxConnectionsPerIP bounds concurrent connections from one address. 0 means 64.
	MaxConnectionsPerIP int
	// MaxResultSets bounds named result sets per session (Bib-1 112 beyond). 0 means 32.
	MaxResultSets int
	// AllowedNets, when non-empty, lists the client networks allowed to connect; others are
	// closed without a reply.
	AllowedNets []netip.Prefix
	// MARC8 serves MARC records in MARC-8 to clients that do not negotiate UTF-8 (old
	// clients that need it); the backend does the conversion (FetchRequest.MARC8). false,
	// the default, serves UTF-8 to everyone.
	MARC8 bool
	// MapCQL, when set, turns type-104 CQL queries into RPN before the backend sees them
	// (e.g. a z3950/cql Mapping's Parse+ToRPN), and Init then offers queryType104. An error
	// with a Diagnostic method is sent as that diagnostic, any other as Bib-1 108.
	MapCQL func(cql string) (*RPNQuery, error)
	// ImplementationName, ImplementationVersion are sent in the InitializeResponse.
	// "" means "illgw".
	ImplementationName    string
	ImplementationVersion string
	// Logger receives errors with context (never PDU contents). nil means slog.Default().
	Logger *slog.Logger

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	perIP     map[netip.Addr]int
	closing   atomic.Bool
	wg        sync.WaitGroup
}

// ErrServerClosed is returned by Serve after Shutdown or Close.
var ErrServerClosed = errors.New("z3950: server closed")

func orDefault[T int | time.Duration](v, d T) T {
	if v <= 0 {
		return d
	}
	return v
}

func (s *Server) limits() ber.Limits {
	return ber.Limits{MaxSize: orDefault(s.MaxPDUSize, ber.DefaultClientPDU), MaxDepth: orDefault(s.MaxDepth, ber.DefaultMaxDepth)}
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// ListenAndServe listens on s.Addr (default ":2100") and serves.
func (s *Server) ListenAndServe() error {
	addr := s.Addr
	if addr == "" {
		addr = ":2100"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(ln)
}

// Serve accepts connections on ln until Shutdown or Close. It always returns a non-nil error.
func (s *Server) Serve(ln net.Listener) error {
	if s.Backend == nil {
		return errors.New("z3950: Server.Backend is nil")
	}
	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		return ErrServerClosed
	}
	if s.listeners == nil {
		s.listeners = map[net.Listener]struct{}{}
		s.conns = map[*conn]struct{}{}
		s.perIP = map[netip.Addr]int{}
	}
	s.listeners[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
	}()
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.closing.Load() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		c, ok := s.admit(nc)
		if !ok {
			_ = nc.Close()
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.release(c)
			c.serve()
		}()
	}
}

// admit applies AllowedNets and the connection limits.
func (s *Server) admit(nc net.Conn) (*conn, bool) {
	var ip netip.Addr
	if ap, err := netip.ParseAddrPort(nc.RemoteAddr().String()); err == nil {
		ip = ap.Addr().Unmap()
	}
	if len(s.AllowedNets) > 0 {
		ok := false
		for _, p := range s.AllowedNets {
			if p.Contains(ip) {
				ok = true
				break
			}
		}
		if !ok {
			return nil, false
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() || len(s.conns) >= orDefault(s.MaxConnections, 1024) ||
		s.perIP[ip] >= orDefault(s.MaxConnectionsPerIP, 64) {
		return nil, false
	}
	c := &conn{srv: s, nc: nc, ip: ip, br: bufio.NewReaderSize(nc, 4096), sets: map[string]int{}}
	s.conns[c] = struct{}{}
	s.perIP[ip]++
	return c, true
}

func (s *Server) release(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	if s.perIP[c.ip]--; s.perIP[c.ip] <= 0 {
		delete(s.perIP, c.ip)
	}
	s.mu.Unlock()
}

// Shutdown stops accepting, closes idle connections, waits for busy ones to finish their
// current operation (then closes them), and returns when all are gone or ctx is done.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closing.Store(true)
	s.mu.Lock()
	for ln := range s.listeners {
		_ = ln.Close()
	}
	s.mu.Unlock()
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		s.mu.Lock()
		n := len(s.conns)
		for c := range s.conns {
			if !c.busy.Load() {
				_ = c.nc.Close()
			}
		}
		s.mu.Unlock()
		if n == 0 {
			s.wg.Wait()
			return nil
		}
		select {
		case <-ctx.Done():
			_ = s.Close()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Close closes the listeners and every connection at once.
func (s *Server) Close() error {
	s.closing.Store(true)
	s.mu.Lock()
	for ln := range s.listeners {
		_ = ln.Close()
	}
	for c := range s.conns {
		_ = c.nc.Close()
	}
	s.mu.Unlock()
	return nil
}
