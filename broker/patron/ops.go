package patron

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// unavailable wraps a directory error that is not an answer about the
// patron: it counts against the breaker and fails closed.
func unavailable(what string, err error) error {
	if errors.Is(err, ErrUnavailable) {
		return err
	}
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, what, err)
}

// find searches the subtree under BaseDN for the barcode (RFC 4511 §4.5.1)
// with a size limit of 2, so that a second match is seen without reading
// more, and maps the one entry found. Zero entries is ErrUnknownPatron;
// two or more (or a server size limit hit) is ErrAmbiguous.
func (l *LDAP) find(ctx context.Context, barcode string) (Patron, error) {
	filter := l.filter.build(barcode)
	timeLimit := int((l.o.Timeout + time.Second - 1) / time.Second)
	var entries []*ldap.Entry
	tooMany := false
	err := l.run(func() error {
		return l.withConn(ctx, l.search, func(c *ldap.Conn) error {
			entries, tooMany = nil, false
			req := ldap.NewSearchRequest(l.o.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
				2, timeLimit, false, filter, l.o.Attrs.requested(), nil)
			res, err := c.Search(req)
			if res != nil {
				entries = res.Entries
			}
			if ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) {
				tooMany = true
				return nil
			}
			if err != nil {
				return unavailable("search", err)
			}
			return nil
		})
	})
	if err != nil {
		l.logFailure("patron: directory search failed", err)
		return Patron{}, err
	}
	switch {
	case tooMany || len(entries) > 1:
		l.log.Warn("patron: a barcode matches more than one directory entry; nobody is authenticated",
			"entries", len(entries))
		return Patron{}, ErrAmbiguous
	case len(entries) == 0:
		return Patron{}, ErrUnknownPatron
	case entries[0].DN == "":
		// A bind as "" with a PIN is no check of anything (RFC 4513 §5.1.2).
		l.log.Warn("patron: directory returned an entry without a DN")
		return Patron{}, fmt.Errorf("%w: entry without a DN", ErrUnavailable)
	}
	p, perr := l.o.Attrs.patronOf(barcode, entries[0])
	if perr != nil {
		l.log.Warn("patron: expiry attribute unparseable; card treated as expired",
			"attribute", l.o.Attrs.Expiry, "patron", l.patronID(p.dn)[:16])
	}
	return p, nil
}

// verify checks pin for the entry dn: by an LDAP Compare (RFC 4511 §4.10)
// on CompareAttr as the service account, or by a simple bind as dn (RFC
// 4513 §5.1.3) on a PIN-bind connection, never on a search connection.
// It reports false for a wrong PIN and an error only when the directory
// could not answer. pin is never empty here.
func (l *LDAP) verify(ctx context.Context, dn, pin string) (bool, error) {
	ok := false
	err := l.run(func() error {
		if l.o.CompareAttr != "" {
			return l.withConn(ctx, l.search, func(c *ldap.Conn) error {
				r, err := c.Compare(dn, l.o.CompareAttr, pin)
				switch {
				case err == nil:
					ok = r
					return nil
				case ldap.IsErrorAnyOf(err, ldap.LDAPResultNoSuchAttribute,
					ldap.LDAPResultUndefinedAttributeType, ldap.LDAPResultInappropriateMatching):
					return nil
				}
				return unavailable("compare", err)
			})
		}
		return l.withConn(ctx, l.binds, func(c *ldap.Conn) error {
			err := c.Bind(dn, pin)
			switch {
			case err == nil:
				ok = true
				return nil
			case ldap.IsErrorAnyOf(err, ldap.LDAPResultInvalidCredentials,
				ldap.LDAPResultInappropriateAuthentication, ldap.LDAPResultUnwillingToPerform):
				return nil
			}
			return unavailable("PIN bind", err)
		})
	})
	if err != nil {
		l.logFailure("patron: PIN check failed", err)
		return false, err
	}
	return ok, nil
}
