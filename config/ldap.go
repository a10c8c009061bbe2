package config

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/go-ldap/ldap/v3"
)

// maxFilter is the longest members[].patrons.ldap.filter accepted, checked
// before the filter is parsed (which recurses once per nested component).
const maxFilter = 1024

// maxCAFile is the largest ca_file read (1 MiB; the whole Mozilla root
// bundle is about 220 KiB). The size is checked before the file is read.
const maxCAFile = 1 << 20

// checkLDAP checks members[].patrons.ldap as broker/patron.NewLDAP would
// refuse it at startup, with the key and line the operator must fix.
func checkLDAP(p *problems, key string, l *LDAP) {
	ldaps := strings.HasPrefix(l.URL, "ldaps://")
	switch {
	case l.URL == "":
		p.add(key+".url", "the directory's URL is required (ldap:// or ldaps://)")
	case !ldaps && !strings.HasPrefix(l.URL, "ldap://"):
		p.add(key+".url", "expected an ldap:// or ldaps:// URL")
	case ldaps && l.StartTLS:
		p.add(key+".start_tls", "start_tls is for ldap:// URLs; ldaps:// is TLS already")
	}
	if l.BaseDN == "" {
		p.add(key+".base_dn", "base_dn is required")
	}
	if why := checkFilter(l.Filter); why != "" {
		p.add(key+".filter", "%s", why)
	}
	if l.BindDN != "" && !l.Password.IsSet() {
		p.add(key+".password", "bind_dn needs a password (password_env or password_file)")
	}
	plain := strings.HasPrefix(l.URL, "ldap://") && !l.StartTLS
	if plain && !loopbackURL(l.URL) {
		p.add(key+".start_tls", "PINs would cross the network in the clear: use ldaps:// or start_tls: true")
	}
	if l.CAFile != "" {
		if plain {
			p.add(key+".ca_file", "not used: an ldap:// directory without start_tls is not reached over TLS")
		} else if _, err := loadCAFile(l.CAFile); err != nil {
			p.add(key+".ca_file", "%v", err)
		}
	}
	if l.Attempts.Max < 0 || l.Attempts.Max > 1000 {
		p.add(key+".attempts.max", "must be from 0 (no limit) to 1000")
	}
	if l.Pool.Size < 1 || l.Pool.Size > 256 {
		p.add(key+".pool.size", "must be from 1 to 256")
	}
}

// checkFilter says what is wrong with an LDAP filter template, or "" if
// nothing. The rule is broker/patron's: an RFC 4515 filter (RFC 4515 §3)
// holding %s exactly once, no other %, as the whole value of an equality
// match such as (uid=%s), so that the escaped barcode can only ever be one
// assertion value.
func checkFilter(f string) string {
	if len(f) > maxFilter {
		return fmt.Sprintf("the filter is %d bytes; the limit is %d", len(f), maxFilter)
	}
	if strings.Count(f, "%s") != 1 {
		return "the filter must hold %s once, where the patron's barcode goes"
	}
	before, after, _ := strings.Cut(f, "%s")
	if strings.Contains(before+after, "%") {
		return "the filter may hold no % other than the one %s"
	}
	if !strings.HasSuffix(before, "=") || strings.HasSuffix(before, "~=") ||
		strings.HasSuffix(before, ">=") || strings.HasSuffix(before, "<=") ||
		!strings.HasPrefix(after, ")") {
		return "%s must be the whole value of an equality match, as in (uid=%s)"
	}
	if _, err := ldap.CompileFilter(before + "sample" + after); err != nil {
		return "not an RFC 4515 filter: " + filterReason(err)
	}
	return ""
}

// filterReason is go-ldap's reason without its result-code prefix.
func filterReason(err error) string {
	var le *ldap.Error
	if errors.As(err, &le) && le.Err != nil {
		err = le.Err
	}
	return strings.TrimPrefix(err.Error(), "ldap: ")
}

// loopbackURL reports whether an ldap:// URL names a loopback host.
func loopbackURL(u string) bool {
	hostport := strings.TrimPrefix(u, "ldap://")
	hostport, _, _ = strings.Cut(hostport, "/")
	if !strings.Contains(hostport, ":") || strings.HasSuffix(hostport, "]") {
		hostport += ":389"
	}
	return loopback(hostport)
}

// loadCAFile reads a PEM bundle of CA certificates of at most maxCAFile
// bytes. Every CERTIFICATE block must parse and at least one must be there.
func loadCAFile(path string) (*x509.CertPool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", path, openReason(err))
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && (fi.IsDir() || fi.Size() > maxCAFile) {
		if fi.IsDir() {
			return nil, fmt.Errorf("%s is a directory", path)
		}
		return nil, fmt.Errorf("%s is %d bytes; the limit is %d", path, fi.Size(), maxCAFile)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxCAFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %s", path, openReason(err))
	}
	if len(data) > maxCAFile {
		return nil, fmt.Errorf("%s is more than %d bytes", path, maxCAFile)
	}
	pool := x509.NewCertPool()
	n := 0
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		n++
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d in %s does not parse", n, path)
		}
		pool.AddCert(cert)
	}
	if n == 0 {
		return nil, fmt.Errorf("no PEM certificate in %s", path)
	}
	return pool, nil
}

// RootCAs returns the CA certificates of ca_file, for the tls.Config of
// ldaps:// and StartTLS (broker/patron LDAPOptions.TLS), or nil when
// ca_file is empty (the system roots). Load has checked the file; it is
// read again here so that a renewed bundle is picked up on restart.
func (l *LDAP) RootCAs() (*x509.CertPool, error) {
	if l.CAFile == "" {
		return nil, nil
	}
	pool, err := loadCAFile(l.CAFile)
	if err != nil {
		return nil, fmt.Errorf("config: ca_file: %w", err)
	}
	return pool, nil
}

// Limit is Max as broker/patron's AttemptOptions.Max reads it: the same
// number, except that 0 (no limit here) is -1 there, where 0 means the
// default.
func (a LDAPAttempts) Limit() int {
	if a.Max == 0 {
		return -1
	}
	return a.Max
}
