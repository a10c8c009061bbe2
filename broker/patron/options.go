package patron

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Defaults and limits of LDAPOptions (a zero field means the default).
const (
	DefaultTimeout          = 5 * time.Second
	DefaultPoolSize         = 4
	DefaultIdleTimeout      = 5 * time.Minute
	DefaultCheckAfter       = 30 * time.Second
	DefaultMaxResponseBytes = 256 << 10
	DefaultCacheSize        = 10000
	DefaultMaxAttempts      = 5
	DefaultAttemptWindow    = 15 * time.Minute
	DefaultLockFor          = 15 * time.Minute

	// MaxBarcodeLen and MaxPINLen bound what is sent to the directory; a
	// longer barcode is ErrUnknownPatron, a longer PIN ErrBadPIN.
	MaxBarcodeLen = 128
	MaxPINLen     = 256
)

// Attributes maps directory attributes onto Patron fields (config
// members[].patrons.ldap.attributes). An empty name leaves the field empty;
// the zero Attributes means Name "cn" and Email "mail" (config's defaults).
type Attributes struct {
	Name    string // default "cn"
	Email   string // default "mail"
	Expiry  string // GeneralizedTime (RFC 4517 §3.3.13), YYYY-MM-DD, YYYYMMDD, shadowExpire days, or an AD FILETIME
	Blocked string // present and not false/no/n/0/off (any case) means blocked
	Type    string // patron category
}

// BreakerOptions mirrors config.Breaker: the settings of the in-process
// circuit breaker (sony/gobreaker v2) around every directory call.
type BreakerOptions struct {
	Failures    uint32        // consecutive failures that trip; 0 means 5
	Ratio       float64       // failure ratio that trips once MinRequests were seen; 0 means 0.5
	MinRequests uint32        // 0 means 10
	Window      time.Duration // rolling window of the counts; 0 means 30s
	OpenFor     time.Duration // how long the breaker stays open; 0 means 20s
	Probes      uint32        // successful half-open calls that close it; 0 means 2
}

// AttemptOptions limits wrong PINs per patron.
type AttemptOptions struct {
	Max     int           // wrong PINs within Window that lock; 0 means 5, negative turns the limit off
	Window  time.Duration // fixed window starting at the first failure; 0 means 15m
	LockFor time.Duration // how long a locked patron stays locked; 0 means 15m
}

// Store counts wrong PINs and keeps locks where every gateway instance sees
// them. broker/state.Store satisfies it; GetTTL must return an error
// matching state.ErrNotFound for a missing or expired key.
type Store interface {
	Incr(ctx context.Context, key string, window time.Duration) (int64, error)
	Reset(ctx context.Context, key string) error
	PutTTL(ctx context.Context, key string, value []byte, ttl time.Duration) error
	GetTTL(ctx context.Context, key string) ([]byte, error)
	DeleteTTL(ctx context.Context, key string) error
}

// LDAPOptions configures an LDAP authenticator. It mirrors config.LDAP
// (members[].patrons.ldap) plus the shared breaker settings; cmd/illgw
// copies one into the other.
type LDAPOptions struct {
	Member string // member code; part of store keys and log lines

	// URL is ldap://host[:port] or ldaps://host[:port]. With StartTLS an
	// ldap:// connection is upgraded (RFC 4511 §4.14) before any bind.
	URL      string
	StartTLS bool
	// TLS is the client configuration for ldaps:// and StartTLS; nil means
	// the system roots and the URL's host as server name, TLS 1.2 or later.
	TLS *tls.Config

	// BindDN and BindPassword are the service account used for searches
	// and compares; an empty BindDN searches anonymously.
	BindDN       string
	BindPassword string
	BaseDN       string
	// Filter is an RFC 4515 filter holding %s exactly once, where the
	// barcode goes after ldap.EscapeFilter, e.g.
	// (&(objectClass=inetOrgPerson)(uid=%s)).
	Filter string
	Attrs  Attributes
	// CompareAttr, when set, verifies a PIN by an LDAP Compare (RFC 4511
	// §4.10) of that attribute as the service account; otherwise by a
	// simple bind as the entry found (RFC 4513 §5.1.3).
	CompareAttr string

	Timeout          time.Duration // whole Lookup or Authenticate call; 0 means 5s
	CacheTTL         time.Duration // positive Lookup cache; 0 is off
	CacheSize        int           // entries; 0 means 10000
	PoolSize         int           // open connections per pool (search and PIN bind); 0 means 4
	IdleTimeout      time.Duration // idle connections are closed after it; 0 means 5m
	CheckAfter       time.Duration // an idle connection is checked (root DSE read) before reuse after it; 0 means 30s
	MaxResponseBytes int64         // bytes read from the directory per operation; 0 means 256 KiB

	Breaker  BreakerOptions
	Attempts AttemptOptions
	Store    Store // required unless Attempts.Max < 0
	// HashKey keys the hash that names a patron in store keys and logs. It
	// must be the same on every instance. Nil derives it from Member, URL
	// and BindPassword (so it changes, and counters restart, when the
	// password does).
	HashKey []byte
	Logger  *slog.Logger // nil means slog.Default()
	Now     func() time.Time
}

// withDefaults returns o with defaults filled in, or an error naming the
// first bad field.
func (o LDAPOptions) withDefaults() (LDAPOptions, error) {
	if !strings.HasPrefix(o.URL, "ldap://") && !strings.HasPrefix(o.URL, "ldaps://") {
		return o, errors.New("patron: URL must start with ldap:// or ldaps://")
	}
	if o.StartTLS && strings.HasPrefix(o.URL, "ldaps://") {
		return o, errors.New("patron: StartTLS is for ldap:// URLs; ldaps:// is TLS already")
	}
	if o.BaseDN == "" {
		return o, errors.New("patron: BaseDN is required")
	}
	if _, err := newFilterTemplate(o.Filter); err != nil {
		return o, err
	}
	if o.BindDN != "" && o.BindPassword == "" {
		return o, errors.New("patron: BindDN needs a BindPassword")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.Timeout, DefaultTimeout)
	def(&o.IdleTimeout, DefaultIdleTimeout)
	def(&o.CheckAfter, DefaultCheckAfter)
	def(&o.Breaker.Window, 30*time.Second)
	def(&o.Breaker.OpenFor, 20*time.Second)
	def(&o.Attempts.Window, DefaultAttemptWindow)
	def(&o.Attempts.LockFor, DefaultLockFor)
	for _, d := range []time.Duration{o.Timeout, o.IdleTimeout, o.CheckAfter, o.Breaker.Window,
		o.Breaker.OpenFor, o.Attempts.Window, o.Attempts.LockFor} {
		if d < time.Millisecond {
			return o, fmt.Errorf("patron: duration %v below 1ms", d)
		}
	}
	if o.CacheTTL < 0 {
		return o, errors.New("patron: negative CacheTTL")
	}
	if o.CacheSize == 0 {
		o.CacheSize = DefaultCacheSize
	}
	if o.PoolSize == 0 {
		o.PoolSize = DefaultPoolSize
	}
	if o.MaxResponseBytes == 0 {
		o.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if o.CacheSize < 0 || o.PoolSize < 0 || o.MaxResponseBytes < 0 {
		return o, errors.New("patron: negative CacheSize, PoolSize or MaxResponseBytes")
	}
	if o.Breaker.Failures == 0 {
		o.Breaker.Failures = 5
	}
	if o.Breaker.Ratio == 0 {
		o.Breaker.Ratio = 0.5
	}
	if o.Breaker.Ratio < 0 || o.Breaker.Ratio > 1 {
		return o, errors.New("patron: Breaker.Ratio not in 0..1")
	}
	if o.Breaker.MinRequests == 0 {
		o.Breaker.MinRequests = 10
	}
	if o.Breaker.Probes == 0 {
		o.Breaker.Probes = 2
	}
	if o.Attempts.Max == 0 {
		o.Attempts.Max = DefaultMaxAttempts
	}
	if o.Attempts.Max > 0 && o.Store == nil {
		return o, errors.New("patron: a Store is required to count PIN attempts")
	}
	if o.Attrs == (Attributes{}) {
		o.Attrs = Attributes{Name: "cn", Email: "mail"}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, nil
}
