package marc

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// Namespace is the MARC 21 slim (MARCXML) namespace.
const Namespace = "http://www.loc.gov/MARC21/slim"

// maxXMLDepth bounds element nesting in MARCXML input; a MARCXML document
// nests four deep (collection, record, datafield, subfield).
const maxXMLDepth = 32

// XMLReader reads MARCXML (MARC 21 slim) records: a collection, a single
// record, or records embedded in another document (an SRU response). A
// record is a "record" element in the MARC 21 slim namespace or in none,
// so prefixed (marc:record) and unprefixed documents read alike and SRU's
// own zs:record wrappers are passed over. Documents may be in UTF-8 or
// declare ISO-8859-1 or windows-1252.
//
// Reference: MARC 21 XML Schema, http://www.loc.gov/standards/marcxml/.
type XMLReader struct {
	// MaxRecordSize bounds the XML bytes read for one record (and between
	// records); 0 means 4*DefaultMaxRecordSize.
	MaxRecordSize int
	// MaxFields bounds the fields of one record; 0 means DefaultMaxFields.
	MaxFields int

	lim      *budgetReader
	dec      *xml.Decoder
	depth    int
	n        int
	problems []Problem
	err      error
}

// NewXMLReader returns a reader of the MARCXML records in r.
func NewXMLReader(r io.Reader) *XMLReader {
	lim := &budgetReader{r: r}
	d := xml.NewDecoder(bufio.NewReaderSize(lim, 4096))
	d.Strict = true
	d.CharsetReader = charsetReader
	return &XMLReader{lim: lim, dec: d}
}

// budgetReader fails once more than budget bytes are read since the last
// reset, so that one huge text node cannot exhaust memory.
type budgetReader struct {
	r      io.Reader
	budget int
	used   int
}

var errXMLBudget = errors.New("record exceeds the size limit")

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.used >= b.budget {
		return 0, errXMLBudget
	}
	if len(p) > b.budget-b.used {
		p = p[:b.budget-b.used]
	}
	n, err := b.r.Read(p)
	b.used += n
	return n, err
}

// Problems returns what was wrong with the record returned by the last Read.
func (r *XMLReader) Problems() []Problem { return r.problems }

// Read returns the next record, io.EOF after the last one, or an error.
// A malformed document ends reading: the error is returned by every later
// call. Unknown elements inside a record are skipped and reported.
func (r *XMLReader) Read() (*Record, error) {
	if r.err != nil {
		return nil, r.err
	}
	r.problems = nil
	max := r.MaxRecordSize
	if max <= 0 {
		max = 4 * DefaultMaxRecordSize
	}
	r.lim.budget = r.lim.used + max
	for {
		tok, err := r.token()
		if err != nil {
			return nil, r.fail(err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "record" && (se.Name.Space == "" || se.Name.Space == Namespace) {
			r.n++
			p := &problems{record: r.n, offset: -1}
			rec, err := r.readRecord(p)
			r.problems = p.list
			if err != nil {
				return nil, r.fail(err)
			}
			return rec, nil
		}
	}
}

func (r *XMLReader) fail(err error) error {
	if errors.Is(err, io.EOF) && r.depth == 0 {
		r.err = io.EOF
		return io.EOF
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	var se *xml.SyntaxError
	switch {
	case errors.As(err, &se):
		r.err = fmt.Errorf("marc: MARCXML record %d: line %d: %s", r.n, se.Line, se.Msg)
	default:
		r.err = fmt.Errorf("marc: MARCXML record %d: %w", r.n, err)
	}
	return r.err
}

func (r *XMLReader) token() (xml.Token, error) {
	tok, err := r.dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok.(type) {
	case xml.StartElement:
		r.depth++
		if r.depth > maxXMLDepth {
			return nil, fmt.Errorf("elements nested deeper than %d", maxXMLDepth)
		}
	case xml.EndElement:
		r.depth--
	}
	return tok, nil
}

// text reads the character data of the element just opened, up to its end.
func (r *XMLReader) text(p *problems, tag string) (string, error) {
	var b strings.Builder
	for {
		tok, err := r.token()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.CharData:
			b.Write(t)
		case xml.StartElement:
			p.add(tag, "unexpected element <%s> skipped", t.Name.Local)
			if err := r.skip(); err != nil {
				return "", err
			}
		case xml.EndElement:
			return b.String(), nil
		}
	}
}

func (r *XMLReader) skip() error {
	for d := 1; d > 0; {
		tok, err := r.token()
		if err != nil {
			return err
		}
		switch tok.(type) {
		case xml.StartElement:
			d++
		case xml.EndElement:
			d--
		}
	}
	return nil
}

func attr(se xml.StartElement, name string) (string, bool) {
	for _, a := range se.Attr {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

func (r *XMLReader) readRecord(p *problems) (*Record, error) {
	maxFields := r.MaxFields
	if maxFields <= 0 {
		maxFields = DefaultMaxFields
	}
	rec := &Record{Leader: DefaultLeader}
	for {
		tok, err := r.token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return rec, nil
		case xml.StartElement:
			if len(rec.Fields) >= maxFields {
				return nil, fmt.Errorf("more than %d fields", maxFields)
			}
			switch t.Name.Local {
			case "leader":
				s, err := r.text(p, "")
				if err != nil {
					return nil, err
				}
				if len(s) != 24 {
					p.add("", "leader of %d characters", len(s))
				}
				rec.Leader = ParseLeader(s)
			case "controlfield":
				tag, _ := attr(t, "tag")
				s, err := r.text(p, tag)
				if err != nil {
					return nil, err
				}
				rec.Fields = append(rec.Fields, Field{Tag: tag, Value: s})
			case "datafield":
				f, err := r.readDataField(t, p)
				if err != nil {
					return nil, err
				}
				rec.Fields = append(rec.Fields, f)
			default:
				p.add("", "unknown element <%s> skipped", t.Name.Local)
				if err := r.skip(); err != nil {
					return nil, err
				}
			}
		}
	}
}

func (r *XMLReader) readDataField(se xml.StartElement, p *problems) (Field, error) {
	tag, _ := attr(se, "tag")
	f := Field{Tag: tag, Ind1: ' ', Ind2: ' ', Subfields: []Subfield{}}
	for i, name := range []string{"ind1", "ind2"} {
		v, _ := attr(se, name)
		c := byte(' ')
		if len(v) == 1 && v[0] >= 0x20 && v[0] <= 0x7E {
			c = v[0]
		} else if v != "" {
			p.add(tag, "bad %s %q; set to blank", name, v)
		}
		if i == 0 {
			f.Ind1 = c
		} else {
			f.Ind2 = c
		}
	}
	for {
		tok, err := r.token()
		if err != nil {
			return f, err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return f, nil
		case xml.StartElement:
			if t.Name.Local != "subfield" {
				p.add(tag, "unknown element <%s> skipped", t.Name.Local)
				if err := r.skip(); err != nil {
					return f, err
				}
				continue
			}
			code, _ := attr(t, "code")
			s, err := r.text(p, tag)
			if err != nil {
				return f, err
			}
			if len(code) != 1 {
				p.add(tag, "subfield code %q", code)
				if code == "" {
					code = " "
				}
			}
			f.Subfields = append(f.Subfields, Subfield{Code: code[0], Value: s})
		}
	}
}

// XMLWriter writes records as a MARCXML collection. The output is always
// well-formed XML 1.0: invalid UTF-8 and the characters XML 1.0 forbids
// (C0 controls other than tab, line feed and carriage return; U+FFFE,
// U+FFFF) are written as U+FFFD, and a control field holding subfield
// delimiters is written as a data field, as YAZ does.
type XMLWriter struct {
	// Indent, when true, puts each element on its own line (as yaz-marcdump does).
	Indent bool

	w       *bufio.Writer
	started bool
	// Replaced counts characters written as U+FFFD.
	Replaced int
}

// NewXMLWriter returns a writer of a MARCXML collection to w.
func NewXMLWriter(w io.Writer) *XMLWriter {
	return &XMLWriter{w: bufio.NewWriterSize(w, 64<<10), Indent: true}
}

func (x *XMLWriter) nl(indent string) {
	if x.Indent {
		x.w.WriteByte('\n')
		x.w.WriteString(indent)
	}
}

// Write writes one record; output is buffered until Close.
func (x *XMLWriter) Write(rec *Record) error {
	if !x.started {
		x.started = true
		x.w.WriteString(`<collection xmlns="` + Namespace + `">`)
	}
	x.nl("")
	x.record(rec, false)
	return x.err()
}

// err reports a write error of the underlying writer.
func (x *XMLWriter) err() error {
	_, err := x.w.Write(nil)
	return err
}

// record writes one record element, with the namespace declaration when
// it stands alone.
func (x *XMLWriter) record(rec *Record, standalone bool) {
	if standalone {
		x.w.WriteString(`<record xmlns="` + Namespace + `">`)
	} else {
		x.w.WriteString("<record>")
	}
	x.nl("  ")
	x.w.WriteString("<leader>")
	x.escapeBytes(rec.Leader[:])
	x.w.WriteString("</leader>")
	for i := range rec.Fields {
		f := &rec.Fields[i]
		if f.IsControl() && strings.IndexByte(f.Value, subfieldDelimiter) >= 0 {
			df := parseField(f.Tag, f.Value, 2, &problems{}, new([]Subfield))
			f = &df
		}
		x.nl("  ")
		if f.IsControl() {
			x.w.WriteString(`<controlfield tag="`)
			x.escape(f.Tag)
			x.w.WriteString(`">`)
			x.escape(f.Value)
			x.w.WriteString("</controlfield>")
			continue
		}
		x.w.WriteString(`<datafield tag="`)
		x.escape(f.Tag)
		x.w.WriteString(`" ind1="`)
		x.escapeByte(f.Ind1)
		x.w.WriteString(`" ind2="`)
		x.escapeByte(f.Ind2)
		x.w.WriteString(`">`)
		for _, s := range f.Subfields {
			x.nl("    ")
			x.w.WriteString(`<subfield code="`)
			x.escapeByte(s.Code)
			x.w.WriteString(`">`)
			x.escape(s.Value)
			x.w.WriteString("</subfield>")
		}
		x.nl("  ")
		x.w.WriteString("</datafield>")
	}
	x.nl("")
	x.w.WriteString("</record>")
}

// MarshalXML returns rec as one MARCXML record element with its namespace
// declaration (as an SRU response's recordData carries it), without an
// XML declaration; its text is written as XMLWriter writes it.
func MarshalXML(rec *Record) []byte {
	var b bytes.Buffer
	x := NewXMLWriter(&b)
	x.record(rec, true)
	x.w.Flush()
	return b.Bytes()
}

// DecodeXML decodes the first MARCXML record in data (a record element, a
// collection, or a document that holds records).
func DecodeXML(data []byte) (*Record, []Problem, error) {
	r := NewXMLReader(bytes.NewReader(data))
	rec, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, errors.New("marc: no MARCXML record found")
	}
	return rec, r.Problems(), err
}

// Close ends the collection and flushes the output.
func (x *XMLWriter) Close() error {
	if !x.started {
		x.w.WriteString(`<collection xmlns="` + Namespace + `">`)
	}
	x.nl("")
	x.w.WriteString("</collection>\n")
	return x.w.Flush()
}

// escapeByte writes an indicator or subfield code.
func (x *XMLWriter) escapeByte(c byte) {
	if c >= 0x20 && c < utf8.RuneSelf && c != '<' && c != '>' && c != '&' && c != '"' && c != '\'' {
		x.w.WriteByte(c)
		return
	}
	x.escape(string([]byte{c}))
}

// escapeBytes writes the leader.
func (x *XMLWriter) escapeBytes(b []byte) {
	for _, c := range b {
		x.escapeByte(c)
	}
}

// escape writes s as XML character data or attribute value.
func (x *XMLWriter) escape(s string) {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < utf8.RuneSelf && c != '<' && c != '>' && c != '&' && c != '"' && c != '\'' {
			i++
			continue
		}
		r, size := rune(c), 1
		if c >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		var rep string
		switch {
		case r == '<':
			rep = "&lt;"
		case r == '>':
			rep = "&gt;"
		case r == '&':
			rep = "&amp;"
		case r == '"':
			rep = "&quot;"
		case r == '\'':
			rep = "&apos;"
		case r == '\t' || r == '\n' || r == '\r':
			rep = fmt.Sprintf("&#x%X;", r)
		case r == utf8.RuneError && size == 1, r < 0x20, r == 0xFFFE, r == 0xFFFF:
			rep = "\uFFFD"
			x.Replaced++
		default:
			i += size
			continue
		}
		x.w.WriteString(s[last:i])
		x.w.WriteString(rep)
		i += size
		last = i
	}
	x.w.WriteString(s[last:])
}

// charsetReader lets the XML decoder read documents that declare a Latin
// charset; others are refused with a clear error.
func charsetReader(label string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "iso-8859-1", "latin1", "iso8859-1", "l1":
		return charmap.ISO8859_1.NewDecoder().Reader(input), nil
	case "windows-1252", "cp1252":
		return charmap.Windows1252.NewDecoder().Reader(input), nil
	case "us-ascii", "ascii":
		return input, nil
	}
	return nil, fmt.Errorf("unsupported XML encoding %q", label)
}
