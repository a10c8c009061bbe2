package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/illgw/illgw/broker/state"
	"github.com/illgw/illgw/internal/testenv"
)

// TestStateExportImportCommands moves a store that a "gateway" (this
// process) keeps open into Redis with `illgw state export` and `illgw
// state import`, imports it again (nothing changes), moves it back into a
// new embedded store, and compares the streams.
func TestStateExportImportCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv := testenv.Redis(t)
	embCfg := writeStateConfig(t, "emb.yaml", fmt.Sprintf("{driver: embedded, path: %s, partitions: 4}", filepath.Join(dir, "a.db")))
	redCfg := writeStateConfig(t, "red.yaml", fmt.Sprintf("{driver: redis, addrs: [%s], partitions: 4}", srv.Addr))
	backCfg := writeStateConfig(t, "back.yaml", fmt.Sprintf("{driver: embedded, path: %s, partitions: 4}", filepath.Join(dir, "c.db")))

	a := openFromConfig(t, embCfg) // stays open: the export goes through a snapshot
	for i := range 30 {
		id := fmt.Sprintf("X%02d", i)
		m := state.Mutation{LoanID: id, Data: []byte(id), Events: []state.Event{{Type: "created"}}, DedupKey: "c-" + id}
		if i%2 == 0 {
			m.Timer = &state.Timer{Due: time.Now().Add(time.Hour), Kind: "due"}
		}
		if _, err := a.Apply(ctx, m); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Apply(ctx, state.Mutation{LoanID: id, ExpectVersion: 1, Data: []byte(id + " shipped"), Events: []state.Event{{Type: "shipped"}}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.PutTTL(ctx, "sru:rs1", []byte("result set"), time.Hour); err != nil {
		t.Fatal(err)
	}

	dumpA := filepath.Join(dir, "a.jsonl")
	code, _, stderr := runIllgw(t, "", "state", "export", "-config", embCfg, "-o", dumpA)
	if code != 0 || !strings.Contains(stderr, "30 loans, 60 events") {
		t.Fatalf("export: exit %d, %s", code, stderr)
	}
	code, stdout, stderr := runIllgw(t, "", "state", "import", "-config", redCfg, "-i", dumpA)
	if code != 0 || !strings.Contains(stdout, "added 30 dedup, 60 event, 30 loan, 1 ttl;") {
		t.Fatalf("import into Redis: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, _ = runIllgw(t, "", "state", "import", "-config", redCfg, "-i", dumpA)
	if code != 0 || !strings.Contains(stdout, "added nothing;") {
		t.Fatalf("second import into Redis: exit %d, %s", code, stdout)
	}

	dumpR := filepath.Join(dir, "r.jsonl")
	if code, _, stderr := runIllgw(t, "", "state", "export", "-config", redCfg, "-o", dumpR); code != 0 {
		t.Fatalf("export from Redis: exit %d, %s", code, stderr)
	}
	if code, stdout, stderr := runIllgw(t, "", "state", "import", "-config", backCfg, "-i", dumpR); code != 0 {
		t.Fatalf("import back: exit %d\n%s%s", code, stdout, stderr)
	}
	dumpC := filepath.Join(dir, "c.jsonl")
	if code, _, stderr := runIllgw(t, "", "state", "export", "-config", backCfg, "-o", dumpC); code != 0 {
		t.Fatalf("export of the round trip: exit %d, %s", code, stderr)
	}
	ra, _ := os.ReadFile(dumpA)
	rc, _ := os.ReadFile(dumpC)
	if la, lc := stableLines(ra), stableLines(rc); la != lc {
		t.Fatalf("the round trip changed the state:\n--- before\n%s\n--- after\n%s", la, lc)
	}

	// A store with other content for a loan: reported, exit 1.
	r := openFromConfig(t, redCfg)
	if _, err := r.Apply(ctx, state.Mutation{LoanID: "X03", ExpectVersion: 2, Data: []byte("moved on")}); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runIllgw(t, "", "state", "import", "-config", redCfg, "-i", dumpA)
	if code != 1 || !strings.Contains(stdout, "conflict: loan X03") || !strings.Contains(stderr, "conflicts") {
		t.Fatalf("import over a changed loan: exit %d\n%s%s", code, stdout, stderr)
	}

	// The embedded store is open here: an import into it is refused.
	code, _, stderr = runIllgw(t, "", "state", "import", "-config", embCfg, "-i", dumpR)
	if code != 1 || !strings.Contains(stderr, "stop the gateway") {
		t.Fatalf("import into an open embedded store: exit %d, %s", code, stderr)
	}
}

// stableLines drops what legitimately differs between two exports of the
// same state: the header (driver, time) and expiry times rounded by Redis.
func stableLines(b []byte) string {
	var out []string
	for _, l := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		s := string(l)
		if strings.Contains(s, `"kind":"header"`) {
			continue
		}
		if i := strings.Index(s, `,"exp":`); i >= 0 {
			s = s[:i]
		}
		out = append(out, s)
	}
	return strings.Join(out, "\n")
}

func TestStateUsage(t *testing.T) {
	var stdout, stderr strings.Builder
	if code := run([]string{"state"}, strings.NewReader(""), &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "state export") {
		t.Fatalf("illgw state: exit %d, %s", code, stderr.String())
	}
	stderr.Reset()
	if code := run([]string{"state", "drop"}, strings.NewReader(""), &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), `unknown command "drop"`) {
		t.Fatalf("illgw state drop: exit %d, %s", code, stderr.String())
	}
}
