package state

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/illgw/illgw/internal/testenv"
	"github.com/redis/go-redis/v9"
)

// TestRedisSentinel opens the store through a real Redis Sentinel that
// monitors a testenv redis-server, and checks writes and reads reach the
// master it names.
func TestRedisSentinel(t *testing.T) {
	master := testenv.Redis(t)
	bin := testenv.Require(t, "redis-server", "redis-server")
	dir := t.TempDir()
	port := testenv.FreePort(t)
	host, mport, _ := strings.Cut(master.Addr, ":")
	conf := "port " + strconv.Itoa(port) + "\nbind 127.0.0.1\ndir " + dir + "\n" +
		"sentinel monitor illgw " + host + " " + mport + " 1\n"
	confPath := filepath.Join(dir, "sentinel.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, confPath, "--sentinel", "--logfile", filepath.Join(dir, "sentinel.log"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	sentinel := "127.0.0.1:" + strconv.Itoa(port)
	ctx := context.Background()
	sc := redis.NewSentinelClient(&redis.Options{Addr: sentinel})
	defer sc.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		a, err := sc.GetMasterAddrByName(ctx, "illgw").Result()
		if err == nil && len(a) == 2 && a[1] == mport {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sentinel does not name the master: %v %v", a, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	s, err := Open(ctx, Options{Driver: "redis", Addrs: []string{sentinel}, MasterName: "illgw"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustCreate(t, s, "SENT")
	if l, err := s.Get(ctx, "SENT"); err != nil || l.Version != 1 {
		t.Fatalf("Get through Sentinel = %+v, %v", l, err)
	}
	// The loan is on the master itself.
	direct := openTestRedis(t, master.Addr, Options{})
	if l, err := direct.Get(ctx, "SENT"); err != nil || l.Version != 1 {
		t.Fatalf("Get on the master = %+v, %v", l, err)
	}
	if _, err := Open(ctx, Options{Driver: "redis", Addrs: []string{sentinel}, MasterName: "nosuch",
		DialTimeout: 300 * time.Millisecond, ReadTimeout: 300 * time.Millisecond}); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("unknown master name: %v, want ErrUnavailable", err)
	}
}
