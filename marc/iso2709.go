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

// fill reads more input until buf[pos:] holds at least want bytes, the
// input ends, or the buffer would exceed the record size limit.
func (r *Reader) fill(want int) {
	for len(r.buf)-r.pos < want && !r.eof && r.err == nil {
		if r.pos > 0 {
			n := copy(r.buf, r.buf[r.pos:])
			r.offset += int64(r.pos)
			r.buf = r.buf[:n]
			r.pos = 0
		}
		if cap(r.buf)-len(r.buf) < 4096 {
			nb := make([]byte, len(r.buf), 2*cap(r.buf)+8192)
			copy(nb, r.buf)
			r.buf = nb
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
	r.fill(max + 1)
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
	declared, lenOK := atoiDigits(avail[:min(5, len(avail))])
	lenOK = lenOK && len(avail) >= 5 && declared > 24
	end := bytes.IndexByte(avail, recordTerminator)
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

// Decode decodes one ISO 2709 record, repairing what it can. It returns the
// record with the list of repairs made, or a *RecordError when nothing
// usable could be recovered.
func Decode(data []byte) (*Record, []Problem, error) {
	if len(data) > DefaultMaxRecordSize {
		return nil, nil, &RecordError{Problem{Record: 1, Msg: "record longer than the size limit"}}
	}
	p := &problems{record: 1}
	rec, err := decode(data, p, 0)
	return rec, p.list, err
}

// decode parses one record's bytes (its terminator, if any, included).
func decode(data []byte, p *problems, maxFields int) (*Record, error) {
	if maxFields <= 0 {
		maxFields = DefaultMaxFields
	}
	if n := len(data); n > 0 && data[n-1] == recordTerminator {
		data = data[:n-1]
	}
	if len(data) < 24 {
		return nil, p.drop("only %d bytes, shorter than a leader", len(data))
	}
	rec := &Record{}
	copy(rec.Leader[:], data[:24])
	for i, c := range rec.Leader {
		if c < 0x20 || c > 0x7E {
			rec.Leader[i] = ' '
			p.add("", "leader position %d holds byte 0x%02X; set to blank", i, c)
		}
	}
	// The directory runs from 24 to the first field terminator.
	dirEnd := bytes.IndexByte(data[24:], fieldTerminator)
	if dirEnd < 0 {
		return nil, p.drop("no field terminator after the directory")
	}
	dirEnd += 24
	base := dirEnd + 1
	if declared, ok := atoiDigits(data[12:17]); !ok || declared != base {
		p.add("", "base address says %q, data starts at %d", data[12:17], base)
	}
	dir := data[24:dirEnd]
	lenLen, startLen := 4, 5
	if l, ok := atoiDigits(data[20:21]); ok && l > 0 {
		lenLen = l
	}
	if s, ok := atoiDigits(data[21:22]); ok && s > 0 {
		startLen = s
	}
	entry := 3 + lenLen + startLen
	if len(dir)%entry != 0 {
		if len(dir)%12 == 0 {
			lenLen, startLen, entry = 4, 5, 12
		}
		p.add("", "directory of %d bytes is not a whole number of %d-byte entries", len(dir), entry)
	}
	count := len(dir) / entry
	if count > maxFields {
		return nil, p.drop("%d fields, more than the limit of %d", count, maxFields)
	}
	area := data[base:]
	ind := 2
	if n, ok := atoiDigits(rec.Leader[10:11]); ok {
		ind = n
	}
	// Locate each field through the directory; fall back to splitting the
	// data area at field terminators when the directory cannot be trusted.
	type span struct {
		tag        string
		start, end int
	}
	spans := make([]span, 0, count)
	trusted := true
	for i := 0; i < count; i++ {
		e := dir[i*entry : (i+1)*entry]
		l, ok1 := atoiDigits(e[3 : 3+lenLen])
		s, ok2 := atoiDigits(e[3+lenLen:])
		if !ok1 || !ok2 || s+l > len(area) || l == 0 {
			trusted = false
		}
		spans = append(spans, span{tag: string(e[:3]), start: s, end: s + l})
	}
	if !trusted {
		pieces := bytes.Split(area, []byte{fieldTerminator})
		if len(pieces) > 0 && len(pieces[len(pieces)-1]) == 0 {
			pieces = pieces[:len(pieces)-1]
		}
		p.add("", "directory lengths or positions unusable; fields located by field terminators")
		if len(pieces) != len(spans) {
			p.add("", "directory has %d entries, data area %d fields", len(spans), len(pieces))
		}
		off := 0
		for i := range spans {
			if i >= len(pieces) {
				spans = spans[:i]
				break
			}
			spans[i].start, spans[i].end = off, off+len(pieces[i])+1
			if spans[i].end > len(area) {
				spans[i].end = len(area)
			}
			off += len(pieces[i]) + 1
		}
	}
	rec.Fields = make([]Field, 0, len(spans))
	for _, sp := range spans {
		fd := area[sp.start:sp.end]
		if n := len(fd); n > 0 && fd[n-1] == fieldTerminator {
			fd = fd[:n-1]
		} else if trusted {
			p.add(sp.tag, "missing field terminator")
		}
		if i := bytes.IndexByte(fd, fieldTerminator); i >= 0 {
			p.add(sp.tag, "field terminator inside the field; data after it dropped")
			fd = fd[:i]
		}
		rec.Fields = append(rec.Fields, parseField(sp.tag, fd, ind, p))
	}
	return rec, nil
}

// parseField turns one field's bytes into a Field. A 00X field is a control
// field unless it holds subfield delimiters, in which case it is read as a
// data field (as YAZ does, so that no data is hidden in a control field).
func parseField(tag string, fd []byte, ind int, p *problems) Field {
	if len(tag) == 3 && tag[0] == '0' && tag[1] == '0' && bytes.IndexByte(fd, subfieldDelimiter) < 0 {
		return Field{Tag: tag, Value: string(fd)}
	}
	f := Field{Tag: tag, Ind1: ' ', Ind2: ' '}
	first := bytes.IndexByte(fd, subfieldDelimiter)
	if first < 0 {
		first = len(fd)
	}
	head := fd[:first]
	if ind > first {
		p.add(tag, "indicators missing")
	}
	if len(head) > 0 {
		f.Ind1 = checkIndicator(tag, head[0], p)
	}
	if ind > 1 && len(head) > 1 {
		f.Ind2 = checkIndicator(tag, head[1], p)
	}
	if len(head) > ind {
		p.add(tag, "%d bytes between indicators and first subfield dropped", len(head)-ind)
	}
	if first >= len(fd) {
		return f
	}
	n := bytes.Count(fd[first:], []byte{subfieldDelimiter})
	f.Subfields = make([]Subfield, 0, n)
	rest := fd[first+1:]
	for {
		i := bytes.IndexByte(rest, subfieldDelimiter)
		piece := rest
		if i >= 0 {
			piece = rest[:i]
		}
		if len(piece) == 0 {
			p.add(tag, "empty subfield dropped")
		} else {
			f.Subfields = append(f.Subfields, Subfield{Code: piece[0], Value: string(piece[1:])})
		}
		if i < 0 {
			break
		}
		rest = rest[i+1:]
	}
	return f
}

func checkIndicator(tag string, c byte, p *problems) byte {
	if c < 0x20 || c > 0x7E {
		p.add(tag, "bad indicator byte 0x%02X; set to blank", c)
		return ' '
	}
	return c
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
