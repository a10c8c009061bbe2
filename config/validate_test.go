package config

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// want is one expected problem, written in a test file as
// "# want: LINE KEY: REASON" (REASON is a prefix of the message's reason).
type want struct {
	line   int
	key    string
	reason string
}

var wantLine = regexp.MustCompile(`^# want: (\d+) (\S*?): (.+)$`)

func readWants(t *testing.T, path string) []want {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ws []want
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if m := wantLine.FindStringSubmatch(sc.Text()); m != nil {
			n, _ := strconv.Atoi(m[1])
			ws = append(ws, want{n, m[2], m[3]})
		}
	}
	return ws
}

// TestInvalid loads every file under testdata/invalid and checks that the
// problems reported are exactly the ones its "# want:" lines name, each
// with its file, line, key and reason.
func TestInvalid(t *testing.T) {
	t.Setenv("ILLGW_TEST_EMPTY_VARIABLE", "")
	t.Setenv("ILLGW_TEST_UNSET_VARIABLE", "x")
	os.Unsetenv("ILLGW_TEST_UNSET_VARIABLE")
	files, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".yaml"), func(t *testing.T) {
			ws := readWants(t, path)
			if len(ws) == 0 {
				t.Fatal("file has no # want: lines")
			}
			_, err := Load(path)
			if err == nil {
				t.Fatal("Load accepted the file")
			}
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error is %T, want ErrorList", err)
			}
			used := make([]bool, len(list))
			for _, w := range ws {
				found := false
				for i, e := range list {
					if !used[i] && e.Line == w.line && e.Key == w.key && strings.HasPrefix(e.Reason, w.reason) {
						used[i], found = true, true
						break
					}
				}
				if !found {
					t.Errorf("missing %d %s: %s", w.line, w.key, w.reason)
				}
			}
			for i, e := range list {
				if !used[i] {
					t.Errorf("unexpected: %v", e)
				}
				if e.File != path {
					t.Errorf("error names file %q, want %q", e.File, path)
				}
				prefix := fmt.Sprintf("%s:%d: ", path, e.Line)
				if !strings.HasPrefix(e.Error(), prefix) {
					t.Errorf("%q does not start with %q", e.Error(), prefix)
				}
			}
			if t.Failed() {
				t.Logf("all errors:\n%v", err)
			}
			if strings.Contains(err.Error(), "canary") {
				t.Errorf("a secret value leaked into the error:\n%v", err)
			}
		})
	}
}

func TestTLSFiles(t *testing.T) {
	t.Chdir(t.TempDir())
	writeTLS(t, "tls")
	writeFile(t, "tls/garbage.pem", "not a certificate\n")
	tests := []struct{ name, src, want string }{
		{"gRPC off loopback with client certificates", `
listen: {grpc: "0.0.0.0:50051"}
tls: {grpc: {cert: tls/server.crt, key: tls/server.key, client_ca: tls/clients.crt}}`, ""},
		{"SIP2 over TLS on all interfaces", `
tls: {sip2: {listen: ":6443", cert: tls/server.crt, key: tls/server.key}}`, ""},
		{"missing key file", `
tls: {http: {listen: "127.0.0.1:8443", cert: tls/server.crt, key: tls/nope.key}}`,
			"t.yaml:2: tls.http.cert: cannot load certificate and key: open tls/nope.key: no such file or directory"},
		{"key and cert swapped", `
tls: {http: {listen: "127.0.0.1:8443", cert: tls/server.key, key: tls/server.crt}}`,
			"t.yaml:2: tls.http.cert: cannot load certificate and key: tls: "},
		{"client_ca not PEM", `
tls: {sip2: {listen: "127.0.0.1:6443", cert: tls/server.crt, key: tls/server.key, client_ca: tls/garbage.pem}}`,
			"t.yaml:2: tls.sip2.client_ca: no PEM certificate in tls/garbage.pem"},
		{"cert without listener", `
tls:
  http:
    cert: tls/server.crt
    key: tls/server.key`,
			"t.yaml:3: tls.http.listen: address is required when tls.http is configured"},
		{"gRPC listen key", `
tls:
  grpc: {listen: "127.0.0.1:1", cert: tls/server.crt, key: tls/server.key}`,
			"t.yaml:3: tls.grpc.listen: not used: the gRPC certificate applies to listen.grpc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.src), "t.yaml")
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused:\n%v", err)
			case tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.want)):
				t.Fatalf("err = %v\nwant %s...", err, tt.want)
			}
		})
	}
}
