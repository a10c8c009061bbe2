package testenv

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Fixed names of the directory served by Slapd.
const (
	slapdBaseDN   = "dc=example,dc=org"
	slapdAdminDN  = "cn=admin,dc=example,dc=org"
	slapdAdminPW  = "testenv-admin-pw"
	slapdBaseLDIF = "dn: dc=example,dc=org\nobjectClass: dcObject\nobjectClass: organization\no: Example Library Consortium\ndc: example\n"
)

// SlapdServer is an OpenLDAP slapd started for one test with an mdb
// database under BaseDN, listening on 127.0.0.1. It is stopped at the
// test's cleanup.
type SlapdServer struct {
	URL           string // "ldap://127.0.0.1:port"
	BaseDN        string // "dc=example,dc=org"
	AdminDN       string // the rootdn, "cn=admin,dc=example,dc=org"
	AdminPassword string // the rootdn's password
	Dir           string // slapd.conf, slapd.log, db/

	// With WithTLS only: LDAPSURL is "ldaps://127.0.0.1:port", StartTLS works
	// on URL, and CACertPEM is the self-signed certificate (for 127.0.0.1 and
	// localhost) to trust.
	LDAPSURL  string
	CACertPEM []byte

	tls         bool
	port, port2 int
	daemon
}

// SlapdOption configures Slapd.
type SlapdOption func(*SlapdServer)

// WithTLS gives the server a fresh self-signed certificate, enables
// StartTLS (RFC 4511 §4.14) on URL and listens for LDAPS on LDAPSURL.
func WithTLS() SlapdOption { return func(s *SlapdServer) { s.tls = true } }

// Slapd starts slapd (Debian packages slapd and ldap-utils) on a free
// loopback port. The base entry dc=example,dc=org is created by Slapd; ldif
// holds the entries below it (if it also has the base entry, that one is
// used instead) and is loaded with slapadd before the server starts. Schemas
// core, cosine, inetorgperson and nis are loaded. Passwords in ldif are
// stored as given, so simple binds with them work. Anonymous users may read
// everything but userPassword. slapd runs in the foreground (-d 0) and is
// stopped by its PID when the test ends.
func Slapd(t testing.TB, ldif string, opts ...SlapdOption) *SlapdServer {
	t.Helper()
	s := &SlapdServer{
		daemon:        daemon{bin: Require(t, "slapd", "slapd")},
		BaseDN:        slapdBaseDN,
		AdminDN:       slapdAdminDN,
		AdminPassword: slapdAdminPW,
		Dir:           t.TempDir(),
	}
	slapadd := Require(t, "slapadd", "slapd")
	for _, o := range opts {
		o(s)
	}
	if err := s.setup(slapadd, ldif); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.cleanup(t) })
	startOnFreePort(t, s.pickPorts, s.start)
	return s
}

func (s *SlapdServer) pickPorts() error {
	var err error
	if s.port, err = freePort(); err != nil {
		return err
	}
	s.URL = "ldap://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
	if s.tls {
		if s.port2, err = freePort(); err != nil {
			return err
		}
		s.LDAPSURL = "ldaps://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port2))
	}
	return nil
}

var baseDNLine = regexp.MustCompile(`(?im)^dn:\s*dc=example,\s*dc=org\s*$`)

// setup writes slapd.conf and loads the entries offline with slapadd.
func (s *SlapdServer) setup(slapadd, ldif string) error {
	if err := os.Mkdir(filepath.Join(s.Dir, "db"), 0o700); err != nil {
		return err
	}
	var conf bytes.Buffer
	for _, sc := range []string{"core", "cosine", "inetorgperson", "nis"} {
		fmt.Fprintf(&conf, "include /etc/ldap/schema/%s.schema\n", sc)
	}
	fmt.Fprintf(&conf, "modulepath /usr/lib/ldap\nmoduleload back_mdb\n")
	fmt.Fprintf(&conf, "pidfile %s\nargsfile %s\nloglevel stats\n",
		filepath.Join(s.Dir, "slapd.pid"), filepath.Join(s.Dir, "slapd.args"))
	if s.tls {
		cert, key, err := selfSigned()
		if err != nil {
			return fmt.Errorf("testenv: slapd certificate: %w", err)
		}
		s.CACertPEM = cert
		certPath, keyPath := filepath.Join(s.Dir, "cert.pem"), filepath.Join(s.Dir, "key.pem")
		if err := os.WriteFile(certPath, cert, 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(keyPath, key, 0o600); err != nil {
			return err
		}
		fmt.Fprintf(&conf, "TLSCertificateFile %s\nTLSCertificateKeyFile %s\n", certPath, keyPath)
	}
	fmt.Fprintf(&conf, "database mdb\nmaxsize 104857600\nsuffix %q\nrootdn %q\nrootpw %s\ndirectory %s\n",
		slapdBaseDN, slapdAdminDN, sshaHash(slapdAdminPW), filepath.Join(s.Dir, "db"))
	conf.WriteString("index objectClass eq\nindex uid,cn,mail eq,sub\n")
	conf.WriteString("access to attrs=userPassword by self write by anonymous auth by * none\n")
	conf.WriteString("access to * by * read\n")
	confPath := filepath.Join(s.Dir, "slapd.conf")
	if err := os.WriteFile(confPath, conf.Bytes(), 0o600); err != nil {
		return err
	}

	seed := ldif
	if !baseDNLine.MatchString(ldif) {
		seed = slapdBaseLDIF + "\n" + strings.TrimLeft(ldif, "\n")
	}
	seedPath := filepath.Join(s.Dir, "seed.ldif")
	if err := os.WriteFile(seedPath, []byte(seed), 0o600); err != nil {
		return err
	}
	cmd := exec.Command(slapadd, "-f", confPath, "-l", seedPath)
	cmd.Dir = s.Dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("testenv: slapadd of the test LDIF failed: %v\n%s", err, tail(out, 20))
	}
	return nil
}

// sshaHash returns the {SSHA} form of pw (RFC 2307 style userPassword
// scheme that slapd understands) so slapd.conf holds no cleartext.
func sshaHash(pw string) string {
	salt := make([]byte, 8)
	_, _ = rand.Read(salt)
	h := sha1.New()
	h.Write([]byte(pw))
	h.Write(salt)
	return "{SSHA}" + base64.StdEncoding.EncodeToString(append(h.Sum(nil), salt...))
}

func (s *SlapdServer) start() error {
	urls := s.URL + "/"
	if s.tls {
		urls += " " + s.LDAPSURL + "/"
	}
	argv := []string{s.bin, "-f", filepath.Join(s.Dir, "slapd.conf"), "-h", urls, "-d", "stats"}
	addr := strings.TrimPrefix(s.URL, "ldap://")
	return s.run(s.Dir, filepath.Join(s.Dir, "slapd.log"), argv, func() error {
		if err := ldapAnonymousBind(addr, nil); err != nil {
			return err
		}
		if s.tls {
			return ldapAnonymousBind(strings.TrimPrefix(s.LDAPSURL, "ldaps://"), s.CACertPEM)
		}
		return nil
	})
}

// Start starts slapd again after Stop, on the same ports with the same
// database, and returns once it answers.
func (s *SlapdServer) Start(t testing.TB) {
	t.Helper()
	if err := s.start(); err != nil {
		t.Fatal(err)
	}
}

// ldapAnonymousBind sends an LDAPv3 anonymous simple BindRequest (RFC 4511
// §4.2) with message id 1 and expects a BindResponse with resultCode
// success. With caPEM set the connection is LDAPS, verified against it.
func ldapAnonymousBind(addr string, caPEM []byte) error {
	var c net.Conn
	var err error
	d := &net.Dialer{Timeout: time.Second}
	if caPEM != nil {
		cfg, cerr := tlsConfig(caPEM)
		if cerr != nil {
			return cerr
		}
		c, err = tls.DialWithDialer(d, "tcp", addr, cfg)
	} else {
		c, err = d.Dial("tcp", addr)
	}
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	// SEQUENCE { messageID 1, [APPLICATION 0] { version 3, name "", [0] "" } }
	req := []byte{0x30, 0x0c, 0x02, 0x01, 0x01, 0x60, 0x07, 0x02, 0x01, 0x03, 0x04, 0x00, 0x80, 0x00}
	if _, err := c.Write(req); err != nil {
		return err
	}
	// SEQUENCE { messageID 1, [APPLICATION 1] { ENUMERATED resultCode, ... } }
	resp := make([]byte, 64)
	n, err := c.Read(resp)
	if err != nil {
		return err
	}
	return checkBindResponse(resp[:n])
}

// checkBindResponse checks that resp starts an LDAP BindResponse for
// message 1 with resultCode success (RFC 4511 §4.2.2), in the short-length
// form slapd sends. It never indexes past resp.
func checkBindResponse(resp []byte) error {
	if len(resp) < 10 || resp[0] != 0x30 || resp[1] >= 0x80 || resp[2] != 0x02 || resp[3] != 0x01 || resp[5] != 0x61 {
		return fmt.Errorf("not an LDAP BindResponse: % x", resp)
	}
	if resp[6] >= 0x80 || resp[7] != 0x0a || resp[8] != 0x01 {
		return fmt.Errorf("unexpected BindResponse layout: % x", resp)
	}
	if resp[9] != 0 {
		return fmt.Errorf("anonymous bind: resultCode %d", resp[9])
	}
	return nil
}

// TLSConfig returns a client TLS configuration that trusts CACertPEM, for
// LDAPSURL and StartTLS. It is nil without WithTLS.
func (s *SlapdServer) TLSConfig() *tls.Config {
	if s.CACertPEM == nil {
		return nil
	}
	cfg, err := tlsConfig(s.CACertPEM)
	if err != nil {
		return nil
	}
	return cfg
}
