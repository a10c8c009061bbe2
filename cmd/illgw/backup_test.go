package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/illgw/illgw/broker/state"
	"github.com/illgw/illgw/config"
)

// writeStateConfig writes a configuration whose state section is state
// (YAML flow mapping) and returns its path.
func writeStateConfig(t *testing.T, name, stateYAML string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	data := "state: " + stateYAML + "\nmembers:\n  - code: NORTH\n    name: North\n"
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func openFromConfig(t *testing.T, path string) state.Store {
	t.Helper()
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := state.Open(context.Background(), stateOptions(cfg))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

type acked struct {
	id      string
	version uint64
}

// loadWriter writes loan transitions until stop is closed: each loan is
// created and moved twice, every write appending one event. Each
// acknowledged write is recorded in order.
type loadWriter struct {
	mu    sync.Mutex
	acks  []acked
	err   error
	wg    sync.WaitGroup
	stop  chan struct{}
	store state.Store
}

func startLoad(s state.Store) *loadWriter {
	w := &loadWriter{stop: make(chan struct{}), store: s}
	w.wg.Go(func() {
		ctx := context.Background()
		for n := 0; ; n++ {
			id := fmt.Sprintf("W%05d", n)
			for v := range uint64(3) {
				select {
				case <-w.stop:
					return
				default:
				}
				_, err := s.Apply(ctx, state.Mutation{LoanID: id, ExpectVersion: v, Data: fmt.Appendf(nil, "%s at %d", id, v+1),
					Events: []state.Event{{Type: fmt.Sprintf("step%d", v+1), Actor: "load"}}})
				if err != nil {
					w.mu.Lock()
					w.err = err
					w.mu.Unlock()
					return
				}
				w.mu.Lock()
				w.acks = append(w.acks, acked{id, v + 1})
				w.mu.Unlock()
			}
		}
	})
	return w
}

func (w *loadWriter) snapshot() []acked {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]acked(nil), w.acks...)
}

func (w *loadWriter) finish(t *testing.T) int {
	t.Helper()
	close(w.stop)
	w.wg.Wait()
	if w.err != nil {
		t.Fatalf("writer: %v", w.err)
	}
	return len(w.acks)
}

// TestBackupUnderLoad: a goroutine writes transitions continuously while
// `illgw backup` (the real binary, another process) copies the store
// through its snapshot socket; `illgw restore` puts the copy in a fresh
// place; every write acknowledged before the backup started is there, and
// the restored store passes its checks. Restoring over the live store is
// refused.
func TestBackupUnderLoad(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "live", "illgw.db")
	liveCfg := writeStateConfig(t, "live.yaml", fmt.Sprintf("{driver: embedded, path: %s, partitions: 4}", live))
	s := openFromConfig(t, liveCfg)
	w := startLoad(s)
	for len(w.snapshot()) < 300 {
		time.Sleep(5 * time.Millisecond)
	}
	before := w.snapshot() // acknowledged before the backup started
	out := filepath.Join(dir, "backup.db")
	start := time.Now()
	code, stdout, stderr := runIllgw(t, "", "backup", "-config", liveCfg, "-o", out)
	took := time.Since(start)
	during := len(w.snapshot()) - len(before)
	for deadline := time.Now().Add(10 * time.Second); len(w.snapshot()) == len(before) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	total := w.finish(t)
	if code != 0 || !strings.Contains(stdout, "from the running gateway") || !strings.Contains(stdout, "checked") {
		t.Fatalf("backup: exit %d\n%s%s", code, stdout, stderr)
	}
	t.Logf("backup under load took %v: %d writes acknowledged before it started, %d while it ran, %d in all; %s",
		took.Round(time.Millisecond), len(before), during, total, strings.TrimSpace(stdout))
	if total <= len(before) {
		t.Fatal("the writer stopped while the backup ran")
	}

	code, _, stderr = runIllgw(t, "", "restore", "-config", liveCfg, "-i", out)
	if code != 1 || !strings.Contains(stderr, "in use") || !strings.Contains(stderr, "nothing was changed") {
		t.Fatalf("restore over the live store: exit %d, %s", code, stderr)
	}

	fresh := filepath.Join(dir, "fresh", "illgw.db")
	freshCfg := writeStateConfig(t, "fresh.yaml", fmt.Sprintf("{driver: embedded, path: %s, partitions: 4}", fresh))
	code, stdout, stderr = runIllgw(t, "", "restore", "-config", freshCfg, "-i", out)
	if code != 0 || !strings.Contains(stdout, "now holds") {
		t.Fatalf("restore: exit %d\n%s%s", code, stdout, stderr)
	}
	info, err := state.Inspect(fresh)
	if err != nil {
		t.Fatalf("restored store fails its checks: %v", err)
	}
	r := openFromConfig(t, freshCfg)
	ctx := context.Background()
	for _, a := range before {
		l, err := r.Get(ctx, a.id)
		if err != nil || l.Version < a.version {
			t.Fatalf("acknowledged write %s v%d: restored %+v, %v", a.id, a.version, l, err)
		}
		evs, err := r.Events(ctx, a.id)
		if err != nil || uint64(len(evs)) < a.version || evs[a.version-1].Type != fmt.Sprintf("step%d", a.version) {
			t.Fatalf("acknowledged event %d of %s: restored %+v, %v", a.version, a.id, evs, err)
		}
	}
	t.Logf("restored: %+v", info)
}

// TestBackupOfTheRunningGateway runs `illgw demo -state PATH` and backs
// its store up with `illgw backup` while it serves.
func TestBackupOfTheRunningGateway(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "demo.db")
	startDemo(t, "-state", db)
	cfg := writeStateConfig(t, "demo.yaml", fmt.Sprintf("{driver: embedded, path: %s}", db))
	out := filepath.Join(dir, "demo-backup.db")
	code, stdout, stderr := runIllgw(t, "", "backup", "-config", cfg, "-o", out)
	if code != 0 || !strings.Contains(stdout, "from the running gateway") {
		t.Fatalf("backup of the running demo: exit %d\n%s%s", code, stdout, stderr)
	}
	if _, err := state.Inspect(out); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runIllgw(t, "", "restore", "-config", cfg, "-i", out)
	if code != 1 || !strings.Contains(stderr, "in use") {
		t.Fatalf("restore over the running demo: exit %d, %s", code, stderr)
	}
}

// TestBackupFlags: the commands refuse a Redis store, missing paths, and
// a backup over the store itself.
func TestBackupFlags(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "x.db")
	os.WriteFile(db, nil, 0o600)
	emb := writeStateConfig(t, "e.yaml", fmt.Sprintf("{driver: embedded, path: %s}", db))
	red := writeStateConfig(t, "r.yaml", "{driver: redis, addrs: [127.0.0.1:1]}")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"backup", "-config", red, "-o", filepath.Join(dir, "b")}, "not embedded"},
		{[]string{"restore", "-config", red, "-i", db}, "not embedded"},
		{[]string{"backup", "-config", emb}, "-o PATH is required"},
		{[]string{"restore", "-config", emb}, "-i PATH is required"},
		{[]string{"backup", "-config", emb, "-o", db}, "is the store itself"},
		{[]string{"backup", "-o", db}, "-config FILE is required"},
	} {
		var stdout, stderr strings.Builder
		if code := run(tc.args, strings.NewReader(""), &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}
