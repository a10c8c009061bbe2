package ncip

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
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

// Limits bound what the decoder accepts. They are checked on each raw token
// before the token reaches the code that builds typed values from it, so a
// message over a limit is refused at the first element past it. A zero field
// means its default.
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
	return encode(m, opt, false)
}

// encode is Encode; checked says m.Body is already the result of strict, so
// it is not copied and validated a second time.
func encode(m *Message, opt EncodeOptions, checked bool) ([]byte, error) {
	eb, err := encodeBuf(m, opt, checked)
	if err != nil {
		return nil, err
	}
	out := bytes.Clone(eb.b.Bytes())
	eb.release()
	return out, nil
}

// encBuf is an output buffer with an xml.Encoder writing into it, kept in
// encPool between messages: each xml.Encoder allocates a 4 KiB bufio.Writer,
// and a fresh buffer grows several times per message. An encoder is put back
// only after it wrote whole elements without error, when it holds no state.
type encBuf struct {
	b bytes.Buffer
	e *xml.Encoder
}

var encPool = sync.Pool{New: func() any {
	eb := &encBuf{}
	eb.e = xml.NewEncoder(&eb.b)
	return eb
}}

// maxPooled caps the buffer kept in encPool, so that one large message does
// not keep its memory.
const maxPooled = 64 << 10

func (eb *encBuf) release() {
	if eb.b.Cap() <= maxPooled {
		encPool.Put(eb)
	}
}

// encodeBuf encodes m into a buffer from encPool; the caller releases it
// once it has used the bytes.
func encodeBuf(m *Message, opt EncodeOptions, checked bool) (*encBuf, error) {
	if (m.Body == nil) == (len(m.Problems) == 0) {
		return nil, errors.New("ncip: encode: a message has either a service element or problems")
	}
	version := m.Version
	if version == "" {
		version = Version202
	}
	body := m.Body
	if body != nil && !checked {
		var err error
		if body, err = strict(m.Body); err != nil {
			return nil, err
		}
	}
	for i := range m.Problems {
		if err := validate(&m.Problems[i], "Problem"); err != nil {
			return nil, err
		}
	}
	eb := encPool.Get().(*encBuf)
	b, e := &eb.b, eb.e
	b.Reset()
	b.WriteString(xml.Header)
	b.WriteString(`<NCIPMessage xmlns="` + Namespace + `" xmlns:ncip="` + Namespace + `" `)
	if opt.UnqualifiedVersion {
		b.WriteString(`version="`)
	} else {
		b.WriteString(`ncip:version="`)
	}
	if err := xml.EscapeText(b, []byte(version)); err != nil {
		return nil, err
	}
	b.WriteString(`">`)
	if body != nil {
		if err := e.EncodeElement(body, xml.StartElement{Name: xml.Name{Local: m.Body.ServiceName()}}); err != nil {
			return nil, fmt.Errorf("ncip: encode %s: %w", m.Body.ServiceName(), err)
		}
	}
	for i := range m.Problems {
		if err := e.EncodeElement(&m.Problems[i], xml.StartElement{Name: xml.Name{Local: "Problem"}}); err != nil {
			return nil, fmt.Errorf("ncip: encode Problem: %w", err)
		}
	}
	if err := e.Flush(); err != nil {
		return nil, err
	}
	b.WriteString("</NCIPMessage>\n")
	return eb, nil
}
