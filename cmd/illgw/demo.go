package main

import (
	_ "embed"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/illgw/illgw/config"
)

//go:embed demo.yaml
var demoYAML []byte

// demoConfig is the embedded demo configuration with the flags' overrides.
func demoConfig(statePath, sip2, z3950, http, grpc string) (*config.Config, error) {
	cfg, err := config.Parse(demoYAML, "demo.yaml")
	if err != nil {
		return nil, err
	}
	cfg.State.Path = statePath
	cfg.Listen.SIP2, cfg.Listen.Z3950, cfg.Listen.HTTP, cfg.Listen.GRPC = sip2, z3950, http, grpc
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

func cmdDemo(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("demo", stderr)
	statePath := fs.String("state", "", "embedded store `PATH` to keep between runs (default: a temporary file removed at exit)")
	sip2 := fs.String("sip2", config.DefaultSIP2Addr, "SIP2 listen `ADDR`")
	z3950 := fs.String("z3950", config.DefaultZ3950Addr, "Z39.50 listen `ADDR`")
	httpAddr := fs.String("http", config.DefaultHTTPAddr, "HTTP listen `ADDR` (/healthz, /readyz, /metrics)")
	grpcAddr := fs.String("grpc", config.DefaultGRPCAddr, "gRPC listen `ADDR` (broker API)")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	if st := parseFlags(fs, args); st >= 0 {
		return st
	}
	path := *statePath
	if path == "" {
		dir, err := os.MkdirTemp("", "illgw-demo-")
		if err != nil {
			fmt.Fprintf(stderr, "illgw demo: %v\n", err)
			return 1
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "illgw.db")
	}
	cfg, err := demoConfig(path, *sip2, *z3950, *httpAddr, *grpcAddr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	cfg.Log.Format, cfg.Log.Level = *logFormat, *logLevel
	if err := cfg.Validate(); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	return runGateway(cfg, newLogger(cfg.Log, stderr), func(g *gateway) { printDemo(stdout, g, *statePath == "") })
}

// printDemo prints the endpoints and a few commands to try.
func printDemo(w io.Writer, g *gateway, temporary bool) {
	fmt.Fprintln(w, "illgw demo is running. Endpoints:")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	if a := g.addrs["grpc"]; a != "" {
		fmt.Fprintf(tw, "  gRPC\t%s\tbroker API, gRPC health, reflection\n", a)
	}
	if a := g.addrs["http"]; a != "" {
		fmt.Fprintf(tw, "  HTTP\thttp://%s\t/healthz /readyz /metrics\n", a)
	}
	fmt.Fprintf(tw, "  SIP2\t%s\tnot served yet (issue 6)\n", g.cfg.Listen.SIP2)
	fmt.Fprintf(tw, "  Z39.50/SRU\t%s\tnot served yet (issue 5)\n", g.cfg.Listen.Z3950)
	tw.Flush()
	store := g.cfg.State.Path
	if temporary {
		store += " (temporary, removed at exit; -state PATH keeps it)"
	}
	fmt.Fprintf(w, "State store: embedded, %s\n", store)
	fmt.Fprintln(w, "Members: NORTH, SOUTH, EAST; database consortium; kiosk kiosk1/kiosk1pass at NORTH; NCIP partner PARTNER1 acting for NORTH.")
	grpcAddr, httpAddr := g.addrs["grpc"], g.addrs["http"]
	fmt.Fprintln(w, "Try:")
	fmt.Fprintf(w, "  curl http://%s/healthz\n", httpAddr)
	fmt.Fprintf(w, "  curl -s http://%s/metrics | grep ^illgw_\n", httpAddr)
	fmt.Fprintf(w, "  go run ./cmd/illctl -addr %s members\n", grpcAddr)
	fmt.Fprintf(w, "  go run ./cmd/illctl -addr %s health\n", grpcAddr)
	fmt.Fprintf(w, "  go run ./cmd/illctl -addr %s loans create -requester NORTH -patron N0001 -title 'Computer networks'\n", grpcAddr)
	fmt.Fprintf(w, "  go run ./cmd/illctl -addr %s loans list\n", grpcAddr)
	fmt.Fprintln(w, "Stop with Ctrl-C.")
}
