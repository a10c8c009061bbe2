package sip2

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// ErrServerClosed is returned by Serve after Shutdown or Close.
var ErrServerClosed = errors.New("sip2: server closed")

// Server is a SIP2 ACS: it accepts terminal connections, requires a Login
// (93) first, and turns each request into a call on the terminal's Session.
// Fields are read when Serve starts; zero values give the documented
// defaults. A Server may serve several listeners at once.
type Server struct {
	// Backend logs terminals in. Required.
	Backend Backend
	// Addr is the address ListenAndServe listens on. "" means
	// "127.0.0.1:6001".
	Addr string
	// TLSConfig, when set, makes every connection TLS (at least TLS 1.2).
	TLSConfig *tls.Config

	// LoginTimeout bounds the time from accept (and TLS handshake) to a
	// successful Login. 0 means 60s.
	LoginTimeout time.Duration
	// IdleTimeout closes a logged-in connection with no message for this
	// long. 0 means 10 minutes (kiosks send 99 as a keep-alive every 1-7
	// minutes); negative means never.
	IdleTimeout time.Duration
	// RequestTimeout is the deadline of each Session call. 0 means 10s;
	// kiosks retry after about that long.
	RequestTimeout time.Duration
	// WriteTimeout bounds writing one response. 0 means 10s.
	WriteTimeout time.Duration

	// MaxMessage is the largest request accepted, in bytes without the
	// terminator; a longer one is skipped unbuffered and answered 96.
	// 0 means 4096.
	MaxMessage int
	// MaxConnections caps simultaneous connections overall; one more is
	// closed on accept. 0 means 10000; negative means no cap.
	MaxConnections int
	// MaxPerIP caps simultaneous connections from one IP address. 0 means
	// 64; negative means no cap. Per-account caps come from the Session
	// (ConnectionLimiter).
	MaxPerIP int
	// MaxLoginAttempts is how many refused logins a connection gets before
	// it is closed. 0 means 3.
	MaxLoginAttempts int

	// Charset is the character set until a Session chooses another
	// (CharsetChooser). Zero is ASCII.
	Charset Charset
	// Location is the time zone of timestamps with a blank zone. Nil means
	// time.Local.
	Location *time.Location
	// UTC sends timestamps in UTC ("   Z").
	UTC bool
	// Terminator ends every response. "" means "\r" (SIP2 §"Message
	// format"); set "\r\n" for terminals that wait for CRLF. Requests may
	// end in CR, LF or CRLF whatever this says.
	Terminator string
	// MatchTerminator answers each request with the terminator it came
	// with (CR, LF or CRLF), for terminals such as Koha's emulator that
	// send CRLF and wait for it. Terminator is then used for 96s sent for
	// over-long messages only.
	MatchTerminator bool
	// RequireErrorDetection answers 96 to requests without a checksum.
	// Otherwise error detection follows each request: a request with AY
	// and AZ gets a response with them.
	RequireErrorDetection bool
	// ReplayStore remembers each terminal's last state-changing request.
	// Nil means a MemoryReplayStore private to this Server.
	ReplayStore ReplayStore
	// ReplayKey is a secret mixed into the HMAC key of replay digests
	// (with each terminal's login and password; see ReplayEntry). Every
	// gateway instance sharing a ReplayStore must use the same one. Nil
	// keys the digests by the terminals' passwords alone.
	ReplayKey []byte
	// Logger receives connection, login and error events. Nil means
	// slog.Default(). Passwords and PINs are never logged; raw messages are
	// logged at Debug level with AC, AD and CO masked.
	Logger *slog.Logger

	initOnce sync.Once
	ctx      context.Context // cancelled by Close or a Shutdown past its deadline
	cancel   context.CancelFunc
	shutting atomic.Bool
	mu       sync.Mutex
	lns      map[net.Listener]struct{}
	conns    map[*conn]struct{}
	perIP    map[string]int
	perAcct  map[string]int
	replay   ReplayStore
	wg       sync.WaitGroup
}

func (s *Server) init() {
	s.initOnce.Do(func() {
		s.ctx, s.cancel = context.WithCancel(context.Background())
		s.lns = make(map[net.Listener]struct{})
		s.conns = make(map[*conn]struct{})
		s.perIP = make(map[string]int)
		s.perAcct = make(map[string]int)
		s.replay = s.ReplayStore
		if s.replay == nil {
			s.replay = &MemoryReplayStore{}
		}
	})
}

func orDuration(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

func orInt(n, def int) int {
	if n == 0 {
		return def
	}
	return n
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// ListenAndServe listens on s.Addr and serves.
func (s *Server) ListenAndServe() error {
	addr := s.Addr
	if addr == "" {
		addr = "127.0.0.1:6001"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(ln)
}

// Serve accepts connections on ln until Shutdown or Close, and returns
// ErrServerClosed then. With TLSConfig set the connections are TLS.
func (s *Server) Serve(ln net.Listener) error {
	if s.Backend == nil {
		return errors.New("sip2: Server.Backend is nil")
	}
	s.init()
	if s.TLSConfig != nil {
		cfg := s.TLSConfig.Clone()
		if cfg.MinVersion < tls.VersionTLS12 {
			cfg.MinVersion = tls.VersionTLS12
		}
		ln = tls.NewListener(ln, cfg)
	}
	s.mu.Lock()
	if s.shutting.Load() {
		s.mu.Unlock()
		ln.Close()
		return ErrServerClosed
	}
	s.lns[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.lns, ln)
		s.mu.Unlock()
		ln.Close()
	}()
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.shutting.Load() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		c := s.admit(nc)
		if c == nil {
			nc.Close()
			continue
		}
		go c.serve()
	}
}

// admit counts a new connection against the caps and registers it, or
// returns nil when a cap is reached.
func (s *Server) admit(nc net.Conn) *conn {
	ip := remoteIP(nc)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutting.Load() {
		return nil
	}
	if max := orInt(s.MaxConnections, 10000); max > 0 && len(s.conns) >= max {
		s.logger().Warn("sip2: connection refused, server at its cap", "remote", ip, "max_connections", max)
		return nil
	}
	if max := orInt(s.MaxPerIP, 64); max > 0 && s.perIP[ip] >= max {
		s.logger().Warn("sip2: connection refused, address at its cap", "remote", ip, "max_per_ip", max)
		return nil
	}
	s.perIP[ip]++
	c := newConn(s, nc, ip)
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return c
}

// release undoes admit when a connection ends.
func (s *Server) release(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	if s.perIP[c.ip]--; s.perIP[c.ip] <= 0 {
		delete(s.perIP, c.ip)
	}
	if c.account != "" {
		if s.perAcct[c.account]--; s.perAcct[c.account] <= 0 {
			delete(s.perAcct, c.account)
		}
	}
	s.mu.Unlock()
	s.wg.Done()
}

// claimAccount counts a logged-in connection against its account's cap.
func (s *Server) claimAccount(c *conn, account string, max int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if max > 0 && s.perAcct[account] >= max {
		return false
	}
	s.perAcct[account]++
	c.account = account
	return true
}

func (s *Server) dropAccount(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.account != "" {
		if s.perAcct[c.account]--; s.perAcct[c.account] <= 0 {
			delete(s.perAcct, c.account)
		}
		c.account = ""
	}
}

// Shutdown stops accepting, closes idle connections at once and lets
// connections in the middle of a request send their response, then close.
// If ctx ends first, the remaining connections are closed and their
// requests' contexts cancelled, and ctx's error is returned.
func (s *Server) Shutdown(ctx context.Context) error {
	s.init()
	s.shutting.Store(true)
	s.mu.Lock()
	for ln := range s.lns {
		ln.Close()
	}
	for c := range s.conns {
		c.wake()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		s.cancel()
		return nil
	case <-ctx.Done():
		s.Close()
		<-done
		return ctx.Err()
	}
}

// Close closes every listener and connection at once.
func (s *Server) Close() error {
	s.init()
	s.shutting.Store(true)
	s.cancel()
	s.mu.Lock()
	for ln := range s.lns {
		ln.Close()
	}
	for c := range s.conns {
		c.nc.Close()
	}
	s.mu.Unlock()
	return nil
}

func remoteIP(nc net.Conn) string {
	if a, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	host, _, err := net.SplitHostPort(nc.RemoteAddr().String())
	if err != nil {
		return nc.RemoteAddr().String()
	}
	return host
}
