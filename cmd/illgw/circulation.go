package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/illgw/illgw/broker"
	"github.com/illgw/illgw/broker/member"
	"github.com/illgw/illgw/broker/patron"
	"github.com/illgw/illgw/broker/state"
	"github.com/illgw/illgw/config"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
	"github.com/illgw/illgw/sip2"
	"github.com/illgw/illgw/sip2/adapter"
)

// registryOptions maps members: and breaker: onto the member registry's
// options: one breaker per member and protocol, open flags shared through
// the state store.
func registryOptions(cfg *config.Config, store state.Store, log *slog.Logger, m *member.Metrics) member.Options {
	b := cfg.Breaker
	o := member.Options{
		Breaker: member.BreakerConfig{Failures: b.Failures, Ratio: b.Ratio, MinRequests: b.MinRequests,
			Window: b.Window, OpenFor: b.OpenFor, Probes: b.Probes},
		Flags:         store,
		FlagTimeout:   b.FlagTimeout,
		FlagRecheck:   b.FlagRecheck,
		MaxConcurrent: b.MaxConcurrent,
		Agency:        cfg.NCIP.Agency,
		Metrics:       m,
		Logger:        log,
	}
	for i := range cfg.Members {
		cm := &cfg.Members[i]
		mc := member.Config{Code: cm.Code, Name: cm.Name,
			Lending: member.Lending{Lends: cm.Lends(), Borrows: cm.Borrows(), InstitutionalPatron: cm.Lending.InstitutionalPatron}}
		if c := cm.Catalog; c != nil {
			mc.Catalog = &member.CatalogConfig{Z3950: c.Z3950, SRU: c.SRU, Charset: c.Charset, Timeout: c.Timeout,
				User: c.User, Password: c.Password.Value}
		}
		if n := cm.NCIP; n != nil {
			mc.NCIP = &member.NCIPConfig{URL: n.URL, Agency: n.Agency, Timeout: n.Timeout, Secret: n.Secret.Value,
				UnqualifiedVersion: n.UnqualifiedVersion, ContentType: n.ContentType, ApplicationProfile: n.ApplicationProfile}
		}
		if s := cm.SIP2; s != nil {
			mc.SIP2 = &member.SIP2Config{Addr: s.Addr, Login: s.Login, Password: s.Password.Value, Institution: s.Institution,
				Location: s.Location, Charset: s.Charset, Timeout: s.Timeout, Pool: s.Pool}
			if s.TLS {
				mc.SIP2.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
			}
		}
		if l := cm.Patrons.LDAP; l != nil {
			mc.LDAP = &member.LDAPConfig{Timeout: l.Timeout, Secrets: []string{l.Password.Value}}
		}
		o.Members = append(o.Members, mc)
	}
	return o
}

// directories opens an LDAP authenticator for every member whose patrons
// are checked against a directory (members[].patrons.ldap), keyed by code.
func directories(cfg *config.Config, store state.Store, log *slog.Logger) (map[string]*patron.LDAP, error) {
	out := map[string]*patron.LDAP{}
	for i := range cfg.Members {
		cm := &cfg.Members[i]
		l := cm.Patrons.LDAP
		if l == nil {
			continue
		}
		b := cfg.Breaker
		tc, err := ldapTLS(l)
		if err != nil {
			for _, d := range out {
				d.Close()
			}
			return nil, fmt.Errorf("members %s patrons.ldap: %w", cm.Code, err)
		}
		attempts := patron.AttemptOptions{Max: l.Attempts.Max, Window: l.Attempts.Window, LockFor: l.Attempts.LockFor}
		if attempts.Max == 0 {
			attempts.Max = -1 // config: 0 turns the limit off
		}
		d, err := patron.NewLDAP(patron.LDAPOptions{
			TLS: tc, Attempts: attempts,
			PoolSize: l.Pool.Size, IdleTimeout: l.Pool.IdleTimeout, CheckAfter: l.Pool.CheckAfter,
			Member: cm.Code, URL: l.URL, StartTLS: l.StartTLS, BindDN: l.BindDN, BindPassword: l.Password.Value,
			BaseDN: l.BaseDN, Filter: l.Filter, CompareAttr: l.CompareAttr, Timeout: l.Timeout, CacheTTL: l.CacheTTL,
			Attrs: patron.Attributes{Name: l.Attrs.Name, Email: l.Attrs.Email, Expiry: l.Attrs.Expiry, Blocked: l.Attrs.Blocked, Type: l.Attrs.Type},
			Breaker: patron.BreakerOptions{Failures: b.Failures, Ratio: b.Ratio, MinRequests: b.MinRequests,
				Window: b.Window, OpenFor: b.OpenFor, Probes: b.Probes},
			Store: store, Logger: log,
		})
		if err != nil {
			for _, d := range out {
				d.Close()
			}
			return nil, fmt.Errorf("members %s patrons.ldap: %w", cm.Code, err)
		}
		out[cm.Code] = d
	}
	return out, nil
}

// ldapTLS is the client TLS configuration of a directory with a ca_file;
// nil (the system roots) without one.
func ldapTLS(l *config.LDAP) (*tls.Config, error) {
	if l.CAFile == "" {
		return nil, nil
	}
	pool, err := certPool("ca_file", l.CAFile)
	if err != nil {
		return nil, err
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// certPool reads the PEM certificates in file into a pool; errors name the
// setting (what) the file came from.
func certPool(what, file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no PEM certificate in %s", what, file)
	}
	return pool, nil
}

// circulationOptions adds the terminals, the registry and each member's
// patron source to the broker's options.
func circulationOptions(o *broker.Options, cfg *config.Config, reg *member.Registry, dirs map[string]*patron.LDAP) {
	o.Registry = reg
	for i := range cfg.Terminals {
		t := &cfg.Terminals[i]
		o.Terminals = append(o.Terminals, broker.Terminal{Login: t.Login, PasswordHash: t.PasswordHash, Member: t.Member,
			Charset: t.Charset, AllowedCIDRs: t.Prefixes(), MaxConnections: t.MaxConnections})
	}
	for i := range o.Members {
		cm, ok := cfg.Member(o.Members[i].Code)
		if !ok {
			continue
		}
		switch {
		case cm.Patrons.LDAP != nil:
			o.Members[i].Patrons = broker.PatronsLDAP
			if d := dirs[cm.Code]; d != nil {
				o.Members[i].Directory = d
			}
		case cm.Patrons.NCIP:
			o.Members[i].Patrons = broker.PatronsNCIP
		}
	}
}

// loopback is the path from the protocol adapters to the broker. In
// process (the default) it is a gRPC server without transport security on
// an in-memory listener, with the same interceptors (metrics, logs) as the
// public one; with `serve -broker-addr` it is a client connection to a
// remote broker, and srv and ln are nil.
type loopback struct {
	srv *grpc.Server
	ln  *bufconn.Listener
	cc  *grpc.ClientConn
}

// stop closes the connection and the in-process server.
func (l *loopback) stop() {
	l.cc.Close()
	if l.srv != nil {
		l.srv.Stop()
	}
}

// startOptions are the daemon's command-line choices that are not part of
// the configuration file.
type startOptions struct {
	// brokerAddr, when set, makes the protocol front ends call the broker
	// at this address (DESIGN.md "--broker-addr") instead of the one in
	// this process; brokerTLS secures that connection (nil: plaintext,
	// loopback only).
	brokerAddr string
	brokerTLS  *tls.Config
	// waitFor are further conditions /healthz requires (the demo's
	// simulated members), set before any listener serves.
	waitFor []func() error
	// configPath is the file SIGHUP reads again; empty (the demo) means
	// SIGHUP re-reads only the TLS certificates of the running config.
	configPath string
}

// dialBroker connects the front ends to a remote broker.
func dialBroker(o startOptions) (*loopback, error) {
	creds := insecure.NewCredentials()
	if o.brokerTLS != nil {
		creds = credentials.NewTLS(o.brokerTLS)
	} else if !isLoopback(o.brokerAddr) {
		return nil, fmt.Errorf("-broker-addr %s is not loopback: give -broker-ca (and a client certificate) to reach it over TLS", o.brokerAddr)
	}
	cc, err := grpc.NewClient("passthrough:///"+o.brokerAddr, grpc.WithTransportCredentials(creds))
	if err != nil {
		return nil, fmt.Errorf("-broker-addr %s: %w", o.brokerAddr, err)
	}
	return &loopback{cc: cc}, nil
}

// brokerClientTLS builds the TLS configuration of -broker-ca, -broker-cert
// and -broker-key; nil when none is given.
func brokerClientTLS(ca, cert, key string) (*tls.Config, error) {
	if ca == "" && cert == "" && key == "" {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if ca != "" {
		pool, err := certPool("-broker-ca", ca)
		if err != nil {
			return nil, err
		}
		tc.RootCAs = pool
	}
	if cert != "" || key != "" {
		c, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("-broker-cert/-broker-key: %w", err)
		}
		tc.Certificates = []tls.Certificate{c}
	}
	return tc, nil
}

func newLoopback(register func(grpc.ServiceRegistrar), opts ...grpc.ServerOption) (*loopback, error) {
	l := &loopback{srv: grpc.NewServer(opts...), ln: bufconn.Listen(1 << 20)}
	register(l.srv)
	cc, err := grpc.NewClient("passthrough:///illgw-loopback",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return l.ln.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	l.cc = cc
	return l, nil
}

// sip2Server builds the SIP2 server of listen.sip2 and tls.sip2: it
// serves the sip2/adapter Backend over the broker connection cc, with the
// limits of the sip2: section and the replay store in the broker's state
// store. tc is the TLS configuration of tls.sip2 (TLS 1.2+), nil when that
// listener is off; the caller wraps its listener with it.
func sip2Server(cfg *config.Config, cc grpc.ClientConnInterface, log *slog.Logger, certs *certSet) (srv *sip2.Server, tc *tls.Config, err error) {
	client := illgwv1.NewCirculationClient(cc)
	s := cfg.SIP2
	srv = &sip2.Server{
		Backend:         &adapter.Backend{Client: client},
		ReplayStore:     &adapter.ReplayStore{Client: client},
		LoginTimeout:    s.LoginTimeout,
		IdleTimeout:     s.IdleTimeout,
		MaxMessage:      s.MaxMessage,
		MaxConnections:  s.MaxConnections,
		MaxPerIP:        s.MaxPerIP,
		MatchTerminator: true,
		Logger:          log,
	}
	if k := s.ReplaySecret.Value; k != "" {
		srv.ReplayKey = []byte(k)
	}
	if t := cfg.TLS.SIP2; t.Listen != "" {
		if tc, err = serverTLS("tls.sip2", t, certs); err != nil {
			return nil, nil, fmt.Errorf("tls.sip2: %w", err)
		}
	}
	return srv, tc, nil
}

// stopCirculation shuts the SIP2 servers down (in-flight requests finish
// until ctx ends), then the loopback broker connection and the outbound
// clients.
func (g *gateway) stopCirculation(ctx context.Context) {
	for _, s := range g.sip2 {
		if err := s.Shutdown(ctx); err != nil && !errors.Is(err, sip2.ErrServerClosed) {
			g.log.Warn("sip2: in-flight requests cut at the shutdown deadline", "err", err)
		}
	}
	if g.loop != nil {
		g.loop.stop()
	}
}
