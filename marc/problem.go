package marc

import (
	"errors"
	"fmt"
)

// ISO 2709 structural characters (ISO 2709:2008 §4.2; MARC 21 Specifications, Record Structure).
const (
	recordTerminator   = 0x1D
	fieldTerminator    = 0x1E
	subfieldDelimiter  = 0x1F
	maxISORecordLength = 99999
	maxISOFieldLength  = 9999
)

// Default limits of the readers. Each reader has fields to change them.
const (
	// DefaultMaxRecordSize bounds one record: bytes of ISO 2709, or bytes of
	// XML or JSON text from the start of one record to the end of the next.
	DefaultMaxRecordSize = 1 << 20
	// DefaultMaxFields bounds the number of fields in one record (a legal
	// ISO 2709 record of 99999 bytes has at most 8331).
	DefaultMaxFields = 10000
)

// ErrTooLong is returned by the ISO 2709 encoder for a record or field that
// the format's length fields cannot express (99999 and 9999 bytes).
var ErrTooLong = errors.New("marc: record or field too long for ISO 2709")

// Problem is damage a reader found and worked around, or the reason it
// dropped a record. Record counts from 1 in the input; Offset is the byte
// offset in the input where the record starts.
type Problem struct {
	Record int
	Offset int64
	Tag    string
	Msg    string
}

func (p Problem) String() string {
	s := fmt.Sprintf("record %d", p.Record)
	if p.Offset >= 0 {
		s += fmt.Sprintf(" (offset %d)", p.Offset)
	}
	if p.Tag != "" {
		s += " field " + p.Tag
	}
	return s + ": " + p.Msg
}

// RecordError reports a record that could not be recovered and was dropped.
// A Reader that returns it can be asked for the next record.
type RecordError struct {
	Problem
}

func (e *RecordError) Error() string { return "marc: " + e.Problem.String() }

// problems collects the problems of one record.
type problems struct {
	record int
	offset int64
	list   []Problem
}

func (p *problems) add(tag, format string, args ...any) {
	p.list = append(p.list, Problem{Record: p.record, Offset: p.offset, Tag: tag, Msg: fmt.Sprintf(format, args...)})
}

func (p *problems) drop(format string, args ...any) *RecordError {
	return &RecordError{Problem{Record: p.record, Offset: p.offset, Msg: fmt.Sprintf(format, args...)}}
}
