package state

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func seeds(t testing.TB, pattern string) [][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil || len(files) == 0 {
		t.Fatalf("no seeds %s: %v", pattern, err)
	}
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func TestDecodeGolden(t *testing.T) {
	b, _ := os.ReadFile("testdata/event.entry")
	e, err := decodeEntry(b)
	if err != nil {
		t.Fatal(err)
	}
	want := Event{Seq: 3, Pos: 7, LoanID: "L1", Type: "shipped", Actor: "NORTH", Data: []byte{0, 1, 255}, Time: time.Unix(0, 1767323045000000006)}
	if e.Seq != want.Seq || e.Pos != want.Pos || e.LoanID != want.LoanID || e.Type != want.Type || e.Actor != want.Actor ||
		!bytes.Equal(e.Data, want.Data) || !e.Time.Equal(want.Time) {
		t.Fatalf("decoded %+v, want %+v", e, want)
	}
	if again := encodeEntry(e.Pos, e.Seq, encodeEventBlob(e)); !bytes.Equal(again, b) {
		t.Fatalf("re-encoded %s, want %s", again, b)
	}
	b, _ = os.ReadFile("testdata/loan.record")
	v, at, tail, err := decodeRecord(b)
	if err != nil || v != 2 || at.UnixNano() != 1767323045000000006 || string(tail) != `{"state":"shipped"}` {
		t.Fatalf("record = %d %v %q %v", v, at, tail, err)
	}
}

// TestDecodeHostile feeds fixed damaged and oversized inputs: each must give
// an error quickly and without a panic.
func TestDecodeHostile(t *testing.T) {
	huge := append([]byte("1,1,"), bytes.Repeat([]byte("x"), maxEntryLen)...)
	deep := append([]byte("1,1,"), bytes.Repeat([]byte("["), 1<<20)...)
	cases := map[string][]byte{
		"empty":           nil,
		"no comma":        []byte("12345"),
		"one field":       []byte("1,"),
		"leading comma":   []byte(",1,{}"),
		"negative":        []byte("-1,1,{}"),
		"21 digits":       []byte("100000000000000000000,1,{}"),
		"overflow":        []byte("18446744073709551616,1,{}"),
		"bad json":        []byte("1,1,{"),
		"wrong json type": []byte(`1,1,{"l":5}`),
		"json array bomb": deep,
		"oversized":       huge,
		"long digits":     append(bytes.Repeat([]byte("9"), 1<<20), ','),
	}
	for name, in := range cases {
		start := time.Now()
		if _, err := decodeEntry(in); err == nil {
			t.Errorf("decodeEntry(%s) accepted", name)
		} else if !strings.HasPrefix(err.Error(), "state: ") {
			t.Errorf("decodeEntry(%s) error %q lacks the package prefix", name, err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("decodeEntry(%s) took %v", name, d)
		}
	}
	for name, in := range map[string][]byte{
		"empty":        nil,
		"one field":    []byte("1,"),
		"time > int64": []byte("1,9223372036854775808,x"),
		"oversized":    append([]byte("1,1,"), make([]byte, MaxDataLen+64)...),
	} {
		if _, _, _, err := decodeRecord(in); err == nil {
			t.Errorf("decodeRecord(%s) accepted", name)
		}
	}
}

func FuzzDecodeEntry(f *testing.F) {
	for _, s := range seeds(f, "*.entry") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeEntry(b)
		if err != nil {
			return
		}
		// Whatever decodes must survive a round trip.
		e2, err := decodeEntry(encodeEntry(e.Pos, e.Seq, encodeEventBlob(e)))
		if err != nil || e2.Pos != e.Pos || e2.Seq != e.Seq || e2.LoanID != e.LoanID || e2.Type != e.Type ||
			!bytes.Equal(e2.Data, e.Data) || !e2.Time.Equal(e.Time) {
			t.Fatalf("round trip of %q: %+v -> %+v, %v", b, e, e2, err)
		}
	})
}

func FuzzDecodeRecord(f *testing.F) {
	for _, s := range seeds(f, "*.record") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, at, tail, err := decodeRecord(b)
		if err != nil {
			return
		}
		if again := encodeRecord(v, at, tail); len(again) > len(b) {
			t.Fatalf("re-encoding %q grew it to %q", b, again)
		}
	})
}
