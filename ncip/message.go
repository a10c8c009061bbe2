package ncip

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Body is the one service element of an NCIPMessage: a request such as
// *LookupUser or a response such as *LookupUserResponse (ncip_v2_02.xsd NCIPMessage).
type Body interface {
	// ServiceName returns the element name, such as "LookupUser".
	ServiceName() string
}

// Request is a service initiation message.
type Request interface {
	Body
	response() Response
}

// Response is a service response message. Every Response type has the fields
// Header *ResponseHeader and Problems []Problem.
type Response interface {
	Body
}

// Message is a whole NCIPMessage (NISO Z39.83-2-2012 Implementation Profile 1; ncip_v2_02.xsd NCIPMessage): exactly
// one of Body and Problems is set. Problems here are message-level problems
// such as Invalid Message Syntax Error.
type Message struct {
	// Version is the NCIPMessage version attribute. The decoder reads it in
	// any namespace or none; the encoder writes Version202 when it is empty.
	Version  string
	Body     Body
	Problems []Problem
}

// Limits bound what the decoder accepts. They are checked on a token scan
// before anything is built. A zero field means its default.
type Limits struct {
	MaxBytes    int // default 100 KiB
	MaxDepth    int // default 64 levels of elements
	MaxElements int // default 10,000 elements
}

// Default limits (reference/reliability-security.md §4, "NCIP (XML over HTTP)").
const (
	DefaultMaxBytes    = 100 << 10
	DefaultMaxDepth    = 64
	DefaultMaxElements = 10000
)

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxElements <= 0 {
		l.MaxElements = DefaultMaxElements
	}
	return l
}

func syntaxProblem(format string, args ...any) *Problem {
	return NewProblem(ProblemInvalidMessageSyntaxError, fmt.Sprintf(format, args...))
}

// Decode parses an NCIP message leniently (reference/ncip-ill.md §1.8): the
// NCIP namespace may be present, absent or bound to any prefix; version may be
// qualified or not; elements may come in any order; unknown elements are
// skipped; NCIP 1 Scheme/Value children are read as a SchemeValuePair. A
// DOCTYPE or any other directive is refused. Every error is a *Problem: Invalid
// Message Syntax Error for input that is not a well-formed, bounded NCIP
// message, Unsupported Service (with ProblemElement set to the element name)
// for a service element this package does not know; the returned Message then
// still carries the version read.
func Decode(data []byte, lim Limits) (*Message, error) {
	lim = lim.withDefaults()
	if len(data) > lim.MaxBytes {
		return nil, syntaxProblem("message is larger than %d bytes", lim.MaxBytes)
	}
	if err := scan(data, lim); err != nil {
		return nil, err
	}
	d := newDecoder(data)
	var root xml.StartElement
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, xmlProblem(err)
		}
		if t, ok := tok.(xml.StartElement); ok {
			root = t
			break
		}
	}
	if root.Name.Local != "NCIPMessage" {
		return nil, syntaxProblem("root element is %.64s, not NCIPMessage", root.Name.Local)
	}
	m := &Message{}
	for _, a := range root.Attr {
		if a.Name.Local == "version" {
			m.Version = strings.TrimSpace(a.Value)
		}
	}
	for {
		tok, err := d.Token()
		if err != nil {
			return m, xmlProblem(err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			if m.Body == nil && len(m.Problems) == 0 {
				return m, NewProblem(ProblemNeededDataMissing, "NCIPMessage has no service element").WithElement("NCIPMessage", "")
			}
			return m, nil
		case xml.StartElement:
			switch name := t.Name.Local; {
			case name == "Problem":
				var p Problem
				if err := d.DecodeElement(&p, &t); err != nil {
					return m, xmlProblem(err)
				}
				m.Problems = append(m.Problems, p)
			case name == "Ext":
				if err := d.Skip(); err != nil {
					return m, xmlProblem(err)
				}
			case m.Body != nil:
				return m, syntaxProblem("more than one service element (%.64s after %s)", name, m.Body.ServiceName())
			default:
				b := newBody(name)
				if b == nil {
					return m, NewProblem(ProblemUnsupportedService, fmt.Sprintf("%.64s is not supported", name)).WithElement(truncate(name, 64), "")
				}
				if err := d.DecodeElement(b, &t); err != nil {
					return m, xmlProblem(err)
				}
				m.Body = b
			}
		}
	}
}

// scan walks the raw tokens once and enforces lim and the DOCTYPE ban before
// any typed value is built.
func scan(data []byte, lim Limits) error {
	d := newDecoder(data)
	depth, count := 0, 0
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			if count == 0 {
				return syntaxProblem("no XML element")
			}
			return nil
		}
		if err != nil {
			return xmlProblem(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			count++
			if depth > lim.MaxDepth {
				return syntaxProblem("elements nested deeper than %d", lim.MaxDepth)
			}
			if count > lim.MaxElements {
				return syntaxProblem("more than %d elements", lim.MaxElements)
			}
		case xml.EndElement:
			depth--
		case xml.Directive:
			if bytes.HasPrefix(bytes.TrimSpace(t), []byte("DOCTYPE")) {
				return syntaxProblem("DOCTYPE is not allowed")
			}
			return syntaxProblem("XML directives are not allowed")
		}
	}
}

func newDecoder(data []byte) *xml.Decoder {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.CharsetReader = charsetReader
	return d
}

// charsetReader accepts the encodings NCIP peers declare besides UTF-8.
func charsetReader(label string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return in, nil
	case "iso-8859-1", "latin1", "latin-1", "iso8859-1":
		return &latin1Reader{r: bufio.NewReader(in)}, nil
	}
	return nil, fmt.Errorf("ncip: unsupported encoding %.32q", label)
}

type latin1Reader struct {
	r   *bufio.Reader
	buf []byte
}

func (l *latin1Reader) Read(p []byte) (int, error) {
	for len(l.buf) < len(p) {
		b, err := l.r.ReadByte()
		if err != nil {
			if len(l.buf) > 0 {
				break
			}
			return 0, err
		}
		l.buf = utf8.AppendRune(l.buf, rune(b))
	}
	n := copy(p, l.buf)
	l.buf = l.buf[n:]
	return n, nil
}

// xmlProblem turns a decoding error into Invalid Message Syntax Error
// without passing Go-internal error text on to the peer.
func xmlProblem(err error) *Problem {
	var p *Problem
	var se *xml.SyntaxError
	switch {
	case errors.As(err, &p):
		return p
	case errors.As(err, &se):
		return syntaxProblem("XML syntax error on line %d: %s", se.Line, truncate(se.Msg, 200))
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		return syntaxProblem("unexpected end of message")
	case strings.HasPrefix(err.Error(), "ncip: "):
		return syntaxProblem("%s", truncate(strings.TrimPrefix(err.Error(), "ncip: "), 200))
	}
	return syntaxProblem("element content does not match the NCIP 2.02 schema")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// EncodeOptions adjust the encoder's output for peers with quirks.
type EncodeOptions struct {
	// UnqualifiedVersion writes version="…" instead of ncip:version="…",
	// for responders that read only the unqualified attribute. The output is
	// then not schema-valid.
	UnqualifiedVersion bool
}

// Encode writes m as NCIP 2.02 XML that validates against ncip_v2_02.xsd: the
// default namespace on the root, ncip:version and ncip:Scheme qualified,
// elements in schema order. A response with Problems is written with its
// header and Problems only, as the schema's choice requires. Encode checks
// required elements and choices first and returns an error naming the first
// one that is wrong.
func Encode(m *Message, opt EncodeOptions) ([]byte, error) {
	if (m.Body == nil) == (len(m.Problems) == 0) {
		return nil, errors.New("ncip: encode: a message has either a service element or problems")
	}
	version := m.Version
	if version == "" {
		version = Version202
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<NCIPMessage xmlns="` + Namespace + `" xmlns:ncip="` + Namespace + `" `)
	if opt.UnqualifiedVersion {
		b.WriteString(`version="`)
	} else {
		b.WriteString(`ncip:version="`)
	}
	if err := xml.EscapeText(&b, []byte(version)); err != nil {
		return nil, err
	}
	b.WriteString(`">`)
	e := xml.NewEncoder(&b)
	if m.Body != nil {
		body, err := strict(m.Body)
		if err != nil {
			return nil, err
		}
		if err := e.EncodeElement(body, xml.StartElement{Name: xml.Name{Local: m.Body.ServiceName()}}); err != nil {
			return nil, fmt.Errorf("ncip: encode %s: %w", m.Body.ServiceName(), err)
		}
	}
	for i := range m.Problems {
		if err := validate(&m.Problems[i], "Problem"); err != nil {
			return nil, err
		}
		if err := e.EncodeElement(&m.Problems[i], xml.StartElement{Name: xml.Name{Local: "Problem"}}); err != nil {
			return nil, fmt.Errorf("ncip: encode Problem: %w", err)
		}
	}
	if err := e.Flush(); err != nil {
		return nil, err
	}
	b.WriteString("</NCIPMessage>\n")
	return b.Bytes(), nil
}
