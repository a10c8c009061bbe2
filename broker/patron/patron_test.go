package patron

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestFilterTemplate(t *testing.T) {
	for _, bad := range []string{
		"", "(uid=x)", "(uid=%s)(cn=%s)", "(uid=%d%s)", "(uid=%s", "(uid=*%s)", "(uid=%s*)",
		"(uid~=%s)", "(uid>=%s)", "(uid<=%s)", "uid=%s", "(&(uid=%s)", "(uid=%%s)",
	} {
		if _, err := newFilterTemplate(bad); err == nil {
			t.Errorf("template %q accepted", bad)
		}
	}
	f, err := newFilterTemplate("(&(objectClass=inetOrgPerson)(uid=%s))")
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"p0001":    "(&(objectClass=inetOrgPerson)(uid=p0001))",
		"*":        `(&(objectClass=inetOrgPerson)(uid=\2a))`,
		")(uid=*":  `(&(objectClass=inetOrgPerson)(uid=\29\28uid=\2a))`,
		`\00`:      `(&(objectClass=inetOrgPerson)(uid=\5c00))`,
		"a\x00b":   `(&(objectClass=inetOrgPerson)(uid=a\00b))`,
		"cn=x,o=y": "(&(objectClass=inetOrgPerson)(uid=cn=x,o=y))",
	} {
		if got := f.build(in); got != want {
			t.Errorf("build(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestPlausibleBarcode(t *testing.T) {
	for b, want := range map[string]bool{
		"p0001": true, "21234000567890": true, "Łódź-7": true, "*": true, ",+\"\\<>;": true,
		"": false, "a\x00": false, "a\nb": false, "\x7f": false, "\u0085": false, "\xff\xfe": false,
		strings.Repeat("1", MaxBarcodeLen): true, strings.Repeat("1", MaxBarcodeLen+1): false,
	} {
		if got := plausibleBarcode(b); got != want {
			t.Errorf("plausibleBarcode(%.20q) = %v", b, got)
		}
	}
}

func TestParseExpiry(t *testing.T) {
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }
	for in, want := range map[string]time.Time{
		"2027-01-31":                d(2027, 2, 1),
		"20270131":                  d(2027, 2, 1),
		"20270131235959Z":           time.Date(2027, 1, 31, 23, 59, 59, 0, time.UTC),
		"20270131235959.5Z":         time.Date(2027, 1, 31, 23, 59, 59, 5e8, time.UTC),
		"20270131120000+0200":       time.Date(2027, 1, 31, 10, 0, 0, 0, time.UTC),
		"202701311200Z":             time.Date(2027, 1, 31, 12, 0, 0, 0, time.UTC),
		"40000":                     d(2079, 7, 8),
		"0":                         d(1970, 1, 1),
		"-1":                        {},
		"0000000000":                {},
		"9223372036854775807":       {},
		"133000000000000000":        time.Unix((133000000000000000-116444736000000000)/1e7, 0).UTC(),
		" 2027-01-31 ":              d(2027, 2, 1),
		"20270131235959.123456Z":    time.Date(2027, 1, 31, 23, 59, 59, 123456000, time.UTC),
		"20270131235959.000000000Z": time.Date(2027, 1, 31, 23, 59, 59, 0, time.UTC),
	} {
		got, err := parseExpiry(in)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseExpiry(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "soon", "2027-13-01", "20271301", "31/01/2027", "1234567", "20270131999999Z", "2027013112Zjunk"} {
		if _, err := parseExpiry(bad); err == nil {
			t.Errorf("parseExpiry(%q) accepted", bad)
		}
	}
}

func TestBlockedValue(t *testing.T) {
	for v, want := range map[string]bool{
		"TRUE": true, "yes": true, "1": true, "fines over limit": true,
		"FALSE": false, "no": false, "N": false, " 0 ": false, "off": false, "": false,
	} {
		if got := blockedValue(v); got != want {
			t.Errorf("blockedValue(%q) = %v", v, got)
		}
	}
}

func TestProblemAndScreenMessage(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ok := Patron{Valid: true, Expiry: now.Add(time.Hour)}
	if ok.Problem(now) != nil || ok.Expired(now) {
		t.Error("a patron in good standing has a problem")
	}
	if (Patron{Valid: true}).Problem(now) != nil {
		t.Error("no expiry means no expiry")
	}
	exp := Patron{Expiry: now}
	if !errors.Is(exp.Problem(now), ErrExpired) {
		t.Error("expiry at now is expired")
	}
	if !errors.Is((Patron{Blocked: true, Expiry: now}).Problem(now), ErrBlocked) {
		t.Error("blocked is reported first")
	}
	seen := map[string]bool{}
	for _, err := range []error{ErrUnknownPatron, ErrAmbiguous, ErrBadPIN, ErrLocked, ErrUnavailable, ErrExpired, ErrBlocked} {
		m := ScreenMessage(fmt.Errorf("wrapped: %w", err))
		if m == "" || seen[m] || strings.Contains(m, "patron:") {
			t.Errorf("ScreenMessage(%v) = %q", err, m)
		}
		seen[m] = true
	}
	if ScreenMessage(fmt.Errorf("%w (%w)", ErrLocked, ErrBadPIN)) != ScreenMessage(ErrLocked) {
		t.Error("locking attempt does not show the lock")
	}
	if ScreenMessage(nil) != "" || ScreenMessage(errors.New("x: internal detail")) == "" ||
		strings.Contains(ScreenMessage(errors.New("x: internal detail")), "internal") {
		t.Error("nil or foreign error")
	}
}

func TestClip(t *testing.T) {
	long := strings.Repeat("a", MaxAttrLen-1) + "é" + "tail"
	got := clip(long)
	if len(got) > MaxAttrLen || !strings.HasSuffix(got, "a") || strings.ContainsRune(got, '\uFFFD') {
		t.Errorf("clip: len %d, suffix %q", len(got), got[len(got)-3:])
	}
	if clip("short") != "short" {
		t.Error("clip changed a short value")
	}
}

func TestCacheEviction(t *testing.T) {
	now := time.Unix(1000, 0)
	c := newCache(time.Minute, 3, func() time.Time { return now })
	for i := range 5 {
		c.put(fmt.Sprint(i), Patron{Name: fmt.Sprint(i), PINVerified: true})
	}
	if c.len() != 3 {
		t.Fatalf("len %d, want 3", c.len())
	}
	if p, ok := c.get("4"); !ok || p.Name != "4" || p.PINVerified {
		t.Fatalf("latest entry: %+v %v", p, ok)
	}
	now = now.Add(time.Minute)
	if _, ok := c.get("4"); ok {
		t.Fatal("entry outlived its TTL")
	}
	var off *cache
	off.put("x", Patron{})
	if _, ok := off.get("x"); ok || off.len() != 0 {
		t.Fatal("nil cache is not off")
	}
}

func TestOptionsValidation(t *testing.T) {
	good := LDAPOptions{URL: "ldap://127.0.0.1:389", BaseDN: "dc=x", Filter: "(uid=%s)", Attempts: AttemptOptions{Max: -1}}
	l, err := NewLDAP(good)
	if err != nil {
		t.Fatalf("good options: %v", err)
	}
	l.Close()
	for name, mod := range map[string]func(*LDAPOptions){
		"scheme":         func(o *LDAPOptions) { o.URL = "http://x" },
		"ldaps+starttls": func(o *LDAPOptions) { o.URL, o.StartTLS = "ldaps://x", true },
		"no host":        func(o *LDAPOptions) { o.URL = "ldap://" },
		"base":           func(o *LDAPOptions) { o.BaseDN = "" },
		"filter":         func(o *LDAPOptions) { o.Filter = "(uid=x)" },
		"bind pw":        func(o *LDAPOptions) { o.BindDN = "cn=svc" },
		"timeout":        func(o *LDAPOptions) { o.Timeout = time.Microsecond },
		"ratio":          func(o *LDAPOptions) { o.Breaker.Ratio = 2 },
		"store":          func(o *LDAPOptions) { o.Attempts.Max = 0 },
		"cache ttl":      func(o *LDAPOptions) { o.CacheTTL = -time.Second },
		"pool":           func(o *LDAPOptions) { o.PoolSize = -1 },
	} {
		o := good
		mod(&o)
		if l, err := NewLDAP(o); err == nil {
			l.Close()
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: %v", name, err)
		}
	}
	o, err := good.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if o.Timeout != DefaultTimeout || o.CacheTTL != 0 || o.Attrs.Name != "cn" || o.Breaker.Failures != 5 ||
		o.Breaker.Probes != 2 || o.Attempts.Window != 15*time.Minute || o.Attempts.LockFor != DefaultLockFor {
		t.Errorf("defaults: %+v", o)
	}
	if o, _ := (LDAPOptions{URL: "ldap://x", BaseDN: "d", Filter: "(uid=%s)", Store: openStore(t)}).withDefaults(); o.Attempts.Max != 5 {
		t.Errorf("default attempt limit %d", o.Attempts.Max)
	}
}
