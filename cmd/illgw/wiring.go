package main

import (
	"crypto/tls"
	"io"
	"log/slog"

	"github.com/illgw/illgw/broker"
	"github.com/illgw/illgw/broker/state"
	"github.com/illgw/illgw/config"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

// stateOptions maps the config file's state: section onto the store's
// options.
func stateOptions(cfg *config.Config) state.Options {
	s := cfg.State
	o := state.Options{
		Driver:       s.Driver,
		Path:         s.Path,
		Addrs:        s.Addrs,
		MasterName:   s.MasterName,
		Username:     s.Username,
		Password:     s.Password.Value,
		DB:           s.DB,
		DialTimeout:  s.DialTimeout,
		ReadTimeout:  s.ReadTimeout,
		WriteTimeout: s.WriteTimeout,
		Partitions:   s.Partitions,

		Cluster:          s.Cluster,
		SentinelUsername: s.SentinelUsername,
		SentinelPassword: s.SentinelPassword.Value,
		SweepInterval:    s.SweepInterval,
	}
	if s.TLS {
		o.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return o
}

// brokerOptions maps members: and databases: onto the broker's options.
func brokerOptions(cfg *config.Config, store state.Store, log *slog.Logger) broker.Options {
	o := broker.Options{
		Store:       store,
		StoreDriver: cfg.State.Driver,
		Databases:   cfg.Databases,
		Logger:      log,
	}
	for i := range cfg.Members {
		m := &cfg.Members[i]
		bm := broker.Member{Code: m.Code, Name: m.Name, Lends: m.Lends(), Borrows: m.Borrows()}
		if c := m.Catalog; c != nil {
			if c.Z3950 != "" {
				bm.Protocols = append(bm.Protocols, illgwv1.Protocol_PROTOCOL_Z3950)
			}
			if c.SRU != "" {
				bm.Protocols = append(bm.Protocols, illgwv1.Protocol_PROTOCOL_SRU)
			}
		}
		if m.NCIP != nil {
			bm.Protocols = append(bm.Protocols, illgwv1.Protocol_PROTOCOL_NCIP)
		}
		if m.SIP2 != nil {
			bm.Protocols = append(bm.Protocols, illgwv1.Protocol_PROTOCOL_SIP2)
		}
		if m.Patrons.LDAP != nil {
			bm.Protocols = append(bm.Protocols, illgwv1.Protocol_PROTOCOL_LDAP)
		}
		o.Members = append(o.Members, bm)
	}
	return o
}

// newLogger builds the slog logger log: asks for (text or json; debug,
// info, warn or error), writing to w.
func newLogger(l config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	switch l.Level {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	ho := &slog.HandlerOptions{Level: level}
	if l.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, ho))
	}
	return slog.New(slog.NewTextHandler(w, ho))
}
