package patron

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDirectoryPatrons checks what a kiosk would see for each kind of
// patron in the test tree, against a real slapd.
func TestDirectoryPatrons(t *testing.T) {
	srv := slapd(t)
	l := newLDAP(t, baseOptions(srv, openStore(t)))
	ctx := context.Background()
	now := time.Now()

	t.Run("valid", func(t *testing.T) {
		p, err := l.Authenticate(ctx, "p0001", pinP0001)
		if err != nil {
			t.Fatalf("Authenticate: %v", err)
		}
		if !p.Valid || !p.PINVerified || p.Name != "Ada Valid" || p.Email != "ada@example.org" ||
			p.Type != "undergraduate" || p.Blocked || p.Problem(now) != nil || p.Barcode != "p0001" {
			t.Fatalf("patron = %+v", p)
		}
		if want := time.Date(2079, 7, 8, 0, 0, 0, 0, time.UTC); !p.Expiry.Equal(want) {
			t.Errorf("expiry %v, want %v", p.Expiry, want)
		}
		lp, err := l.Lookup(ctx, "p0001")
		if err != nil || lp.Name != "Ada Valid" || lp.PINVerified {
			t.Fatalf("Lookup = %+v, %v", lp, err)
		}
	})
	t.Run("wrong PIN", func(t *testing.T) {
		for _, pin := range []string{"pin-p0001-wrong", "*", pinP0003, strings.Repeat("x", MaxPINLen+1)} {
			if _, err := l.Authenticate(ctx, "p0001", pin); !errors.Is(err, ErrBadPIN) || errors.Is(err, ErrLocked) {
				t.Errorf("PIN %.20q: err %v, want ErrBadPIN", pin, err)
			}
		}
		if _, err := l.Authenticate(ctx, "p0005", "anything"); !errors.Is(err, ErrBadPIN) {
			t.Errorf("entry without a password: err %v, want ErrBadPIN", err)
		}
		// The count above is cleared by the next right PIN.
		if _, err := l.Authenticate(ctx, "p0001", pinP0001); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("unknown", func(t *testing.T) {
		for _, b := range []string{"p9999", "", strings.Repeat("9", MaxBarcodeLen+1), "p0001\n", "\xff"} {
			if _, err := l.Lookup(ctx, b); !errors.Is(err, ErrUnknownPatron) {
				t.Errorf("Lookup(%.20q): %v, want ErrUnknownPatron", b, err)
			}
			if _, err := l.Authenticate(ctx, b, "x"); !errors.Is(err, ErrUnknownPatron) {
				t.Errorf("Authenticate(%.20q): %v, want ErrUnknownPatron", b, err)
			}
		}
	})
	t.Run("expired", func(t *testing.T) {
		p, err := l.Authenticate(ctx, "p0002", "pin-p0002-right")
		if err != nil || !p.PINVerified {
			t.Fatalf("Authenticate = %+v, %v", p, err)
		}
		if !p.Expired(now) || !errors.Is(p.Problem(now), ErrExpired) {
			t.Fatalf("expiry %v: Problem = %v, want ErrExpired", p.Expiry, p.Problem(now))
		}
		if got := ScreenMessage(p.Problem(now)); !strings.Contains(got, "expired") {
			t.Errorf("screen message %q", got)
		}
	})
	t.Run("blocked", func(t *testing.T) {
		p, err := l.Authenticate(ctx, "p0003", pinP0003)
		if err != nil || !p.Blocked || !errors.Is(p.Problem(now), ErrBlocked) {
			t.Fatalf("Authenticate = %+v, %v", p, err)
		}
		if _, err := l.Authenticate(ctx, "p0003", "wrong"); !errors.Is(err, ErrBadPIN) {
			t.Fatalf("blocked patron, wrong PIN: %v", err)
		}
	})
	t.Run("two entries", func(t *testing.T) {
		if _, err := l.Lookup(ctx, "dup1"); !errors.Is(err, ErrAmbiguous) {
			t.Errorf("Lookup: %v, want ErrAmbiguous", err)
		}
		if _, err := l.Authenticate(ctx, "dup1", "pin-dup1-right"); !errors.Is(err, ErrAmbiguous) {
			t.Errorf("Authenticate with the PIN both share: %v, want ErrAmbiguous", err)
		}
	})
	t.Run("DN with special characters", func(t *testing.T) {
		p, err := l.Authenticate(ctx, "p0006", "pin-p0006-right")
		if err != nil || p.Name != "O'Hara, Pat" {
			t.Fatalf("Authenticate = %+v, %v", p, err)
		}
	})
	t.Run("empty PIN", func(t *testing.T) {
		if _, err := l.Authenticate(ctx, "p0001", ""); !errors.Is(err, ErrBadPIN) {
			t.Fatalf("empty PIN: %v, want ErrBadPIN", err)
		}
	})
}

// TestInjection sends each barcode of testdata/injection.txt as a lookup
// and with every right PIN of the tree: none may find or authenticate
// anyone, and none may reach the directory as anything but an equality
// match on uid.
func TestInjection(t *testing.T) {
	srv := slapd(t)
	o := baseOptions(srv, openStore(t))
	o.Attempts.Max = -1 // many attempts on purpose
	l := newLDAP(t, o)
	ctx := context.Background()
	pins := []string{pinP0001, "pin-p0002-right", pinP0003, pinP0004, "pin-dup1-right", "pin-p0006-right", "*"}
	for _, b := range injectionBarcodes(t) {
		if p, err := l.Lookup(ctx, b); !errors.Is(err, ErrUnknownPatron) {
			t.Errorf("Lookup(%q) = %+v, %v; want ErrUnknownPatron", b, p, err)
		}
		for _, pin := range pins {
			if p, err := l.Authenticate(ctx, b, pin); !errors.Is(err, ErrUnknownPatron) {
				t.Errorf("Authenticate(%q) = %+v, %v; want ErrUnknownPatron", b, p, err)
			}
		}
	}
	// Every search slapd saw was the template with an escaped value.
	log := slapdLog(t, srv.Dir)
	seen := 0
	for _, m := range regexp.MustCompile(`filter="([^"]*)"`).FindAllStringSubmatch(log, -1) {
		f := m[1]
		if f == "(objectClass=*)" {
			continue
		}
		seen++
		if !strings.HasPrefix(f, "(&(objectClass=inetOrgPerson)(uid=") || strings.Count(f, "(") != 3 {
			t.Errorf("slapd saw filter %s", f)
		}
	}
	if seen == 0 {
		t.Error("no patron search in slapd's log")
	}
}

// TestPatronBindNeverOnSearchConnection reads slapd's log: every bind as a
// patron's entry happened on a connection that never searched (other than
// the root DSE health check), so a patron's identity cannot leak into a
// later search; and an empty PIN never reached the directory.
func TestPatronBindNeverOnSearchConnection(t *testing.T) {
	srv := slapd(t)
	o := baseOptions(srv, openStore(t))
	o.PoolSize = 1
	l := newLDAP(t, o)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := l.Authenticate(ctx, "p0001", pinP0001); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Authenticate(ctx, "p0003", "wrong"); !errors.Is(err, ErrBadPIN) {
			t.Fatal(err)
		}
		if _, err := l.Lookup(ctx, "p0004"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.Authenticate(ctx, "p0004", ""); !errors.Is(err, ErrBadPIN) {
		t.Fatal(err)
	}
	log := slapdLog(t, srv.Dir)
	binds := map[string][]string{}
	searches := map[string]int{}
	for _, m := range regexp.MustCompile(`(conn=\d+) op=\d+ (BIND dn="([^"]*)" method|SRCH base="([^"]*)")`).FindAllStringSubmatch(log, -1) {
		switch {
		case strings.HasPrefix(m[2], "BIND"):
			binds[m[1]] = append(binds[m[1]], m[3])
		case m[4] != "":
			searches[m[1]]++
		}
	}
	patronBinds := 0
	for c, dns := range binds {
		for _, dn := range dns {
			if strings.HasPrefix(dn, "uid=") {
				patronBinds++
				if searches[c] > 0 {
					t.Errorf("%s bound as %s and also searched %d times", c, dn, searches[c])
				}
				if strings.Contains(dn, "p0004") {
					t.Errorf("%s: a bind as p0004 reached the directory (empty PIN)", c)
				}
			}
		}
	}
	if patronBinds != 6 {
		t.Errorf("%d patron binds in slapd's log, want 6:\n%s", patronBinds, log)
	}
}

// TestCompareMode verifies PINs by an LDAP Compare on userPassword as the
// service account (the rootdn here, which may compare that attribute).
func TestCompareMode(t *testing.T) {
	srv := slapd(t)
	o := baseOptions(srv, openStore(t))
	o.CompareAttr = "userPassword"
	l := newLDAP(t, o)
	ctx := context.Background()
	if p, err := l.Authenticate(ctx, "p0001", pinP0001); err != nil || !p.PINVerified {
		t.Fatalf("right PIN: %+v, %v", p, err)
	}
	for _, pin := range []string{"wrong", "*", "pin-p0001-righ"} {
		if _, err := l.Authenticate(ctx, "p0001", pin); !errors.Is(err, ErrBadPIN) {
			t.Errorf("PIN %q: %v, want ErrBadPIN", pin, err)
		}
	}
	if _, err := l.Authenticate(ctx, "p0005", "x"); !errors.Is(err, ErrBadPIN) {
		t.Errorf("entry without the attribute: %v, want ErrBadPIN", err)
	}
	log := slapdLog(t, srv.Dir)
	if regexp.MustCompile(`BIND dn="uid=`).MatchString(log) {
		t.Error("compare mode bound as a patron")
	}
}

func slapdLog(t *testing.T, dir string) string {
	t.Helper()
	time.Sleep(200 * time.Millisecond) // slapd writes its stats lines asynchronously
	b, err := os.ReadFile(filepath.Join(dir, "slapd.log"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
