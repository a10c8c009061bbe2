package member

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"
)

// Registry holds the consortium's members and guards every outbound call
// to them. Create it with New; it is safe for concurrent use. Close it to
// flush pending flag writes and close pooled connections.
type Registry struct {
	members []*Member
	byCode  map[string]*Member

	breaker       BreakerConfig
	flags         FlagStore
	writer        *flagWriter
	flagTimeout   time.Duration
	recheck       time.Duration
	instance      string
	agency        string
	maxConcurrent int
	isFailure     func(error) bool
	metrics       *Metrics
	httpClient    *http.Client
	log           *slog.Logger
	now           func() time.Time
	secrets       map[string][]string // per member code, for sanitize

	closeOnce sync.Once
	closed    chan struct{}
}

// Member is one configured member library and its typed outbound clients.
type Member struct {
	code, name string
	lending    Lending
	protocols  []Protocol // in a fixed order: catalogue, ncip, sip2, ldap
	guards     map[Protocol]*guard

	catalog *Catalog
	ncip    *NCIPClient
	sip2    *SIP2Client
}

// Code is the member code.
func (m *Member) Code() string { return m.code }

// Name is the member's display name.
func (m *Member) Name() string { return m.name }

// Lending says whether the member lends and borrows.
func (m *Member) Lending() Lending { return m.lending }

// Protocols lists the member's outbound protocols.
func (m *Member) Protocols() []Protocol { return append([]Protocol(nil), m.protocols...) }

// Catalog is the member's Z39.50 or SRU catalogue client, or nil.
func (m *Member) Catalog() *Catalog { return m.catalog }

// NCIP is the member's NCIP client, or nil.
func (m *Member) NCIP() *NCIPClient { return m.ncip }

// SIP2 is the member's SIP2 client, or nil.
func (m *Member) SIP2() *SIP2Client { return m.sip2 }

// New builds a Registry: one breaker per member and protocol, and the
// member's typed clients. It validates the options and starts one goroutine
// that writes open flags when Flags is set.
func New(opts Options) (*Registry, error) {
	b := opts.Breaker.withDefaults()
	if err := b.check(); err != nil {
		return nil, err
	}
	r := &Registry{
		byCode:        make(map[string]*Member, len(opts.Members)),
		breaker:       b,
		flags:         opts.Flags,
		flagTimeout:   orDuration(opts.FlagTimeout, 200*time.Millisecond),
		recheck:       opts.FlagRecheck,
		instance:      opts.Instance,
		agency:        opts.Agency,
		maxConcurrent: opts.MaxConcurrent,
		isFailure:     opts.IsFailure,
		metrics:       opts.Metrics,
		httpClient:    opts.HTTPClient,
		log:           opts.Logger,
		now:           opts.Now,
		secrets:       map[string][]string{},
		closed:        make(chan struct{}),
	}
	if r.recheck == 0 {
		r.recheck = 500 * time.Millisecond
	}
	if r.instance == "" {
		h, _ := os.Hostname()
		r.instance = fmt.Sprintf("%s-%d", h, os.Getpid())
	}
	if r.agency == "" {
		r.agency = "ILLGW"
	}
	if r.maxConcurrent <= 0 {
		r.maxConcurrent = 64
	}
	if r.isFailure == nil {
		r.isFailure = IsFailure
	}
	if r.httpClient == nil {
		r.httpClient = &http.Client{Transport: newTransport(r.maxConcurrent)}
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	if r.now == nil {
		r.now = time.Now
	}
	for i := range opts.Members {
		c := opts.Members[i]
		if err := checkMember(&c); err != nil {
			return nil, err
		}
		if _, dup := r.byCode[c.Code]; dup {
			return nil, fmt.Errorf("member: code %s configured twice", c.Code)
		}
		m := r.build(c)
		r.members = append(r.members, m)
		r.byCode[c.Code] = m
	}
	if r.flags != nil {
		r.writer = newFlagWriter(r.flags, r.flagTimeout, func(key string, err error) {
			r.log.Warn("member: could not write an open flag; other instances will find out for themselves", "key", key, "error", sanitize(err, nil))
		})
	}
	return r, nil
}

// build makes a member's guards and clients.
func (r *Registry) build(c Config) *Member {
	m := &Member{code: c.Code, name: c.Name, lending: c.Lending, guards: map[Protocol]*guard{}}
	add := func(p Protocol, timeout time.Duration) *guard {
		g := newGuard(r, c.Code, p, timeout)
		m.protocols = append(m.protocols, p)
		m.guards[p] = g
		return g
	}
	if cat := c.Catalog; cat != nil {
		p := Z3950
		if cat.SRU != "" {
			p = SRU
		}
		m.catalog = newCatalog(r, add(p, orDuration(cat.Timeout, DefaultCatalogTimeout)), *cat)
		r.secrets[c.Code] = append(r.secrets[c.Code], cat.Password)
	}
	if n := c.NCIP; n != nil {
		m.ncip = newNCIPClient(r, add(NCIP, orDuration(n.Timeout, DefaultNCIPTimeout)), *n)
		r.secrets[c.Code] = append(r.secrets[c.Code], n.Secret)
	}
	if s := c.SIP2; s != nil {
		m.sip2 = newSIP2Client(add(SIP2, orDuration(s.Timeout, DefaultSIP2Timeout)), *s)
		r.secrets[c.Code] = append(r.secrets[c.Code], s.Password)
	}
	if l := c.LDAP; l != nil {
		add(LDAP, orDuration(l.Timeout, DefaultLDAPTimeout))
		r.secrets[c.Code] = append(r.secrets[c.Code], l.Secrets...)
	}
	return m
}

// Member returns the member with that code, or nil.
func (r *Registry) Member(code string) *Member { return r.byCode[code] }

// Members returns the members in configuration order.
func (r *Registry) Members() []*Member { return append([]*Member(nil), r.members...) }

// Do runs fn, one outbound call to a member, behind that member's breaker
// for protocol p. It refuses at once with an *OpenError (errors.Is ErrOpen)
// when the breaker is open here or another instance has flagged it open in
// the state store, and with ErrBusy when MaxConcurrent calls are in flight.
// Otherwise fn runs with a context that ends at the protocol's deadline (or
// ctx's, if earlier); fn must return when its context ends. Failures (see
// IsFailure) come back as a *CallError and count against the breaker;
// protocol-level answers (an NCIP Problem, a Z39.50 or SRU diagnostic) come
// back unchanged and count as successes. When the breaker opens, the open
// flag is written to the state store in the background.
func (r *Registry) Do(ctx context.Context, code string, p Protocol, fn func(context.Context) error) error {
	select {
	case <-r.closed:
		return ErrClosed
	default:
	}
	m := r.byCode[code]
	if m == nil {
		return fmt.Errorf("%w: %q", ErrUnknownMember, code)
	}
	g := m.guards[p]
	if g == nil {
		return fmt.Errorf("%w: %s has no %s", ErrNoProtocol, code, p)
	}
	return g.do(ctx, fn)
}

// Close stops the Registry: later calls fail with ErrClosed, pending flag
// writes are attempted (each bounded by FlagTimeout), and the clients'
// pooled connections are closed. Calls in flight finish on their own.
func (r *Registry) Close() error {
	r.closeOnce.Do(func() {
		close(r.closed)
		if r.writer != nil {
			r.writer.close()
		}
		for _, m := range r.members {
			if m.catalog != nil {
				m.catalog.close()
			}
			if m.sip2 != nil {
				m.sip2.close()
			}
		}
		r.httpClient.CloseIdleConnections()
	})
	return nil
}

// newTransport is the HTTP transport for members' NCIP responders and SRU
// targets: Go's default, but keeping as many idle connections per member
// as calls may be in flight to it, so a burst of concurrent calls reuses
// its connections instead of closing all but two and dialling again.
func newTransport(perHost int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = perHost
	t.MaxIdleConns = 0 // no overall cap; each member is capped above
	return t
}
