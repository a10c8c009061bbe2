package state

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Export and import on the embedded driver: the export reads one bbolt
// transaction; the import applies each batch of lines in one.

func (s *embedded) driverName() string { return "embedded" }

func (s *embedded) exportLines(ctx context.Context, emit func(*Line) error) error {
	now := s.now()
	return s.view(ctx, func(tx *bolt.Tx) error {
		for p := range s.n {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := s.exportPartition(tx, p, now, emit); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bTTL).ForEach(func(k, v []byte) error {
			if expiredAt(v, now) {
				return nil
			}
			return emit(&Line{Kind: "ttl", ID: string(k), Data: v[8:], Expires: expiryMs(v)})
		}); err != nil {
			return err
		}
		return tx.Bucket(bCtr).ForEach(func(k, v []byte) error {
			if len(v) != 16 || expiredAt(v, now) {
				return nil
			}
			return emit(&Line{Kind: "counter", ID: string(k), Count: int64(binary.BigEndian.Uint64(v[8:])), Expires: expiryMs(v)})
		})
	})
}

// expiryMs is the leading 8-byte expiry (unix ns) of a stored value in ms,
// rounded up so that an entry never expires earlier after a move.
func expiryMs(v []byte) int64 {
	ns := int64(binary.BigEndian.Uint64(v[:8]))
	return (ns + 999_999) / 1_000_000
}

func (s *embedded) exportPartition(tx *bolt.Tx, p int, now time.Time, emit func(*Line) error) error {
	of := s.part(tx, p, bTimerOf)
	if err := s.part(tx, p, bLoans).ForEach(func(k, v []byte) error {
		ver, at, data, err := decodeRecord(v)
		if err != nil {
			return err
		}
		l := &Line{Kind: "loan", P: p, ID: string(k), Version: ver, Updated: at.UnixNano(), Data: data}
		if t := of.Get(k); len(t) >= 8 {
			l.Timer, l.Due, l.TimerKind = true, int64(binary.BigEndian.Uint64(t[:8]))/1_000_000, string(t[8:])
		}
		return emit(l)
	}); err != nil {
		return err
	}
	feed := s.part(tx, p, bFeed)
	if err := feed.ForEach(func(_, v []byte) error {
		e, err := decodeEntry(v)
		if err != nil {
			return err
		}
		return emit(eventLine(p, e))
	}); err != nil {
		return err
	}
	if err := emit(&Line{Kind: "feed", P: p, Pos: feed.Sequence()}); err != nil {
		return err
	}
	return s.part(tx, p, bDedup).ForEach(func(k, v []byte) error {
		i := bytes.IndexByte(k, 0)
		ver, at, tail, err := decodeRecord(v)
		if i < 1 || err != nil {
			return fmt.Errorf("state: bad dedup record %q", clip(k))
		}
		exp, fp, err := cutUint(tail, "dedup expiry")
		if err != nil {
			return err
		}
		if int64(exp) <= now.UnixNano() {
			return nil
		}
		return emit(&Line{Kind: "dedup", P: p, ID: string(k[:i]), Key: string(k[i+1:]), Version: ver,
			Updated: at.UnixNano(), FP: string(fp), Expires: (int64(exp) + 999_999) / 1_000_000})
	})
}

func (s *embedded) importLines(ctx context.Context, lines []*Line, now time.Time) ([]outcome, error) {
	out := make([]outcome, len(lines))
	err := s.update(ctx, func(tx *bolt.Tx) error {
		for i, l := range lines {
			var err error
			out[i], err = s.importLine(tx, l, now)
			if err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

func (s *embedded) importLine(tx *bolt.Tx, l *Line, now time.Time) (outcome, error) {
	switch l.Kind {
	case "loan":
		loans := s.part(tx, l.P, bLoans)
		if rec := loans.Get([]byte(l.ID)); rec != nil {
			v, at, data, err := decodeRecord(rec)
			if err != nil {
				return outcome{}, err
			}
			if v == l.Version && at.UnixNano() == l.Updated && bytes.Equal(data, l.Data) {
				return outcome{}, nil
			}
			return outcome{conflict: fmt.Sprintf("loan %s: the store has version %d updated %s, the stream version %d updated %s",
				l.ID, v, at.UTC().Format(time.RFC3339Nano), l.Version, time.Unix(0, l.Updated).UTC().Format(time.RFC3339Nano))}, nil
		}
		if err := loans.Put([]byte(l.ID), encodeRecord(l.Version, time.Unix(0, l.Updated), l.Data)); err != nil {
			return outcome{}, err
		}
		if l.Timer {
			t := &Timer{LoanID: l.ID, Partition: l.P, Due: time.UnixMilli(l.Due), Kind: l.TimerKind}
			if err := s.setTimer(tx, l.P, l.ID, t); err != nil {
				return outcome{}, err
			}
		}
		return outcome{added: true}, nil
	case "event":
		return s.importEvent(tx, l)
	case "feed":
		feed := s.part(tx, l.P, bFeed)
		if feed.Sequence() >= l.Pos {
			return outcome{}, nil
		}
		return outcome{added: true}, feed.SetSequence(l.Pos)
	case "dedup":
		if l.Expires <= now.UnixMilli() {
			return outcome{conflict: "expired"}, nil
		}
		dedup := s.part(tx, l.P, bDedup)
		k := append([]byte(l.ID+"\x00"), l.Key...)
		tail := strconv.AppendInt(nil, l.Expires*1_000_000, 10)
		tail = append(append(tail, ','), l.FP...)
		if rec := dedup.Get(k); rec != nil {
			v, at, old, err := decodeRecord(rec)
			if err != nil {
				return outcome{}, err
			}
			exp, fp, err := cutUint(old, "dedup expiry")
			if err != nil {
				return outcome{}, err
			}
			if int64(exp) > now.UnixNano() {
				if v == l.Version && at.UnixNano() == l.Updated && string(fp) == l.FP {
					return outcome{}, nil
				}
				return outcome{conflict: fmt.Sprintf("dedup key %q of loan %s: the store remembers another write", l.Key, l.ID)}, nil
			}
		}
		return outcome{added: true}, dedup.Put(k, encodeRecord(l.Version, time.Unix(0, l.Updated), tail))
	case "ttl", "counter":
		if l.Expires <= now.UnixMilli() {
			return outcome{conflict: "expired"}, nil
		}
		b, val := tx.Bucket(bTTL), l.Data
		if l.Kind == "counter" {
			b, val = tx.Bucket(bCtr), u64(uint64(l.Count))
		}
		if old := b.Get([]byte(l.ID)); old != nil && !expiredAt(old, now) {
			if bytes.Equal(old[8:], val) {
				return outcome{}, nil
			}
			return outcome{conflict: fmt.Sprintf("%s %s: the store holds another value", l.Kind, l.ID)}, nil
		}
		return outcome{added: true}, b.Put([]byte(l.ID), withExpiry(time.UnixMilli(l.Expires), val))
	}
	return outcome{}, fmt.Errorf("%w: cannot import a %q line", ErrInvalid, l.Kind)
}

// importEvent appends an event at its own sequence number and feed
// position, or finds it already there.
func (s *embedded) importEvent(tx *bolt.Tx, l *Line) (outcome, error) {
	if s.part(tx, l.P, bLoans).Get([]byte(l.ID)) == nil {
		return outcome{conflict: fmt.Sprintf("event %d of loan %s: the loan is not in the store", l.Seq, l.ID)}, nil
	}
	events, feed := s.part(tx, l.P, bEvents), s.part(tx, l.P, bFeed)
	entry := entryOf(l)
	key := append([]byte(l.ID+"\x00"), u64(l.Seq)...)
	if old := events.Get(key); old != nil {
		if bytes.Equal(old, entry) {
			return outcome{}, nil
		}
		return outcome{conflict: fmt.Sprintf("event %d of loan %s: the store has another event there", l.Seq, l.ID)}, nil
	}
	if l.Seq > 1 && events.Get(append([]byte(l.ID+"\x00"), u64(l.Seq-1)...)) == nil {
		return outcome{conflict: fmt.Sprintf("event %d of loan %s: the events before it are missing", l.Seq, l.ID)}, nil
	}
	if feed.Get(u64(l.Pos)) != nil {
		return outcome{conflict: fmt.Sprintf("event %d of loan %s: feed position %d of partition %d is taken", l.Seq, l.ID, l.Pos, l.P)}, nil
	}
	if err := events.Put(key, entry); err != nil {
		return outcome{}, err
	}
	if err := feed.Put(u64(l.Pos), entry); err != nil {
		return outcome{}, err
	}
	if feed.Sequence() < l.Pos {
		if err := feed.SetSequence(l.Pos); err != nil {
			return outcome{}, err
		}
	}
	return outcome{added: true}, nil
}
