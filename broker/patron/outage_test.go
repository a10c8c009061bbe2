package patron

import (
	"context"
	"errors"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/illgw/illgw/internal/testenv"
)

// TestDirectoryStopped stops slapd mid-run: lookups and authentications fail
// closed with ErrUnavailable within the timeout, the breaker opens and then
// answers without touching the network, and once slapd is back the
// half-open probe closes it again and the same pooled authenticator works.
func TestDirectoryStopped(t *testing.T) {
	srv := slapd(t)
	o := baseOptions(srv, openStore(t))
	o.Timeout = 2 * time.Second
	o.Breaker = BreakerOptions{Failures: 2, OpenFor: 1500 * time.Millisecond, Probes: 1}
	l := newLDAP(t, o)
	ctx := context.Background()
	if _, err := l.Authenticate(ctx, "p0001", pinP0001); err != nil {
		t.Fatal(err)
	}
	srv.Stop(t)

	for i, call := range []func() error{
		func() error { _, err := l.Lookup(ctx, "p0001"); return err },
		func() error { _, err := l.Authenticate(ctx, "p0001", pinP0001); return err },
		func() error { _, err := l.Authenticate(ctx, "p0001", pinP0001); return err },
	} {
		start := time.Now()
		err := call()
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("call %d with slapd stopped: %v, want ErrUnavailable", i, err)
		}
		el := time.Since(start)
		if el > o.Timeout+3*time.Second {
			t.Fatalf("call %d took %v, timeout is %v", i, el, o.Timeout)
		}
		t.Logf("call %d failed closed in %v (breaker %s)", i, el, l.BreakerState())
		if !strings.Contains(ScreenMessage(err), "cannot be checked") {
			t.Errorf("screen message %q", ScreenMessage(err))
		}
	}
	if s := l.BreakerState(); s != "open" {
		t.Fatalf("breaker %s after failures, want open", s)
	}
	// A wrong PIN while the directory is down is not counted: nothing was checked.
	if _, err := l.Authenticate(ctx, "p0001", "wrong"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("open breaker: %v", err)
	}

	srv.Start(t)
	time.Sleep(o.Breaker.OpenFor + 200*time.Millisecond)
	if s := l.BreakerState(); s != "half-open" {
		t.Fatalf("breaker %s after OpenFor, want half-open", s)
	}
	p, err := l.Authenticate(ctx, "p0001", pinP0001)
	if err != nil || !p.PINVerified {
		t.Fatalf("after restart: %+v, %v", p, err)
	}
	if s := l.BreakerState(); s != "closed" {
		t.Fatalf("breaker %s after a successful probe, want closed", s)
	}
}

// TestDirectoryHangs points the authenticator at a listener that accepts
// and never answers: the call ends with ErrUnavailable at the timeout.
func TestDirectoryHangs(t *testing.T) {
	addr := testenv.BlackHole(t)
	for _, startTLS := range []bool{false, true} {
		o := LDAPOptions{URL: "ldap://" + addr, StartTLS: startTLS, BindDN: "cn=svc", BindPassword: "svc-secret",
			BaseDN: "dc=example,dc=org", Filter: "(uid=%s)", Timeout: 300 * time.Millisecond, Attempts: AttemptOptions{Max: -1}}
		l := newLDAP(t, o)
		start := time.Now()
		_, err := l.Authenticate(context.Background(), "p0001", "1234")
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("StartTLS %v: %v, want ErrUnavailable", startTLS, err)
		}
		el := time.Since(start)
		if el < o.Timeout || el > o.Timeout+3*time.Second {
			t.Errorf("StartTLS %v: failed after %v, timeout %v", startTLS, el, o.Timeout)
		}
		t.Logf("StartTLS %v: silent directory failed closed after %v (timeout %v)", startTLS, el, o.Timeout)
	}
}

// TestCallerCancel: a caller's own deadline shorter than Timeout is obeyed.
func TestCallerCancel(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			defer c.Close()
			buf := make([]byte, 64)
			for {
				if _, err := c.Read(buf); err != nil {
					return
				}
			}
		}
	}()
	l := newLDAP(t, LDAPOptions{URL: "ldap://" + ln.Addr().String(), BaseDN: "dc=x", Filter: "(uid=%s)",
		Attempts: AttemptOptions{Max: -1}})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := l.Lookup(ctx, "p0001"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Lookup: %v", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("Lookup took %v with a 200ms caller deadline", el)
	}
}

// TestResponseLimit: a reply larger than MaxResponseBytes ends the
// connection and fails closed instead of being buffered.
func TestResponseLimit(t *testing.T) {
	srv := slapd(t)
	o := baseOptions(srv, openStore(t))
	o.MaxResponseBytes = 40 // the bind reply fits; a search entry does not
	l := newLDAP(t, o)
	if _, err := l.Lookup(context.Background(), "p0001"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Lookup with a 40-byte limit: %v, want ErrUnavailable", err)
	}
	o.MaxResponseBytes = 0
	if _, err := newLDAP(t, o).Lookup(context.Background(), "p0001"); err != nil {
		t.Fatalf("default limit: %v", err)
	}
}

// TestPoolHealth: idle connections are closed after IdleTimeout, checked
// before reuse after CheckAfter, and a connection broken by a directory
// restart is replaced without the caller seeing an error.
func TestPoolHealth(t *testing.T) {
	srv := slapd(t)
	o := baseOptions(srv, openStore(t))
	o.IdleTimeout = 300 * time.Millisecond
	o.CheckAfter = 50 * time.Millisecond
	l := newLDAP(t, o)
	ctx := context.Background()
	if _, err := l.Authenticate(ctx, "p0001", pinP0001); err != nil {
		t.Fatal(err)
	}
	if n, m := l.search.idleCount(), l.binds.idleCount(); n != 1 || m != 1 {
		t.Fatalf("idle search/bind connections %d/%d, want 1/1", n, m)
	}
	deadline := time.Now().Add(3 * time.Second)
	for l.search.idleCount()+l.binds.idleCount() > 0 {
		if time.Now().After(deadline) {
			t.Fatal("idle connections not closed after IdleTimeout")
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Idle past CheckAfter: the root DSE is read before the connection is
	// used again, on the same connection.
	o.IdleTimeout = time.Hour
	l1 := newLDAP(t, o)
	if _, err := l1.Lookup(ctx, "p0001"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * o.CheckAfter)
	if _, err := l1.Lookup(ctx, "p0003"); err != nil {
		t.Fatal(err)
	}
	log := slapdLog(t, srv.Dir)
	m := regexp.MustCompile(`(conn=\d+) op=\d+ SRCH base="" scope=0`).FindAllStringSubmatch(log, -1)
	if len(m) != 1 || !strings.Contains(log, m[0][1]+` op=3 SRCH base="dc=example,dc=org"`) {
		t.Fatalf("root DSE checks %v: want one, followed by the search on the same connection", m)
	}

	o.CheckAfter = time.Hour
	l2 := newLDAP(t, o)
	if _, err := l2.Lookup(ctx, "p0001"); err != nil {
		t.Fatal(err)
	}
	srv.Stop(t)
	srv.Start(t)
	// The pooled connection died with the old slapd; the retry on a fresh
	// one hides that from the caller.
	if _, err := l2.Authenticate(ctx, "p0001", pinP0001); err != nil {
		t.Fatalf("after a directory restart: %v", err)
	}
	if s := l2.BreakerState(); s != "closed" {
		t.Errorf("breaker %s", s)
	}
}

// TestTLS authenticates over StartTLS and LDAPS against the TLS slapd, and
// refuses a directory whose certificate is not trusted.
func TestTLS(t *testing.T) {
	srv := slapdTLS(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		url      string
		startTLS bool
	}{{"StartTLS", srv.URL, true}, {"LDAPS", srv.LDAPSURL, false}} {
		t.Run(tc.name, func(t *testing.T) {
			o := baseOptions(srv, openStore(t))
			o.URL, o.StartTLS, o.TLS = tc.url, tc.startTLS, srv.TLSConfig()
			l := newLDAP(t, o)
			if p, err := l.Authenticate(ctx, "p0001", pinP0001); err != nil || !p.PINVerified {
				t.Fatalf("Authenticate: %+v, %v", p, err)
			}
			if _, err := l.Authenticate(ctx, "p0001", "wrong"); !errors.Is(err, ErrBadPIN) {
				t.Fatalf("wrong PIN: %v", err)
			}
			o.TLS = nil // system roots: the self-signed certificate is refused
			if _, err := newLDAP(t, o).Lookup(ctx, "p0001"); !errors.Is(err, ErrUnavailable) {
				t.Fatalf("untrusted certificate: %v, want ErrUnavailable", err)
			}
		})
	}
}
