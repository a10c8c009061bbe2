package state

import (
	"context"
	"fmt"
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

// redisCluster starts a Redis Cluster of n masters on free loopback ports,
// the hash slots split evenly, and returns their addresses. testenv has no
// cluster helper, so the processes are started here (binary found through
// testenv.Require) and stopped by their PIDs at cleanup.
func redisCluster(t *testing.T, n int) []string {
	t.Helper()
	bin := testenv.Require(t, "redis-server", "redis-server")
	var addrs, logs, buses []string
	for i := range n {
		dir := t.TempDir()
		// The cluster bus port is given too: Redis's default, port+10000,
		// is a port nobody checked was free.
		port, bus := testenv.FreePort(t), testenv.FreePort(t)
		cmd := exec.Command(bin, "--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--dir", dir,
			"--save", "", "--appendonly", "no", "--cluster-enabled", "yes", "--cluster-port", strconv.Itoa(bus),
			"--cluster-config-file", "nodes.conf", "--logfile", filepath.Join(dir, "redis.log"))
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		t.Cleanup(func() {
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
		})
		addrs = append(addrs, "127.0.0.1:"+strconv.Itoa(port))
		logs = append(logs, filepath.Join(dir, "redis.log"))
		buses = append(buses, strconv.Itoa(bus))
	}
	ctx := context.Background()
	clients := make([]*redis.Client, n)
	for i, a := range addrs {
		clients[i] = redis.NewClient(&redis.Options{Addr: a})
		defer clients[i].Close()
		deadline := time.Now().Add(10 * time.Second)
		for clients[i].Ping(ctx).Err() != nil {
			if time.Now().After(deadline) {
				log, _ := os.ReadFile(logs[i])
				t.Fatalf("node %s did not answer; its log:\n%s", a, log)
			}
			time.Sleep(20 * time.Millisecond)
		}
		lo, hi := i*16384/n, (i+1)*16384/n-1
		if err := clients[i].Do(ctx, "CLUSTER", "ADDSLOTSRANGE", lo, hi).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for i, a := range addrs[1:] {
		host, port, _ := strings.Cut(a, ":")
		// CLUSTER MEET ip port cluster-bus-port: the bus is not port+10000.
		if err := clients[0].Do(ctx, "CLUSTER", "MEET", host, port, buses[i+1]).Err(); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for _, c := range clients {
		for {
			info, _ := c.ClusterInfo(ctx).Result()
			if strings.Contains(info, "cluster_state:ok") && strings.Contains(info, fmt.Sprintf("cluster_known_nodes:%d", n)) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("cluster not ready: %s", info)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return addrs
}

// TestRedisClusterConformance runs the suite on a three-master Redis
// Cluster. Redis refuses a script whose keys span slots (CROSSSLOT), so
// passing proves every write's keys share their partition's hash tag.
func TestRedisClusterConformance(t *testing.T) {
	addrs := redisCluster(t, 3)
	ctx := context.Background()
	runConformance(t, func(t *testing.T) Store {
		cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
		defer cc.Close()
		if err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return c.FlushAll(ctx).Err() }); err != nil {
			t.Fatal(err)
		}
		s, err := Open(ctx, Options{Driver: "redis", Addrs: addrs[:1], Cluster: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
	// The partitions really are spread over the masters.
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	defer cc.Close()
	nodes := map[string]bool{}
	for p := range DefaultPartitions {
		slot, err := cc.ClusterKeySlot(ctx, tag(p)+":feed").Result()
		if err != nil {
			t.Fatal(err)
		}
		nodes[strconv.Itoa(int(slot)*3/16384)] = true
	}
	if len(nodes) != 3 {
		t.Fatalf("the %d partitions live on %d of 3 masters", DefaultPartitions, len(nodes))
	}
}
