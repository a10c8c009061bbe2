package marc

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// JSONReader reads MARC-in-JSON records (the format of Ross Singer's
// "MARC-in-JSON" proposal, also yaz-marcdump -o json): one object per
// record, the records either concatenated or in a JSON array.
//
//	{"leader":"...","fields":[{"001":"..."},{"245":{"ind1":"1","ind2":"0","subfields":[{"a":"..."}]}}]}
type JSONReader struct {
	// MaxRecordSize bounds the JSON bytes of one record; 0 means 4*DefaultMaxRecordSize.
	MaxRecordSize int
	// MaxFields bounds the fields of one record; 0 means DefaultMaxFields.
	MaxFields int

	lim      *budgetReader
	dec      *json.Decoder
	inArray  bool
	started  bool
	n        int
	problems []Problem
	err      error
}

// NewJSONReader returns a reader of the MARC-in-JSON records in r.
func NewJSONReader(r io.Reader) *JSONReader {
	lim := &budgetReader{r: r}
	return &JSONReader{lim: lim}
}

// Problems returns what was wrong with the record returned by the last Read.
func (r *JSONReader) Problems() []Problem { return r.problems }

type jsonRecord struct {
	Leader string                       `json:"leader"`
	Fields []map[string]json.RawMessage `json:"fields"`
}

type jsonDataField struct {
	Ind1      string              `json:"ind1"`
	Ind2      string              `json:"ind2"`
	Subfields []map[string]string `json:"subfields"`
}

// Read returns the next record, io.EOF after the last one, or an error;
// a syntax error ends reading.
func (r *JSONReader) Read() (*Record, error) {
	if r.err != nil {
		return nil, r.err
	}
	r.problems = nil
	max := r.MaxRecordSize
	if max <= 0 {
		max = 4 * DefaultMaxRecordSize
	}
	r.lim.budget = r.lim.used + max
	if !r.started {
		r.started = true
		d := bufio.NewReader(r.lim)
		// Peek at the first non-blank byte to tell an array from objects.
		for {
			c, err := d.ReadByte()
			if err != nil {
				return nil, r.fail(err)
			}
			if c == ' ' || c == '\n' || c == '\r' || c == '\t' {
				continue
			}
			d.UnreadByte()
			r.dec = json.NewDecoder(d)
			if c == '[' {
				r.inArray = true
				if _, err := r.dec.Token(); err != nil {
					return nil, r.fail(err)
				}
			}
			break
		}
	}
	if r.inArray && !r.dec.More() {
		r.err = io.EOF
		return nil, io.EOF
	}
	var jr jsonRecord
	if err := r.dec.Decode(&jr); err != nil {
		return nil, r.fail(err)
	}
	r.n++
	p := &problems{record: r.n, offset: -1}
	rec, err := r.convert(&jr, p)
	r.problems = p.list
	if err != nil {
		r.err = err
		return nil, err
	}
	return rec, nil
}

func (r *JSONReader) fail(err error) error {
	if errors.Is(err, io.EOF) {
		r.err = io.EOF
		return io.EOF
	}
	r.err = fmt.Errorf("marc: MARC-in-JSON record %d: %w", r.n+1, err)
	return r.err
}

func (r *JSONReader) convert(jr *jsonRecord, p *problems) (*Record, error) {
	maxFields := r.MaxFields
	if maxFields <= 0 {
		maxFields = DefaultMaxFields
	}
	if len(jr.Fields) > maxFields {
		return nil, fmt.Errorf("marc: MARC-in-JSON record %d: %d fields, more than %d", r.n, len(jr.Fields), maxFields)
	}
	rec := &Record{Leader: ParseLeader(jr.Leader), Fields: make([]Field, 0, len(jr.Fields))}
	if len(jr.Leader) != 24 {
		p.add("", "leader of %d characters", len(jr.Leader))
	}
	for _, obj := range jr.Fields {
		if len(obj) != 1 {
			p.add("", "field object with %d keys skipped", len(obj))
			continue
		}
		for tag, raw := range obj {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				rec.Fields = append(rec.Fields, Field{Tag: tag, Value: s})
				continue
			}
			var df jsonDataField
			if err := json.Unmarshal(raw, &df); err != nil {
				p.add(tag, "field is neither a string nor a data field; skipped")
				continue
			}
			f := Field{Tag: tag, Ind1: jsonIndicator(tag, df.Ind1, p), Ind2: jsonIndicator(tag, df.Ind2, p),
				Subfields: make([]Subfield, 0, len(df.Subfields))}
			for _, sf := range df.Subfields {
				if len(sf) != 1 {
					p.add(tag, "subfield object with %d keys skipped", len(sf))
					continue
				}
				for code, v := range sf {
					if len(code) != 1 {
						p.add(tag, "subfield code %q", code)
						if code == "" {
							code = " "
						}
					}
					f.Subfields = append(f.Subfields, Subfield{Code: code[0], Value: v})
				}
			}
			rec.Fields = append(rec.Fields, f)
		}
	}
	return rec, nil
}

func jsonIndicator(tag, s string, p *problems) byte {
	if len(s) == 1 && s[0] >= 0x20 && s[0] <= 0x7E {
		return s[0]
	}
	if s != "" {
		p.add(tag, "bad indicator %q; set to blank", s)
	}
	return ' '
}

// JSONWriter writes records as MARC-in-JSON objects, one per line
// (concatenated, as yaz-marcdump -o json writes them; a one-record file is
// exactly what yaz-marcdump -i json reads).
type JSONWriter struct {
	w *bufio.Writer
}

// NewJSONWriter returns a MARC-in-JSON writer to w.
func NewJSONWriter(w io.Writer) *JSONWriter { return &JSONWriter{w: bufio.NewWriterSize(w, 64<<10)} }

// Write writes one record; output is buffered until Close.
func (j *JSONWriter) Write(rec *Record) error {
	b, err := MarshalJSON(rec)
	if err != nil {
		return err
	}
	j.w.Write(b)
	_, err = j.w.WriteString("\n")
	return err
}

// Close flushes the output.
func (j *JSONWriter) Close() error { return j.w.Flush() }

// MarshalJSON returns rec as one MARC-in-JSON object. Strings that are not
// valid UTF-8 have their bad bytes replaced by U+FFFD, as encoding/json does.
func MarshalJSON(rec *Record) ([]byte, error) {
	type orderedField struct {
		Subfields []map[string]string `json:"subfields"`
		Ind1      string              `json:"ind1"`
		Ind2      string              `json:"ind2"`
	}
	out := struct {
		Leader string           `json:"leader"`
		Fields []map[string]any `json:"fields"`
	}{Leader: rec.Leader.String(), Fields: make([]map[string]any, 0, len(rec.Fields))}
	for i := range rec.Fields {
		f := &rec.Fields[i]
		if f.IsControl() {
			out.Fields = append(out.Fields, map[string]any{f.Tag: f.Value})
			continue
		}
		of := orderedField{Ind1: string([]byte{f.Ind1}), Ind2: string([]byte{f.Ind2}), Subfields: make([]map[string]string, 0, len(f.Subfields))}
		for _, s := range f.Subfields {
			of.Subfields = append(of.Subfields, map[string]string{string([]byte{s.Code}): s.Value})
		}
		out.Fields = append(out.Fields, map[string]any{f.Tag: of})
	}
	return json.Marshal(out)
}
