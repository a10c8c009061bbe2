package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"

	"github.com/illgw/illgw/broker"
	"github.com/illgw/illgw/broker/member"
	"github.com/illgw/illgw/broker/state"
	"github.com/illgw/illgw/config"
	"github.com/illgw/illgw/sip2"
	"github.com/illgw/illgw/z3950"
)

// shutdownBudget is how long a SIGTERM may take in all: in-flight requests
// get this long to finish before connections are cut (DESIGN.md: "stop
// accepting, finish in-flight requests (bounded)"). It leaves a margin under
// the 10 s a supervisor usually allows.
const shutdownBudget = 8 * time.Second

// gateway is one running illgw: the state store, the broker behind its gRPC
// server, and the HTTP listener. The protocol front ends attach to it as
// their issues land: SIP2 and Z39.50 as listeners, NCIP and SRU as handlers
// on mux (/ncip, /sru/{database}).
type gateway struct {
	cfg     *config.Config
	log     *slog.Logger
	store   state.Store
	metrics *metrics
	grpc    *grpc.Server
	health  *health.Server
	mux     *http.ServeMux
	servers []*http.Server

	// Circulation (issue 6): the member registry and patron directories the
	// broker calls out through, the in-process gRPC path the adapters use,
	// and the SIP2 servers (plain and TLS).
	//
	// cur is the reloadable part (reload.go): registry, directories,
	// broker, loan engine and HTTP handlers built from one config file;
	// SIGHUP swaps it whole.
	cur           atomic.Pointer[snapshot]
	reloadMu      sync.Mutex
	retiring      sync.WaitGroup // replaced snapshots waiting to close
	certs         certSet        // TLS certificates, re-read on reload
	memberMetrics *member.Metrics
	loop          *loopback
	sip2          []*sip2.Server
	z3950         *z3950.Server // the catalogue front end (issue 5)

	// waitFor are further conditions /healthz requires, each returning nil
	// once its part is up: the simulated members of the demo register here
	// when they land (DESIGN.md: "every listener and (in the demo) every
	// simulated member is up").
	waitFor []func() error

	// addrs are the bound addresses by listener name, once listening.
	addrs    map[string]string
	up       atomic.Bool // every listener is serving
	stopping atomic.Bool
	errc     chan error
	wg       sync.WaitGroup
}

// start opens the store, binds every configured listener and serves. It
// returns once all listeners accept connections, or with the first error
// (having released whatever it had opened).
//
// With a startOptions, the front ends may call a remote broker (serve
// -broker-addr).
func start(ctx context.Context, cfg *config.Config, log *slog.Logger, with ...startOptions) (_ *gateway, err error) {
	var so startOptions
	if len(with) > 0 {
		so = with[0]
	}
	version, commit := buildVersion()
	g := &gateway{
		cfg:     cfg,
		log:     log,
		metrics: newMetrics(version, commit),
		mux:     http.NewServeMux(),
		addrs:   map[string]string{},
		errc:    make(chan error, 4),
	}
	var listeners []net.Listener
	defer func() {
		if err != nil {
			for _, ln := range listeners {
				ln.Close()
			}
			if g.loop != nil {
				g.loop.stop()
			}
			if s := g.cur.Load(); s != nil {
				s.close(context.Background(), g)
			}
			if g.store != nil {
				g.store.Close()
			}
		}
	}()

	g.waitFor = so.waitFor
	grpcCreds, err := grpcTLS(cfg, &g.certs)
	if err != nil {
		return nil, err
	}
	if cfg.Listen.GRPC != "" && !isLoopback(cfg.Listen.GRPC) && (grpcCreds == nil || cfg.TLS.GRPC.ClientCA == "") {
		return nil, fmt.Errorf("listen.grpc %s is not loopback: refusing to serve the broker API there without tls.grpc cert, key and client_ca", cfg.Listen.GRPC)
	}

	g.store, err = state.Open(ctx, stateOptions(cfg))
	if err != nil {
		return nil, fmt.Errorf("state store (%s): %w", cfg.State.Driver, err)
	}
	if g.memberMetrics, err = member.NewMetrics(g.metrics.reg); err != nil {
		return nil, fmt.Errorf("member metrics: %w", err)
	}
	snap, err := g.build(cfg)
	if err != nil {
		return nil, err
	}
	g.cur.Store(snap)
	register := g.registerCurrent(snap.descs)

	opts := []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(g.metrics.unary, logUnary(log)),
		grpc.ChainStreamInterceptor(g.metrics.stream),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
		grpc.MaxRecvMsgSize(4 << 20),
	}
	// The in-process adapters reach the broker without TLS on an
	// in-memory connection, through the same interceptors.
	if so.brokerAddr != "" {
		g.loop, err = dialBroker(so)
	} else {
		g.loop, err = newLoopback(register, opts...)
	}
	if err != nil {
		return nil, fmt.Errorf("broker connection of the front ends: %w", err)
	}
	if grpcCreds != nil {
		opts = append(opts, grpc.Creds(grpcCreds))
	}
	g.grpc = grpc.NewServer(opts...)
	register(g.grpc)
	g.health = health.NewServer()
	g.health.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	healthpb.RegisterHealthServer(g.grpc, g.health)
	reflection.Register(g.grpc)

	g.mux.HandleFunc("GET /healthz", g.healthz)
	g.mux.HandleFunc("GET /readyz", g.readyz)
	g.mux.Handle("GET /metrics", promhttp.HandlerFor(g.metrics.reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}))
	g.frontEnds(snap)
	g.mountNCIP()
	g.mountSRU()

	bind := func(name, addr string) (net.Listener, error) {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("listen.%s %s: %w", name, addr, err)
		}
		listeners = append(listeners, ln)
		g.addrs[name] = ln.Addr().String()
		return g.metrics.listen(name, ln), nil
	}
	var grpcLn, httpLn, httpsLn net.Listener
	if cfg.Listen.GRPC != "" {
		if grpcLn, err = bind("grpc", cfg.Listen.GRPC); err != nil {
			return nil, err
		}
	}
	if cfg.Listen.HTTP != "" {
		if httpLn, err = bind("http", cfg.Listen.HTTP); err != nil {
			return nil, err
		}
	}
	if t := cfg.TLS.HTTP; t.Listen != "" {
		tc, err := serverTLS("tls.http", t, &g.certs)
		if err != nil {
			return nil, fmt.Errorf("tls.http: %w", err)
		}
		ln, err := bind("https", t.Listen)
		if err != nil {
			return nil, err
		}
		httpsLn = tls.NewListener(ln, tc)
	}
	sipSrv, sipTLS, err := sip2Server(cfg, g.loop.cc, log, &g.certs)
	if err != nil {
		return nil, err
	}
	// One SIP2 server for both listeners, so the overall, per-address and
	// per-account caps count plain and TLS connections together.
	var sipLns []net.Listener
	if cfg.Listen.SIP2 != "" {
		ln, err := bind("sip2", cfg.Listen.SIP2)
		if err != nil {
			return nil, err
		}
		sipLns = append(sipLns, ln)
	}
	if sipTLS != nil {
		ln, err := bind("sip2-tls", cfg.TLS.SIP2.Listen)
		if err != nil {
			return nil, err
		}
		sipLns = append(sipLns, tls.NewListener(ln, sipTLS))
	}
	if len(sipLns) > 0 {
		g.sip2 = append(g.sip2, sipSrv)
	}
	var z3950Ln net.Listener
	if cfg.Listen.Z3950 != "" {
		if z3950Ln, err = bind("z3950", cfg.Listen.Z3950); err != nil {
			return nil, err
		}
	}

	if g.loop.srv != nil {
		g.serve("grpc-loopback", func() error { return g.loop.srv.Serve(g.loop.ln) })
	}
	if grpcLn != nil {
		g.serve("grpc", func() error { return g.grpc.Serve(grpcLn) })
	}
	if z3950Ln != nil {
		g.serveZ3950(z3950Ln, g.loop.cc)
	}
	for _, ln := range sipLns {
		g.serve("sip2", func() error { return sipSrv.Serve(ln) })
	}
	for _, ln := range []net.Listener{httpLn, httpsLn} {
		if ln == nil {
			continue
		}
		srv := &http.Server{
			Handler:           g.mux,
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		}
		g.servers = append(g.servers, srv)
		g.serve("http", func() error { return srv.Serve(ln) })
	}
	g.up.Store(true)
	g.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	for _, name := range broker.ServiceNames {
		g.health.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
	}
	log.Info("illgw started", "version", version, "commit", commit, "state", cfg.State.Driver, "grpc", g.addrs["grpc"], "http", g.addrs["http"], "grpc_tls", grpcCreds != nil,
		"sip2", g.addrs["sip2"], "sip2_tls", g.addrs["sip2-tls"], "z3950", g.addrs["z3950"], "remote_broker", so.brokerAddr)
	return g, nil
}

// serve runs a server's loop and reports an unexpected end on errc.
func (g *gateway) serve(name string, run func() error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		err := run()
		if g.stopping.Load() || errors.Is(err, http.ErrServerClosed) || errors.Is(err, grpc.ErrServerStopped) {
			return
		}
		g.errc <- fmt.Errorf("%s listener: %w", name, err)
	}()
}

// healthz answers 200 once every listener is up, 503 before and while
// stopping (DESIGN.md "External contract").
func (g *gateway) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	switch {
	case g.stopping.Load():
		http.Error(w, "stopping", http.StatusServiceUnavailable)
	case !g.up.Load():
		http.Error(w, "starting", http.StatusServiceUnavailable)
	default:
		for _, check := range g.waitFor {
			if err := check(); err != nil {
				http.Error(w, "starting: "+err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		io.WriteString(w, "ok\n")
	}
}

// readyz is healthz plus a Ping of the state store.
func (g *gateway) readyz(w http.ResponseWriter, r *http.Request) {
	if !g.up.Load() || g.stopping.Load() {
		g.healthz(w, r)
		return
	}
	for _, check := range g.waitFor {
		if err := check(); err != nil {
			http.Error(w, "starting: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := g.store.Ping(ctx); err != nil {
		g.log.Warn("readyz: state store does not answer", "err", err)
		http.Error(w, "state store unavailable", http.StatusServiceUnavailable)
		return
	}
	io.WriteString(w, "ok\n")
}

// shutdown stops accepting, lets in-flight requests finish until ctx ends,
// then cuts what is left and closes the store.
func (g *gateway) shutdown(ctx context.Context) error {
	g.stopping.Store(true)
	g.health.Shutdown()
	endLoanWatches(g.cur.Load().loans)
	// The front ends first: their in-flight requests need the broker.
	g.stopCatalog(ctx)
	// SIP2 first: its in-flight requests need the broker to finish.
	g.stopCirculation(ctx)
	var wg sync.WaitGroup
	for _, srv := range g.servers {
		wg.Go(func() {
			if err := srv.Shutdown(ctx); err != nil {
				g.log.Warn("http: in-flight requests cut at the shutdown deadline", "err", err)
				srv.Close()
			}
		})
	}
	wg.Go(func() {
		done := make(chan struct{})
		go func() { g.grpc.GracefulStop(); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
			g.log.Warn("grpc: in-flight calls cut at the shutdown deadline")
			g.grpc.Stop()
			<-done
		}
	})
	wg.Wait()
	g.wg.Wait()
	g.retiring.Wait()
	g.cur.Load().close(ctx, g)
	return g.store.Close()
}

// grpcTLS returns the gRPC server's credentials from tls.grpc, or nil when
// no certificate is configured.
func grpcTLS(cfg *config.Config, certs *certSet) (credentials.TransportCredentials, error) {
	t := cfg.TLS.GRPC
	if t.Cert == "" && t.Key == "" {
		if t.ClientCA != "" {
			return nil, errors.New("tls.grpc.client_ca needs tls.grpc cert and key")
		}
		return nil, nil
	}
	tc, err := serverTLS("tls.grpc", t, certs)
	if err != nil {
		return nil, fmt.Errorf("tls.grpc: %w", err)
	}
	return credentials.NewTLS(tc), nil
}

// serverTLS builds a TLS 1.2+ server configuration; with a client CA,
// clients must present a certificate it signed. The certificate is served
// through certs, so a reload replaces it for new handshakes.
func serverTLS(name string, t config.TLSListener, certs *certSet) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(t.Cert, t.Key)
	if err != nil {
		return nil, fmt.Errorf("loading certificate: %w", err)
	}
	tc := &tls.Config{GetCertificate: certs.add(name, cert).get, MinVersion: tls.VersionTLS12}
	if t.ClientCA != "" {
		pool, err := certPool("client_ca", t.ClientCA)
		if err != nil {
			return nil, err
		}
		tc.ClientCAs = pool
		tc.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return tc, nil
}

// isLoopback reports whether a listen address binds only loopback. An empty
// host ("":50051) binds every interface and is not loopback.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
