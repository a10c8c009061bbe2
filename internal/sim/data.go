package sim

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/illgw/illgw/marc"
)

//go:embed testdata/sample-marc.mrc
var sampleMARC []byte

// DefaultMembers are the demo's member codes, in the order the split uses.
var DefaultMembers = []string{"NORTH", "SOUTH", "EAST"}

// sharedISBN is the record every demo search for a duplicated ISBN finds
// at two members (DESIGN.md "Demo fixtures").
const sharedISBN = "0839108826"

// maxSampleRecords bounds the embedded file's record count, a guard against
// a replaced testdata file.
const maxSampleRecords = 1000

// sampleRecords reads the embedded sample file.
func sampleRecords() ([]*marc.Record, error) {
	r := marc.NewReader(bytes.NewReader(sampleMARC))
	var out []*marc.Record
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("sim: sample record %d: %w", len(out)+1, err)
		}
		if len(out) == maxSampleRecords {
			return nil, fmt.Errorf("sim: more than %d sample records", maxSampleRecords)
		}
		out = append(out, rec)
	}
}

// shared reports whether a record is held by two members: its 245 mentions
// "computer", or it carries ISBN 0839108826.
func shared(rec *marc.Record) bool {
	for _, f := range rec.FieldsByTag("245") {
		if strings.Contains(strings.ToLower(f.Text("")), "computer") {
			return true
		}
	}
	want, _ := marc.NormalizeISBN(sharedISBN)
	for _, isbn := range rec.ISBNs() {
		if n, ok := marc.NormalizeISBN(isbn); ok && n == want {
			return true
		}
	}
	return false
}

// Split returns, for each of the given member codes, the indexes (0-based,
// file order) of the sample records it holds: record i goes to member
// i mod n, and a shared record (245 mentions "computer", or ISBN
// 0839108826) also to member (i+1) mod n. With one member it holds all.
func Split(members []string) (map[string][]int, error) {
	recs, err := sampleRecords()
	if err != nil {
		return nil, err
	}
	return split(recs, members), nil
}

func split(recs []*marc.Record, members []string) map[string][]int {
	out := make(map[string][]int, len(members))
	n := len(members)
	if n == 0 {
		return out
	}
	for i, rec := range recs {
		first := members[i%n]
		out[first] = append(out[first], i)
		if second := members[(i+1)%n]; n > 1 && shared(rec) {
			out[second] = append(out[second], i)
		}
	}
	for _, m := range members {
		// Keep each member's list in file order.
		sortInts(out[m])
	}
	return out
}

func sortInts(s []int) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
