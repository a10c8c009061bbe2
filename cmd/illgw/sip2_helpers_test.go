package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/illgw/illgw/config"
	"github.com/illgw/illgw/sip2"
	"github.com/illgw/illgw/sip2/memory"
)

// Helpers of the SIP2 end-to-end tests: a member ILS that can go down and
// come back, a gateway configuration around it, and a raw-bytes kiosk.

// ils is a member library's SIP2 ACS that can be stopped and started again
// on the same address, keeping its data.
type ils struct {
	t    *testing.T
	b    *memory.Backend
	addr string
	srv  *sip2.Server
	// serve, when set, is the Backend served instead of b (b wrapped).
	serve sip2.Backend
}

func northILS(t *testing.T) *ils {
	b := memory.New()
	b.AddAccount(memory.Account{Login: "gw", PasswordHash: memory.HashPassword("gwpass", 4), Institution: "NORTH", LibraryName: "North City Library", Charset: sip2.UTF8})
	b.AddPatron(memory.Patron{ID: "N0001", PIN: "1234", Name: "Ada Lovelace", Email: "ada@example.org"})
	b.AddPatron(memory.Patron{ID: "N0002", PIN: "1234", Name: "Blocked Bob", Status: sip2.ChargeDenied})
	for i := 1; i <= 10; i++ {
		b.AddItem(memory.Item{ID: fmt.Sprintf("NI%04d", i), Title: fmt.Sprintf("Title %d", i), Owner: "NORTH", Location: "MAIN", MediaType: sip2.MediaBook})
	}
	l := &ils{t: t, b: b, addr: addr(t)}
	l.start()
	t.Cleanup(l.stop)
	return l
}

func (l *ils) start() {
	l.t.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the port may linger a moment after stop
		if ln, err = net.Listen("tcp", l.addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		l.t.Fatal(err)
	}
	var be sip2.Backend = l.b
	if l.serve != nil {
		be = l.serve
	}
	l.srv = &sip2.Server{Backend: be, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	go l.srv.Serve(ln)
}

func (l *ils) stop() {
	if l.srv != nil {
		l.srv.Close()
		l.srv = nil
	}
}

// circConfig is a gateway configuration with NORTH's ILS at ilsAddr;
// patrons, if given, replaces NORTH's patrons: setting.
func circConfig(t *testing.T, ilsAddr, extra string, patrons ...string) *config.Config {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte("kiosk1pass"), config.PasswordCost)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	y := fmt.Sprintf(`listen: {sip2: %s, z3950: %s, http: %s, grpc: %s}
state: {driver: embedded, path: %s}
members:
  - code: NORTH
    name: North City Library
    sip2: {addr: %s, login: gw, password: {value: gwpass}, institution: NORTH, timeout: 2s}
    patrons: %s
terminals:
  - {login: kiosk1, password_hash: %q, member: NORTH}
breaker: {failures: 2, open_for: 500ms, probes: 1}
log: {level: debug}
%s`, addr(t), addr(t), addr(t), addr(t), filepath.Join(dir, "illgw.db"), ilsAddr, append(patrons, "{sip2: true}")[0], hash, extra)
	cfg, err := config.Parse([]byte(y), "circ.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// startGateway runs the gateway until the test ends; its logs, at debug
// level, go to the returned buffer.
func startGateway(t *testing.T, cfg *config.Config) (*gateway, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	g, err := start(context.Background(), cfg, newLogger(config.Log{Level: "debug"}, logs))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownBudget)
		defer cancel()
		if err := g.shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return g, logs
}

// kiosk is a self-check terminal speaking raw SIP2 with error detection.
type kiosk struct {
	t     *testing.T
	nc    net.Conn
	r     *sip2.Reader
	codec sip2.Codec
	seq   int
}

func dialKiosk(t *testing.T, addr string, tc *tls.Config) *kiosk {
	t.Helper()
	var nc net.Conn
	var err error
	if tc != nil {
		nc, err = tls.Dial("tcp", addr, tc)
	} else {
		nc, err = net.Dial("tcp", addr)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &kiosk{t: t, nc: nc, r: sip2.NewReader(nc, 0), codec: sip2.Codec{Charset: sip2.UTF8}}
}

// send writes m with the next sequence number and returns its bytes.
func (k *kiosk) send(m sip2.Message) []byte {
	k.t.Helper()
	b := k.codec.Encode(m, k.seq)
	k.seq = (k.seq + 1) % 10
	k.sendRaw(b)
	return b
}

func (k *kiosk) sendRaw(b []byte) {
	k.t.Helper()
	k.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := k.nc.Write(append(append([]byte(nil), b...), '\r')); err != nil {
		k.t.Fatal(err)
	}
}

// read returns the next response and its bytes.
func (k *kiosk) read() (sip2.Message, []byte) {
	k.t.Helper()
	k.nc.SetReadDeadline(time.Now().Add(15 * time.Second))
	raw, err := k.r.ReadMessage()
	if err != nil {
		k.t.Fatalf("reading a response: %v", err)
	}
	p, err := k.codec.Decode(raw)
	if err != nil {
		k.t.Fatalf("decoding %q: %v", raw, err)
	}
	if !p.Checked {
		k.t.Fatalf("response without a verified checksum: %q", raw)
	}
	return p.Message, raw
}

func do[R sip2.Message](k *kiosk, m sip2.Message) R {
	k.t.Helper()
	k.send(m)
	resp, raw := k.read()
	r, ok := resp.(R)
	if !ok {
		k.t.Fatalf("%s answered with %q", m.Code(), raw)
	}
	return r
}

func (k *kiosk) login(user, pass string) bool {
	k.t.Helper()
	return do[*sip2.LoginResponse](k, &sip2.Login{LoginUserID: user, LoginPassword: pass, LocationCode: "MAIN"}).OK
}

// checkNoSecrets fails when a terminal password, the ILS login password or
// a patron PIN reached the gateway's logs (debug level included).
func checkNoSecrets(t *testing.T, logs string) {
	t.Helper()
	if !strings.Contains(logs, "sip2: received") {
		t.Error("debug logs do not show the SIP2 traffic; the secret check would prove nothing")
	}
	for _, secret := range []string{"kiosk1pass", "gwpass", "AD1234", "AD9999", "=1234 ", "\"1234\"", "pin=", "password="} {
		if strings.Contains(logs, secret) {
			i := strings.Index(logs, secret)
			t.Errorf("logs carry %q: …%s…", secret, logs[max(0, i-200):min(len(logs), i+100)])
		}
	}
}

// grep returns the lines of s that contain sub.
func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// slowBackend is an ILS whose checkouts take a while.
type slowBackend struct {
	*memory.Backend
	delay time.Duration
}

type slowSession struct {
	sip2.Session
	delay time.Duration
}

func (b slowBackend) Login(ctx context.Context, login, password string, conn sip2.ConnInfo) (sip2.Session, error) {
	s, err := b.Backend.Login(ctx, login, password, conn)
	if err != nil {
		return nil, err
	}
	return slowSession{s, b.delay}, nil
}

func (s slowSession) Checkout(ctx context.Context, req *sip2.Checkout) (*sip2.CheckoutResponse, error) {
	time.Sleep(s.delay)
	return s.Session.Checkout(ctx, req)
}
