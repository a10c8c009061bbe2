package patron

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/go-ldap/ldap/v3"
	"github.com/sony/gobreaker/v2"
)

// LDAP authenticates one member's patrons against its directory. It is safe
// for concurrent use; Close releases its connections.
type LDAP struct {
	o       LDAPOptions
	filter  filterTemplate
	search  *pool // bound as the service account
	binds   *pool // PIN binds only
	cb      *gobreaker.CircuitBreaker[struct{}]
	cache   *cache
	limit   attempts
	hashKey []byte
	log     *slog.Logger
}

// NewLDAP checks o, fills its defaults and returns an authenticator. It
// does not contact the directory: connections are opened on first use.
func NewLDAP(o LDAPOptions) (*LDAP, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	l := &LDAP{o: o, log: o.Logger.With("member", o.Member)}
	l.filter, _ = newFilterTemplate(o.Filter)
	l.hashKey = o.HashKey
	if l.hashKey == nil {
		h := sha256.Sum256([]byte("illgw/patron/v1\x00" + o.Member + "\x00" + o.URL + "\x00" + o.BindPassword))
		l.hashKey = h[:]
	}
	if l.search, err = newPool(&l.o, true); err != nil {
		return nil, err
	}
	if l.binds, err = newPool(&l.o, false); err != nil {
		l.search.close()
		return nil, err
	}
	b := o.Breaker
	l.cb = gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
		Name:         "ldap " + o.Member,
		MaxRequests:  b.Probes,
		Interval:     b.Window,
		BucketPeriod: max(b.Window/10, 1),
		Timeout:      b.OpenFor,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			// The ratio is of the calls that ended in the window; calls
			// still in flight count as neither.
			ended := c.TotalSuccesses + c.TotalFailures
			return c.ConsecutiveFailures >= b.Failures ||
				(ended >= b.MinRequests && float64(c.TotalFailures) >= b.Ratio*float64(ended))
		},
		IsSuccessful: func(err error) bool { return err == nil || !errors.Is(err, ErrUnavailable) },
		IsExcluded:   func(err error) bool { return errors.Is(err, context.Canceled) },
		OnStateChange: func(_ string, from, to gobreaker.State) {
			l.log.Warn("patron: directory breaker", "from", from.String(), "to", to.String())
		},
	})
	if o.CacheTTL > 0 {
		l.cache = newCache(o.CacheTTL, o.CacheSize, o.Now)
	}
	l.limit = attempts{store: o.Store, o: o.Attempts}
	return l, nil
}

// Close closes the idle connections and stops background work.
func (l *LDAP) Close() error {
	l.search.close()
	l.binds.close()
	return nil
}

// BreakerState returns the directory breaker's state: "closed", "open" or
// "half-open" (for the Members health API).
func (l *LDAP) BreakerState() string { return l.cb.State().String() }

// Lookup finds the patron with barcode without checking a PIN (SIP2 Patron
// Status 23 or Patron Information 63 without AD; NCIP LookupUser by
// barcode). Results may come from the positive-lookup cache when CacheTTL
// is set. Errors: ErrUnknownPatron, ErrAmbiguous, ErrUnavailable.
func (l *LDAP) Lookup(ctx context.Context, barcode string) (Patron, error) {
	if !plausibleBarcode(barcode) {
		return Patron{}, ErrUnknownPatron
	}
	if p, ok := l.cache.get(barcode); ok {
		return p, nil
	}
	ctx, cancel := context.WithTimeout(ctx, l.o.Timeout)
	defer cancel()
	p, err := l.find(ctx, barcode)
	if err != nil {
		return Patron{}, err
	}
	l.cache.put(barcode, p)
	return p, nil
}

// Authenticate finds the patron with barcode and verifies pin (SIP2 63 or
// 23 with AD; NCIP AuthenticationInput). It always asks the directory (the
// cache is not used to find the entry whose PIN is checked). An empty PIN
// is refused before anything is sent: a simple bind with an empty password
// is an unauthenticated bind that directories answer with success (RFC 4513
// §5.1.2). A locked patron gets ErrLocked without the PIN being checked.
// Each PIN check is counted before it is made (see attempts), so parallel
// guesses cannot outrun the limit.
// A right PIN returns the Patron with PINVerified set and a nil error even
// when the account is blocked or expired: see Patron.Problem.
// Errors: ErrUnknownPatron, ErrAmbiguous, ErrBadPIN, ErrLocked,
// ErrUnavailable.
func (l *LDAP) Authenticate(ctx context.Context, barcode, pin string) (Patron, error) {
	if !plausibleBarcode(barcode) {
		return Patron{}, ErrUnknownPatron
	}
	if pin == "" {
		return Patron{}, fmt.Errorf("%w: no PIN given", ErrBadPIN)
	}
	ctx, cancel := context.WithTimeout(ctx, l.o.Timeout)
	defer cancel()
	p, err := l.find(ctx, barcode)
	if err != nil {
		return Patron{}, err
	}
	id := l.patronID(p.dn)
	n, locked, err := l.limit.begin(ctx, id)
	if err != nil {
		l.log.Warn("patron: attempt store unavailable", "patron", id[:16], "err", err)
		return Patron{}, err
	}
	if locked {
		return Patron{}, ErrLocked
	}
	ok := false
	if len(pin) <= MaxPINLen {
		if ok, err = l.verify(ctx, p.dn, pin); err != nil {
			return Patron{}, err
		}
	}
	if !ok {
		locked, err := l.limit.fail(ctx, id, n)
		switch {
		case err != nil:
			l.log.Warn("patron: could not lock after a wrong PIN", "patron", id[:16], "err", err)
			return Patron{}, err
		case locked:
			l.log.Info("patron: locked after too many wrong PINs", "patron", id[:16], "for", l.o.Attempts.LockFor.String())
			return Patron{}, fmt.Errorf("%w (%w)", ErrLocked, ErrBadPIN)
		}
		return Patron{}, ErrBadPIN
	}
	if err := l.limit.succeed(ctx, id); err != nil {
		l.log.Warn("patron: could not reset the wrong-PIN count", "patron", id[:16], "err", err)
	}
	l.cache.put(barcode, p)
	p.PINVerified = true
	return p, nil
}

// Unlock lifts a lock and clears the wrong-PIN count of the patron with
// barcode (for staff, through the operator API).
func (l *LDAP) Unlock(ctx context.Context, barcode string) error {
	if !plausibleBarcode(barcode) {
		return ErrUnknownPatron
	}
	ctx, cancel := context.WithTimeout(ctx, l.o.Timeout)
	defer cancel()
	p, err := l.find(ctx, barcode)
	if err != nil {
		return err
	}
	return l.limit.unlock(ctx, l.patronID(p.dn))
}

// patronID is the keyed hash (HMAC-SHA-256) naming a directory entry in
// store keys and logs. The entry's DN is used rather than the barcode as
// typed, so that variants the directory matches alike ("n0001", "N0001 ")
// share one wrong-PIN count.
func (l *LDAP) patronID(dn string) string {
	norm := strings.ToLower(dn)
	if parsed, err := ldap.ParseDN(dn); err == nil {
		norm = strings.ToLower(parsed.String())
	}
	m := hmac.New(sha256.New, l.hashKey)
	m.Write([]byte(l.o.Member))
	m.Write([]byte{0})
	m.Write([]byte(norm))
	return hex.EncodeToString(m.Sum(nil))
}

// run calls f through the breaker. An open breaker is ErrUnavailable.
func (l *LDAP) run(f func() error) error {
	_, err := l.cb.Execute(func() (struct{}, error) { return struct{}{}, f() })
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

// logFailure logs a failed directory call at Warn, or at Debug when the
// breaker refused it (that was logged once when it opened).
func (l *LDAP) logFailure(msg string, err error) {
	level := slog.LevelWarn
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		level = slog.LevelDebug
	}
	l.log.Log(context.Background(), level, msg, "err", err)
}

// withConn runs op on a connection of p. When a reused connection fails
// without the server having answered (it was closed while idle, say by a
// directory restart), op is tried once more on a fresh connection.
func (l *LDAP) withConn(ctx context.Context, p *pool, op func(*ldap.Conn) error) error {
	fresh := false
	for {
		c, reused, err := p.get(ctx, fresh)
		if err != nil {
			return err
		}
		err = c.do(ctx, l.o.MaxResponseBytes, op)
		keep := err == nil || serverAnswered(err)
		p.put(c, keep)
		if keep || !reused || fresh || ctx.Err() != nil {
			return err
		}
		fresh = true
	}
}
