package state

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode/utf8"
)

// Export and Import move all durable state between stores of either driver
// through one driver-neutral stream: JSON lines, one record per line.
//
//	{"kind":"header","stream":"illgw-state","format":1,"partitions":16,"driver":"embedded","created":...}
//	then for each partition p, in this order:
//	  {"kind":"loan","p":p,"id":..,"v":version,"u":updated ns,"d":base64 data[,"timer":true,"due":ms,"timer_kind":..]}  (id order)
//	  {"kind":"event","p":p,"id":loan,"seq":n,"pos":feed position,"type":..,"actor":..,"d":..,"ts":ns}          (feed order)
//	  {"kind":"feed","p":p,"pos":last feed position}
//	  {"kind":"dedup","p":p,"id":loan,"key":dedup key,"v":..,"u":..,"fp":..,"exp":expiry ms}
//	{"kind":"ttl","id":key,"d":value,"exp":expiry ms}      live TTL entries
//	{"kind":"counter","id":key,"n":count,"exp":expiry ms}  live counters
//	{"kind":"end","loans":..,"events":..,"dedup":..,"ttl":..,"counters":..}
//
// Expiries are absolute (unix ms), so an entry keeps its deadline however
// long the stream waits between export and import; one that has passed by
// then is not imported. Loans keep their versions and update times, events
// their sequence numbers, feed positions and times, so watchers that
// remember a feed position resume where they were.

// ExportFormat is the version of the stream Export writes.
const ExportFormat = 1

// maxLineLen bounds one line: a loan's data (MaxDataLen) base64-encoded
// plus its fields.
const maxLineLen = MaxDataLen*4/3 + 8*MaxIDLen + 1024

const streamName = "illgw-state"

// Line is one record of the export stream; Kind says which fields apply.
type Line struct {
	Kind string `json:"kind"`

	// header
	Stream     string `json:"stream,omitempty"`
	Format     int    `json:"format,omitempty"`
	Partitions int    `json:"partitions,omitempty"`
	Driver     string `json:"driver,omitempty"`
	Created    string `json:"created,omitempty"`

	P       int    `json:"p,omitempty"`  // partition: loan, event, feed, dedup
	ID      string `json:"id,omitempty"` // loan id; ttl and counter key
	Version uint64 `json:"v,omitempty"`
	Updated int64  `json:"u,omitempty"` // unix ns
	Data    []byte `json:"d,omitempty"`

	Timer     bool   `json:"timer,omitempty"`
	Due       int64  `json:"due,omitempty"` // unix ms
	TimerKind string `json:"timer_kind,omitempty"`

	Seq   uint64 `json:"seq,omitempty"`
	Pos   uint64 `json:"pos,omitempty"` // event: its feed position; feed: the last position
	Type  string `json:"type,omitempty"`
	Actor string `json:"actor,omitempty"`
	Time  int64  `json:"ts,omitempty"` // unix ns

	Key     string `json:"key,omitempty"` // dedup key
	FP      string `json:"fp,omitempty"`  // dedup fingerprint
	Expires int64  `json:"exp,omitempty"` // unix ms
	Count   int64  `json:"n,omitempty"`

	// end
	Loans    int `json:"loans,omitempty"`
	Events   int `json:"events,omitempty"`
	Dedups   int `json:"dedup,omitempty"`
	TTLs     int `json:"ttl,omitempty"`
	Counters int `json:"counters,omitempty"`
}

// porter is implemented by every driver: it lists its content as lines and
// applies lines idempotently.
type porter interface {
	exportLines(ctx context.Context, emit func(*Line) error) error
	// importLines applies lines in order; outcomes[i] is what happened to
	// lines[i]. An error means the store failed, not that a line conflicted.
	importLines(ctx context.Context, lines []*Line, now time.Time) ([]outcome, error)
	driverName() string
}

type outcome struct {
	added    bool
	conflict string // why the line was not applied; "" when added or already there
}

// ExportResult counts what Export wrote.
type ExportResult struct{ Loans, Events, Dedups, TTLs, Counters int }

// Export writes every loan (with version, data and timer), every event in
// feed order with its positions, each partition's feed position, live
// dedup records, TTL entries and counters of s to w. On the embedded
// driver it reads one transaction, a consistent cut; on Redis it reads
// partition by partition, so gateways should be stopped (or drained) for
// an exact copy.
func Export(ctx context.Context, s Store, w io.Writer) (ExportResult, error) {
	p, ok := s.(porter)
	if !ok {
		return ExportResult{}, fmt.Errorf("%w: store %T cannot export", ErrInvalid, s)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	var res ExportResult
	emit := func(l *Line) error {
		switch l.Kind {
		case "loan":
			res.Loans++
		case "event":
			res.Events++
		case "dedup":
			res.Dedups++
		case "ttl":
			res.TTLs++
		case "counter":
			res.Counters++
		}
		return enc.Encode(l)
	}
	hdr := &Line{Kind: "header", Stream: streamName, Format: ExportFormat, Partitions: s.Partitions(),
		Driver: p.driverName(), Created: time.Now().UTC().Format(time.RFC3339)}
	if err := enc.Encode(hdr); err != nil {
		return res, err
	}
	if err := p.exportLines(ctx, emit); err != nil {
		return res, err
	}
	end := &Line{Kind: "end", Loans: res.Loans, Events: res.Events, Dedups: res.Dedups, TTLs: res.TTLs, Counters: res.Counters}
	if err := enc.Encode(end); err != nil {
		return res, err
	}
	return res, bw.Flush()
}

// ImportResult says what Import did, line kind by line kind.
type ImportResult struct {
	Added, Same map[string]int // lines applied now / already there with the same content
	Expired     int            // TTL entries, counters and dedup records whose time passed
	Conflicts   []string       // the first MaxReportedConflicts reasons
	ConflictN   int
}

// MaxReportedConflicts bounds ImportResult.Conflicts.
const MaxReportedConflicts = 20

// ErrImportConflict reports lines that Import did not apply because the
// store holds different content under the same name.
var ErrImportConflict = errors.New("state: import conflicts with the store's content")

// importBatch is how many lines are applied together (one bbolt
// transaction on the embedded driver).
const importBatch = 500

// Import applies a stream written by Export to s. It is idempotent: a line
// whose content the store already holds is counted in Same and changes
// nothing, so importing twice, or again after an interruption, is safe.
// A loan the store holds with other content (version, data or update
// time), an event whose sequence number or feed position is taken by
// another event, or a TTL entry with another value, is not applied and is
// reported; the events and dedup records of a conflicting loan are skipped
// with it. Import
// then returns ErrImportConflict after applying everything else. The
// stream's partition count must equal the store's.
func Import(ctx context.Context, s Store, r io.Reader) (ImportResult, error) {
	res := ImportResult{Added: map[string]int{}, Same: map[string]int{}}
	p, ok := s.(porter)
	if !ok {
		return res, fmt.Errorf("%w: store %T cannot import", ErrInvalid, s)
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLineLen)
	var d decoder
	var batch []*Line
	badLoans := map[string]bool{}
	var seen ExportResult
	var end *Line
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		out, err := p.importLines(ctx, batch, time.Now())
		if err != nil {
			return err
		}
		for i, o := range out {
			l := batch[i]
			switch {
			case o.conflict == "expired":
				res.Expired++
			case o.conflict != "":
				if l.Kind == "loan" {
					badLoans[l.ID] = true
				}
				res.conflict(o.conflict)
			case o.added:
				res.Added[l.Kind]++
			default:
				res.Same[l.Kind]++
			}
		}
		batch = batch[:0]
		return nil
	}
	for sc.Scan() {
		d.line++
		l, err := d.decode(sc.Bytes(), s.Partitions())
		if err != nil {
			return res, err
		}
		if l == nil { // header
			continue
		}
		if end != nil {
			return res, fmt.Errorf("%w: line %d: %s after the end line", ErrInvalid, d.line, l.Kind)
		}
		switch l.Kind {
		case "end":
			end = l
			continue
		case "loan":
			seen.Loans++
		case "event":
			seen.Events++
			// A partition's loans come before its events: apply them
			// first, so that the events of a conflicting loan are known.
			if n := len(batch); n > 0 && batch[n-1].Kind == "loan" {
				if err := flush(); err != nil {
					return res, err
				}
			}
			if badLoans[l.ID] {
				res.conflict(fmt.Sprintf("event %d of loan %s skipped with its loan", l.Seq, l.ID))
				continue
			}
		case "dedup":
			seen.Dedups++
			if badLoans[l.ID] { // it would vouch for a version the store's loan is not at
				res.conflict(fmt.Sprintf("dedup key %q of loan %s skipped with its loan", l.Key, l.ID))
				continue
			}
		case "ttl":
			seen.TTLs++
		case "counter":
			seen.Counters++
		}
		batch = append(batch, l)
		if len(batch) >= importBatch {
			if err := flush(); err != nil {
				return res, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return res, fmt.Errorf("%w: line %d: %v", ErrInvalid, d.line+1, err)
	}
	if err := flush(); err != nil {
		return res, err
	}
	if !d.header {
		return res, fmt.Errorf("%w: empty stream: no header line", ErrInvalid)
	}
	if end == nil {
		return res, fmt.Errorf("%w: the stream ends without its end line: it was cut short (what was read is imported; import the whole file again)", ErrInvalid)
	}
	if want := (ExportResult{end.Loans, end.Events, end.Dedups, end.TTLs, end.Counters}); want != seen {
		return res, fmt.Errorf("%w: the end line counts %+v but the stream held %+v", ErrInvalid, want, seen)
	}
	if res.ConflictN > 0 {
		return res, fmt.Errorf("%w: %d lines not applied", ErrImportConflict, res.ConflictN)
	}
	return res, nil
}

func (r *ImportResult) conflict(why string) {
	r.ConflictN++
	if len(r.Conflicts) < MaxReportedConflicts {
		r.Conflicts = append(r.Conflicts, why)
	}
}

// decoder checks each line of an export stream before it is applied.
type decoder struct {
	line   int
	header bool
}

// decode parses and validates one line; it returns nil for the header.
func (d *decoder) decode(b []byte, partitions int) (*Line, error) {
	l, err := decodeLine(b, partitions, d.header)
	if err != nil {
		return nil, fmt.Errorf("%w: line %d: %v", ErrInvalid, d.line, err)
	}
	if l.Kind == "header" {
		d.header = true
		return nil, nil
	}
	return l, nil
}

// decodeLine parses one line of an export stream and checks it against the
// store's limits (the same as Apply's) before anything is written.
// sawHeader says whether the header line has been read; partitions is the
// target store's count.
func decodeLine(b []byte, partitions int, sawHeader bool) (*Line, error) {
	if len(b) > maxLineLen {
		return nil, fmt.Errorf("line of %d bytes exceeds %d", len(b), maxLineLen)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var l Line
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("not a record: %v", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("more than one record on the line")
	}
	if !sawHeader && l.Kind != "header" {
		return nil, fmt.Errorf("the stream does not start with a header line (is it an illgw state export?)")
	}
	switch l.Kind {
	case "header":
		switch {
		case sawHeader:
			return nil, fmt.Errorf("a second header")
		case l.Stream != streamName:
			return nil, fmt.Errorf("stream %q is not %q", clip([]byte(l.Stream)), streamName)
		case l.Format < 1 || l.Format > ExportFormat:
			return nil, fmt.Errorf("%w: stream format %d; this build reads formats 1..%d", ErrFormat, l.Format, ExportFormat)
		case l.Partitions != partitions:
			return nil, fmt.Errorf("the stream has %d partitions and the store %d: a loan's partition would change (set state.partitions to %d for a new store)", l.Partitions, partitions, l.Partitions)
		}
		return &l, nil
	case "end":
		if min(l.Loans, l.Events, l.Dedups, l.TTLs, l.Counters) < 0 {
			return nil, fmt.Errorf("negative count")
		}
		return &l, nil
	case "ttl", "counter":
		if err := checkID("key", l.ID, MaxIDLen); err != nil {
			return nil, err
		}
		if l.Expires <= 0 || len(l.Data) > MaxDataLen || l.Count < 0 {
			return nil, fmt.Errorf("%s %s: bad expiry, value or count", l.Kind, l.ID)
		}
		return &l, nil
	case "feed":
		if err := checkPartition(l.P, partitions); err != nil {
			return nil, err
		}
		return &l, nil
	case "loan", "event", "dedup":
		if err := checkID("loan id", l.ID, MaxIDLen); err != nil {
			return nil, err
		}
		if err := checkPartition(l.P, partitions); err != nil {
			return nil, err
		}
		if partitionOf(l.ID, partitions) != l.P {
			return nil, fmt.Errorf("loan %s belongs in partition %d, not %d", l.ID, partitionOf(l.ID, partitions), l.P)
		}
		if len(l.Data) > MaxDataLen || l.Updated < 0 || l.Time < 0 || l.Due < 0 {
			return nil, fmt.Errorf("%s of loan %s: data too large or a negative time", l.Kind, l.ID)
		}
	default:
		return nil, fmt.Errorf("unknown record kind %q", clip([]byte(l.Kind)))
	}
	switch l.Kind {
	case "loan":
		if l.Version < 1 || len(l.TimerKind) > MaxIDLen {
			return nil, fmt.Errorf("loan %s: version %d or timer kind", l.ID, l.Version)
		}
	case "event":
		if l.Seq < 1 || l.Pos < 1 || len(l.Type) > MaxIDLen || len(l.Actor) > MaxIDLen ||
			!utf8.ValidString(l.Type) || !utf8.ValidString(l.Actor) {
			return nil, fmt.Errorf("event of loan %s: bad sequence, position, type or actor", l.ID)
		}
	case "dedup":
		if err := checkID("dedup key", l.Key, MaxDedupKeyLen); err != nil {
			return nil, err
		}
		if l.Version < 1 || l.Expires <= 0 || len(l.FP) != 32 || !isHex(l.FP) {
			return nil, fmt.Errorf("dedup record of loan %s: bad version, expiry or fingerprint", l.ID)
		}
	}
	return &l, nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// entryOf is the stored event entry a line describes, byte for byte the
// entry either driver writes for that event.
func entryOf(l *Line) []byte {
	e := Event{LoanID: l.ID, Type: l.Type, Actor: l.Actor, Data: l.Data, Time: time.Unix(0, l.Time)}
	return encodeEntry(l.Pos, l.Seq, encodeEventBlob(e))
}

// eventLine turns a stored event into its line.
func eventLine(p int, e Event) *Line {
	return &Line{Kind: "event", P: p, ID: e.LoanID, Seq: e.Seq, Pos: e.Pos, Type: e.Type, Actor: e.Actor, Data: e.Data, Time: e.Time.UnixNano()}
}
