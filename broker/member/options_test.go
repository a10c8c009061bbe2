package member

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

func TestNewRefusesBadConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"empty code", Options{Members: []Config{{Code: ""}}}, "length"},
		{"code with slash", Options{Members: []Config{{Code: "NO/RTH"}}}, "only letters"},
		{"duplicate", Options{Members: []Config{ldapMember("A"), ldapMember("A")}}, "twice"},
		{"both catalogues", Options{Members: []Config{{Code: "A", Catalog: &CatalogConfig{Z3950: "h:1/D", SRU: "http://h/"}}}}, "exactly one"},
		{"no catalogue", Options{Members: []Config{{Code: "A", Catalog: &CatalogConfig{}}}}, "exactly one"},
		{"z3950 without port", Options{Members: []Config{{Code: "A", Catalog: &CatalogConfig{Z3950: "host/Default"}}}}, "host:port"},
		{"sru not http", Options{Members: []Config{{Code: "A", Catalog: &CatalogConfig{SRU: "ftp://h/x"}}}}, "http(s)"},
		{"charset", Options{Members: []Config{{Code: "A", Catalog: &CatalogConfig{Z3950: "h:1/D", Charset: "ebcdic"}}}}, "charset"},
		{"ncip url", Options{Members: []Config{{Code: "A", NCIP: &NCIPConfig{URL: "h:1"}}}}, "ncip url"},
		{"sip2 addr", Options{Members: []Config{{Code: "A", SIP2: &SIP2Config{}}}}, "sip2 addr"},
		{"sip2 charset", Options{Members: []Config{{Code: "A", SIP2: &SIP2Config{Addr: "h:1", Charset: "klingon"}}}}, "charset"},
		{"ratio", Options{Breaker: BreakerConfig{Ratio: 1.5}}, "ratio"},
		{"nanosecond open_for", Options{Breaker: BreakerConfig{OpenFor: 4}}, "1ms"},
	} {
		r, err := New(tc.o)
		if err == nil {
			r.Close()
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
}

func TestMembersAndProtocols(t *testing.T) {
	r := newRegistry(t, Options{Members: []Config{
		{Code: "NORTH", Name: "North City Library", Catalog: &CatalogConfig{Z3950: "127.0.0.1:1/Default"},
			NCIP: &NCIPConfig{URL: "http://127.0.0.1:1/ncip"}, SIP2: &SIP2Config{Addr: "127.0.0.1:1"}, Lending: Lending{Lends: true}},
		{Code: "NAT", Catalog: &CatalogConfig{SRU: "https://example.org/sru"}},
	}})
	ms := r.Members()
	if len(ms) != 2 || ms[0].Code() != "NORTH" || ms[1].Code() != "NAT" || ms[0].Name() != "North City Library" || !ms[0].Lending().Lends {
		t.Fatalf("members %+v", ms)
	}
	if got := ms[0].Protocols(); len(got) != 3 || got[0] != Z3950 || got[1] != NCIP || got[2] != SIP2 {
		t.Fatalf("NORTH protocols %v", got)
	}
	nat := r.Member("NAT")
	if nat.NCIP() != nil || nat.SIP2() != nil || nat.Catalog() == nil || nat.Catalog().Protocol() != SRU {
		t.Fatal("catalogue-only member has other clients")
	}
	if r.Member("NOPE") != nil {
		t.Fatal("unknown member found")
	}
	hs := r.Health(t.Context())
	if len(hs) != 2 || len(hs[0].Protocols) != 3 || len(hs[1].Protocols) != 1 || hs[1].Protocols[0].State() != "closed" {
		t.Fatalf("health %+v", hs)
	}
	if d := r.Member("NORTH").guards[NCIP].timeout; d != DefaultNCIPTimeout {
		t.Fatalf("NCIP default deadline %v", d)
	}
	if k := FlagKey("NORTH", NCIP); k != "breaker-open/NORTH/ncip" {
		t.Fatalf("flag key %q", k)
	}
}

func TestSanitize(t *testing.T) {
	for _, tc := range []struct {
		err     error
		secrets []string
		absent  []string
		present []string
	}{
		{errors.New(`Post "https://gw:pa55@ils.example.org/ncip?apikey=abc123": EOF`), nil,
			[]string{"pa55", "abc123", "gw:"}, []string{"https://ils.example.org/ncip", "EOF"}},
		{errors.New("login with t0psecret refused"), []string{"t0psecret"}, []string{"t0psecret"}, []string{"[redacted]"}},
		{errors.New("bad\x00bytes\r\nhere"), nil, []string{"\x00", "\n"}, []string{"badbytes"}},
		{errors.New(strings.Repeat("é", 500)), nil, nil, []string{"…"}},
	} {
		got := sanitize(tc.err, tc.secrets)
		if len(got) > maxErrorText {
			t.Errorf("%d bytes", len(got))
		}
		for _, a := range tc.absent {
			if strings.Contains(got, a) {
				t.Errorf("sanitize(%q) = %q still holds %q", tc.err, got, a)
			}
		}
		for _, p := range tc.present {
			if !strings.Contains(got, p) {
				t.Errorf("sanitize(%q) = %q lacks %q", tc.err, got, p)
			}
		}
	}
}

func TestMetricsCalls(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewMetrics(reg); err == nil {
		t.Fatal("registering the collectors twice went unnoticed")
	}
	r := newRegistry(t, Options{Metrics: m})
	for range 3 {
		_ = r.Do(t.Context(), "NORTH", LDAP, (&counter{}).call)
	}
	_ = r.Do(t.Context(), "NORTH", LDAP, (&counter{err: problemUnknownUser()}).call)
	if v := metricValue(t, m.Calls.WithLabelValues("NORTH", "ldap", "ok")); v != 3 {
		t.Errorf("ok calls %v", v)
	}
	if v := metricValue(t, m.Calls.WithLabelValues("NORTH", "ldap", "answer")); v != 1 {
		t.Errorf("answer calls %v", v)
	}
	if v := metricValue(t, m.Duration.WithLabelValues("NORTH", "ldap").(prometheus.Metric)); v != 4 {
		t.Errorf("duration samples %v", v)
	}
	if v := metricValue(t, m.State.WithLabelValues("NORTH", "ldap")); v != 0 {
		t.Errorf("state %v", v)
	}
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if !strings.HasPrefix(f.GetName(), "illgw_") {
			t.Errorf("metric %s lacks the illgw_ prefix", f.GetName())
		}
	}
}

func TestHealthProto(t *testing.T) {
	flags := newMemFlags()
	a := newRegistry(t, Options{Flags: flags, Instance: "A", Breaker: BreakerConfig{Failures: 1, OpenFor: time.Hour}})
	b := newRegistry(t, Options{Flags: flags, Instance: "B", FlagRecheck: -1})
	_ = a.Do(t.Context(), "NORTH", LDAP, (&counter{err: errDown}).call)
	a.writer.wait()
	pa := a.Health(t.Context())[0].Proto()
	if p := pa.Protocols[0]; p.Protocol != illgwv1.Protocol_PROTOCOL_LDAP || p.Breaker != illgwv1.BreakerState_BREAKER_STATE_OPEN ||
		p.OpenConsortiumWide || p.Failures != 1 || p.Requests != 1 || p.LastError == "" || p.LastErrorAt == nil || pa.Code != "NORTH" {
		t.Fatalf("A: %v", pa)
	}
	pb := b.Health(t.Context())[0].Proto()
	if p := pb.Protocols[0]; p.Breaker != illgwv1.BreakerState_BREAKER_STATE_CLOSED || !p.OpenConsortiumWide || p.LastErrorAt != nil {
		t.Fatalf("B: %v", pb)
	}
	for p, want := range map[Protocol]illgwv1.Protocol{Z3950: illgwv1.Protocol_PROTOCOL_Z3950, SRU: illgwv1.Protocol_PROTOCOL_SRU,
		NCIP: illgwv1.Protocol_PROTOCOL_NCIP, SIP2: illgwv1.Protocol_PROTOCOL_SIP2, "x": illgwv1.Protocol_PROTOCOL_UNSPECIFIED} {
		if got := ProtoProtocol(p); got != want {
			t.Errorf("%s -> %v", p, got)
		}
	}
}
