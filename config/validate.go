package config

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/netip"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Validate checks a configuration built in Go (Load and Parse validate
// already) and returns an ErrorList of every problem, or nil. Secrets are
// taken as they are: a Secret given by env or file must already hold its
// Value.
func (c *Config) Validate() error {
	p := newProblems(c.File)
	if c.lines != nil {
		p.lines = c.lines
	}
	walk(reflect.ValueOf(c).Elem(), "", func(key string, f reflect.StructField, v reflect.Value) bool {
		if f.Type == secretType {
			if s := v.Interface().(Secret); s.IsSet() && s.Value == "" {
				p.add(key, "secret not resolved")
			}
			return false
		}
		return true
	})
	c.validate(p)
	return p.err()
}

// minDuration is the least duration accepted: a smaller one is almost
// always a unit left out (reference/reliability-security.md, "refuse
// Timeout values < 1 ms").
const minDuration = time.Millisecond

var (
	memberCode = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	agencyID   = regexp.MustCompile(`^[!-~]{1,64}$`)
	charsets   = map[string]bool{"ascii": true, "ibm850": true, "iso-8859-1": true, "utf-8": true}
)

// validate appends every problem in c to p.
func (c *Config) validate(p *problems) {
	c.checkDurations(p)
	c.checkListeners(p)
	c.checkState(p)
	c.checkSearch(p)
	members := c.checkMembers(p)
	c.checkDatabases(p, members)
	c.checkTerminals(p, members)
	c.checkPartners(p, members)
	c.checkAgency(p)
	c.checkMisc(p)
}

// checkDurations refuses every duration under 1 ms, except a 0 in the
// fields whose tag says `config:"zero-off"` (0 turns the feature off).
func (c *Config) checkDurations(p *problems) {
	walk(reflect.ValueOf(c).Elem(), "", func(key string, f reflect.StructField, v reflect.Value) bool {
		if f.Type != durationType {
			return f.Type != secretType
		}
		d := time.Duration(v.Int())
		switch {
		case d == 0 && f.Tag.Get("config") == "zero-off":
		case d < 0:
			p.add(key, "duration %s is negative", d)
		case d < minDuration:
			p.add(key, "duration %s is under 1ms (is a unit missing?)", d)
		}
		return false
	})
}

// checkAddr checks a host:port listener or peer address; empty means off
// when optional.
func checkAddr(p *problems, key, addr string, optional bool) bool {
	if addr == "" {
		if !optional {
			p.add(key, "address is required (host:port)")
		}
		return false
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		p.add(key, "%s is not host:port", quote(addr))
		return false
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || (n == 0 && !optional) {
		p.add(key, "%s: port must be a number from 1 to 65535", quote(addr))
		return false
	}
	if strings.ContainsAny(host, " /") {
		p.add(key, "%s: bad host", quote(addr))
		return false
	}
	return true
}

// loopback reports whether a listener address binds loopback only. An
// empty host (all interfaces) and host names other than localhost are not
// loopback.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

func (c *Config) checkListeners(p *problems) {
	l := c.Listen
	checkAddr(p, "listen.sip2", l.SIP2, true)
	checkAddr(p, "listen.z3950", l.Z3950, true)
	checkAddr(p, "listen.http", l.HTTP, true)
	checkAddr(p, "listen.grpc", l.GRPC, true)
	if l.SIP2 != "" && !loopback(l.SIP2) && !l.AllowPlaintext {
		p.add("listen.sip2", "plaintext SIP2 on %s, which is not loopback, carries passwords and PINs in the clear: "+
			"use tls.sip2, bind 127.0.0.1, or set listen.allow_plaintext: true", l.SIP2)
	}
	c.checkTLS(p, "tls.sip2", c.TLS.SIP2, true)
	c.checkTLS(p, "tls.http", c.TLS.HTTP, true)
	c.checkTLS(p, "tls.grpc", c.TLS.GRPC, false)
	if c.TLS.GRPC.Listen != "" {
		p.add("tls.grpc.listen", "not used: the gRPC certificate applies to listen.grpc")
	}
	g := c.TLS.GRPC
	if l.GRPC != "" && !loopback(l.GRPC) && (g.Cert == "" || g.Key == "" || g.ClientCA == "") {
		p.add("listen.grpc", "gRPC on %s, which is not loopback, needs tls.grpc cert, key and client_ca (client certificates)", l.GRPC)
	}
}

// checkTLS checks one TLS block: cert and key go together, and both load.
func (c *Config) checkTLS(p *problems, key string, t TLSListener, ownListener bool) {
	if t == (TLSListener{}) {
		return
	}
	if ownListener {
		if t.Listen == "" {
			p.add(key+".listen", "address is required when %s is configured", key)
		} else {
			checkAddr(p, key+".listen", t.Listen, false)
		}
	}
	switch {
	case t.Cert == "":
		p.add(key+".cert", "certificate file is required")
	case t.Key == "":
		p.add(key+".key", "private key file is required")
	default:
		if _, err := tls.LoadX509KeyPair(t.Cert, t.Key); err != nil {
			p.add(key+".cert", "cannot load certificate and key: %s", tlsReason(err))
		}
	}
	if t.ClientCA != "" {
		pem, err := os.ReadFile(t.ClientCA)
		if err != nil {
			p.add(key+".client_ca", "%s", tlsReason(err))
		} else if !x509.NewCertPool().AppendCertsFromPEM(pem) {
			p.add(key+".client_ca", "no PEM certificate in %s", t.ClientCA)
		}
	}
}

// tlsReason keeps the file's path: it is what the operator must fix.
func tlsReason(err error) string { return err.Error() }

func (c *Config) checkState(p *problems) {
	s := c.State
	switch s.Driver {
	case "embedded":
		if s.Path == "" {
			p.add("state.path", "the embedded store needs a file path")
		}
	case "redis":
		if len(s.Addrs) == 0 {
			p.add("state.addrs", "the redis driver needs at least one address")
		}
		for i, a := range s.Addrs {
			checkAddr(p, indexKey("state.addrs", i), a, false)
		}
		if s.DB < 0 {
			p.add("state.db", "must be 0 or more")
		}
		cluster := s.MasterName == "" && (s.Cluster || len(s.Addrs) > 1)
		if s.DB != 0 && cluster {
			p.add("state.db", "Redis Cluster has only database 0")
		}
		if s.Cluster && s.MasterName != "" {
			p.add("state.cluster", "give cluster: true or master_name (Sentinel), not both")
		}
		if s.MasterName == "" {
			if s.SentinelUsername != "" {
				p.add("state.sentinel_username", "used only with master_name (Sentinel)")
			}
			if s.SentinelPassword.IsSet() {
				p.add("state.sentinel_password", "used only with master_name (Sentinel)")
			}
		}
	default:
		p.add("state.driver", "%s is not a state driver: use embedded or redis", quote(s.Driver))
	}
	if s.Partitions < 1 || s.Partitions > 1024 {
		p.add("state.partitions", "must be from 1 to 1024")
	}
}

func (c *Config) checkSearch(p *problems) {
	if n := c.Search.MaxRecordsPerMember; n < 1 || n > 10000 {
		p.add("search.max_records_per_member", "must be from 1 to 10000")
	}
}

// checkAgency checks ncip.agency, the gateway's own NCIP agency id: it
// must not be taken by a member or a partner, or calls and replies could
// not be told apart.
func (c *Config) checkAgency(p *problems) {
	a := c.NCIP.Agency
	if !agencyID.MatchString(a) {
		p.add("ncip.agency", "%s: an agency id is 1 to 64 printable characters without spaces", quote(a))
		return
	}
	for i := range c.Members {
		m := &c.Members[i]
		if n := m.NCIP; n != nil && strings.EqualFold(n.Agency, a) {
			p.add("ncip.agency", "%s is the NCIP agency of member %s; the gateway needs its own", a, m.Code)
		} else if strings.EqualFold(m.Code, a) {
			p.add("ncip.agency", "%s is a member code; the gateway needs its own agency id", a)
		}
	}
	for i := range c.Partners {
		if strings.EqualFold(c.Partners[i].Agency, a) {
			p.add("ncip.agency", "%s is partners[%d]'s agency; the gateway needs its own", a, i)
		}
	}
}

func (c *Config) checkMisc(p *problems) {
	b := c.Breaker
	if b.Failures < 1 {
		p.add("breaker.failures", "must be 1 or more")
	}
	if !(b.Ratio > 0 && b.Ratio <= 1) {
		p.add("breaker.ratio", "must be above 0 and at most 1")
	}
	if b.MinRequests < 1 {
		p.add("breaker.min_requests", "must be 1 or more")
	}
	if b.Probes < 1 {
		p.add("breaker.probes", "must be 1 or more")
	}
	if b.MaxConcurrent < 1 || b.MaxConcurrent > 100000 {
		p.add("breaker.max_concurrent", "must be from 1 to 100000")
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		p.add("log.format", "%s: use text or json", quote(c.Log.Format))
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		p.add("log.level", "%s: use debug, info, warn or error", quote(c.Log.Level))
	}
	s := c.SIP2
	if s.MaxMessage < 64 || s.MaxMessage > 16384 {
		p.add("sip2.max_message", "must be from 64 to 16384 bytes")
	}
	if s.MaxConnections < 1 {
		p.add("sip2.max_connections", "must be 1 or more")
	}
	if s.MaxPerIP < 1 {
		p.add("sip2.max_per_ip", "must be 1 or more")
	}
}

// checkURL checks an http(s) URL that must carry no credentials.
func checkURL(p *problems, key, raw string) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.add(key, "expected an http:// or https:// URL")
		return
	}
	if u.User != nil {
		p.add(key, "credentials in the URL would end up in logs: give them as user and password (or secret) instead")
		return
	}
	if q := u.Query(); q.Has("apikey") || q.Has("api_key") || q.Has("token") {
		p.add(key, "a secret in the URL's query would end up in logs: give it as a secret instead")
	}
}

// describe names a set of keys for messages: "a, b and c".
func describe(keys []string) string {
	switch len(keys) {
	case 0:
		return ""
	case 1:
		return keys[0]
	}
	return strings.Join(keys[:len(keys)-1], ", ") + " and " + keys[len(keys)-1]
}
