package config

import "time"

// Default listener addresses (DESIGN.md, "External contract").
const (
	DefaultSIP2Addr  = "127.0.0.1:6001"
	DefaultZ3950Addr = "127.0.0.1:2100"
	DefaultHTTPAddr  = "127.0.0.1:8080"
	DefaultGRPCAddr  = "127.0.0.1:50051"
)

// DefaultAgency is the gateway's own NCIP agency id (ncip.agency).
const DefaultAgency = "ILLGW"

// Default returns a configuration with every default applied and no
// members: the gateway it describes listens on loopback only and keeps its
// state in ./var/illgw.db. Load starts from it, so a key left out of the
// file keeps the value Default gives it.
func Default() *Config {
	c := &Config{
		Listen: Listen{
			SIP2:  DefaultSIP2Addr,
			Z3950: DefaultZ3950Addr,
			HTTP:  DefaultHTTPAddr,
			GRPC:  DefaultGRPCAddr,
		},
		State: State{
			Driver:        "embedded",
			Path:          "./var/illgw.db",
			DialTimeout:   2 * time.Second,
			ReadTimeout:   time.Second,
			WriteTimeout:  time.Second,
			Partitions:    16,
			SweepInterval: time.Minute,
		},
		Search: Search{
			CacheTTL:            30 * time.Second,
			MaxRecordsPerMember: 100,
			ResultSetTTL:        10 * time.Minute,
		},
		Databases: map[string][]string{},
		Loans: Loans{
			LenderTimeout: LenderTimeout{
				Normal:  72 * time.Hour,
				Rush:    24 * time.Hour,
				Express: 2 * time.Hour,
			},
			AnonymiseAfter: 720 * time.Hour,
		},
		Breaker: Breaker{
			Failures:      5,
			Ratio:         0.5,
			MinRequests:   10,
			Window:        30 * time.Second,
			OpenFor:       20 * time.Second,
			Probes:        2,
			MaxConcurrent: 64,
			FlagTimeout:   200 * time.Millisecond,
			FlagRecheck:   500 * time.Millisecond,
		},
		Log: Log{Format: "text", Level: "info"},
		SIP2: SIP2{
			LoginTimeout:   30 * time.Second,
			IdleTimeout:    10 * time.Minute,
			MaxMessage:     4096,
			MaxConnections: 1024,
			MaxPerIP:       16,
		},
		NCIP: NCIPGateway{Agency: DefaultAgency},
	}
	return c
}

// setDefaults fills the defaults of a list element or optional block
// before the decoder reads it, so that a key left out keeps its default and
// a key written as 0 is seen (and refused) as 0.
func setDefaults(p any) {
	switch v := p.(type) {
	case *Catalog:
		v.Charset = "utf-8"
		v.Timeout = 5 * time.Second
	case *NCIP:
		v.Timeout = 10 * time.Second
		v.ContentType = "application/xml"
	case *Upstream:
		v.Charset = "utf-8"
		v.Timeout = 5 * time.Second
		v.Pool = 4
	case *LDAP:
		v.Timeout = 5 * time.Second
		v.Attrs.Name = "cn"
		v.Attrs.Email = "mail"
		v.Attempts = LDAPAttempts{Max: 5, Window: 15 * time.Minute, LockFor: 15 * time.Minute}
		v.Pool = LDAPPool{Size: 4, IdleTimeout: 5 * time.Minute, CheckAfter: 30 * time.Second}
	case *Terminal:
		v.Charset = "utf-8"
		v.MaxConnections = 4
	}
}

// memberDefaults fills the defaults that depend on other keys of the
// member: the NCIP agency and SIP2 institution default to the member's
// code, and a member with NCIP lends and borrows unless told otherwise.
func memberDefaults(m *Member) {
	if m.NCIP != nil && m.NCIP.Agency == "" {
		m.NCIP.Agency = m.Code
	}
	if m.SIP2 != nil && m.SIP2.Institution == "" {
		m.SIP2.Institution = m.Code
	}
	hasNCIP := m.NCIP != nil
	if m.Lending.Lends == nil {
		m.Lending.Lends = &hasNCIP
	}
	if m.Lending.Borrows == nil {
		b := hasNCIP
		m.Lending.Borrows = &b
	}
}
