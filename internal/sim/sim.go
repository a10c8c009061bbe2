package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/illgw/illgw/ncip"
	"github.com/illgw/illgw/sip2"
	"github.com/illgw/illgw/z3950"
	"github.com/illgw/illgw/z3950/cql"
	zmem "github.com/illgw/illgw/z3950/memory"
	"github.com/illgw/illgw/z3950/sru"
)

// Options configures Start. The zero value starts NORTH, SOUTH and EAST on
// free loopback ports.
type Options struct {
	// Members are the member codes to start. Empty means DefaultMembers.
	// The catalogue split depends on this list and its order (see Split).
	Members []string
	// Addrs fixes a member's listen addresses, by member code; a missing
	// member or an empty address gets a free port on 127.0.0.1.
	Addrs map[string]Addrs
	// Names are the libraries' names (SIP2 AM), by member code. A missing
	// one is "<Code> Library" ("North Library").
	Names map[string]string
	// SIP2Login and SIP2Password are the terminal account the gateway logs
	// in to each member's ACS with. "" means "gw" and "gwpass".
	SIP2Login, SIP2Password string
	// NCIPPartners, when not empty, maps FromAgencyId to the shared secret
	// each NCIP request must carry in FromAgencyAuthentication. Empty means
	// the responders authenticate nobody.
	NCIPPartners map[string]string
	// Logger receives the servers' errors. Nil discards them.
	Logger *slog.Logger
}

// Addrs are one member's listen addresses ("host:port").
type Addrs struct{ SIP2, NCIP, Z3950 string }

// Consortium is a running set of simulated members.
type Consortium struct {
	// Members in the order of Options.Members.
	Members []*Member

	stops []func(context.Context) error
	wg    sync.WaitGroup
	once  sync.Once
}

// Member returns the member with the given code, or nil.
func (c *Consortium) Member(code string) *Member {
	for _, m := range c.Members {
		if strings.EqualFold(m.Code, code) {
			return m
		}
	}
	return nil
}

// Start builds the members' models and starts their servers. It returns
// once every listener accepts connections; ctx bounds the start only.
func Start(ctx context.Context, opts Options) (_ *Consortium, err error) {
	codes := opts.Members
	if len(codes) == 0 {
		codes = DefaultMembers
	}
	seen := map[string]bool{}
	for _, code := range codes {
		if code == "" || seen[strings.ToUpper(code)] {
			return nil, fmt.Errorf("sim: member code %q empty or repeated", code)
		}
		seen[strings.ToUpper(code)] = true
	}
	login, password := opts.SIP2Login, opts.SIP2Password
	if login == "" {
		login = "gw"
	}
	if password == "" {
		password = "gwpass"
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	recs, err := sampleRecords()
	if err != nil {
		return nil, err
	}
	holdings := split(recs, codes)
	c := &Consortium{}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	for _, code := range codes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var others []string
		for _, o := range codes {
			if o != code {
				others = append(others, o)
			}
		}
		m, err := newMember(code, opts.Names[code], recs, holdings[code], others, login, password)
		if err != nil {
			return nil, err
		}
		if err := c.serve(m, opts.Addrs[code], opts.NCIPPartners, logger); err != nil {
			return nil, err
		}
		c.Members = append(c.Members, m)
	}
	return c, nil
}

func orLoopback(a string) string {
	if a == "" {
		return "127.0.0.1:0"
	}
	return a
}

// serve starts the member's three servers, each on a fault listener.
func (c *Consortium) serve(m *Member, a Addrs, partners map[string]string, log *slog.Logger) error {
	log = log.With("member", m.Code)
	for s, addr := range map[Service]string{SIP2: a.SIP2, NCIP: a.NCIP, Catalog: a.Z3950} {
		ln, err := newFaultListener(orLoopback(addr))
		if err != nil {
			for _, l := range m.listeners {
				if l != nil {
					l.Close()
				}
			}
			return fmt.Errorf("sim: %s %s listener: %w", m.Code, s, err)
		}
		m.listeners[s] = ln
	}
	m.SIP2Addr = m.listeners[SIP2].addr
	m.NCIPURL = "http://" + m.listeners[NCIP].addr + "/ncip"
	m.Z3950Addr = m.listeners[Catalog].addr

	ss := &sip2.Server{Backend: sipBackend{m}, Logger: log, MatchTerminator: true}
	c.run(func() error { return ss.Serve(m.listeners[SIP2]) })
	c.stops = append(c.stops, ss.Shutdown)

	ns := ncip.NewServer(responder{m})
	ns.Logger = log
	if len(partners) > 0 {
		ns.Auth = &ncip.Partners{Secrets: partners}
	}
	mux := http.NewServeMux()
	mux.Handle("/ncip", ns)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	c.run(func() error { return hs.Serve(m.listeners[NCIP]) })
	c.stops = append(c.stops, hs.Shutdown)

	zb := catalogBackend{m: m, zb: &zmem.Backend{Databases: map[string]*zmem.Database{m.Code: m.catalog, "Default": m.catalog}}}
	zs := &z3950.Server{Backend: zb, Logger: log, ImplementationName: "illgw sim " + m.Code,
		MapCQL:      cql.Default().MapCQL,
		HTTPHandler: &sru.Server{Backend: zb, DefaultDatabase: m.Code, Logger: log}}
	c.run(func() error { return zs.Serve(m.listeners[Catalog]) })
	c.stops = append(c.stops, zs.Shutdown)
	return nil
}

// run serves until the server stops. Close is the only way the servers
// stop here, so the error Serve returns is not news.
func (c *Consortium) run(serve func() error) {
	c.wg.Go(func() { _ = serve() })
}

// Close stops every server, cutting open connections after a grace of one
// second (an HTTP connection that never sent a request would otherwise
// outlive it), and waits for the servers' goroutines.
func (c *Consortium) Close() error {
	var errs []error
	c.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		for _, stop := range c.stops {
			if err := stop(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
				errs = append(errs, err)
			}
		}
		for _, m := range c.Members {
			for _, l := range m.listeners {
				if l != nil {
					l.Close()
					l.cutAll() // connections still open after the grace
				}
			}
		}
		c.wg.Wait()
	})
	return errors.Join(errs...)
}

// Ready reports whether every member's servers accept connections: a nil
// error once each listener that is not switched down answers a dial. It is
// the demo's /healthz condition.
func (c *Consortium) Ready() error {
	for _, m := range c.Members {
		for _, a := range []string{m.SIP2Addr, m.listeners[NCIP].addr, m.Z3950Addr} {
			conn, err := net.DialTimeout("tcp", a, time.Second)
			if err != nil {
				return fmt.Errorf("simulated member %s at %s: %w", m.Code, a, err)
			}
			conn.Close()
		}
	}
	return nil
}
