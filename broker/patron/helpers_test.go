package patron

import (
	"bufio"
	"bytes"
	"context"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/illgw/illgw/broker/state"
	"github.com/illgw/illgw/internal/testenv"
)

// Right PINs of the test tree (testdata/patrons.ldif).
const (
	pinP0001 = "pin-p0001-right"
	pinP0003 = "pin-p0003-right"
	pinP0004 = "pin-p0004-right"
)

func readLDIF(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("testdata/patrons.ldif")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// injectionBarcodes reads testdata/injection.txt, decoding \xNN.
func injectionBarcodes(t testing.TB) []string {
	t.Helper()
	f, err := os.Open("testdata/injection.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "# ") || line == "#" {
			continue
		}
		var b strings.Builder
		for i := 0; i < len(line); i++ {
			if strings.HasPrefix(line[i:], `\x`) && i+4 <= len(line) {
				if n, err := strconv.ParseUint(line[i+2:i+4], 16, 8); err == nil {
					b.WriteByte(byte(n))
					i += 3
					continue
				}
			}
			b.WriteByte(line[i])
		}
		out = append(out, b.String())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func openStore(t testing.TB) state.Store {
	t.Helper()
	s, err := state.Open(context.Background(), state.Options{Driver: "embedded", Path: t.TempDir() + "/s.db"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// baseOptions configures an authenticator for the test tree on srv, bound
// as the directory's admin, with short breaker settings.
func baseOptions(srv *testenv.SlapdServer, store Store) LDAPOptions {
	return LDAPOptions{
		Member:       "NORTH",
		URL:          srv.URL,
		BindDN:       srv.AdminDN,
		BindPassword: srv.AdminPassword,
		BaseDN:       srv.BaseDN,
		Filter:       "(&(objectClass=inetOrgPerson)(uid=%s))",
		Attrs:        Attributes{Name: "cn", Email: "mail", Expiry: "shadowExpire", Blocked: "description", Type: "employeeType"},
		Timeout:      3 * time.Second,
		Store:        store,
		Breaker:      BreakerOptions{Failures: 3, OpenFor: time.Second, Probes: 1},
		Logger:       slog.New(slog.DiscardHandler),
	}
}

func newLDAP(t testing.TB, o LDAPOptions) *LDAP {
	t.Helper()
	l, err := NewLDAP(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// slapd starts a directory with the test tree for t.
func slapd(t *testing.T) *testenv.SlapdServer {
	t.Helper()
	return testenv.Slapd(t, readLDIF(t))
}

// logBuffer is a slog handler target safe for concurrent writes.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func captureLogger(buf *logBuffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// slapdTLS starts a directory with the test tree, StartTLS and LDAPS.
func slapdTLS(t *testing.T) *testenv.SlapdServer {
	t.Helper()
	return testenv.Slapd(t, readLDIF(t), testenv.WithTLS())
}
