package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"

	"github.com/illgw/illgw/broker"
	"github.com/illgw/illgw/broker/loan"
	"github.com/illgw/illgw/broker/member"
	"github.com/illgw/illgw/broker/patron"
	"github.com/illgw/illgw/config"
)

// snapshot is one immutable generation of what SIGHUP reloads: the config
// file as read, and the broker built from it (terminals, partners, members
// with their registry, breakers and LDAP directories, databases) with its
// loan engine and the NCIP and SRU handlers. Every call reads the current
// one through gateway.cur, so a reader never sees half of one generation
// and half of the next.
type snapshot struct {
	cfg      *config.Config
	registry *member.Registry
	dirs     map[string]*patron.LDAP
	loans    *loan.Engine
	impls    map[string]any // gRPC service name -> the broker's implementation
	descs    []*grpc.ServiceDesc
	ncip     http.Handler
	sru      http.Handler

	active  atomic.Int64 // calls in flight on this generation
	retired atomic.Bool  // replaced: new calls go to the next one
}

// capture is a grpc.ServiceRegistrar that keeps the broker's services
// instead of serving them, so that the servers can dispatch to whichever
// broker is current.
type capture struct {
	impls map[string]any
	descs []*grpc.ServiceDesc
}

func (c *capture) RegisterService(d *grpc.ServiceDesc, impl any) {
	c.impls[d.ServiceName] = impl
	c.descs = append(c.descs, d)
}

// build makes a snapshot of cfg: a member registry, the directories, a
// broker and its (running) loan engine. On error nothing is left open.
func (g *gateway) build(cfg *config.Config) (_ *snapshot, err error) {
	s := &snapshot{cfg: cfg, impls: map[string]any{}}
	if s.registry, err = member.New(registryOptions(cfg, g.store, g.log, g.memberMetrics)); err != nil {
		return nil, fmt.Errorf("members: %w", err)
	}
	if s.dirs, err = directories(cfg, g.store, g.log); err != nil {
		s.registry.Close()
		return nil, err
	}
	bo := brokerOptions(cfg, g.store, g.log)
	circulationOptions(&bo, cfg, s.registry, s.dirs)
	bo.Search = searchOptions(cfg)
	bo.Loans = loanOptions(cfg)
	b := broker.New(bo)
	c := &capture{impls: s.impls}
	b.Register(c)
	s.descs = c.descs
	s.loans = startLoans(b, g.log)
	return s, nil
}

// frontEnds builds the snapshot's HTTP handlers over the broker
// connection (which always reaches the current snapshot).
func (g *gateway) frontEnds(s *snapshot) {
	s.ncip = bodyDeadline{h: ncipServer(s.cfg, g.loop.cc, g.log), d: ncipBodyTimeout}
	s.sru = sruServer(s.cfg, g.loop.cc, g, "/sru/")
}

// close releases the snapshot's outbound clients once nothing calls them.
func (s *snapshot) close(ctx context.Context, g *gateway) {
	stopLoans(ctx, s.loans, g.log)
	if s.registry != nil {
		s.registry.Close()
	}
	for _, d := range s.dirs {
		d.Close()
	}
}

// acquire returns the current snapshot, counted as in use until release.
func (g *gateway) acquire() *snapshot {
	for {
		s := g.cur.Load()
		s.active.Add(1)
		if !s.retired.Load() {
			return s
		}
		s.active.Add(-1) // swapped meanwhile: the next Load sees the new one
	}
}

func (s *snapshot) release() { s.active.Add(-1) }

// current is the handler of the current snapshot, chosen per request.
func (g *gateway) current(pick func(*snapshot) http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := g.acquire()
		defer s.release()
		pick(s).ServeHTTP(w, r)
	})
}

// registerCurrent registers the broker's services on r so that every call
// runs on the snapshot current when it starts, and keeps it until it ends.
func (g *gateway) registerCurrent(descs []*grpc.ServiceDesc) func(grpc.ServiceRegistrar) {
	return func(r grpc.ServiceRegistrar) {
		for _, d := range descs {
			name := d.ServiceName
			nd := *d
			nd.HandlerType = (*any)(nil)
			nd.Methods = slices.Clone(d.Methods)
			for i := range nd.Methods {
				h := d.Methods[i].Handler
				nd.Methods[i].Handler = func(_ any, ctx context.Context, dec func(any) error, in grpc.UnaryServerInterceptor) (any, error) {
					s := g.acquire()
					defer s.release()
					return h(s.impls[name], ctx, dec, in)
				}
			}
			nd.Streams = slices.Clone(d.Streams)
			for i := range nd.Streams {
				h := d.Streams[i].Handler
				nd.Streams[i].Handler = func(_ any, st grpc.ServerStream) error {
					s := g.acquire()
					defer s.release()
					return h(s.impls[name], st)
				}
			}
			r.RegisterService(&nd, struct{}{})
		}
	}
}

// retireWait bounds how long a replaced snapshot waits for its calls in
// flight (a Loans.Watch stream may never end) before its clients close.
const retireWait = 30 * time.Second

// retire closes old once its calls in flight have ended (at most
// retireWait, or until shutdown).
func (g *gateway) retire(old *snapshot) {
	old.retired.Store(true)
	g.retiring.Go(func() {
		deadline := time.Now().Add(retireWait)
		for old.active.Load() > 0 && time.Now().Before(deadline) && !g.stopping.Load() {
			time.Sleep(20 * time.Millisecond)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		old.close(ctx, g)
	})
}

// restartChange is a changed key that a reload cannot apply.
type restartChange struct {
	key      string
	old, new any
}

// needsRestart lists the keys whose change takes a restart: listener
// addresses (plain and TLS) and the state store.
func needsRestart(old, next *config.Config) []restartChange {
	var out []restartChange
	add := func(key string, a, b any) {
		if !reflect.DeepEqual(a, b) {
			out = append(out, restartChange{key, a, b})
		}
	}
	add("listen.sip2", old.Listen.SIP2, next.Listen.SIP2)
	add("listen.z3950", old.Listen.Z3950, next.Listen.Z3950)
	add("listen.http", old.Listen.HTTP, next.Listen.HTTP)
	add("listen.grpc", old.Listen.GRPC, next.Listen.GRPC)
	add("tls.sip2.listen", old.TLS.SIP2.Listen, next.TLS.SIP2.Listen)
	add("tls.http.listen", old.TLS.HTTP.Listen, next.TLS.HTTP.Listen)
	add("tls.grpc.client_ca", old.TLS.GRPC.ClientCA, next.TLS.GRPC.ClientCA)
	add("tls.sip2.client_ca", old.TLS.SIP2.ClientCA, next.TLS.SIP2.ClientCA)
	add("tls.http.client_ca", old.TLS.HTTP.ClientCA, next.TLS.HTTP.ClientCA)
	add("state", old.State, next.State)
	add("sip2", old.SIP2, next.SIP2)
	return out
}

// reload applies cfg (already validated by config.Load): it builds a new
// snapshot and re-reads the TLS certificates; only when all of that
// succeeds are they swapped in. Connections and calls in flight keep
// going: kiosks stay logged in, a call finishes on the snapshot it started
// on. Keys that need a restart are logged one by one and keep their
// running values.
func (g *gateway) reload(cfg *config.Config) error {
	g.reloadMu.Lock()
	defer g.reloadMu.Unlock()
	if g.stopping.Load() {
		return errors.New("stopping")
	}
	old := g.cur.Load()
	certs, err := g.certs.load(cfg)
	if err != nil {
		return err
	}
	next, err := g.build(cfg)
	if err != nil {
		return err
	}
	g.frontEnds(next)
	for _, c := range needsRestart(old.cfg, cfg) {
		g.log.Warn("reload: this change needs a restart; the running value stays until then", "key", c.key, "running", c.old, "file", c.new)
	}
	g.certs.install(certs)
	g.cur.Store(next)
	g.retire(old)
	g.log.Info("reload: configuration applied", "members", len(cfg.Members), "terminals", len(cfg.Terminals),
		"partners", len(cfg.Partners), "databases", len(cfg.Databases), "certificates", len(certs))
	return nil
}

// certSource serves a listener's current certificate; a reload replaces
// it, and the next TLS handshake gets the new one while established
// connections keep theirs.
type certSource struct {
	name string // tls.sip2, tls.http, tls.grpc
	cur  atomic.Pointer[tls.Certificate]
}

func (c *certSource) get(*tls.ClientHelloInfo) (*tls.Certificate, error) { return c.cur.Load(), nil }

// certSet is every TLS listener's certificate source.
type certSet struct {
	mu   sync.Mutex
	list []*certSource
}

func (cs *certSet) add(name string, cert tls.Certificate) *certSource {
	s := &certSource{name: name}
	s.cur.Store(&cert)
	cs.mu.Lock()
	cs.list = append(cs.list, s)
	cs.mu.Unlock()
	return s
}

// load reads each source's certificate and key again from the files cfg
// names, without installing them.
func (cs *certSet) load(cfg *config.Config) (map[*certSource]*tls.Certificate, error) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	out := map[*certSource]*tls.Certificate{}
	for _, s := range cs.list {
		var t config.TLSListener
		switch s.name {
		case "tls.sip2":
			t = cfg.TLS.SIP2
		case "tls.http":
			t = cfg.TLS.HTTP
		case "tls.grpc":
			t = cfg.TLS.GRPC
		}
		if t.Cert == "" || t.Key == "" {
			return nil, fmt.Errorf("%s: cert and key are needed while the listener runs (removing it takes a restart)", s.name)
		}
		c, err := tls.LoadX509KeyPair(t.Cert, t.Key)
		if err != nil {
			return nil, fmt.Errorf("%s: loading certificate: %w", s.name, err)
		}
		out[s] = &c
	}
	return out, nil
}

func (cs *certSet) install(m map[*certSource]*tls.Certificate) {
	for s, c := range m {
		s.cur.Store(c)
	}
}
