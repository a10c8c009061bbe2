package main

import (
	"context"
	"strings"
	"testing"

	"github.com/illgw/illgw/sip2/memory"
)

// TestLoadRunCountsEveryTransaction: a small run answers every message,
// loses and duplicates none, and reports the figures.
func TestLoadRunCountsEveryTransaction(t *testing.T) {
	var out strings.Builder
	res, err := run(context.Background(), options{kiosks: 6, messages: 5, members: 2, timeout: 10e9}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if res.sent != 30 || res.answered != 30 || res.lost != 0 || res.duplicated != 0 || len(res.latencies) != 30 {
		t.Errorf("sent %d answered %d lost %d duplicated %d latencies %d", res.sent, res.answered, res.lost, res.duplicated, len(res.latencies))
	}
	for _, want := range []string{"messages/s", "p50", "p99", "lost 0  duplicated 0"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

// TestDuplicatesSeesTheILSCounts: an item the ILS charged twice, or
// renewed, is a duplicate; one acknowledged but never charged is lost.
func TestDuplicatesSeesTheILSCounts(t *testing.T) {
	b := memory.New()
	b.AddItem(memory.Item{ID: itemID(0, 0), Checkouts: 2, Checkins: 1})
	b.AddItem(memory.Item{ID: itemID(0, 1), Checkouts: 1, Renewals: 1})
	b.AddItem(memory.Item{ID: itemID(0, 2), Checkouts: 1, Checkins: 1})
	b.AddItem(memory.Item{ID: itemID(0, 3)})
	res := &result{acked: []acked{{out: []bool{true, true, true, true}, in: []bool{true, false, true, false}}}}
	if dup := duplicates(options{members: 1}, []*memory.Backend{b}, res); dup != 2 || res.lost != 1 {
		t.Errorf("duplicated %d lost %d, want 2 and 1", dup, res.lost)
	}
}
