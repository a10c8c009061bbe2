package broker

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
	"github.com/illgw/illgw/z3950"
)

func setOf(n int) *resultSet {
	s := &resultSet{}
	for range n {
		s.records = append(s.records, &mergedRecord{iso: []byte(strings.Repeat("0", 30))})
	}
	return s
}

func TestMemorySetsBounded(t *testing.T) {
	now := time.Unix(1000, 0)
	m := newMemorySets(10, time.Minute, func() time.Time { return now })
	m.put("a", "default", setOf(4))
	m.put("a", "default", setOf(4)) // replaces
	if sets, recs := m.len(); sets != 1 || recs != 4 {
		t.Fatalf("after replacing: %d sets, %d records", sets, recs)
	}
	m.put("a", "two", setOf(4))
	m.put("b", "default", setOf(4)) // 12 records > 10: a/default (least recently used) goes
	if m.get("a", "default") != nil || m.get("a", "two") == nil || m.get("b", "default") == nil {
		t.Fatal("least recently used set not the one dropped")
	}
	m.put("c", "big", setOf(50)) // the newest set stays even when alone over the bound
	if m.get("c", "big") == nil {
		t.Fatal("newest set dropped")
	}
	now = now.Add(2 * time.Minute)
	m.put("d", "x", setOf(1)) // everything else has expired
	if sets, recs := m.len(); sets != 1 || recs != 1 {
		t.Fatalf("after expiry: %d sets, %d records", sets, recs)
	}
	m.put("d", "y", setOf(1))
	if n := m.delete("d", nil); n != 2 {
		t.Fatalf("delete of a session's sets: %d", n)
	}
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// TestDecodeSetHostile: stored entries that are damaged or hostile give an
// error, never a panic or a huge allocation.
func TestDecodeSetHostile(t *testing.T) {
	bomb := gz(make([]byte, maxStoredSet+10)) // ~32 KiB that inflates past the bound
	badRec, _ := proto.Marshal(&illgwv1.SearchResponse{Records: []*illgwv1.Record{{Data: []byte("short")}}})
	for name, b := range map[string][]byte{
		"empty":      nil,
		"not gzip":   []byte("hello"),
		"truncated":  gz([]byte("xxxxxxxxxxxxxxxx"))[:12],
		"bomb":       bomb,
		"not proto":  gz([]byte{0xff, 0xff, 0xff}),
		"bad record": gz(badRec),
	} {
		if _, err := decodeSet(b); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
	s := setOf(3)
	s.status = illgwv1.ResultSetStatus_RESULT_SET_STATUS_SUBSET
	b, err := encodeSet(s)
	if err != nil {
		t.Fatal(err)
	}
	back, err := decodeSet(b)
	if err != nil || len(back.records) != 3 || back.status != s.status {
		t.Fatalf("round trip: %v %v", back, err)
	}
}

func FuzzDecodeSet(f *testing.F) {
	b, _ := encodeSet(setOf(2))
	f.Add(b)
	f.Add(gz([]byte{0x0a, 0x02}))
	f.Fuzz(func(t *testing.T, b []byte) {
		set, err := decodeSet(b)
		if err == nil {
			// A decoded set renders without panicking.
			(&catalog{}).present(set, 1, 10, "", "", "")
		}
	})
}

// FuzzRPNFromProto: any bytes that decode as a gRPC query convert to an
// RPN tree or a QueryError, within the limits.
func FuzzRPNFromProto(f *testing.F) {
	for _, pqf := range []string{"@attr 1=4 computer", "@and @attr 1=1003 knuth @attr 1=4 art", "@or a @not b c", "@set default",
		`@prox 0 3 1 2 k 2 a b`} {
		q, err := z3950.ParsePQF(pqf)
		if err != nil {
			f.Fatal(err)
		}
		b, _ := proto.Marshal(toProto(q.Root))
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var q illgwv1.Query
		if proto.Unmarshal(b, &q) != nil {
			return
		}
		rpn, err := rpnFromProto(&q)
		if err != nil {
			if _, ok := err.(*QueryError); !ok {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		_ = z3950.PQF(rpn)
	})
}
