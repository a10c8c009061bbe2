package state

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/illgw/illgw/internal/testenv"
)

func mustExport(t *testing.T, s Store) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := Export(context.Background(), s, &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func mustImport(t *testing.T, s Store, stream []byte) ImportResult {
	t.Helper()
	res, err := Import(context.Background(), s, bytes.NewReader(stream))
	if err != nil {
		t.Fatalf("import: %v (conflicts %v)", err, res.Conflicts)
	}
	return res
}

// TestExportEmbeddedToRedisAndBack moves a populated embedded store into
// Redis and from there into a new embedded store, importing each stream
// twice, and compares all three stores through the Store interface.
func TestExportEmbeddedToRedisAndBack(t *testing.T) {
	srv := testenv.Redis(t)
	const loans = 60
	a := openTestEmbedded(t, filepath.Join(t.TempDir(), "a.db"), Options{})
	populate(t, a, loans)
	streamA := mustExport(t, a)

	r := openTestRedis(t, srv.Addr, Options{})
	res := mustImport(t, r, streamA)
	if res.Added["loan"] != loans || res.Added["ttl"] != 5 || res.Added["counter"] != 1 || res.Added["dedup"] == 0 {
		t.Fatalf("first import into Redis added %v", res.Added)
	}
	again := mustImport(t, r, streamA)
	if len(again.Added) != 0 || again.Same["loan"] != loans || again.Same["event"] != res.Added["event"] {
		t.Fatalf("second import changed something: added %v, same %v", again.Added, again.Same)
	}

	streamR := mustExport(t, r)
	c := openTestEmbedded(t, filepath.Join(t.TempDir(), "c.db"), Options{})
	mustImport(t, c, streamR)
	if again := mustImport(t, c, streamR); len(again.Added) != 0 {
		t.Fatalf("second import into the embedded store added %v", again.Added)
	}
	if n := bytes.Count(streamA, []byte("\n")); n != bytes.Count(streamR, []byte("\n")) {
		t.Fatalf("the Redis export has %d lines, the embedded one %d", bytes.Count(streamR, []byte("\n")), n)
	}
	// The loan and event lines are the same bytes whichever store wrote them.
	if la, lr := linesOf(streamA, `"kind":"loan"`, `"kind":"event"`), linesOf(streamR, `"kind":"loan"`, `"kind":"event"`); la != lr {
		t.Fatal("loan and event lines differ between the embedded and the Redis export")
	}
	// Reads first, then what only writes show, on the pair that spans both moves.
	va := readView(t, a)
	if vr := readView(t, r); !reflect.DeepEqual(va, vr) {
		t.Fatal("the Redis store reads differently from the embedded one it was imported from")
	}
	sameStores(t, a, c)
}

func linesOf(stream []byte, kinds ...string) string {
	var b strings.Builder
	for _, l := range strings.Split(string(stream), "\n") {
		for _, k := range kinds {
			if strings.Contains(l, k) {
				b.WriteString(l + "\n")
			}
		}
	}
	return b.String()
}

// TestImportConflicts: a store that holds another version of a loan keeps
// it; the loan's events are skipped with it, the rest is imported, and the
// import says which loan and why.
func TestImportConflicts(t *testing.T) {
	ctx := context.Background()
	a := openTestEmbedded(t, filepath.Join(t.TempDir(), "a.db"), Options{Partitions: 4})
	populate(t, a, 12)
	stream := mustExport(t, a)

	b := openTestEmbedded(t, filepath.Join(t.TempDir(), "b.db"), Options{Partitions: 4})
	if _, err := b.Apply(ctx, Mutation{LoanID: "L005", Data: []byte("other"), Events: []Event{{Type: "other"}}}); err != nil {
		t.Fatal(err)
	}
	res, err := Import(ctx, b, bytes.NewReader(stream))
	if !errors.Is(err, ErrImportConflict) {
		t.Fatalf("import over a different L005: %v, want ErrImportConflict", err)
	}
	if len(res.Conflicts) == 0 || !strings.Contains(res.Conflicts[0], "loan L005") {
		t.Fatalf("conflicts = %q", res.Conflicts)
	}
	if l, _ := b.Get(ctx, "L005"); string(l.Data) != "other" {
		t.Fatalf("L005 was overwritten: %+v", l)
	}
	if evs, _ := b.Events(ctx, "L005"); len(evs) != 1 || evs[0].Type != "other" {
		t.Fatalf("L005's log was changed: %+v", evs)
	}
	for _, c := range res.Conflicts {
		if strings.Contains(c, "L005") && !strings.Contains(c, "loan L005: the store has") && !strings.Contains(c, "skipped with its loan") {
			t.Errorf("conflict %q", c)
		}
	}
	// L005's dedup records were skipped: retrying its first write does not
	// claim to have been applied.
	if _, err := b.Apply(ctx, populateWrite(5, 0)); !errors.Is(err, ErrExists) {
		t.Fatalf("retry of L005's create after the import: %v, want ErrExists", err)
	}
	if l, err := b.Get(ctx, "L006"); err != nil || l.Version != 3 {
		t.Fatalf("L006 was not imported beside the conflict: %+v, %v", l, err)
	}

	// Partition counts must agree.
	c := openTestEmbedded(t, filepath.Join(t.TempDir(), "c.db"), Options{Partitions: 8})
	if _, err := Import(ctx, c, bytes.NewReader(stream)); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "4 partitions") {
		t.Fatalf("import into another partition count: %v", err)
	}
}

// TestImportTruncated: a stream cut short imports what it holds and says it
// was cut; importing the whole stream afterwards completes the store.
func TestImportTruncated(t *testing.T) {
	ctx := context.Background()
	a := openTestEmbedded(t, filepath.Join(t.TempDir(), "a.db"), Options{Partitions: 2})
	populate(t, a, 10)
	stream := mustExport(t, a)
	cut := stream[:bytes.LastIndex(stream[:len(stream)/2], []byte("\n"))+1]
	b := openTestEmbedded(t, filepath.Join(t.TempDir(), "b.db"), Options{Partitions: 2})
	if _, err := Import(ctx, b, bytes.NewReader(cut)); err == nil || !strings.Contains(err.Error(), "cut short") {
		t.Fatalf("import of a cut stream: %v", err)
	}
	mustImport(t, b, stream)
	sameStores(t, a, b)
}

// TestDecodeLineHostile feeds lines that must be refused before anything
// is written.
func TestDecodeLineHostile(t *testing.T) {
	hdr := `{"kind":"header","stream":"illgw-state","format":1,"partitions":16}`
	for name, tc := range map[string]struct {
		line   string
		header bool
		want   string
	}{
		"no header":       {`{"kind":"loan","id":"L1","v":1}`, false, "does not start with a header"},
		"second header":   {hdr, true, "second header"},
		"newer format":    {`{"kind":"header","stream":"illgw-state","format":2,"partitions":16}`, false, "stream format 2"},
		"other stream":    {`{"kind":"header","stream":"x","format":1,"partitions":16}`, false, "is not"},
		"unknown field":   {`{"kind":"loan","id":"L1","v":1,"p":5,"evil":1}`, true, "unknown field"},
		"unknown kind":    {`{"kind":"drop"}`, true, "unknown record kind"},
		"two records":     {`{"kind":"end"} {"kind":"end"}`, true, "more than one"},
		"wrong partition": {`{"kind":"loan","id":"L1","v":1,"p":3}`, true, "belongs in partition"},
		"partition range": {`{"kind":"feed","p":16,"pos":1}`, true, "partition 16"},
		"control in id":   {`{"kind":"ttl","id":"a\nb","exp":1}`, true, "control"},
		"long id":         {`{"kind":"ttl","id":"` + strings.Repeat("a", MaxIDLen+1) + `","exp":1}`, true, "length"},
		"version 0":       {`{"kind":"loan","id":"L1","p":` + itoa(partitionOf("L1", 16)) + `}`, true, "version 0"},
		"seq 0":           {`{"kind":"event","id":"L1","p":` + itoa(partitionOf("L1", 16)) + `,"pos":1}`, true, "bad sequence"},
		"bad fingerprint": {`{"kind":"dedup","id":"L1","p":` + itoa(partitionOf("L1", 16)) + `,"key":"k","v":1,"exp":9,"fp":"zz"}`, true, "fingerprint"},
		"negative count":  {`{"kind":"end","loans":-1}`, true, "negative"},
		"not json":        {`loan L1`, true, "not a record"},
		"deep nesting":    {`{"kind":"end","x":` + strings.Repeat("[", 20000) + `}`, true, "not a record"},
		"oversized line":  {`{"kind":"ttl","id":"k","exp":1,"d":"` + strings.Repeat("A", maxLineLen) + `"}`, true, "exceeds"},
		"expiry missing":  {`{"kind":"ttl","id":"k"}`, true, "bad expiry"},
		"long timer kind": {`{"kind":"loan","id":"L1","v":1,"p":` + itoa(partitionOf("L1", 16)) + `,"timer_kind":"` + strings.Repeat("k", MaxIDLen+1) + `"}`, true, "timer kind"},
	} {
		_, err := decodeLine([]byte(tc.line), 16, tc.header)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", name, err, tc.want)
		}
	}
	if _, err := decodeLine([]byte(hdr), 16, false); err != nil {
		t.Fatalf("good header refused: %v", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestImportGolden imports the committed stream (the fuzz seeds) into an
// empty store: it stays a valid export.
func TestImportGolden(t *testing.T) {
	data, err := os.ReadFile("testdata/export.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	s := openTestEmbedded(t, filepath.Join(t.TempDir(), "g.db"), Options{Partitions: 4})
	res, err := Import(context.Background(), s, bytes.NewReader(data))
	// Its TTL entries and dedup records have expired since it was written.
	if err != nil || res.Added["loan"] == 0 || res.Added["event"] == 0 {
		t.Fatalf("import of testdata/export.jsonl: %+v, %v", res, err)
	}
	if _, err := Inspect(s.(*embedded).path); !errors.Is(err, ErrInUse) {
		t.Fatalf("Inspect of an open store: %v, want ErrInUse", err)
	}
}

// FuzzDecodeLine: no line panics the decoder, and a line it accepts
// encodes back to a line it accepts again.
func FuzzDecodeLine(f *testing.F) {
	data, err := os.ReadFile("testdata/export.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	for _, l := range bytes.Split(data, []byte("\n")) {
		f.Add(l, true)
	}
	f.Add([]byte(`{"kind":"header","stream":"illgw-state","format":1,"partitions":4}`), false)
	f.Fuzz(func(t *testing.T, b []byte, header bool) {
		l, err := decodeLine(b, 4, header)
		if err != nil {
			return
		}
		again, err := json.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decodeLine(again, 4, header || l.Kind == "header"); err != nil && l.Kind != "header" {
			t.Fatalf("accepted line %q re-encodes to %q, which is refused: %v", b, again, err)
		}
		if l.Kind == "event" {
			if _, err := decodeEntry(entryOf(l)); err != nil {
				t.Fatalf("accepted event line gives an undecodable entry: %v", err)
			}
		}
	})
}

// TestExportCluster moves a populated store into a three-master Redis
// Cluster and out again: the import's scripts keep to one slot, and the
// export finds TTL entries, counters and dedup records on every master.
func TestExportCluster(t *testing.T) {
	addrs := redisCluster(t, 3)
	ctx := context.Background()
	a := openTestEmbedded(t, filepath.Join(t.TempDir(), "a.db"), Options{})
	populate(t, a, 40)
	streamA := mustExport(t, a)
	c, err := Open(ctx, Options{Driver: "redis", Addrs: addrs[:1], Cluster: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	mustImport(t, c, streamA)
	streamC := mustExport(t, c)
	for _, kinds := range [][]string{{`"kind":"loan"`, `"kind":"event"`, `"kind":"feed"`}, {`"kind":"ttl"`}, {`"kind":"counter"`}, {`"kind":"dedup"`}} {
		la, lc := linesOf(streamA, kinds...), linesOf(streamC, kinds...)
		if strings.Count(la, "\n") != strings.Count(lc, "\n") || (kinds[0] == `"kind":"loan"` && la != lc) {
			t.Fatalf("%v lines differ after the cluster round trip:\n%s\n---\n%s", kinds, la, lc)
		}
	}
	if va, vc := readView(t, a), readView(t, c); !reflect.DeepEqual(va, vc) {
		t.Fatal("the cluster store reads differently from the embedded one")
	}
}
