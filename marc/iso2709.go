package marc

import (
	"bytes"
	"errors"
	"io"
)

// Reader reads ISO 2709 (MARC 21 "exchange format") records from a stream,
// tolerating the damage found in real files: wrong record lengths or base
// addresses, missing field or record terminators, filler bytes between
// records, bad indicators, non-digit lengths. What it repaired is reported
// by Problems after each Read.
//
// Reference: ISO 2709:2008 §4; MARC 21 Specifications for Record Structure.
type Reader struct {
	// MaxRecordSize bounds the bytes of one record; 0 means DefaultMaxRecordSize.
	MaxRecordSize int
	// MaxFields bounds the fields of one record; 0 means DefaultMaxFields.
	MaxFields int

	r        io.Reader
	buf      []byte // unread input is buf[pos:]
	pos      int
	eof      bool
	err      error // sticky read error other than io.EOF
	offset   int64 // input offset of buf[0]
	n        int   // records seen, dropped ones included
	problems []Problem
}

// NewReader returns a Reader reading ISO 2709 records from r.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: r}
}

// Problems returns what was wrong with the record returned by the last Read
// (and with any filler skipped before it).
func (r *Reader) Problems() []Problem { return r.problems }

func (r *Reader) maxSize() int {
	if r.MaxRecordSize > 0 {
		return r.MaxRecordSize
	}
	return DefaultMaxRecordSize
}

// fill reads more input until buf[pos:] holds at least want bytes or the
// input ends. The unread bytes move to the front only when the buffer is
// full, so each input byte is copied a bounded number of times.
func (r *Reader) fill(want int) {
	for len(r.buf)-r.pos < want && !r.eof && r.err == nil {
		if cap(r.buf)-len(r.buf) < 4096 {
			unread := len(r.buf) - r.pos
			if r.pos > 0 && cap(r.buf)-unread >= max(want, unread)+4096 {
				copy(r.buf, r.buf[r.pos:])
			} else {
				nb := make([]byte, unread, max(2*cap(r.buf), want+4096, 64<<10))
				copy(nb, r.buf[r.pos:])
				r.buf = nb[:0]
			}
			r.offset += int64(r.pos)
			r.buf = r.buf[:unread]
			r.pos = 0
		}
		m, err := r.r.Read(r.buf[len(r.buf):cap(r.buf)])
		r.buf = r.buf[:len(r.buf)+m]
		if errors.Is(err, io.EOF) {
			r.eof = true
		} else if err != nil {
			r.err = err
		}
	}
}

// isFiller reports bytes found between records in real files: spare record
// terminators, NULs, line ends, blanks and DOS end-of-file marks.
func isFiller(c byte) bool {
	return c == recordTerminator || c == 0 || c == '\n' || c == '\r' || c == ' ' || c == 0x1A || c == fieldTerminator
}

// Read returns the next record. It returns io.EOF at the end of the input
// and a *RecordError for a record it had to drop; after a *RecordError the
// next call reads on. A record returned with repairs has them listed by
// Problems.
func (r *Reader) Read() (*Record, error) {
	r.problems = nil
	max := r.maxSize()
	skipped := 0
	for {
		r.fill(1)
		if r.pos >= len(r.buf) {
			break
		}
		if !isFiller(r.buf[r.pos]) {
			break
		}
		r.pos++
		skipped++
	}
	p := &problems{record: r.n + 1, offset: r.offset + int64(r.pos)}
	if skipped > 0 {
		p.add("", "skipped %d filler bytes before the record", skipped)
	}
	// Find the record terminator, reading on as far as the size limit.
	r.fill(24)
	end, searched := -1, 0
	for {
		avail := r.buf[r.pos:]
		if i := bytes.IndexByte(avail[searched:min(len(avail), max+1)], recordTerminator); i >= 0 {
			end = searched + i
			break
		}
		searched = min(len(avail), max+1)
		if searched > max || r.eof || r.err != nil {
			break
		}
		r.fill(len(avail) + 32<<10)
	}
	declared, lenOK := atoiDigits(r.buf[r.pos:min(r.pos+5, len(r.buf))])
	lenOK = lenOK && declared > 24
	if lenOK && end+1 != declared {
		// Enough to see the next record's leader after a missing terminator.
		r.fill(min(declared+24, max+1))
	}
	avail := r.buf[r.pos:]
	if len(avail) == 0 {
		if skipped > 0 {
			p.list = nil
			p.record = r.n
			p.add("", "skipped %d filler bytes after the record", skipped)
		}
		r.problems = p.list
		if r.err != nil {
			return nil, r.err
		}
		return nil, io.EOF
	}
	r.n++
	if len(avail) > max+1 {
		avail = avail[:max+1]
	}
	lenOK = lenOK && len(avail) >= 5
	var rec []byte
	switch {
	case lenOK && end+1 == declared:
		rec = avail[:declared]
	case lenOK && (end < 0 || end+1 > declared) && r.missingTerminator(avail, declared) > 0:
		rec = avail[:r.missingTerminator(avail, declared)]
		p.add("", "missing record terminator")
	case end >= 0:
		rec = avail[:end+1]
		if !lenOK {
			p.add("", "record length %q is not a number", avail[:min(5, len(avail))])
		} else {
			p.add("", "record length says %d, record terminator found after %d bytes", declared, end+1)
		}
	case r.eof && len(avail) <= max:
		rec = avail
		p.add("", "missing record terminator at end of input")
	case r.err != nil:
		r.pos += len(avail)
		return nil, r.err
	default:
		// Too large: skip to the next record terminator.
		r.skipRecord()
		r.problems = p.list
		return nil, p.drop("record longer than %d bytes", max)
	}
	r.pos += len(rec)
	out, err := decode(rec, p, r.MaxFields)
	r.problems = p.list
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (r *Reader) skipRecord() {
	for {
		i := bytes.IndexByte(r.buf[r.pos:], recordTerminator)
		if i >= 0 {
			r.pos += i + 1
			return
		}
		r.pos = len(r.buf)
		if r.eof || r.err != nil {
			return
		}
		r.fill(1)
	}
}

// missingTerminator returns the length of a record in avail that lacks
// its record terminator: its last field terminator is where the record
// length (or one less, when the length counted the missing terminator)
// says, and the next record's leader or the end of the input follows.
// It returns 0 when avail does not look like that.
func (r *Reader) missingTerminator(avail []byte, declared int) int {
	for _, n := range []int{declared, declared - 1} {
		if n < 26 || n > len(avail) || avail[n-1] != fieldTerminator {
			continue
		}
		if (n == len(avail) && r.eof) || looksLikeLeader(avail[n:]) {
			return n
		}
	}
	return 0
}

// looksLikeLeader reports whether b starts like a record: a record length
// and a base address made of digits.
func looksLikeLeader(b []byte) bool {
	if len(b) < 24 {
		return false
	}
	_, ok1 := atoiDigits(b[:5])
	_, ok2 := atoiDigits(b[12:17])
	return ok1 && ok2
}

func atoiDigits(b []byte) (int, bool) {
	if len(b) == 0 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// Encode returns rec in ISO 2709. It computes the record length and base
// address (leader/00-04, 12-16) and writes the MARC 21 entry map ("22",
// "4500"). Control-field values and subfield values are written as they
// are: convert them to the charset leader/09 declares first.
func Encode(rec *Record) ([]byte, error) {
	return appendISO(nil, rec)
}

func appendISO(dst []byte, rec *Record) ([]byte, error) {
	dataLen := 0
	for i := range rec.Fields {
		dataLen += fieldLen(&rec.Fields[i])
	}
	base := 24 + 12*len(rec.Fields) + 1
	total := base + dataLen + 1
	if total > maxISORecordLength {
		return dst, ErrTooLong
	}
	start := len(dst)
	dst = append(dst, make([]byte, base)...)
	l := rec.Leader
	l.setNumber(0, 5, total)
	l.setNumber(12, 5, base)
	l[10], l[11] = '2', '2'
	copy(l[20:], "4500")
	copy(dst[start:], l[:])
	dirPos := start + 24
	off := 0
	for i := range rec.Fields {
		f := &rec.Fields[i]
		n := fieldLen(f)
		if n > maxISOFieldLength {
			return dst[:start], ErrTooLong
		}
		e := dst[dirPos : dirPos+12]
		tag := f.Tag + "   "
		copy(e[:3], tag[:3])
		putDigits(e[3:7], n)
		putDigits(e[7:12], off)
		dirPos += 12
		off += n
		if f.IsControl() {
			dst = append(dst, f.Value...)
		} else {
			dst = append(dst, f.Ind1, f.Ind2)
			for _, s := range f.Subfields {
				dst = append(dst, subfieldDelimiter, s.Code)
				dst = append(dst, s.Value...)
			}
		}
		dst = append(dst, fieldTerminator)
	}
	dst[dirPos] = fieldTerminator
	dst = append(dst, recordTerminator)
	return dst, nil
}

func fieldLen(f *Field) int {
	if f.IsControl() {
		return len(f.Value) + 1
	}
	n := 3
	for _, s := range f.Subfields {
		n += 2 + len(s.Value)
	}
	return n
}

func putDigits(b []byte, n int) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
}

// Writer writes records in ISO 2709.
type Writer struct {
	w   io.Writer
	buf []byte
}

// NewWriter returns a Writer writing ISO 2709 records to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write writes one record. It returns ErrTooLong, writing nothing, for a
// record that ISO 2709 cannot hold.
func (w *Writer) Write(rec *Record) error {
	var err error
	w.buf, err = appendISO(w.buf[:0], rec)
	if err != nil {
		return err
	}
	_, err = w.w.Write(w.buf)
	return err
}

// Close does nothing; it is there so that every writer has the same methods.
func (w *Writer) Close() error { return nil }
