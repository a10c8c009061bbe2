package marc

import (
	"bytes"
	"strings"
)

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
	// The directory runs from 24 to the first field terminator, unless that
	// terminator is missing: then the base address, if it lies before the
	// first field terminator just after a whole directory entry, says where
	// the directory ends.
	dirEnd := bytes.IndexByte(data[24:], fieldTerminator)
	if dirEnd >= 0 {
		dirEnd += 24
	}
	base := dirEnd + 1
	declared, baseOK := atoiDigits(data[12:17])
	switch {
	case baseOK && declared > 24 && declared <= len(data) && (declared-1-24)%12 == 0 &&
		(dirEnd < 0 || declared-1 < dirEnd) && data[declared-1] != fieldTerminator:
		dirEnd, base = declared-1, declared
		// One byte short of the record length: the terminator was left
		// out rather than overwritten, and the data starts a byte early.
		if l, ok := atoiDigits(data[:5]); ok && l == len(data)+2 {
			base = declared - 1
		}
		p.add("", "directory terminator missing; data taken to start at %d", base)
	case dirEnd < 0:
		return nil, p.drop("no field terminator after the directory")
	case !baseOK || declared != base:
		p.add("", "base address says %q, data starts at %d", data[12:17], base)
	}
	dir := data[24:dirEnd]
	dirStr := string(dir)
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
		spans = append(spans, span{tag: dirStr[i*entry : i*entry+3], start: s, end: s + l})
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
	// One string for the data area: field and subfield values are slices of it.
	areaStr := string(area)
	slab := make([]Subfield, 0, strings.Count(areaStr, "\x1f"))
	for _, sp := range spans {
		fd := areaStr[sp.start:sp.end]
		if n := len(fd); n > 0 && fd[n-1] == fieldTerminator {
			fd = fd[:n-1]
		} else if trusted {
			p.add(sp.tag, "missing field terminator")
		}
		if i := strings.IndexByte(fd, fieldTerminator); i >= 0 {
			p.add(sp.tag, "field terminator inside the field; data after it dropped")
			fd = fd[:i]
		}
		rec.Fields = append(rec.Fields, parseField(sp.tag, fd, ind, p, &slab))
	}
	return rec, nil
}

// parseField turns one field's bytes into a Field. A 00X field is a control
// field unless it holds subfield delimiters, in which case it is read as a
// data field (as YAZ does, so that no data is hidden in a control field).
// Subfields are appended to *slab, which the fields of a record share.
func parseField(tag string, fd string, ind int, p *problems, slab *[]Subfield) Field {
	if len(tag) == 3 && tag[0] == '0' && tag[1] == '0' && strings.IndexByte(fd, subfieldDelimiter) < 0 {
		return Field{Tag: tag, Value: fd}
	}
	f := Field{Tag: tag, Ind1: ' ', Ind2: ' '}
	first := strings.IndexByte(fd, subfieldDelimiter)
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
	start := len(*slab)
	rest := fd[first+1:]
	for {
		i := strings.IndexByte(rest, subfieldDelimiter)
		piece := rest
		if i >= 0 {
			piece = rest[:i]
		}
		if len(piece) == 0 {
			p.add(tag, "empty subfield dropped")
		} else {
			*slab = append(*slab, Subfield{Code: piece[0], Value: piece[1:]})
		}
		if i < 0 {
			break
		}
		rest = rest[i+1:]
	}
	f.Subfields = (*slab)[start:len(*slab):len(*slab)]
	return f
}

func checkIndicator(tag string, c byte, p *problems) byte {
	if c < 0x20 || c > 0x7E {
		p.add(tag, "bad indicator byte 0x%02X; set to blank", c)
		return ' '
	}
	return c
}
