package config

import (
	"net/netip"
	"strings"
)

// checkMembers checks each member and returns the set of member codes.
func (c *Config) checkMembers(p *problems) map[string]bool {
	codes := map[string]bool{}
	first := map[string]int{}
	for i := range c.Members {
		m := &c.Members[i]
		key := indexKey("members", i)
		switch {
		case m.Code == "":
			p.add(key+".code", "code is required")
		case !memberCode.MatchString(m.Code):
			p.add(key+".code", "%s: a code is 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit", quote(m.Code))
		case codes[m.Code]:
			p.add(key+".code", "member code %s repeated (first at members[%d])", m.Code, first[m.Code])
		default:
			codes[m.Code] = true
			first[m.Code] = i
		}
		checkCatalog(p, key+".catalog", m.Catalog)
		if m.NCIP != nil {
			k := key + ".ncip"
			if m.NCIP.URL == "" {
				p.add(k+".url", "the member's NCIP responder URL is required")
			} else {
				checkURL(p, k+".url", m.NCIP.URL)
			}
			checkContentType(p, k+".content_type", m.NCIP.ContentType)
		}
		if u := m.SIP2; u != nil {
			k := key + ".sip2"
			checkAddr(p, k+".addr", u.Addr, false)
			if u.Login != "" && !u.Password.IsSet() {
				p.add(k+".password", "a SIP2 login needs a password (password_env or password_file)")
			}
			if !charsets[u.Charset] {
				p.add(k+".charset", "%s: use ascii, ibm850, iso-8859-1 or utf-8", quote(u.Charset))
			}
			if u.Pool < 1 || u.Pool > 256 {
				p.add(k+".pool", "must be from 1 to 256")
			}
		}
		checkPatrons(p, key, m)
		checkLending(p, key, m)
	}
	return codes
}

func checkCatalog(p *problems, key string, cat *Catalog) {
	if cat == nil {
		return
	}
	switch {
	case cat.Z3950 != "" && cat.SRU != "":
		p.add(key, "give either z3950 or sru, not both")
	case cat.Z3950 != "":
		addr, db, _ := strings.Cut(cat.Z3950, "/")
		if checkAddr(p, key+".z3950", addr, false) && strings.ContainsAny(db, " /") {
			p.add(key+".z3950", "database name %s may not contain spaces or /", quote(db))
		}
	case cat.SRU != "":
		checkURL(p, key+".sru", cat.SRU)
	default:
		p.add(key, "a catalog needs z3950 (host:port/Database) or sru (URL)")
	}
	switch cat.Charset {
	case "marc8", "utf-8":
	default:
		p.add(key+".charset", "%s: use marc8 or utf-8", quote(cat.Charset))
	}
	if cat.Password.IsSet() && cat.User == "" {
		p.add(key+".user", "a catalog password needs a user")
	}
}

func checkContentType(p *problems, key, ct string) {
	if ct == "" || !strings.Contains(ct, "/") || strings.ContainsAny(ct, "\r\n") {
		p.add(key, "%s is not a media type such as application/xml", quote(ct))
	}
}

func checkPatrons(p *problems, key string, m *Member) {
	k := key + ".patrons"
	var sources []string
	if m.Patrons.SIP2 {
		sources = append(sources, "sip2")
		if m.SIP2 == nil {
			p.add(k+".sip2", "patrons from SIP2 need the member's sip2 block")
		}
	}
	if m.Patrons.NCIP {
		sources = append(sources, "ncip")
		if m.NCIP == nil {
			p.add(k+".ncip", "patrons from NCIP need the member's ncip block")
		}
	}
	if l := m.Patrons.LDAP; l != nil {
		sources = append(sources, "ldap")
		checkLDAP(p, k+".ldap", l)
	}
	if len(sources) > 1 {
		p.add(k, "patrons come from one source; %s are given", describe(sources))
	}
}

func checkLending(p *problems, key string, m *Member) {
	k := key + ".lending"
	if m.NCIP == nil {
		if m.Lending.Lends != nil && *m.Lending.Lends {
			p.add(k+".lends", "a member that lends needs an ncip block")
		}
		if m.Lending.Borrows != nil && *m.Lending.Borrows {
			p.add(k+".borrows", "a member that borrows needs an ncip block")
		}
	}
}

// checkDatabases checks the virtual databases: each names known, distinct
// members and no member code is reused as a database name.
func (c *Config) checkDatabases(p *problems, codes map[string]bool) {
	for name, list := range c.Databases {
		key := childKey("databases", name)
		if !memberCode.MatchString(name) {
			p.add(key, "%s: a database name is 1 to 64 letters, digits, dots, dashes or underscores", quote(name))
		}
		for code := range codes {
			if strings.EqualFold(code, name) {
				p.add(key, "%s is already the database of member %s", name, code)
			}
		}
		if len(list) == 0 {
			p.add(key, "a database lists at least one member")
		}
		seen := map[string]bool{}
		for i, code := range list {
			k := indexKey(key, i)
			switch {
			case !codes[code]:
				p.add(k, "unknown member code %s", quote(code))
			case seen[code]:
				p.add(k, "member %s listed twice", code)
			}
			seen[code] = true
		}
	}
}

func (c *Config) checkTerminals(p *problems, codes map[string]bool) {
	first := map[string]int{}
	for i := range c.Terminals {
		t := &c.Terminals[i]
		key := indexKey("terminals", i)
		if t.Login == "" {
			p.add(key+".login", "login is required")
		} else if j, dup := first[t.Login]; dup {
			p.add(key+".login", "login %s repeated (first at terminals[%d])", quote(t.Login), j)
		} else {
			first[t.Login] = i
		}
		if t.PasswordHash == "" {
			p.add(key+".password_hash", "password_hash is required; make one with illgw hash-password")
		} else if why := checkHash(t.PasswordHash); why != "" {
			p.add(key+".password_hash", "%s", why)
		}
		switch {
		case t.Member == "":
			p.add(key+".member", "member is required")
		case !codes[t.Member]:
			p.add(key+".member", "unknown member code %s", quote(t.Member))
		default:
			if m, _ := c.Member(t.Member); m.SIP2 == nil && m.NCIP == nil {
				p.add(key+".member", "member %s has neither sip2 nor ncip, so its kiosks could reach no library system", t.Member)
			}
		}
		if !charsets[t.Charset] {
			p.add(key+".charset", "%s: use ascii, ibm850, iso-8859-1 or utf-8", quote(t.Charset))
		}
		for j, s := range t.AllowedCIDRs {
			pfx, err := parseCIDR(s)
			if err != nil {
				p.add(indexKey(key+".allowed_cidrs", j), "%s is not a CIDR such as 10.1.0.0/16", quote(s))
				continue
			}
			t.AllowedCIDRs[j] = pfx.String()
		}
		if t.MaxConnections < 1 {
			p.add(key+".max_connections", "must be 1 or more")
		}
	}
}

// parseCIDR parses a CIDR; a bare address is taken as a one-address prefix.
func parseCIDR(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	pfx, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return pfx.Masked(), nil
}

func (c *Config) checkPartners(p *problems, codes map[string]bool) {
	first := map[string]int{}
	for i := range c.Partners {
		pt := &c.Partners[i]
		key := indexKey("partners", i)
		if pt.Agency == "" {
			p.add(key+".agency", "agency is required")
		} else if j, dup := first[pt.Agency]; dup {
			p.add(key+".agency", "partner agency %s repeated (first at partners[%d])", quote(pt.Agency), j)
		} else {
			first[pt.Agency] = i
		}
		if codes[pt.Agency] {
			p.add(key+".agency", "%s is a member code; a partner needs its own agency id", quote(pt.Agency))
		}
		if !pt.Secret.IsSet() && pt.ClientCertCN == "" {
			p.add(key+".secret", "a partner needs a secret (secret_env or secret_file) or a client_cert_cn")
		}
		switch {
		case pt.Member == "":
			p.add(key+".member", "member is required: the member library the partner acts for")
		case !codes[pt.Member]:
			p.add(key+".member", "unknown member code %s", quote(pt.Member))
		}
	}
}
