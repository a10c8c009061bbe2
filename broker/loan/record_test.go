package loan

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/illgw/illgw/broker/ill"
	"github.com/illgw/illgw/broker/state"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// sampleRecord is a loan in the middle of its life: shipped by SOUTH after
// EAST said no, one call pending.
func sampleRecord() *Record {
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	return &Record{
		Loan: ill.Loan{ID: "4AU7EY6U", Requester: "NORTH", Patron: "N0001", Level: ill.Rush, State: ill.Shipped,
			Rota: []ill.Lender{
				{Member: "EAST", Available: true, ItemID: "EI0001", State: ill.SupplierUnfill, Reason: "not on shelf", AskedAt: at, AnsweredAt: at.Add(time.Hour)},
				{Member: "SOUTH", Available: true, ActiveLoans: 2, ItemID: "SI0003", State: ill.SupplierShip, AskedAt: at.Add(time.Hour), AnsweredAt: at.Add(2 * time.Hour)},
			},
			Lender: "SOUTH", DueDate: at.Add(21 * 24 * time.Hour), CreatedAt: at, UpdatedAt: at.Add(2 * time.Hour)},
		Bib:       Bib{Title: "Computer networks", ISBN: "0839108826"},
		CreatedBy: Actor{Kind: ill.ActorPartner, ID: "PARTNER1", Member: "NORTH"},
		Outbox: []Call{{Key: "c5", Effect: ill.Effect{Kind: ill.CheckOutItem, Party: ill.AtLender, Member: "SOUTH", Item: "SI0003"},
			NextAt: at.Add(2*time.Hour + 2*time.Minute)}},
		Seq: 5, Applied: []string{"ship-1"}, LenderTimer: false,
		LenderRequests: map[string]string{"EAST": "EAST-REQ-1", "SOUTH": "4AU7EY6U"},
	}
}

// TestRecordGolden: the stored form is stable (testdata/record.json) and
// decodes to what was encoded.
func TestRecordGolden(t *testing.T) {
	r := sampleRecord()
	b, err := r.encode()
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "record.json")
	if *update {
		os.WriteFile(golden, b, 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, want) {
		t.Errorf("encoded record differs from %s (go test -update rewrites it):\n%s", golden, b)
	}
	got, err := decode(state.Loan{ID: "4AU7EY6U", Version: 7, Data: want})
	if err != nil {
		t.Fatal(err)
	}
	again, _ := got.encode()
	if !bytes.Equal(again, want) || got.Version != 7 || got.Loan.Before != 0 || got.Problem() != "" {
		t.Errorf("round trip differs:\n%s", again)
	}
}

// TestDecodeHostile: records that break a limit or lie about themselves are
// refused with ErrCorrupt, never a panic.
func TestDecodeHostile(t *testing.T) {
	good, _ := sampleRecord().encode()
	many := func(field string, item any, n int) []byte {
		var m map[string]any
		json.Unmarshal(good, &m)
		list := make([]any, n)
		for i := range list {
			list[i] = item
		}
		m[field] = list
		b, _ := json.Marshal(m)
		return b
	}
	cases := map[string][]byte{
		"empty":          nil,
		"not json":       []byte("\x00\x01"),
		"other format":   bytes.Replace(good, []byte(`"Format":1`), []byte(`"Format":9`), 1),
		"other id":       bytes.Replace(good, []byte(`"ID":"4AU7EY6U"`), []byte(`"ID":"22222222"`), 1),
		"unknown state":  bytes.Replace(good, []byte(`"State":"shipped"`), []byte(`"State":"bogus"`), 1),
		"bad before":     bytes.Replace(good, []byte(`"State":"shipped"`), []byte(`"State":"shipped","Before":"x"`), 1),
		"outbox bomb":    many("Outbox", map[string]any{"Key": "c"}, maxOutbox+1),
		"applied bomb":   many("Applied", "k", maxApplied+1),
		"nested arrays":  append(append([]byte(`{"Format":1,"Bib":`), bytes.Repeat([]byte("["), 20000)...), bytes.Repeat([]byte("]"), 20000)...),
		"too large":      make([]byte, state.MaxDataLen+1),
		"no state":       bytes.Replace(good, []byte(`"State":"shipped",`), nil, 1),
		"truncated json": good[:len(good)/2],
	}
	for name, data := range cases {
		if _, err := decode(state.Loan{ID: "4AU7EY6U", Data: data}); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
}

// FuzzDecode: any stored bytes decode to a record that encodes again, or
// to ErrCorrupt.
func FuzzDecode(f *testing.F) {
	good, _ := os.ReadFile(filepath.Join("testdata", "record.json"))
	f.Add(good)
	f.Add([]byte(`{"Format":1,"Loan":{"ID":"4AU7EY6U","State":"new"}}`))
	if r, err := decode(state.Loan{ID: "4AU7EY6U", Data: good}); err == nil {
		r.Flag = &Flag{Message: "the ILS checked out the item but the loan did not follow",
			Actor: Actor{Kind: ill.ActorTerminal, ID: "kiosk1", Member: "NORTH"}}
		if b, err := r.encode(); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := decode(state.Loan{ID: "4AU7EY6U", Data: data})
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v is not ErrCorrupt", err)
			}
			return
		}
		if _, err := r.encode(); err != nil {
			t.Fatalf("decoded record does not encode: %v", err)
		}
		r.Problem()
		r.clone()
	})
}

// FuzzParseCursor: a cursor either parses to one that prints the same or
// is refused with ErrInvalid.
func FuzzParseCursor(f *testing.F) {
	f.Add("w1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0", 16)
	f.Add("w1.1z.0", 2)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n < 1 || n > state.MaxPartitions {
			return
		}
		c, err := ParseCursor(s, n)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatal(err)
			}
			return
		}
		if len(c) != n {
			t.Fatalf("%d positions for %d partitions", len(c), n)
		}
		if _, err := ParseCursor(c.String(), n); err != nil {
			t.Fatalf("%q does not parse again: %v", c, err)
		}
	})
}
