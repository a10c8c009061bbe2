package patron

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestNoSecretsInLogs runs every path that logs (wrong PINs, a lock, a
// directory outage, an open breaker, a store failure) with a captured slog
// handler and checks that neither the PIN, nor the service bind password,
// nor the barcode appear in any log line or returned error.
func TestNoSecretsInLogs(t *testing.T) {
	srv := slapd(t)
	var buf logBuffer
	store := openStore(t)
	o := baseOptions(srv, store)
	o.Logger = captureLogger(&buf)
	o.Timeout = time.Second
	o.Attempts = AttemptOptions{Max: 2, LockFor: time.Hour}
	o.Breaker = BreakerOptions{Failures: 1, OpenFor: time.Hour}
	l := newLDAP(t, o)
	ctx := context.Background()

	const wrongPIN = "canary-pin-5e1f9"
	secrets := []string{wrongPIN, pinP0001, pinP0004, srv.AdminPassword, "p0001", "p0004"}
	var errs []error
	call := func(barcode, pin string) {
		_, err := l.Authenticate(ctx, barcode, pin)
		errs = append(errs, err)
	}
	call("p0001", pinP0001)
	call("p0004", wrongPIN)
	call("p0004", wrongPIN) // locks
	call("p0004", pinP0004) // locked
	call("dup1", wrongPIN)
	srv.Stop(t)
	call("p0001", pinP0001) // unavailable, breaker opens
	call("p0001", pinP0001) // breaker open

	out := buf.String()
	if !strings.Contains(out, "locked after too many wrong PINs") || !strings.Contains(out, "breaker") {
		t.Fatalf("expected log lines missing:\n%s", out)
	}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("log holds %q:\n%s", s, out)
		}
		for _, err := range errs {
			if err != nil && strings.Contains(fmt.Sprintf("%v %+v", err, err), s) {
				t.Errorf("error %q holds %q", err, s)
			}
		}
	}
	if errs[0] != nil || !errors.Is(errs[3], ErrLocked) || !errors.Is(errs[5], ErrUnavailable) {
		t.Errorf("errors %v", errs)
	}
}

// TestLookupCache: with CacheTTL a Lookup is answered from memory while the
// directory is down; Authenticate never uses the cache and fails closed; the
// cache holds no PIN.
func TestLookupCache(t *testing.T) {
	srv := slapd(t)
	o := baseOptions(srv, openStore(t))
	o.CacheTTL = time.Hour
	l := newLDAP(t, o)
	ctx := context.Background()
	if _, err := l.Authenticate(ctx, "p0001", pinP0001); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Lookup(ctx, "p0003"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Lookup(ctx, "p9999"); !errors.Is(err, ErrUnknownPatron) {
		t.Fatal(err)
	}
	if n := l.cache.len(); n != 2 {
		t.Fatalf("cache holds %d entries, want 2 (negative results are not cached)", n)
	}
	l.cache.mu.Lock()
	dump := fmt.Sprintf("%#v", l.cache.m)
	l.cache.mu.Unlock()
	if strings.Contains(dump, pinP0001) || strings.Contains(dump, "PINVerified:true") {
		t.Fatalf("cache holds authentication state: %s", dump)
	}
	srv.Stop(t)
	p, err := l.Lookup(ctx, "p0001")
	if err != nil || p.Name != "Ada Valid" || p.PINVerified {
		t.Fatalf("cached Lookup: %+v, %v", p, err)
	}
	if _, err := l.Authenticate(ctx, "p0001", pinP0001); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Authenticate with the directory down: %v, want ErrUnavailable", err)
	}
	if _, err := l.Lookup(ctx, "p0004"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("uncached Lookup: %v", err)
	}
}

// TestCacheOffByDefault: without CacheTTL every Lookup asks the directory.
func TestCacheOffByDefault(t *testing.T) {
	srv := slapd(t)
	l := newLDAP(t, baseOptions(srv, openStore(t)))
	if l.cache != nil {
		t.Fatal("cache on by default")
	}
	if _, err := l.Lookup(context.Background(), "p0001"); err != nil {
		t.Fatal(err)
	}
	srv.Stop(t)
	if _, err := l.Lookup(context.Background(), "p0001"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Lookup: %v, want ErrUnavailable", err)
	}
}

// TestWrongServicePassword: a rejected service bind fails closed, names the
// problem in the log, and never shows the configured password.
func TestWrongServicePassword(t *testing.T) {
	srv := slapd(t)
	var buf logBuffer
	o := baseOptions(srv, openStore(t))
	o.BindPassword = "canary-bindpw-31c7"
	o.Logger = captureLogger(&buf)
	_, err := newLDAP(t, o).Authenticate(context.Background(), "p0001", pinP0001)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("wrong service password: %v, want ErrUnavailable", err)
	}
	out := buf.String()
	if !strings.Contains(out, "service bind") || !strings.Contains(out, "Invalid Credentials") {
		t.Errorf("log does not say what failed:\n%s", out)
	}
	for _, s := range []string{o.BindPassword, pinP0001} {
		if strings.Contains(out, s) || strings.Contains(err.Error(), s) {
			t.Errorf("%q leaked:\n%s\n%v", s, out, err)
		}
	}
}
