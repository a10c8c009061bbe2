package main

import (
	"context"
	"errors"
	"net"
	"net/http"

	"google.golang.org/grpc"

	"github.com/illgw/illgw/broker"
	"github.com/illgw/illgw/config"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
	"github.com/illgw/illgw/z3950"
	"github.com/illgw/illgw/z3950/adapter"
	"github.com/illgw/illgw/z3950/cql"
	"github.com/illgw/illgw/z3950/sru"
)

// searchOptions maps the config file's search: section onto the Catalog
// service's options. cache_ttl 0s turns the cache off; config supplies the
// 30s default.
func searchOptions(cfg *config.Config) broker.SearchOptions {
	s := cfg.Search
	return broker.SearchOptions{CacheTTL: s.CacheTTL, MaxRecordsPerMember: s.MaxRecordsPerMember, ResultSetTTL: s.ResultSetTTL}
}

// sruServer is the SRU front end (SRU 1.2/2.0 over the same adapter as
// Z39.50): database = the path's last segment after prefix; result sets
// are named and kept in the state store for search.result_set_ttl, so a
// client continues one with cql.resultSetId="id" on any instance.
func sruServer(cfg *config.Config, cc grpc.ClientConnInterface, g *gateway, prefix string) *sru.Server {
	return &sru.Server{
		Backend:         &adapter.Backend{Client: illgwv1.NewCatalogClient(cc), Protocol: "sru"},
		PathPrefix:      prefix,
		DefaultDatabase: defaultDatabase(cfg),
		ResultSetTTL:    searchOptions(cfg).ResultSetTTL,
		Logger:          g.log,
	}
}

// defaultDatabase is the database an SRU request without one searches:
// the first virtual database by name, else the first member.
func defaultDatabase(cfg *config.Config) string {
	if _, ok := cfg.Databases["consortium"]; ok {
		return "consortium"
	}
	best := ""
	for name := range cfg.Databases {
		if best == "" || name < best {
			best = name
		}
	}
	if best == "" && len(cfg.Members) > 0 {
		best = cfg.Members[0].Code
	}
	return best
}

// mountSRU answers SRU at /sru/{database} on the HTTP listener.
func (g *gateway) mountSRU() {
	g.mux.Handle("/sru/", g.current(func(s *snapshot) http.Handler { return s.sru }))
}

// serveZ3950 serves Z39.50 on ln (listen.z3950) with the catalogue
// adapter over cc; an HTTP request on the same port is answered as SRU,
// as YAZ servers do.
func (g *gateway) serveZ3950(ln net.Listener, cc grpc.ClientConnInterface) {
	srv := &z3950.Server{
		Backend:     &adapter.Backend{Client: illgwv1.NewCatalogClient(cc)},
		HTTPHandler: sruServer(g.cfg, cc, g, "/"),
		MapCQL:      cql.Default().MapCQL,
		MARC8:       g.cfg.Search.MARC8,
		Logger:      g.log,
	}
	g.z3950 = srv
	g.serve("z3950", func() error {
		err := srv.Serve(ln)
		if errors.Is(err, z3950.ErrServerClosed) {
			return http.ErrServerClosed // an orderly stop, as serve expects
		}
		return err
	})
}

// stopCatalog stops the Z39.50 listener: no new associations; searches in
// flight finish until ctx ends, then connections are cut.
func (g *gateway) stopCatalog(ctx context.Context) {
	if g.z3950 == nil {
		return
	}
	if err := g.z3950.Shutdown(ctx); err != nil && !errors.Is(err, z3950.ErrServerClosed) {
		g.log.Warn("z3950: in-flight searches cut at the shutdown deadline", "err", err)
	}
}
