package testenv

import (
	"crypto/x509"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

const testLDIF = `dn: ou=people,dc=example,dc=org
objectClass: organizationalUnit
ou: people

dn: uid=n0001,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: n0001
cn: Nora North
sn: North
mail: nora@example.org
userPassword: nora-pw

dn: uid=n0002,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: n0002
cn: Ned North
sn: North
userPassword: ned-pw
`

func dialLDAP(t *testing.T, url string, opts ...ldap.DialOpt) *ldap.Conn {
	t.Helper()
	c, err := ldap.DialURL(url, append(opts, ldap.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}))...)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	c.SetTimeout(5 * time.Second)
	t.Cleanup(func() { c.Close() })
	return c
}

func searchUIDs(t *testing.T, c *ldap.Conn, base, filter string) []string {
	t.Helper()
	res, err := c.Search(ldap.NewSearchRequest(base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
		0, 5, false, filter, []string{"uid", "userPassword"}, nil))
	if err != nil {
		t.Fatalf("search %s: %v", filter, err)
	}
	var uids []string
	for _, e := range res.Entries {
		uids = append(uids, e.GetAttributeValue("uid"))
	}
	return uids
}

func TestSlapdBindSearchRestart(t *testing.T) {
	s := Slapd(t, testLDIF)
	if !strings.HasPrefix(s.URL, "ldap://127.0.0.1:") || s.BaseDN != "dc=example,dc=org" {
		t.Fatalf("URL %q BaseDN %q", s.URL, s.BaseDN)
	}
	c := dialLDAP(t, s.URL)
	if err := c.Bind(s.AdminDN, s.AdminPassword); err != nil {
		t.Fatalf("admin bind: %v", err)
	}
	if got := searchUIDs(t, c, s.BaseDN, "(objectClass=inetOrgPerson)"); strings.Join(got, ",") != "n0001,n0002" {
		t.Fatalf("people = %v", got)
	}
	// The base entry made by testenv exists.
	res, err := c.Search(ldap.NewSearchRequest(s.BaseDN, ldap.ScopeBaseObject, ldap.NeverDerefAliases,
		0, 5, false, "(objectClass=dcObject)", []string{"dc"}, nil))
	if err != nil || len(res.Entries) != 1 {
		t.Fatalf("base entry: %v %v", res, err)
	}
	// A user binds with the password from the LDIF; a wrong one is refused.
	if err := c.Bind("uid=n0001,ou=people,dc=example,dc=org", "nora-pw"); err != nil {
		t.Fatalf("user bind: %v", err)
	}
	err = c.Bind("uid=n0001,ou=people,dc=example,dc=org", "wrong")
	if !ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
		t.Fatalf("wrong password: %v", err)
	}

	// Data written while running survives Stop and Start on the same URL.
	c2 := dialLDAP(t, s.URL)
	if err := c2.Bind(s.AdminDN, s.AdminPassword); err != nil {
		t.Fatal(err)
	}
	add := ldap.NewAddRequest("uid=n0003,ou=people,dc=example,dc=org", nil)
	add.Attribute("objectClass", []string{"inetOrgPerson"})
	add.Attribute("uid", []string{"n0003"})
	add.Attribute("cn", []string{"Nell North"})
	add.Attribute("sn", []string{"North"})
	if err := c2.Add(add); err != nil {
		t.Fatalf("add: %v", err)
	}
	url, pid := s.URL, s.PID()
	s.Stop(t)
	if pidAlive(pid) {
		t.Fatalf("slapd pid %d alive after Stop", pid)
	}
	s.Start(t)
	if s.URL != url {
		t.Fatalf("URL changed on restart: %s -> %s", url, s.URL)
	}
	c3 := dialLDAP(t, s.URL)
	if got := searchUIDs(t, c3, s.BaseDN, "(uid=n0003)"); len(got) != 1 {
		t.Fatalf("entry added before restart: %v", got)
	}
}

func TestSlapdBadLDIFFails(t *testing.T) {
	Require(t, "slapd", "slapd")
	f, _ := runFake(t, func(tb testing.TB) string {
		Slapd(tb, "dn: uid=x,ou=nowhere,dc=example,dc=org\nobjectClass: inetOrgPerson\nuid: x\n")
		return ""
	})
	if !strings.Contains(f.fatal, "slapadd") {
		t.Fatalf("want a slapadd failure, got fatal %q skip %q", f.fatal, f.skipped)
	}
}

func TestSlapdTLS(t *testing.T) {
	s := Slapd(t, testLDIF, WithTLS())
	if len(s.CACertPEM) == 0 || !strings.HasPrefix(s.LDAPSURL, "ldaps://127.0.0.1:") {
		t.Fatalf("LDAPSURL %q, %d bytes of CA", s.LDAPSURL, len(s.CACertPEM))
	}
	// LDAPS, verified against the CA.
	c := dialLDAP(t, s.LDAPSURL, ldap.DialWithTLSConfig(s.TLSConfig()))
	if err := c.Bind(s.AdminDN, s.AdminPassword); err != nil {
		t.Fatalf("LDAPS bind: %v", err)
	}
	// StartTLS on the plain port.
	c2 := dialLDAP(t, s.URL)
	if err := c2.StartTLS(s.TLSConfig()); err != nil {
		t.Fatalf("StartTLS: %v", err)
	}
	if got := searchUIDs(t, c2, s.BaseDN, "(uid=n0002)"); len(got) != 1 {
		t.Fatalf("search over StartTLS: %v", got)
	}
	// A client that does not trust the CA is refused.
	c3, err := ldap.DialURL(s.LDAPSURL)
	if err == nil {
		c3.Close()
		t.Fatal("LDAPS without the CA was accepted")
	}
	var uerr x509.UnknownAuthorityError
	if !errors.As(err, &uerr) {
		t.Fatalf("LDAPS without the CA: want an unknown-authority error, got %v", err)
	}
}
