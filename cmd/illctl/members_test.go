package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/illgw/illgw/internal/testenv"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

// TestMembersShowsOpenBreaker runs a gateway whose member DOWN has a
// catalogue on a port nobody listens on. After a few failed searches
// `illctl members` must show DOWN's z3950 breaker open with the dial error,
// and UP (a live Z39.50 server, yaz-ztest) closed with no error.
func TestMembersShowsOpenBreaker(t *testing.T) {
	yaz := testenv.YazZtest(t)
	dead := "127.0.0.1:" + strconv.Itoa(testenv.FreePort(t))
	dir := t.TempDir()
	httpAddr, grpcAddr := freeAddr(t), freeAddr(t)
	cfg := filepath.Join(dir, "illgw.yaml")
	if err := os.WriteFile(cfg, []byte("listen: {http: "+httpAddr+", grpc: "+grpcAddr+", sip2: '', z3950: ''}\n"+
		"state: {driver: embedded, path: "+filepath.Join(dir, "illgw.db")+"}\n"+
		"breaker: {failures: 2}\n"+
		"members:\n"+
		"  - {code: UP, name: Up Library, catalog: {z3950: \""+yaz.Addr+"/Default\", timeout: 2s}}\n"+
		"  - {code: DOWN, name: Down Library, catalog: {z3950: \""+dead+"/Default\", timeout: 2s}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	startGateway(t, httpAddr, "serve", "-config", cfg)

	code, out, errs := illctl("-addr", grpcAddr, "members")
	if code != 0 {
		t.Fatalf("members: %d %s", code, errs)
	}
	for _, code := range []string{"UP", "DOWN"} {
		if !regexp.MustCompile(`(?m)^` + code + ` .*\bz3950\s+closed\s*$`).MatchString(out) {
			t.Errorf("before any call, %s's z3950 breaker is not shown closed with no error:\n%s", code, out)
		}
	}

	for i := 0; i < 3; i++ {
		illctl("-addr", grpcAddr, "search", "-db", "DOWN", "dc.title=computer")
	}
	code, out, errs = illctl("-addr", grpcAddr, "members")
	if code != 0 {
		t.Fatalf("members: %d %s", code, errs)
	}
	t.Logf("illctl members:\n%s", out)
	if !regexp.MustCompile(`(?m)^DOWN\s+Down Library\s+.*\bz3950\s+open\s+\S.*$`).MatchString(out) {
		t.Errorf("DOWN's z3950 breaker is not shown open with its last error:\n%s", out)
	}
	if !regexp.MustCompile(`(?m)^UP\s+Up Library\s+.*\bz3950\s+closed\s*$`).MatchString(out) {
		t.Errorf("UP's z3950 breaker is not shown closed with no error:\n%s", out)
	}

	code, out, errs = illctl("-addr", grpcAddr, "members", "-json")
	if code != 0 {
		t.Fatalf("members -json: %d %s", code, errs)
	}
	var doc struct {
		Members struct {
			Members []struct{ Code string }
		}
		Health struct {
			Members []struct {
				Code      string
				Protocols []struct{ Protocol, Breaker, LastError string }
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("members -json is not one JSON document: %v\n%s", err, out)
	}
	if len(doc.Members.Members) != 2 {
		t.Errorf("members -json lists %d members, want 2:\n%s", len(doc.Members.Members), out)
	}
	var found bool
	for _, m := range doc.Health.Members {
		for _, p := range m.Protocols {
			if m.Code == "DOWN" && p.Protocol == "PROTOCOL_Z3950" {
				found = true
				if p.Breaker != "BREAKER_STATE_OPEN" || p.LastError == "" {
					t.Errorf("members -json: DOWN z3950 = %+v, want open with an error", p)
				}
			}
		}
	}
	if !found {
		t.Errorf("members -json has no health for DOWN's z3950:\n%s", out)
	}
}

// TestPrintMembers checks the table for an open breaker with a long,
// multi-line error, a consortium-wide flag and a member without protocols.
func TestPrintMembers(t *testing.T) {
	long := "dial tcp 127.0.0.1:9:\nconnect: connection refused " + strings.Repeat("x", 200)
	list := &illgwv1.ListMembersResponse{
		Members: []*illgwv1.Member{
			{Code: "NORTH", Name: "North", Lends: true, Borrows: true, Protocols: []illgwv1.Protocol{illgwv1.Protocol_PROTOCOL_Z3950, illgwv1.Protocol_PROTOCOL_SIP2}},
			{Code: "NAT", Name: "National"},
		},
		Databases: []*illgwv1.Database{{Name: "consortium", Members: []string{"NORTH"}}},
	}
	health := &illgwv1.HealthResponse{Members: []*illgwv1.MemberHealth{{Code: "NORTH", Protocols: []*illgwv1.ProtocolHealth{
		{Protocol: illgwv1.Protocol_PROTOCOL_Z3950, Breaker: illgwv1.BreakerState_BREAKER_STATE_OPEN, LastError: long},
		{Protocol: illgwv1.Protocol_PROTOCOL_SIP2, Breaker: illgwv1.BreakerState_BREAKER_STATE_CLOSED, OpenConsortiumWide: true},
	}}}}
	var b bytes.Buffer
	printMembers(&b, list, health)
	lines := strings.Split(b.String(), "\n")
	want := []*regexp.Regexp{
		regexp.MustCompile(`^CODE\s+NAME\s+LENDS\s+BORROWS\s+PROTOCOL\s+BREAKER\s+LAST ERROR$`),
		regexp.MustCompile(`^NORTH\s+North\s+yes\s+yes\s+z3950\s+open\s+dial tcp 127\.0\.0\.1:9: connect: connection refused x+\.\.\.$`),
		regexp.MustCompile(`^\s+sip2\s+closed \(open consortium-wide\)\s*$`),
		regexp.MustCompile(`^NAT\s+National\s+no\s+no\s+-\s+-\s*$`),
		regexp.MustCompile(`^$`),
		regexp.MustCompile(`^DATABASE\s+MEMBERS$`),
		regexp.MustCompile(`^consortium\s+NORTH$`),
	}
	if len(lines) < len(want) {
		t.Fatalf("output has %d lines:\n%s", len(lines), b.String())
	}
	for i, re := range want {
		if !re.MatchString(lines[i]) {
			t.Errorf("line %d = %q, want %v", i, lines[i], re)
		}
	}
	if i := strings.Index(lines[1], "dial tcp"); len([]rune(lines[1][i:])) != maxErrorText {
		t.Errorf("error text is %d characters, want %d: %q", len([]rune(lines[1][i:])), maxErrorText, lines[1][i:])
	}
}

func TestTruncateError(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"", 10, ""},
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"eleven chars", 10, "eleven ..."},
		{"a\n\tb", 10, "a b"},
		{"ééééééééééé", 10, "ééééééé..."},
	} {
		if got := truncateError(c.in, c.n); got != c.want {
			t.Errorf("truncateError(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}
