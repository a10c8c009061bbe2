package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite the golden *.resolved.yaml files")

// testdataDir is absolute, for tests that change the working directory.
var testdataDir, _ = filepath.Abs("testdata")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join(testdataDir, name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from what Load produced; got:\n%s", path, got)
	}
}

// sameConfig compares two configurations, leaving out where they came from.
func sameConfig(a, b *Config) bool {
	x, y := *a, *b
	x.File, y.File, x.lines, y.lines = "", "", nil, nil
	return reflect.DeepEqual(&x, &y)
}

// TestLoadExample loads the documented example, checks the values a
// consumer reads (defaults included) against a golden file, and checks
// that the resolved configuration written back as YAML loads to the same
// configuration.
func TestLoadExample(t *testing.T) {
	path := exampleEnv(t)
	c, err := Load(path)
	if err != nil {
		t.Fatalf("Load(example.yaml):\n%v", err)
	}
	north, ok := c.Member("NORTH")
	if !ok {
		t.Fatal("no member NORTH")
	}
	got := []string{
		north.Catalog.Password.Value, north.NCIP.Secret.Value, north.NCIP.InboundSecret.Value,
		north.SIP2.Password.Value, c.Members[1].NCIP.Secret.Value, c.Members[1].Patrons.LDAP.Password.Value,
		c.Partners[0].Secret.Value,
	}
	for i, w := range canaries {
		if got[i] != w {
			t.Errorf("secret %d resolved wrongly", i)
		}
	}
	if c.Members[1].NCIP.Agency != "SOUTH" || c.Members[1].NCIP.Timeout != 10*time.Second {
		t.Errorf("SOUTH ncip defaults: agency %q timeout %v", c.Members[1].NCIP.Agency, c.Members[1].NCIP.Timeout)
	}
	if natlib := c.Members[2]; natlib.Lends() || natlib.Borrows() || natlib.Catalog.Timeout != 5*time.Second {
		t.Errorf("NATLIB: lends %v borrows %v timeout %v; want false false 5s", natlib.Lends(), natlib.Borrows(), natlib.Catalog.Timeout)
	}
	if got := c.Terminals[0].AllowedCIDRs; !reflect.DeepEqual(got, []string{"10.1.0.0/16", "192.0.2.7/32"}) {
		t.Errorf("allowed_cidrs = %q", got)
	}
	out, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range canaries {
		if strings.Contains(string(out), s) {
			t.Fatalf("yaml.Marshal wrote a secret value")
		}
	}
	golden(t, "example.resolved.yaml", out)
	again, err := Parse(out, "resolved")
	if err != nil {
		t.Fatalf("the resolved example does not load:\n%v", err)
	}
	if !sameConfig(c, again) {
		t.Errorf("round trip changed the configuration")
	}
	if l := c.Line("members[0].catalog.timeout"); l != 77 {
		t.Errorf("Line(members[0].catalog.timeout) = %d, want 77", l)
	}
	if l := c.Line("members[0].catalog.password"); l != 79 {
		t.Errorf("Line(members[0].catalog.password) = %d, want 79 (the password_env key)", l)
	}
	ldap := c.Members[1].Patrons.LDAP
	if want := (LDAPAttempts{Max: 5, Window: 15 * time.Minute, LockFor: 15 * time.Minute}); ldap.Attempts != want || ldap.Attempts.Limit() != 5 {
		t.Errorf("SOUTH ldap attempts = %+v, want %+v", ldap.Attempts, want)
	}
	if want := (LDAPPool{Size: 4, IdleTimeout: 5 * time.Minute, CheckAfter: 30 * time.Second}); ldap.Pool != want {
		t.Errorf("SOUTH ldap pool = %+v, want %+v", ldap.Pool, want)
	}
	if pool, err := ldap.RootCAs(); err != nil || pool == nil {
		t.Errorf("SOUTH ldap RootCAs() = %v, %v", pool, err)
	}
	if c.NCIP.Agency != "ILLGW" || c.Breaker.MaxConcurrent != 64 || c.State.SweepInterval != time.Minute {
		t.Errorf("ncip.agency %q, breaker.max_concurrent %d, state.sweep_interval %v", c.NCIP.Agency, c.Breaker.MaxConcurrent, c.State.SweepInterval)
	}
}

// TestMinimal: a file naming one member gets every default of Default.
func TestMinimal(t *testing.T) {
	c, err := Load("testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d := Default()
	if c.Listen != d.Listen || c.State.Driver != "embedded" || c.State.Path != "./var/illgw.db" ||
		c.Search != d.Search || c.Loans != d.Loans || c.Breaker != d.Breaker || c.SIP2 != d.SIP2 || c.Log != d.Log ||
		c.NCIP != (NCIPGateway{Agency: "ILLGW"}) || c.State.SweepInterval != time.Minute || c.State.Cluster {
		t.Errorf("defaults not applied: %+v", c)
	}
	want := Breaker{Failures: 5, Ratio: 0.5, MinRequests: 10, Window: 30 * time.Second, OpenFor: 20 * time.Second, Probes: 2,
		MaxConcurrent: 64, FlagTimeout: 200 * time.Millisecond, FlagRecheck: 500 * time.Millisecond}
	if c.Breaker != want {
		t.Errorf("breaker = %+v, want %+v", c.Breaker, want)
	}
	cat := c.Members[0].Catalog
	if cat.Charset != "utf-8" || cat.Timeout != 5*time.Second {
		t.Errorf("catalog defaults: %+v", cat)
	}
	out, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "minimal.resolved.yaml", out)
	if err := Default().Validate(); err != nil {
		t.Errorf("Default().Validate() = %v", err)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate after Load = %v", err)
	}
}

// TestValid lists configurations that must load, with what they mean.
func TestValid(t *testing.T) {
	tests := []struct {
		name, yaml string
		check      func(*Config) error
	}{
		{"empty file", "", func(c *Config) error {
			if !sameConfig(c, Default()) {
				return errors.New("not Default()")
			}
			return nil
		}},
		{"plaintext SIP2 allowed", "listen: {sip2: 0.0.0.0:6001, allow_plaintext: true}", nil},
		{"listener off", `listen: {sip2: "", grpc: ""}`, func(c *Config) error {
			if c.Listen.SIP2 != "" || c.Listen.GRPC != "" || c.Listen.HTTP != DefaultHTTPAddr {
				return fmt.Errorf("listen = %+v", c.Listen)
			}
			return nil
		}},
		{"null keeps the default", "listen:\n  sip2:\nsearch: ~\n", func(c *Config) error {
			if c.Listen.SIP2 != DefaultSIP2Addr || c.Search.CacheTTL != 30*time.Second {
				return fmt.Errorf("listen.sip2 %q cache_ttl %v", c.Listen.SIP2, c.Search.CacheTTL)
			}
			return nil
		}},
		{"cache off", "search: {cache_ttl: 0s}", func(c *Config) error {
			if c.Search.CacheTTL != 0 {
				return fmt.Errorf("cache_ttl = %v", c.Search.CacheTTL)
			}
			return nil
		}},
		{"redis", "state: {driver: redis, addrs: [127.0.0.1:6379, 127.0.0.1:6380], password: {value: x}}", func(c *Config) error {
			if len(c.State.Addrs) != 2 || c.State.Password.Value != "x" || c.State.Partitions != 16 {
				return fmt.Errorf("state = %+v", c.State)
			}
			return nil
		}},
		{"redis cluster with one seed", "state: {driver: redis, addrs: [127.0.0.1:7000], cluster: true}", func(c *Config) error {
			if !c.State.Cluster || c.State.MasterName != "" {
				return fmt.Errorf("state = %+v", c.State)
			}
			return nil
		}},
		{"redis sentinel with its own credentials", `
state:
  driver: redis
  addrs: [127.0.0.1:26379, 127.0.0.1:26380]
  master_name: mymaster
  db: 2
  sentinel_username: watcher
  sentinel_password: {value: x}
  sweep_interval: 10s`, func(c *Config) error {
			s := c.State
			if s.SentinelUsername != "watcher" || s.SentinelPassword.Value != "x" || s.DB != 2 || s.SweepInterval != 10*time.Second {
				return fmt.Errorf("state = %+v", s)
			}
			return nil
		}},
		{"gateway agency and outbound limits", `
ncip: {agency: "US-ILLGW:1"}
breaker: {max_concurrent: 8, flag_timeout: 1s, flag_recheck: 2s}
members:
  - code: NORTH
    ncip: {url: "http://127.0.0.1:9100/ncip"}
partners: [{agency: PARTNER1, secret: {value: x}, member: NORTH}]`, func(c *Config) error {
			b := c.Breaker
			if c.NCIP.Agency != "US-ILLGW:1" || b.MaxConcurrent != 8 || b.FlagTimeout != time.Second || b.FlagRecheck != 2*time.Second {
				return fmt.Errorf("ncip %+v breaker %+v", c.NCIP, b)
			}
			return nil
		}},
		{"localhost and IPv6 loopback", "listen: {sip2: 'localhost:6001', grpc: '[::1]:50051'}", nil},
		{"merge keys", `
base: &base {charset: marc8, timeout: 2s}
`, nil},
		{"anchors and merges", `
members:
  - code: A
    catalog: &cat {z3950: "a.example.org:210/X", charset: marc8, timeout: 2s}
  - code: B
    catalog:
      <<: *cat
      z3950: b.example.org:210/Y
databases:
  ab: [A, B]
  Everything: [A, B]
`, func(c *Config) error {
			b := c.Members[1].Catalog
			if b.Z3950 != "b.example.org:210/Y" || b.Charset != "marc8" || b.Timeout != 2*time.Second {
				return fmt.Errorf("B's catalog = %+v", b)
			}
			if l, ok := c.Database("everything"); !ok || len(l) != 2 {
				return fmt.Errorf("Database(everything) = %v %v", l, ok)
			}
			if l, ok := c.Database("a"); !ok || !reflect.DeepEqual(l, []string{"A"}) {
				return fmt.Errorf("Database(a) = %v %v", l, ok)
			}
			if _, ok := c.Database("C"); ok {
				return errors.New("Database(C) found")
			}
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "merge keys" {
				// base is not a key of the schema: the anchor must live
				// inside a known key.
				if _, err := Parse([]byte(tt.yaml), "t.yaml"); err == nil || !strings.Contains(err.Error(), "t.yaml:2: base: unknown key") {
					t.Fatalf("err = %v", err)
				}
				return
			}
			c, err := Parse([]byte(tt.yaml), "t.yaml")
			if err != nil {
				t.Fatalf("Parse:\n%v", err)
			}
			if tt.check != nil {
				if err := tt.check(c); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("testdata/no-such-file.yaml")
	var e *Error
	if !errors.As(err, &e) || e.File != "testdata/no-such-file.yaml" || !strings.Contains(e.Reason, "no such file") {
		t.Fatalf("err = %v", err)
	}
	if err.Error() != "testdata/no-such-file.yaml: no such file or directory" {
		t.Errorf("message %q", err.Error())
	}
}
