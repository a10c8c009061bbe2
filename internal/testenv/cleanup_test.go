package testenv

import (
	"net"
	"testing"
	"time"
)

// TestCleanupLeavesNoProcess starts each server in a subtest and checks,
// once the subtest's cleanups ran, that its PID is gone and its port closed.
func TestCleanupLeavesNoProcess(t *testing.T) {
	type started struct {
		pid  int
		addr string
	}
	servers := []struct {
		name  string
		start func(t *testing.T) started
	}{
		{"redis", func(t *testing.T) started { s := Redis(t, WithAOF()); return started{s.PID(), s.Addr} }},
		{"redis-paused", func(t *testing.T) started {
			s := Redis(t)
			s.Pause(t) // cleanup must stop a paused server too
			return started{s.PID(), s.Addr}
		}},
		{"slapd", func(t *testing.T) started {
			s := Slapd(t, testLDIF)
			return started{s.PID(), s.URL[len("ldap://"):]}
		}},
		{"yaz-ztest", func(t *testing.T) started { s := YazZtest(t); return started{s.PID(), s.Addr} }},
		{"zebrasrv", func(t *testing.T) started { s := Zebra(t, sampleMARC); return started{s.PID(), s.Addr} }},
	}
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			var st started
			t.Run("run", func(t *testing.T) {
				st = srv.start(t)
				if st.pid == 0 || !pidAlive(st.pid) {
					t.Fatalf("pid %d not alive while running", st.pid)
				}
			})
			if st.pid == 0 {
				t.Skip("server did not start")
			}
			if pidAlive(st.pid) {
				t.Fatalf("pid %d still alive after cleanup", st.pid)
			}
			if c, err := net.DialTimeout("tcp", st.addr, time.Second); err == nil {
				c.Close()
				t.Fatalf("%s still accepts connections after cleanup", st.addr)
			}
		})
	}
}
