package member

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/illgw/illgw/sip2"
)

// Protocol names one outbound protocol of a member. It is the last segment
// of breaker names, flag keys and metric labels.
type Protocol string

// The outbound protocols. A member's catalogue is either Z3950 or SRU.
const (
	Z3950 Protocol = "z3950"
	SRU   Protocol = "sru"
	NCIP  Protocol = "ncip"
	SIP2  Protocol = "sip2"
	LDAP  Protocol = "ldap"
)

// Default per-call deadlines, as config documents them.
const (
	DefaultCatalogTimeout = 5 * time.Second
	DefaultNCIPTimeout    = 10 * time.Second
	DefaultSIP2Timeout    = 5 * time.Second
	DefaultLDAPTimeout    = 5 * time.Second
)

// Config is one member library (or a catalogue-only external target) as
// cmd/illgw maps it from the config file's members: entry. Nil sections are
// protocols the member does not have.
type Config struct {
	Code    string // the member code; also the Z39.50/SRU database name
	Name    string
	Catalog *CatalogConfig
	NCIP    *NCIPConfig
	SIP2    *SIP2Config
	LDAP    *LDAPConfig
	Lending Lending
}

// LDAPConfig gives a member a breaker for its LDAP directory; broker/patron
// makes the LDAP calls itself through Registry.Do with protocol LDAP.
type LDAPConfig struct {
	Timeout time.Duration // 0 means DefaultLDAPTimeout
	Secrets []string      // bind password and the like, kept out of LastError
}

// CatalogConfig is a member's Z39.50 or SRU target: exactly one of Z3950 and
// SRU is set.
type CatalogConfig struct {
	Z3950    string        // "host:port/Database"
	SRU      string        // http(s) base URL of the database
	Charset  string        // "marc8" or "utf-8" (default); utf-8 proposes Z39.50 charset negotiation
	Timeout  time.Duration // deadline of each call; 0 means DefaultCatalogTimeout
	User     string        // Z39.50 idPass user; empty means no authentication
	Password string        // never logged or shown in errors
}

// NCIPConfig is a member ILS's NCIP responder.
type NCIPConfig struct {
	URL     string
	Agency  string        // the member's agency id (ToAgencyId)
	Timeout time.Duration // 0 means DefaultNCIPTimeout
	Secret  string        // sent in FromAgencyAuthentication; never logged
	// Quirks of the member's ILS (reference/ncip-ill.md §1.8).
	UnqualifiedVersion bool
	ContentType        string // "text/xml" sends text/xml; anything else application/xml
	ApplicationProfile string
}

// SIP2Config is a member ILS's SIP2 server (the gateway is the SC).
type SIP2Config struct {
	Addr        string
	TLS         *tls.Config // nil means plaintext
	Login       string
	Password    string // never logged
	Institution string
	Location    string
	Charset     string        // sip2.ParseCharset names; "" means utf-8
	Timeout     time.Duration // 0 means DefaultSIP2Timeout
	Pool        int           // connections; 0 means 4
}

// Lending says whether a member takes part in interlibrary loans.
type Lending struct {
	Lends, Borrows      bool
	InstitutionalPatron string
}

// BreakerConfig is the config file's breaker: section, applied to every
// breaker. Zero fields take the defaults DESIGN.md fixes: failures 5, ratio
// 0.5, min_requests 10, window 30s, open_for 20s, probes 2.
type BreakerConfig struct {
	Failures    uint32        // consecutive failures that trip
	Ratio       float64       // failure ratio over Window that trips, once MinRequests calls have ended
	MinRequests uint32        // calls with an outcome in the window before Ratio counts
	Window      time.Duration // rolling window of the ratio (gobreaker Interval, in 6 buckets)
	OpenFor     time.Duration // open period before half-open probes; also the flag's lifetime
	Probes      uint32        // half-open probes (gobreaker MaxRequests); that many successes close it
}

func (b BreakerConfig) withDefaults() BreakerConfig {
	if b.Failures == 0 {
		b.Failures = 5
	}
	if b.Ratio == 0 {
		b.Ratio = 0.5
	}
	if b.MinRequests == 0 {
		b.MinRequests = 10
	}
	if b.Window == 0 {
		b.Window = 30 * time.Second
	}
	if b.OpenFor == 0 {
		b.OpenFor = 20 * time.Second
	}
	if b.Probes == 0 {
		b.Probes = 2
	}
	return b
}

func (b BreakerConfig) check() error {
	switch {
	case b.Ratio < 0 || b.Ratio > 1:
		return fmt.Errorf("member: breaker ratio %v not in 0..1", b.Ratio)
	case b.Window < time.Millisecond || b.OpenFor < time.Millisecond:
		// A bare 4 in Go is 4ns (reference/reliability-security.md §2.1).
		return fmt.Errorf("member: breaker window %v and open_for %v must be at least 1ms", b.Window, b.OpenFor)
	}
	return nil
}

// Options configure a Registry. The broker never reads the config file:
// cmd/illgw maps config.Member and config.Breaker onto these fields.
type Options struct {
	// Members in configuration order. Codes must be unique.
	Members []Config
	// Breaker settings for every breaker.
	Breaker BreakerConfig
	// Flags is the state store holding the consortium-wide open flags;
	// broker/state.Store satisfies it. Nil keeps breakers local to this
	// instance.
	Flags FlagStore
	// FlagTimeout bounds each flag read or write: 0 means 200ms. A slow or
	// dead store never holds a call up longer than this; the local breaker
	// still protects the member (reliability-security.md §2.4: degrade).
	FlagTimeout time.Duration
	// FlagRecheck is how long a flag read is trusted: 0 means 500ms;
	// negative reads the store before every call.
	FlagRecheck time.Duration
	// Instance names this gateway instance in the flags it writes: "" means
	// the host name.
	Instance string
	// Agency is the gateway's own NCIP agency id (FromAgencyId of calls to
	// members): "" means "ILLGW".
	Agency string
	// MaxConcurrent caps calls in flight per member and protocol; calls
	// beyond it fail at once with ErrBusy: 0 means 64.
	MaxConcurrent int
	// IsFailure decides whether an error counts against the breaker; nil
	// means IsFailure of this package. Calls the caller cancelled are
	// never counted.
	IsFailure func(error) bool
	// Metrics receives breaker and call metrics: nil means none.
	Metrics *Metrics
	// HTTPClient sends NCIP and SRU requests: nil means one shared client
	// with keep-alive connections. Deadlines come from Do either way.
	HTTPClient *http.Client
	// Logger receives transitions and flag-store trouble (never secrets or
	// patron data): nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock of health timestamps: nil means time.Now.
	Now func() time.Time
}

// checkCode refuses codes that cannot be a flag-key segment or a metric
// label worth reading: 1..64 bytes of letters, digits, '-', '_' and '.'.
func checkCode(code string) error {
	if code == "" || len(code) > 64 {
		return fmt.Errorf("member: code %q: length %d not in 1..64", code, len(code))
	}
	for _, c := range code {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("member: code %q: only letters, digits, '-', '_' and '.' are allowed", code)
		}
	}
	return nil
}

// checkMember validates one member's sections.
func checkMember(m *Config) error {
	if err := checkCode(m.Code); err != nil {
		return err
	}
	if c := m.Catalog; c != nil {
		if (c.Z3950 == "") == (c.SRU == "") {
			return fmt.Errorf("member %s: catalog needs exactly one of z3950 and sru", m.Code)
		}
		if c.Z3950 != "" {
			if _, _, err := splitZ3950(c.Z3950); err != nil {
				return fmt.Errorf("member %s: %w", m.Code, err)
			}
		}
		if c.SRU != "" {
			if u, err := url.Parse(c.SRU); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return fmt.Errorf("member %s: catalog sru %q is not an http(s) URL", m.Code, c.SRU)
			}
		}
		switch strings.ToLower(c.Charset) {
		case "", "utf-8", "utf8", "marc8", "marc-8":
		default:
			return fmt.Errorf("member %s: catalog charset %q (want marc8 or utf-8)", m.Code, c.Charset)
		}
	}
	if n := m.NCIP; n != nil {
		if u, err := url.Parse(n.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("member %s: ncip url is not an http(s) URL", m.Code)
		}
	}
	if s := m.SIP2; s != nil {
		if s.Addr == "" {
			return fmt.Errorf("member %s: sip2 addr is empty", m.Code)
		}
		if s.Charset != "" {
			if _, err := sip2.ParseCharset(s.Charset); err != nil {
				return fmt.Errorf("member %s: %w", m.Code, err)
			}
		}
	}
	return nil
}

// splitZ3950 splits "host:port/Database"; the database defaults to
// "Default", as YAZ's does.
func splitZ3950(s string) (addr, db string, err error) {
	addr, db, _ = strings.Cut(s, "/")
	if db == "" {
		db = "Default"
	}
	if i := strings.LastIndexByte(addr, ':'); i <= 0 || i == len(addr)-1 {
		return "", "", fmt.Errorf("catalog z3950 %q is not host:port/Database", s)
	}
	return addr, db, nil
}

func orDuration(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
