package sip2

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"reflect"
	"runtime/debug"
	"strconv"
	"time"
)

// conn is one terminal connection: the per-connection state machine. It
// reads messages, keeps login state, error detection, the last response
// (for 97) and calls the Session; it knows bytes only through Codec.
type conn struct {
	s       *Server
	nc      net.Conn
	ip      string
	r       *Reader
	codec   Codec
	term    []byte
	log     *slog.Logger
	sess    Session
	login   string // login user id once logged in
	account string // account counted in Server.perAcct; guarded by s.mu
	last    []byte // last response sent, without terminator, for 97
	rkey    []byte // HMAC key of replay digests, from the login (replayKey)
	refused int    // refused logins
}

func newConn(s *Server, nc net.Conn, ip string) *conn {
	term := s.Terminator
	if term == "" {
		term = "\r"
	}
	return &conn{
		s:    s,
		nc:   nc,
		ip:   ip,
		r:    NewReader(nc, s.MaxMessage),
		term: []byte(term),
		log:  s.logger().With("remote", nc.RemoteAddr().String()),
		codec: Codec{
			Charset:    s.Charset,
			Location:   s.Location,
			UTC:        s.UTC,
			MaxMessage: orInt(s.MaxMessage, DefaultMaxMessage),
		},
	}
}

// wake interrupts a blocked read so the connection notices a shutdown.
func (c *conn) wake() { c.nc.SetReadDeadline(time.Now()) }

func (c *conn) serve() {
	defer c.s.release(c)
	defer c.close()
	defer func() {
		// A panic in a Session method ends this connection, not the server.
		if v := recover(); v != nil {
			c.log.Error("sip2: panic serving connection", "login", c.login, "panic", v, "stack", string(debug.Stack()))
		}
	}()
	c.log.Debug("sip2: connection opened")
	loginBy := time.Now().Add(orDuration(c.s.LoginTimeout, 60*time.Second))
	idle := orDuration(c.s.IdleTimeout, 10*time.Minute)
	for {
		deadline := loginBy
		if c.sess != nil {
			deadline = time.Time{}
			if idle > 0 {
				deadline = time.Now().Add(idle)
			}
		}
		c.nc.SetReadDeadline(deadline)
		if c.s.shutting.Load() {
			return
		}
		raw, err := c.r.ReadMessage()
		if err == nil && c.s.MatchTerminator {
			c.term = []byte(c.r.Terminator())
		}
		if err != nil {
			if errors.Is(err, ErrTooLarge) {
				c.log.Warn("sip2: message over the size limit skipped", "limit", c.codec.MaxMessage)
				if c.writeResend(false) {
					continue
				}
				return
			}
			c.readFailed(err)
			return
		}
		if !c.handle(raw) {
			return
		}
	}
}

func (c *conn) readFailed(err error) {
	switch {
	case c.s.shutting.Load():
		c.log.Debug("sip2: connection closed for shutdown")
	case errors.Is(err, os.ErrDeadlineExceeded) && c.sess == nil:
		c.log.Info("sip2: no login in time, closing")
	case errors.Is(err, os.ErrDeadlineExceeded):
		c.log.Info("sip2: idle connection closed", "login", c.login)
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		c.log.Debug("sip2: connection closed by terminal", "login", c.login)
	default:
		c.log.Info("sip2: connection ended", "login", c.login, "err", err)
	}
}

func (c *conn) close() {
	if c.sess != nil {
		if err := c.sess.Logout(); err != nil {
			c.log.Warn("sip2: logout failed", "login", c.login, "err", err)
		}
		c.sess = nil
	}
	c.nc.Close()
}

// handle answers one message; false closes the connection.
func (c *conn) handle(raw []byte) bool {
	if c.log.Enabled(context.Background(), slog.LevelDebug) {
		c.log.Debug("sip2: received", "msg", redact(raw))
	}
	if len(raw) == 0 {
		return c.writeResend(false) // an empty line, as Koha answers it
	}
	p, err := c.codec.Decode(raw)
	if err != nil {
		c.log.Warn("sip2: bad message, asking for a resend", "err", err, "login", c.login)
		return c.writeResend(hasTrailer(raw))
	}
	if c.s.RequireErrorDetection && !p.Checked {
		c.log.Warn("sip2: message without checksum refused", "login", c.login)
		return c.writeResend(false)
	}
	code := p.Message.Code()
	switch {
	case code == CodeRequestACSResend:
		if c.last == nil {
			return c.writeResend(p.Checked)
		}
		return c.write(c.last)
	case code == CodeLogin:
		return c.doLogin(p)
	case c.sess == nil && code == CodeSCStatus:
		return c.respond(p, c.preLoginStatus(p.Message.(*SCStatus)))
	case c.sess == nil:
		c.log.Warn("sip2: request before login, closing", "code", code)
		return false
	}
	replay := stateChanging(code) && p.Seq >= 0
	if replay {
		if b, ok := c.replayed(raw); ok {
			c.log.Info("sip2: repeated request answered with its stored response", "login", c.login, "code", code, "seq", p.Seq)
			c.last = b
			return c.write(b)
		}
	}
	ctx, cancel := context.WithTimeout(c.s.ctx, orDuration(c.s.RequestTimeout, 10*time.Second))
	resp := c.dispatch(ctx, p.Message)
	cancel()
	if resp == nil {
		c.log.Warn("sip2: terminal sent a message the ACS does not take", "code", code, "login", c.login)
		return c.writeResend(p.Checked)
	}
	if replay {
		c.dropSecrets(resp)
	}
	b := c.codec.Encode(resp, p.Seq)
	if replay {
		ctx, cancel := context.WithTimeout(c.s.ctx, 5*time.Second)
		e := ReplayEntry{Digest: replayDigest(c.rkey, raw), Response: b}
		if err := c.s.replay.Put(ctx, c.login, e); err != nil {
			c.log.Warn("sip2: replay store write failed", "login", c.login, "err", err)
		}
		cancel()
	}
	c.last = b
	return c.write(b)
}

// replayed returns the stored response when raw repeats the terminal's last
// state-changing request byte for byte.
func (c *conn) replayed(raw []byte) ([]byte, bool) {
	ctx, cancel := context.WithTimeout(c.s.ctx, 5*time.Second)
	defer cancel()
	e, ok, err := c.s.replay.Get(ctx, c.login)
	if err != nil {
		c.log.Warn("sip2: replay store read failed; running the request", "login", c.login, "err", err)
		return nil, false
	}
	return e.Response, ok && hmac.Equal(e.Digest, replayDigest(c.rkey, raw))
}

// dropSecrets removes from a response to be stored for replay any AD, AC or
// CO field a backend passed through among the unknown fields (SIP2 2.00
// defines none in a response), so that neither the kiosk nor the store gets
// a PIN or password back.
func (c *conn) dropSecrets(m Message) {
	v := reflect.ValueOf(m)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return
	}
	f := v.Elem().FieldByName("Extra")
	if !f.IsValid() || !f.CanSet() {
		return
	}
	extra, ok := f.Interface().([]Field)
	if !ok {
		return
	}
	kept := extra[:0:0]
	for _, x := range extra {
		if IsSecret(x.ID) {
			c.log.Warn("sip2: secret field dropped from a response", "code", m.Code(), "field", x.ID)
			continue
		}
		kept = append(kept, x)
	}
	if len(kept) < len(extra) {
		f.Set(reflect.ValueOf(kept))
	}
}

// doLogin answers a Login (93), SIP2 §"Login".
func (c *conn) doLogin(p Packet) bool {
	req := p.Message.(*Login)
	if c.sess != nil {
		c.close0()
	}
	var sess Session
	var err error
	if ok := func(a byte) bool { return a == '0' || a == ' ' }; !ok(req.UIDAlgorithm) || !ok(req.PWDAlgorithm) {
		err = errors.New("sip2: encrypted login algorithms are not supported")
	} else {
		ctx, cancel := context.WithTimeout(c.s.ctx, orDuration(c.s.RequestTimeout, 10*time.Second))
		sess, err = c.s.Backend.Login(ctx, req.LoginUserID, req.LoginPassword, c.info(req.LocationCode))
		cancel()
		if err == nil && sess == nil {
			err = ErrLoginFailed
		}
	}
	if err == nil {
		max := 0
		if l, ok := sess.(ConnectionLimiter); ok {
			max = l.MaxConnections()
		}
		if !c.s.claimAccount(c, req.LoginUserID, max) {
			sess.Logout()
			err = errors.New("sip2: account at its connection cap")
		}
	}
	if err != nil {
		c.refused++
		c.log.Warn("sip2: login refused", "login", req.LoginUserID, "err", err)
		if !c.respond(p, &LoginResponse{OK: false}) {
			return false
		}
		return c.refused < orInt(c.s.MaxLoginAttempts, 3)
	}
	c.sess, c.login = sess, req.LoginUserID
	c.rkey = replayKey(c.s.ReplayKey, req.LoginUserID, req.LoginPassword)
	c.log = c.log.With("login", c.login)
	c.log.Info("sip2: terminal logged in", "location", req.LocationCode)
	if !c.respond(p, &LoginResponse{OK: true}) {
		return false
	}
	if cs, ok := sess.(CharsetChooser); ok {
		c.codec.Charset = cs.Charset()
	}
	return true
}

// close0 ends the current session before a second login.
func (c *conn) close0() {
	if err := c.sess.Logout(); err != nil {
		c.log.Warn("sip2: logout failed", "err", err)
	}
	c.sess, c.login, c.rkey = nil, "", nil
	c.s.dropAccount(c)
	c.codec.Charset = c.s.Charset
}

func (c *conn) info(location string) ConnInfo {
	ci := ConnInfo{Location: location}
	if a, ok := c.nc.RemoteAddr().(*net.TCPAddr); ok {
		ci.Remote = a.AddrPort()
	}
	if a, ok := c.nc.LocalAddr().(*net.TCPAddr); ok {
		ci.Local = a.AddrPort()
	}
	ci.Remote = netip.AddrPortFrom(ci.Remote.Addr().Unmap(), ci.Remote.Port())
	if tc, ok := c.nc.(*tls.Conn); ok {
		st := tc.ConnectionState()
		ci.TLS = &st
	}
	return ci
}

// preLoginStatus answers a 99 that arrives before a login.
func (c *conn) preLoginStatus(req *SCStatus) *ACSStatus {
	if pl, ok := c.s.Backend.(PreLoginStatuser); ok {
		ctx, cancel := context.WithTimeout(c.s.ctx, orDuration(c.s.RequestTimeout, 10*time.Second))
		defer cancel()
		st, err := pl.StatusBeforeLogin(ctx, req, c.info(""))
		if err == nil && st != nil {
			if st.SupportedMessages == "" {
				out := *st
				out.SupportedMessages = preLoginBX
				return &out
			}
			return st
		}
		c.log.Warn("sip2: status before login failed", "err", err)
	}
	return &ACSStatus{
		Online: true, TimeoutPeriod: 999, RetriesAllowed: 999,
		SupportedMessages: preLoginBX,
	}
}

// preLoginBX is the supported messages field before login: status, resend
// and login.
var preLoginBX = SupportedMessages(func(code string) bool {
	return code == CodeSCStatus || code == CodeRequestACSResend || code == CodeLogin
})

// respond encodes m with the request's error detection, remembers it for
// 97 and sends it.
func (c *conn) respond(p Packet, m Message) bool {
	b := c.codec.Encode(m, p.Seq)
	c.last = b
	return c.write(b)
}

// writeResend sends 96 (Request SC Resend), with a checksum when the
// terminal uses error detection. It is not remembered for 97.
func (c *conn) writeResend(ed bool) bool {
	seq := NoSeq
	if ed {
		seq = 0
	}
	return c.write(c.codec.Encode(&RequestSCResend{}, seq))
}

func (c *conn) write(b []byte) bool {
	if c.log.Enabled(context.Background(), slog.LevelDebug) {
		c.log.Debug("sip2: sending", "msg", redact(b))
	}
	c.nc.SetWriteDeadline(time.Now().Add(orDuration(c.s.WriteTimeout, 10*time.Second)))
	out := make([]byte, 0, len(b)+len(c.term))
	if _, err := c.nc.Write(append(append(out, b...), c.term...)); err != nil {
		c.log.Info("sip2: write failed", "err", err)
		return false
	}
	return true
}

// hasTrailer reports whether raw ends like a message with error detection.
func hasTrailer(raw []byte) bool {
	n := len(raw)
	return n >= 6 && raw[n-6] == 'A' && raw[n-5] == 'Z'
}

// redact returns raw for a log line with the values of AC (terminal
// password), AD (patron PIN) and CO (login password) masked. A message whose
// layout is unknown is logged by length only. In the piece before the first
// '|' (fixed part and first field) a secret identifier is looked for
// anywhere, since a terminal that gets the fixed part wrong shifts the first
// field; this may mask a little more than needed (a currency "CAD").
func redact(raw []byte) string {
	if len(raw) < 2 {
		return string(raw)
	}
	m := newMessage(string(raw[:2]))
	if m == nil || len(raw) < 2+m.fixedLen() {
		return "<" + strconv.Itoa(len(raw)) + " bytes, unparsed>"
	}
	end := bytes.IndexByte(raw, '|')
	if end < 0 {
		end = len(raw)
	}
	out := append([]byte(nil), raw[:end]...)
	cut := len(out)
	for _, id := range []string{FieldTerminalPassword, FieldPatronPassword, FieldLoginPassword} {
		if i := bytes.Index(out[2:], []byte(id)); i >= 0 && 2+i+2 < cut {
			cut = 2 + i + 2
		}
	}
	if cut < len(out) {
		out = append(out[:cut], "***"...)
	}
	if end < len(raw) {
		for _, seg := range bytes.Split(raw[end+1:], []byte{'|'}) {
			out = append(out, '|')
			if len(seg) >= 2 && IsSecret(string(seg[:2])) {
				out = append(out, seg[:2]...)
				if len(seg) > 2 {
					out = append(out, "***"...)
				}
				continue
			}
			out = append(out, seg...)
		}
	}
	return string(bytes.ToValidUTF8(out, []byte("?")))
}
