// Package config is the schema of illgw's YAML configuration file: the types,
// their defaults, loading with strict decoding, secrets from environment
// variables or files, and validation. It imports nothing internal; cmd/illgw
// maps it onto the options of each part of the gateway.
package config

import (
	"fmt"
	"log/slog"
	"time"
)

// Config is a whole illgw configuration file.
type Config struct {
	Listen    Listen              `yaml:"listen"`
	TLS       TLS                 `yaml:"tls"`
	State     State               `yaml:"state"`
	Search    Search              `yaml:"search"`
	Members   []Member            `yaml:"members"`
	Databases map[string][]string `yaml:"databases"`
	Terminals []Terminal          `yaml:"terminals"`
	Partners  []Partner           `yaml:"partners"`
	Loans     Loans               `yaml:"loans"`
	Breaker   Breaker             `yaml:"breaker"`
	Log       Log                 `yaml:"log"`
	SIP2      SIP2                `yaml:"sip2"`
	NCIP      NCIPGateway         `yaml:"ncip"`

	// File is the path the configuration was loaded from, for messages.
	File string `yaml:"-"`

	// lines maps key paths to their lines in File (see Line).
	lines map[string]int
}

// Listen holds the plaintext listener addresses. An empty address turns the
// listener off.
type Listen struct {
	SIP2  string `yaml:"sip2"`  // default 127.0.0.1:6001
	Z3950 string `yaml:"z3950"` // default 127.0.0.1:2100
	HTTP  string `yaml:"http"`  // default 127.0.0.1:8080
	GRPC  string `yaml:"grpc"`  // default 127.0.0.1:50051
	// AllowPlaintext permits a plaintext SIP2 listener on a non-loopback
	// address. SIP2 carries terminal passwords and patron PINs in the clear.
	AllowPlaintext bool `yaml:"allow_plaintext"`
}

// TLS configures the TLS listeners and the gRPC server's certificates.
type TLS struct {
	SIP2 TLSListener `yaml:"sip2"`
	HTTP TLSListener `yaml:"http"`
	GRPC TLSListener `yaml:"grpc"`
}

// TLSListener is one TLS endpoint. For sip2 and http, Listen is a separate
// address; for grpc the certificate applies to listen.grpc and Listen is
// unused. ClientCA, when set, requires client certificates signed by it.
type TLSListener struct {
	Listen   string `yaml:"listen"`
	Cert     string `yaml:"cert"`
	Key      string `yaml:"key"`
	ClientCA string `yaml:"client_ca"`
}

// State selects and configures the state store.
type State struct {
	Driver string `yaml:"driver"` // "embedded" (default) or "redis"
	Path   string `yaml:"path"`   // embedded: the bbolt file, default ./var/illgw.db

	// Redis: Addrs with one address is a single node; several addresses are a
	// Cluster unless MasterName names a Sentinel master.
	Addrs        []string      `yaml:"addrs"`
	MasterName   string        `yaml:"master_name"`
	Username     string        `yaml:"username"`
	Password     Secret        `yaml:"password"`
	DB           int           `yaml:"db"`
	TLS          bool          `yaml:"tls"`
	DialTimeout  time.Duration `yaml:"dial_timeout"`  // default 2s
	ReadTimeout  time.Duration `yaml:"read_timeout"`  // default 1s
	WriteTimeout time.Duration `yaml:"write_timeout"` // default 1s
	Partitions   int           `yaml:"partitions"`    // default 16; fixed for the life of a store

	// Cluster forces Redis Cluster mode with a single seed address (several
	// addresses without MasterName are a Cluster anyway).
	Cluster bool `yaml:"cluster"`
	// SentinelUsername and SentinelPassword authenticate to the Sentinels
	// themselves (Sentinel only; Username and Password are the master's).
	SentinelUsername string `yaml:"sentinel_username"`
	SentinelPassword Secret `yaml:"sentinel_password"`
	// SweepInterval is how often the embedded store deletes expired
	// entries (search cache, result sets, flags); default 1m.
	SweepInterval time.Duration `yaml:"sweep_interval"`
}

// Search configures federated catalogue search.
type Search struct {
	CacheTTL            time.Duration `yaml:"cache_ttl" config:"zero-off"` // default 30s; 0 turns the cache off
	MaxRecordsPerMember int           `yaml:"max_records_per_member"`      // default 100
	ResultSetTTL        time.Duration `yaml:"result_set_ttl"`              // SRU result sets; default 10m
	// MARC8 serves MARC records in MARC-8 to Z39.50 clients that do not
	// negotiate UTF-8 (older cataloguing clients); false (the default)
	// serves UTF-8 to every client.
	MARC8 bool `yaml:"marc8_for_old_clients"`
}

// Member is one member library (or an external catalogue-only target).
type Member struct {
	Code    string    `yaml:"code"`
	Name    string    `yaml:"name"`
	Catalog *Catalog  `yaml:"catalog"`
	NCIP    *NCIP     `yaml:"ncip"`
	SIP2    *Upstream `yaml:"sip2"`
	Patrons Patrons   `yaml:"patrons"`
	Lending Lending   `yaml:"lending"`
}

// Catalog is a member's Z39.50 or SRU target. Exactly one of Z3950 and SRU is set.
type Catalog struct {
	Z3950    string        `yaml:"z3950"`   // host:port/Database
	SRU      string        `yaml:"sru"`     // http(s) base URL
	Charset  string        `yaml:"charset"` // marc8 or utf-8; default utf-8
	Timeout  time.Duration `yaml:"timeout"` // default 5s
	User     string        `yaml:"user"`
	Password Secret        `yaml:"password"`
}

// NCIP is a member ILS's NCIP responder and the secrets on both directions.
type NCIP struct {
	URL     string        `yaml:"url"`
	Agency  string        `yaml:"agency"`
	Timeout time.Duration `yaml:"timeout"` // default 10s
	// Secret is sent in FromAgencyAuthentication on calls to the member.
	Secret Secret `yaml:"secret"`
	// InboundSecret is what the member's ILS must send to illgw.
	InboundSecret Secret `yaml:"inbound_secret"`
	// Quirks for the member's ILS.
	UnqualifiedVersion bool   `yaml:"unqualified_version"`
	ContentType        string `yaml:"content_type"` // default application/xml
	ApplicationProfile string `yaml:"application_profile"`
}

// Upstream is a member ILS's SIP2 server.
type Upstream struct {
	Addr        string        `yaml:"addr"`
	TLS         bool          `yaml:"tls"`
	Login       string        `yaml:"login"`
	Password    Secret        `yaml:"password"`
	Institution string        `yaml:"institution"`
	Location    string        `yaml:"location"`
	Charset     string        `yaml:"charset"` // default utf-8
	Timeout     time.Duration `yaml:"timeout"` // default 5s
	Pool        int           `yaml:"pool"`    // connections; default 4
}

// Patrons says where a member's patrons are authenticated: exactly one source.
type Patrons struct {
	SIP2 bool  `yaml:"sip2"`
	NCIP bool  `yaml:"ncip"`
	LDAP *LDAP `yaml:"ldap"`
}

// LDAP is a directory for patron authentication.
type LDAP struct {
	URL      string        `yaml:"url"`
	StartTLS bool          `yaml:"start_tls"`
	BindDN   string        `yaml:"bind_dn"`
	Password Secret        `yaml:"password"`
	BaseDN   string        `yaml:"base_dn"`
	Filter   string        `yaml:"filter"`  // e.g. (&(objectClass=person)(uid=%s)); %s is the escaped barcode
	Timeout  time.Duration `yaml:"timeout"` // default 5s
	Attrs    LDAPAttrs     `yaml:"attributes"`
	// CompareAttr, when set, verifies a PIN by an LDAP compare on that
	// attribute instead of binding as the patron's entry.
	CompareAttr string        `yaml:"compare_attribute"`
	CacheTTL    time.Duration `yaml:"cache_ttl" config:"zero-off"` // positive lookups; 0 (default) is off

	// CAFile is a PEM bundle of the CAs that sign the directory's
	// certificate, for ldaps:// and StartTLS; empty means the system roots.
	CAFile string `yaml:"ca_file"`
	// Attempts limits wrong PINs per patron.
	Attempts LDAPAttempts `yaml:"attempts"`
	// Pool configures the connections kept to the directory.
	Pool LDAPPool `yaml:"pool"`
}

// LDAPAttempts limits wrong PINs per patron across every gateway instance
// (counted in the state store): Max wrong PINs within Window lock the
// patron for LockFor. Max 0 turns the limit off.
type LDAPAttempts struct {
	Max     int           `yaml:"max"`      // default 5; 0 is off
	Window  time.Duration `yaml:"window"`   // fixed window from the first wrong PIN; default 15m
	LockFor time.Duration `yaml:"lock_for"` // default 15m
}

// LDAPPool configures the connections kept to a directory (one pool for
// searches as the service account, one for PIN binds).
type LDAPPool struct {
	Size        int           `yaml:"size"`         // open connections per pool; default 4
	IdleTimeout time.Duration `yaml:"idle_timeout"` // idle connections are closed after it; default 5m
	CheckAfter  time.Duration `yaml:"check_after"`  // an idle connection is checked before reuse after it; default 30s
}

// LDAPAttrs maps directory attributes to patron fields.
type LDAPAttrs struct {
	Name    string `yaml:"name"`  // default cn
	Email   string `yaml:"email"` // default mail
	Expiry  string `yaml:"expiry"`
	Blocked string `yaml:"blocked"`
	Type    string `yaml:"type"`
}

// Lending says whether a member takes part in interlibrary loans.
type Lending struct {
	Lends               *bool  `yaml:"lends"`   // default true when the member has NCIP
	Borrows             *bool  `yaml:"borrows"` // default true when the member has NCIP
	InstitutionalPatron string `yaml:"institutional_patron"`
}

// Terminal is one self-check kiosk account.
type Terminal struct {
	Login          string   `yaml:"login"`
	PasswordHash   string   `yaml:"password_hash"` // bcrypt, from illgw hash-password
	Member         string   `yaml:"member"`
	Charset        string   `yaml:"charset"` // ascii, ibm850, iso-8859-1 or utf-8 (default)
	AllowedCIDRs   []string `yaml:"allowed_cidrs"`
	MaxConnections int      `yaml:"max_connections"` // default 4
}

// Partner is an outside ILL system allowed to send NCIP to illgw.
type Partner struct {
	Agency string `yaml:"agency"`
	Secret Secret `yaml:"secret"`
	// ClientCertCN maps a TLS client certificate's common name to this partner.
	ClientCertCN string `yaml:"client_cert_cn"`
	// Member is the member library the partner acts for.
	Member string `yaml:"member"`
}

// Loans configures interlibrary-loan brokering.
type Loans struct {
	LenderTimeout  LenderTimeout `yaml:"lender_timeout"`
	AnonymiseAfter time.Duration `yaml:"anonymise_after"` // default 720h
}

// LenderTimeout is how long a lender has to answer, per service level.
type LenderTimeout struct {
	Normal  time.Duration `yaml:"normal"`  // default 72h
	Rush    time.Duration `yaml:"rush"`    // default 24h
	Express time.Duration `yaml:"express"` // default 2h
}

// Breaker configures every outbound circuit breaker (sony/gobreaker v2).
type Breaker struct {
	Failures    uint32        `yaml:"failures"`     // consecutive failures that trip; default 5
	Ratio       float64       `yaml:"ratio"`        // failure ratio that trips; default 0.5
	MinRequests uint32        `yaml:"min_requests"` // before the ratio counts; default 10
	Window      time.Duration `yaml:"window"`       // rolling window; default 30s
	OpenFor     time.Duration `yaml:"open_for"`     // default 20s
	Probes      uint32        `yaml:"probes"`       // half-open probes; default 2

	// MaxConcurrent caps calls in flight per member and protocol; a call
	// beyond it fails at once (the member counts as busy). Default 64.
	MaxConcurrent int `yaml:"max_concurrent"`
	// FlagTimeout bounds each read or write of the consortium-wide open
	// flag in the state store; a slow store never holds a call up longer.
	// Default 200ms.
	FlagTimeout time.Duration `yaml:"flag_timeout"`
	// FlagRecheck is how long a flag read is trusted before the store is
	// asked again. Default 500ms.
	FlagRecheck time.Duration `yaml:"flag_recheck"`
}

// Log configures structured logging.
type Log struct {
	Format string `yaml:"format"` // text (default) or json
	Level  string `yaml:"level"`  // debug, info (default), warn, error
}

// SIP2 holds SIP2 server limits.
type SIP2 struct {
	LoginTimeout   time.Duration `yaml:"login_timeout"`   // default 30s
	IdleTimeout    time.Duration `yaml:"idle_timeout"`    // default 10m
	MaxMessage     int           `yaml:"max_message"`     // bytes; default 4096
	MaxConnections int           `yaml:"max_connections"` // overall; default 1024
	MaxPerIP       int           `yaml:"max_per_ip"`      // default 16
	// ReplaySecret is mixed into the HMAC key of the replay digests kept
	// for kiosk retries (with each terminal's login and password). Give
	// every instance sharing a state store the same one. Optional.
	ReplaySecret Secret `yaml:"replay_secret"`
}

// NCIPGateway is the gateway's own NCIP identity.
type NCIPGateway struct {
	// Agency is the gateway's agency id: the FromAgencyId of its calls to
	// members' ILSes and the agency part of the request ids it makes
	// (NCIP 2.02 Part 1 §"InitiationHeader"). Default ILLGW.
	Agency string `yaml:"agency"`
}

// Secret is a value that may be given inline (value), by environment
// variable (env) or by file (file, trailing newline trimmed). In YAML it is
// either a mapping {env: NAME} / {file: PATH} / {value: ...}, and for each
// secret field X the sibling keys X_env and X_file are accepted as
// shorthands (password_env: NAME), as DESIGN.md's examples write them.
// Load resolves it; Value then holds the secret.
type Secret struct {
	Env   string `yaml:"env"`
	File  string `yaml:"file"`
	Value string `yaml:"value"`
}

// String never reveals the value.
func (s Secret) String() string {
	if s.Value == "" {
		return ""
	}
	return "[redacted]"
}

// IsSet reports whether the secret was configured at all.
func (s Secret) IsSet() bool { return s.Env != "" || s.File != "" || s.Value != "" }

// GoString never reveals the value either (fmt's %#v).
func (s Secret) GoString() string {
	return fmt.Sprintf("config.Secret{Env:%q, File:%q, Value:%q}", s.Env, s.File, s.String())
}

// LogValue keeps the value out of log/slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalYAML writes the secret as it was given ({env: NAME} or
// {file: PATH}); an inline value is written as [redacted].
func (s Secret) MarshalYAML() (any, error) {
	switch {
	case s.Env != "":
		return map[string]string{"env": s.Env}, nil
	case s.File != "":
		return map[string]string{"file": s.File}, nil
	case s.Value != "":
		return map[string]string{"value": s.String()}, nil
	}
	return nil, nil
}
