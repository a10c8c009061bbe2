package config

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// TestCheckFilter: the filter rule is broker/patron's, so a template
// accepted here is one patron.NewLDAP accepts and the other way round.
func TestCheckFilter(t *testing.T) {
	nested := strings.Repeat("(&", 300) + "(uid=%s)" + strings.Repeat(")", 300)
	tests := []struct{ filter, want string }{
		{"(uid=%s)", ""},
		{"(&(objectClass=inetOrgPerson)(uid=%s))", ""},
		{"(|(employeeNumber=%s)(!(ou=retired)))", ""},
		{"(cn;lang-en=%s)", ""},
		{nested, ""},
		{"", "the filter must hold %s once"},
		{"(uid=%s)(cn=%s)", "the filter must hold %s once"},
		{"(uid=%%s)", "the filter may hold no %"},
		{"(uid=%s)%", "the filter may hold no %"},
		{"(uid=x%s)", "%s must be the whole value of an equality match"},
		{"(uid=%sx)", "%s must be the whole value of an equality match"},
		{"(uid<=%s)", "%s must be the whole value of an equality match"},
		{"(uid:dn:=%s)(", "not an RFC 4515 filter"},
		{"(uid=%s)))", "not an RFC 4515 filter"},
		{"((uid=%s)", "not an RFC 4515 filter"},
		{strings.Repeat("(&", 600) + "(uid=%s)" + strings.Repeat(")", 600), "the filter is 1808 bytes; the limit is 1024"},
	}
	for _, tt := range tests {
		got := checkFilter(tt.filter)
		if tt.want == "" && got != "" || !strings.HasPrefix(got, tt.want) {
			t.Errorf("checkFilter(%.60q) = %q, want %q", tt.filter, got, tt.want)
		}
	}
}

// FuzzCheckFilter checks that no template makes checkFilter panic, and
// that every template it accepts yields a filter that compiles with any
// barcode escaped as broker/patron escapes it, keeping the barcode one
// assertion value. Seeds: the filters of the test files.
func FuzzCheckFilter(f *testing.F) {
	for _, file := range []string{"testdata/example.yaml", "testdata/invalid/ldap.yaml", "testdata/invalid/ldap-filter.yaml"} {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for line := range strings.Lines(string(data)) {
			if _, v, ok := strings.Cut(line, "filter: "); ok {
				v, _, _ = strings.Cut(v, "}}")
				f.Add(strings.Trim(strings.TrimSpace(v), `"`), "N0001")
			}
		}
	}
	f.Add("(uid=%s)", "*)(uid=*")
	f.Fuzz(func(t *testing.T, tmpl, barcode string) {
		if checkFilter(tmpl) != "" {
			return
		}
		before, after, _ := strings.Cut(tmpl, "%s")
		if _, err := ldap.CompileFilter(before + ldap.EscapeFilter(barcode) + after); err != nil {
			t.Fatalf("accepted %q, but with barcode %q it does not compile: %v", tmpl, barcode, err)
		}
	})
}

// TestLDAPTLS checks ca_file: a bundle that loads is accepted for ldaps://
// and StartTLS, and RootCAs returns a pool that verifies the directory's
// certificate; a file over the limit is refused before it is read.
func TestLDAPTLS(t *testing.T) {
	t.Chdir(t.TempDir())
	writeTLS(t, "tls")
	src := `
members:
  - code: A
    patrons: {ldap: {url: "ldaps://localhost:636", base_dn: dc=x, filter: "(uid=%s)", ca_file: tls/clients.crt}}
  - code: B
    patrons: {ldap: {url: "ldap://ldap.example.org", start_tls: true, base_dn: dc=x, filter: "(uid=%s)"}}`
	c, err := Parse([]byte(src), "t.yaml")
	if err != nil {
		t.Fatalf("refused:\n%v", err)
	}
	pool, err := c.Members[0].Patrons.LDAP.RootCAs()
	if err != nil || pool == nil {
		t.Fatalf("RootCAs() = %v, %v", pool, err)
	}
	data, _ := os.ReadFile("tls/server.crt")
	b, _ := pem.Decode(data)
	cert, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost", CurrentTime: time.Now()}); err != nil {
		t.Errorf("the directory's certificate does not verify against ca_file: %v", err)
	}
	if pool, err := c.Members[1].Patrons.LDAP.RootCAs(); pool != nil || err != nil {
		t.Errorf("RootCAs() without ca_file = %v, %v; want nil, nil (the system roots)", pool, err)
	}

	f, err := os.Create("big.pem")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 40); err != nil { // sparse: never read
		f.Close()
		t.Skipf("cannot make a sparse file: %v", err)
	}
	f.Close()
	big := strings.Replace(src, "tls/clients.crt", filepath.Join(".", "big.pem"), 1)
	_, err = Parse([]byte(big), "t.yaml")
	want := "t.yaml:4: members[0].patrons.ldap.ca_file: big.pem is 1099511627776 bytes; the limit is 1048576"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
}

// TestLDAPDefaults: an ldap block that gives only what is required gets
// broker/patron's defaults, and attempts max 0 turns the limit off.
func TestLDAPDefaults(t *testing.T) {
	c, err := Parse([]byte(`
members:
  - code: A
    patrons: {ldap: {url: "ldap://127.0.0.1:3389", base_dn: dc=x, filter: "(uid=%s)"}}
  - code: B
    patrons:
      ldap:
        url: ldaps://ldap.example.org
        base_dn: dc=x
        filter: (uid=%s)
        attempts: {max: 0, lock_for: 1h}
        pool: {size: 16}`), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	a, b := c.Members[0].Patrons.LDAP, c.Members[1].Patrons.LDAP
	if want := (LDAPAttempts{Max: 5, Window: 15 * time.Minute, LockFor: 15 * time.Minute}); a.Attempts != want || a.Attempts.Limit() != 5 {
		t.Errorf("A attempts = %+v (limit %d), want %+v", a.Attempts, a.Attempts.Limit(), want)
	}
	if want := (LDAPPool{Size: 4, IdleTimeout: 5 * time.Minute, CheckAfter: 30 * time.Second}); a.Pool != want {
		t.Errorf("A pool = %+v, want %+v", a.Pool, want)
	}
	if want := (LDAPAttempts{Max: 0, Window: 15 * time.Minute, LockFor: time.Hour}); b.Attempts != want || b.Attempts.Limit() != -1 {
		t.Errorf("B attempts = %+v (limit %d), want %+v and limit -1", b.Attempts, b.Attempts.Limit(), want)
	}
	if want := (LDAPPool{Size: 16, IdleTimeout: 5 * time.Minute, CheckAfter: 30 * time.Second}); b.Pool != want {
		t.Errorf("B pool = %+v, want %+v", b.Pool, want)
	}
}
