package main

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/illgw/illgw/config"
	"github.com/illgw/illgw/internal/sim"
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
	log := newLogger(cfg.Log, stderr)
	members, err := startMembers(cfg, log)
	if err != nil {
		log.Error("illgw demo: cannot start the simulated members", "err", err)
		return 1
	}
	defer closeMembers(members, log)
	// The members' readiness is a /healthz condition from the start
	// (DESIGN.md: "every simulated member is up").
	so := startOptions{waitFor: []func() error{members.Ready}}
	return runGateway(cfg, log, func(g *gateway) { printDemo(stdout, g, members, *statePath == "") }, so)
}

// startMembers starts the simulated member libraries on free loopback
// ports, points the configuration's members at them, and returns once
// every one accepts connections, so the gateway's /healthz (which the
// gateway answers only after this) never reports up before its members.
func startMembers(cfg *config.Config, log *slog.Logger) (*sim.Consortium, error) {
	opts := sim.Options{Logger: log.With("part", "sim"), Names: map[string]string{}}
	for _, m := range cfg.Members {
		opts.Members = append(opts.Members, m.Code)
		opts.Names[m.Code] = m.Name
		if m.SIP2 != nil && opts.SIP2Password == "" {
			opts.SIP2Login, opts.SIP2Password = m.SIP2.Login, m.SIP2.Password.Value
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := sim.Start(ctx, opts)
	if err != nil {
		return nil, err
	}
	for i := range cfg.Members {
		m, sm := &cfg.Members[i], c.Member(cfg.Members[i].Code)
		if m.Catalog != nil {
			m.Catalog.Z3950, m.Catalog.SRU = sm.Z3950Addr+"/"+m.Code, ""
		}
		if m.NCIP != nil {
			m.NCIP.URL = sm.NCIPURL
		}
		if m.SIP2 != nil {
			m.SIP2.Addr = sm.SIP2Addr
		}
	}
	if err := c.Ready(); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// printDemo prints the endpoints, the simulated members and a few commands
// to try. Each line says what this build serves.
func printDemo(w io.Writer, g *gateway, members *sim.Consortium, temporary bool) {
	fmt.Fprintln(w, "illgw demo is running. Endpoints:")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	if a := g.addrs["grpc"]; a != "" {
		fmt.Fprintf(tw, "  gRPC\t%s\tbroker API, gRPC health, reflection\n", a)
	}
	if a := g.addrs["http"]; a != "" {
		fmt.Fprintf(tw, "  HTTP\thttp://%s\t/ncip /sru/{db} /healthz /readyz /metrics\n", a)
	}
	if a := g.addrs["sip2"]; a != "" {
		fmt.Fprintf(tw, "  SIP2\t%s\tkiosk1/kiosk1pass at NORTH\n", a)
	} else {
		fmt.Fprintf(tw, "  SIP2\t%s\tnot served by this build\n", g.cfg.Listen.SIP2)
	}
	if a := g.addrs["z3950"]; a != "" {
		fmt.Fprintf(tw, "  Z39.50/SRU\t%s\tdatabases NORTH, SOUTH, EAST, consortium\n", a)
	} else {
		fmt.Fprintf(tw, "  Z39.50/SRU\t%s\tnot served by this build\n", g.cfg.Listen.Z3950)
	}
	tw.Flush()
	fmt.Fprintln(w, "Simulated member libraries (in-process; SIP2 login gw):")
	tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, m := range members.Members {
		fmt.Fprintf(tw, "  %s\tSIP2 %s\tNCIP %s\tZ39.50/SRU %s/%s\t%d records\n", m.Code, m.SIP2Addr, m.NCIPURL, m.Z3950Addr, m.Code, len(m.Records))
	}
	tw.Flush()
	store := g.cfg.State.Path
	if temporary {
		store += " (temporary, removed at exit; -state PATH keeps it)"
	}
	fmt.Fprintf(w, "State store: embedded, %s\n", store)
	fmt.Fprintln(w, "Members: NORTH, SOUTH, EAST; database consortium; kiosk kiosk1/kiosk1pass at NORTH; NCIP partner PARTNER1 acting for NORTH.")
	fmt.Fprintln(w, "Patrons N0001 (PIN 1234) and blocked N0002 at NORTH, items NI0001..NI0010; S... at SOUTH, E... at EAST.")
	grpcAddr, httpAddr := g.addrs["grpc"], g.addrs["http"]
	fmt.Fprintln(w, "Try:")
	fmt.Fprintf(w, "  curl http://%s/healthz\n", httpAddr)
	fmt.Fprintf(w, "  curl -s http://%s/metrics | grep ^illgw_\n", httpAddr)
	fmt.Fprintf(w, "  go run ./cmd/illctl -addr %s members\n", grpcAddr)
	fmt.Fprintf(w, "  go run ./cmd/illctl -addr %s health\n", grpcAddr)
	fmt.Fprintf(w, "  go run ./cmd/illctl -addr %s search -pqf '@attr 1=7 0839108826'   # 1 merged record, held by NORTH and EAST\n", grpcAddr)
	fmt.Fprintf(w, "  go run ./cmd/illctl -addr %s loans create -requester NORTH -patron N0001 -title 'The Puget Sound Region'   # held by SOUTH and EAST\n", grpcAddr)
	fmt.Fprintf(w, "  go run ./cmd/illctl -addr %s loans list\n", grpcAddr)
	fmt.Fprintf(w, "  curl -s 'http://%s/sru/consortium?version=1.2&operation=searchRetrieve&query=dc.title%%3Dcomputer&maximumRecords=1'\n", httpAddr)
	if a := g.addrs["z3950"]; a != "" {
		fmt.Fprintf(w, "  yaz-client tcp:%s/consortium   # then: find @attr 1=4 computer, show 1 (Debian package yaz)\n", a)
	}
	fmt.Fprintln(w, "  # a whole loan (NCIP request, illctl steps, SIP2 at kiosk1): README.md, \"A whole loan in the demo\"")
	fmt.Fprintln(w, "Stop with Ctrl-C.")
}

// closeMembers stops the simulated members, waiting at most a few seconds
// so that a member connection stuck on a loaded machine cannot hold the
// process past its shutdown budget.
func closeMembers(c *sim.Consortium, log *slog.Logger) {
	done := make(chan struct{})
	go func() { c.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Second):
		log.Warn("illgw demo: simulated members still closing; exiting anyway")
	}
}
