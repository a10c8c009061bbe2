// Package archtest enforces DESIGN.md's dependency rules by reading
// `go list -deps` for every package of the module.
package archtest

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/illgw/illgw"

// forbiddenExternal are outside modules the protocol libraries must never
// depend on: they are libraries first, liftable into another project.
var forbiddenExternal = []string{
	"google.golang.org/grpc",
	"google.golang.org/protobuf",
	"github.com/redis/go-redis",
	"go.etcd.io/bbolt",
	"github.com/go-ldap/ldap",
	"github.com/sony/gobreaker",
}

// violations returns every broken rule for package pkg (path relative to the
// module, "" for external) given its transitive dependencies deps (full
// import paths).
func violations(pkg string, deps []string) []string {
	var out []string
	for _, d := range deps {
		if !strings.HasPrefix(d, module+"/") {
			if isProtocol(pkg) && !isAdapter(pkg) {
				for _, f := range forbiddenExternal {
					if d == f || strings.HasPrefix(d, f+"/") {
						out = append(out, fmt.Sprintf("%s imports %s: protocol packages never depend on gRPC, Redis, bbolt, LDAP or breakers", pkg, d))
					}
				}
			}
			continue
		}
		dep := strings.TrimPrefix(d, module+"/")
		if msg := rule(pkg, dep); msg != "" {
			out = append(out, fmt.Sprintf("%s imports %s: %s", pkg, dep, msg))
		}
	}
	return out
}

func top(p string) string { return strings.SplitN(p, "/", 2)[0] }

func under(p, root string) bool { return p == root || strings.HasPrefix(p, root+"/") }

func isProtocol(p string) bool {
	return under(p, "sip2") || under(p, "z3950") || under(p, "ncip")
}

func isAdapter(p string) bool {
	return strings.HasSuffix(p, "/adapter") || strings.Contains(p, "/adapter/")
}

// rule says why pkg may not depend on the internal package dep, or "".
func rule(pkg, dep string) string {
	if under(dep, "cmd") && !under(pkg, "cmd") {
		return "nothing imports cmd"
	}
	if under(dep, "internal/sim") && !under(pkg, "cmd") && !under(pkg, "internal/sim") {
		return "only cmd and tests import internal/sim"
	}
	if under(dep, "internal/testenv") && !under(pkg, "internal/testenv") {
		return "only tests import internal/testenv"
	}
	switch {
	case under(pkg, "marc"), under(pkg, "config"), under(pkg, "proto"):
		if top(dep) != top(pkg) {
			return "marc, config and proto import nothing internal"
		}
	case isProtocol(pkg) && isAdapter(pkg):
		switch {
		case under(dep, top(pkg)) && !isAdapter(dep), under(dep, "proto"), under(dep, "marc"):
		default:
			return "an adapter imports its protocol package and proto only"
		}
	case isProtocol(pkg):
		switch {
		case under(dep, top(pkg)) && !isAdapter(dep), under(dep, "marc"):
		default:
			return "a protocol package imports only its own subpackages and marc"
		}
	case under(pkg, "broker"):
		switch {
		case under(dep, "broker"), under(dep, "proto"), under(dep, "marc"):
		case isProtocol(dep) && !isAdapter(dep):
		default:
			return "broker imports proto, marc, the protocol packages (never an adapter) and its own subpackages"
		}
	}
	return ""
}

func TestDependencyRules(t *testing.T) {
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		n++
		pkg := strings.TrimPrefix(strings.TrimPrefix(f[0], module), "/")
		for _, v := range violations(pkg, f[1:]) {
			t.Error(v)
		}
	}
	if n < 10 {
		t.Fatalf("go list returned %d packages; expected the whole module", n)
	}
}

// TestRulesCatchViolations proves the checker is not vacuous: each of these
// imports breaks a rule of DESIGN.md and must be reported.
func TestRulesCatchViolations(t *testing.T) {
	bad := []struct{ pkg, dep string }{
		{"marc", module + "/config"},
		{"config", module + "/broker/state"},
		{"proto/illgw/v1", module + "/marc"},
		{"sip2", module + "/config"},
		{"sip2", module + "/broker"},
		{"sip2", module + "/ncip"},
		{"z3950/sru", module + "/proto/illgw/v1"},
		{"ncip", "google.golang.org/grpc"},
		{"z3950/ber", "github.com/redis/go-redis/v9"},
		{"sip2/adapter", module + "/broker"},
		{"z3950/adapter", module + "/config"},
		{"ncip/adapter", module + "/sip2"},
		{"broker", module + "/sip2/adapter"},
		{"broker/member", module + "/config"},
		{"broker", module + "/cmd/illgw"},
		{"broker", module + "/internal/sim"},
		{"broker/state", module + "/internal/testenv"},
	}
	for _, b := range bad {
		if v := violations(b.pkg, []string{b.dep}); len(v) == 0 {
			t.Errorf("%s -> %s was not reported", b.pkg, b.dep)
		}
	}
	good := []struct{ pkg, dep string }{
		{"z3950", module + "/z3950/ber"},
		{"z3950/sru", module + "/marc"},
		{"z3950/adapter", module + "/proto/illgw/v1"},
		{"z3950/adapter", module + "/z3950/cql"},
		{"broker", module + "/ncip"},
		{"broker/member", module + "/z3950/sru"},
		{"broker", "google.golang.org/grpc"},
		{"cmd/illgw", module + "/internal/sim"},
		{"internal/sim", module + "/sip2"},
		{"marc", "golang.org/x/text/unicode/norm"},
	}
	for _, g := range good {
		if v := violations(g.pkg, []string{g.dep}); len(v) != 0 {
			t.Errorf("%s -> %s wrongly reported: %v", g.pkg, g.dep, v)
		}
	}
}
