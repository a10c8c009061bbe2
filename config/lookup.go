package config

import (
	"net/netip"
	"strings"
)

// Member returns the member with the given code.
func (c *Config) Member(code string) (*Member, bool) {
	for i := range c.Members {
		if c.Members[i].Code == code {
			return &c.Members[i], true
		}
	}
	return nil, false
}

// Database returns the member codes behind a Z39.50/SRU database name:
// a member's own code names a database of that member alone, and the keys
// of databases name virtual databases. Names match exactly first, then
// ignoring case (Z39.50 clients vary in how they spell database names).
func (c *Config) Database(name string) ([]string, bool) {
	if list, ok := c.Databases[name]; ok {
		return list, true
	}
	if m, ok := c.Member(name); ok {
		return []string{m.Code}, true
	}
	for db, list := range c.Databases {
		if strings.EqualFold(db, name) {
			return list, true
		}
	}
	for i := range c.Members {
		if strings.EqualFold(c.Members[i].Code, name) {
			return []string{c.Members[i].Code}, true
		}
	}
	return nil, false
}

// Lends reports whether the member lends to others; unset means it does
// when it has an NCIP responder.
func (m *Member) Lends() bool {
	if m.Lending.Lends != nil {
		return *m.Lending.Lends
	}
	return m.NCIP != nil
}

// Borrows reports whether the member borrows from others; unset means it
// does when it has an NCIP responder.
func (m *Member) Borrows() bool {
	if m.Lending.Borrows != nil {
		return *m.Lending.Borrows
	}
	return m.NCIP != nil
}

// Prefixes returns the terminal's allowed_cidrs parsed; empty means any
// address. Entries that do not parse (refused by Validate) are left out.
func (t *Terminal) Prefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range t.AllowedCIDRs {
		if p, err := parseCIDR(s); err == nil {
			out = append(out, p)
		}
	}
	return out
}
