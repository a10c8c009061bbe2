package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Stored formats shared by both drivers. They are written only by this
// package, but a damaged file or a foreign writer on the same Redis must
// still give an error, never a panic or a huge allocation: every decoder
// checks the length first.
//
//	event entry:  "<pos>,<seq>," + JSON {l,t,a,d,ts}   (Redis scripts prepend pos and seq)
//	loan record:  "<version>,<updated unix ns>," + data
//	dedup record: "<version>,<updated unix ns>," + fingerprint

// maxEntryLen bounds a stored entry: data base64-encoded plus small fields.
const maxEntryLen = MaxDataLen*4/3 + 4*MaxIDLen + 256

type eventBlob struct {
	LoanID string `json:"l"`
	Type   string `json:"t"`
	Actor  string `json:"a,omitempty"`
	Data   []byte `json:"d,omitempty"`
	Time   int64  `json:"ts"`
}

// encodeEventBlob is the part of an entry the writer knows before the store
// assigns positions.
func encodeEventBlob(e Event) []byte {
	b, err := json.Marshal(eventBlob{LoanID: e.LoanID, Type: e.Type, Actor: e.Actor, Data: e.Data, Time: e.Time.UnixNano()})
	if err != nil { // cannot happen: only strings, bytes and ints
		panic(err)
	}
	return b
}

func encodeEntry(pos, seq uint64, blob []byte) []byte {
	b := make([]byte, 0, len(blob)+42)
	b = strconv.AppendUint(b, pos, 10)
	b = append(b, ',')
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, ',')
	return append(b, blob...)
}

// decodeEntry parses a stored event entry.
func decodeEntry(b []byte) (Event, error) {
	if len(b) > maxEntryLen {
		return Event{}, fmt.Errorf("state: event entry of %d bytes exceeds %d", len(b), maxEntryLen)
	}
	pos, rest, err := cutUint(b, "event position")
	if err != nil {
		return Event{}, err
	}
	seq, rest, err := cutUint(rest, "event sequence")
	if err != nil {
		return Event{}, err
	}
	var eb eventBlob
	if err := json.Unmarshal(rest, &eb); err != nil {
		return Event{}, fmt.Errorf("state: bad event entry: %v", err)
	}
	return Event{Seq: seq, Pos: pos, LoanID: eb.LoanID, Type: eb.Type, Actor: eb.Actor, Data: eb.Data, Time: time.Unix(0, eb.Time)}, nil
}

func encodeRecord(version uint64, updated time.Time, tail []byte) []byte {
	b := make([]byte, 0, len(tail)+42)
	b = strconv.AppendUint(b, version, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, updated.UnixNano(), 10)
	b = append(b, ',')
	return append(b, tail...)
}

// decodeRecord parses a loan or dedup record; tail aliases b.
func decodeRecord(b []byte) (version uint64, updated time.Time, tail []byte, err error) {
	if len(b) > MaxDataLen+64 {
		return 0, time.Time{}, nil, fmt.Errorf("state: record of %d bytes exceeds %d", len(b), MaxDataLen+64)
	}
	version, rest, err := cutUint(b, "record version")
	if err != nil {
		return 0, time.Time{}, nil, err
	}
	ns, rest, err := cutUint(rest, "record time")
	if err != nil {
		return 0, time.Time{}, nil, err
	}
	if ns > 1<<63-1 {
		return 0, time.Time{}, nil, fmt.Errorf("state: record time out of range")
	}
	return version, time.Unix(0, int64(ns)), rest, nil
}

// cutUint reads a decimal number of at most 20 digits followed by a comma.
func cutUint(b []byte, what string) (uint64, []byte, error) {
	i := bytes.IndexByte(b, ',')
	if i < 1 || i > 20 {
		return 0, nil, fmt.Errorf("state: bad %s field", what)
	}
	n, err := strconv.ParseUint(string(b[:i]), 10, 64)
	if err != nil {
		return 0, nil, fmt.Errorf("state: bad %s field", what)
	}
	return n, b[i+1:], nil
}
