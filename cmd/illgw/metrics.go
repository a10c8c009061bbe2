package main

import (
	"context"
	"log/slog"
	"net"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

// metrics is the gateway's Prometheus registry. Every name starts illgw_
// (DESIGN.md "External contract"); the Go runtime and process collectors
// are registered under the same prefix.
type metrics struct {
	reg         *prometheus.Registry
	connections *prometheus.GaugeVec   // illgw_connections{listener}
	connTotal   *prometheus.CounterVec // illgw_connections_total{listener}
	requests    *prometheus.CounterVec // illgw_requests_total{protocol,operation,code}
	duration    *prometheus.HistogramVec
}

func newMetrics(version, commit string) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		connections: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "illgw_connections",
			Help: "Open connections per listener.",
		}, []string{"listener"}),
		connTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "illgw_connections_total",
			Help: "Connections accepted per listener.",
		}, []string{"listener"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "illgw_requests_total",
			Help: "Broker requests per protocol, operation and gRPC status code.",
		}, []string{"protocol", "operation", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "illgw_request_duration_seconds",
			Help:    "Broker request latency per protocol and operation.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"protocol", "operation"}),
	}
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "illgw_build_info",
		Help: "Always 1; the labels say which build is running.",
	}, []string{"version", "commit", "goversion"})
	build.WithLabelValues(version, commit, runtime.Version()).Set(1)
	wrapped := prometheus.WrapRegistererWithPrefix("illgw_", m.reg)
	wrapped.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.reg.MustRegister(m.connections, m.connTotal, m.requests, m.duration, build)
	return m
}

// Release builds may set these with
// -ldflags "-X main.releaseVersion=v1.0.0 -X main.releaseCommit=abc123";
// otherwise the build information Go records is used.
var releaseVersion, releaseCommit string

// buildVersion returns the module version and VCS revision the binary was
// built from, as `go version -m` shows them.
func buildVersion() (version, commit string) {
	defer func() {
		if releaseVersion != "" {
			version = releaseVersion
		}
		if releaseCommit != "" {
			commit = releaseCommit
		}
	}()
	version, commit = "(devel)", "unknown"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return
	}
	if bi.Main.Version != "" {
		version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				commit += "-dirty"
			}
		}
	}
	return
}

// countListener counts the connections a listener accepts and holds open.
type countListener struct {
	net.Listener
	open  prometheus.Gauge
	total prometheus.Counter
}

func (m *metrics) listen(name string, ln net.Listener) net.Listener {
	return &countListener{Listener: ln, open: m.connections.WithLabelValues(name), total: m.connTotal.WithLabelValues(name)}
}

func (l *countListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.total.Inc()
	l.open.Inc()
	return &countConn{Conn: c, open: l.open}, nil
}

type countConn struct {
	net.Conn
	open prometheus.Gauge
	once sync.Once
}

func (c *countConn) Close() error {
	c.once.Do(c.open.Dec)
	return c.Conn.Close()
}

// protocolOf is the protocol an adapter put in the request's metadata, or
// "grpc" for a direct client. Only known names are used as label values,
// so a client cannot grow the label set.
func protocolOf(ctx context.Context) string {
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get(illgwv1.ProtocolMetadataKey); len(v) > 0 {
		switch v[0] {
		case "sip2", "z3950", "sru", "ncip":
			return v[0]
		}
	}
	return "grpc"
}

func (m *metrics) observe(ctx context.Context, method string, start time.Time, err error) {
	proto := protocolOf(ctx)
	m.requests.WithLabelValues(proto, method, status.Code(err).String()).Inc()
	m.duration.WithLabelValues(proto, method).Observe(time.Since(start).Seconds())
}

// unary records every unary broker call. The operation label is the full
// gRPC method name, bounded by the registered services.
func (m *metrics) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	start := time.Now()
	resp, err := h(ctx, req)
	m.observe(ctx, info.FullMethod, start, err)
	return resp, err
}

func (m *metrics) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	start := time.Now()
	err := h(srv, ss)
	m.observe(ss.Context(), info.FullMethod, start, err)
	return err
}

// logUnary logs each broker call at debug level: method, protocol, code and
// duration, never the request (it may carry PINs and passwords).
func logUnary(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if !log.Enabled(ctx, slog.LevelDebug) {
			return h(ctx, req)
		}
		start := time.Now()
		resp, err := h(ctx, req)
		log.DebugContext(ctx, "grpc call", "method", info.FullMethod, "protocol", protocolOf(ctx),
			"code", status.Code(err).String(), "duration", time.Since(start))
		return resp, err
	}
}
