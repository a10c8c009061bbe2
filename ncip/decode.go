package ncip

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Decode parses an NCIP message leniently (reference/ncip-ill.md §1.8): the
// NCIP namespace may be present, absent or bound to any prefix; version may be
// qualified or not; elements may come in any order; unknown elements are
// skipped; NCIP 1 Scheme/Value children are read as a SchemeValuePair. A
// DOCTYPE or any other directive is refused. Every error is a *Problem: Invalid
// Message Syntax Error for input that is not a well-formed, bounded NCIP
// message, Unsupported Service (with ProblemElement set to the element name)
// for a service element this package does not know; the returned Message then
// still carries the version read.
//
// The body is tokenised once: a limiter between the tokeniser and the
// decoder checks lim and the directive ban on every raw token before the
// decoder sees it. Problems are reported as a check of the whole document
// before decoding would report them: a limit, directive or lexical error
// anywhere wins over a decoding problem, and comes without a Message.
func Decode(data []byte, lim Limits) (*Message, error) {
	lim = lim.withDefaults()
	if len(data) > lim.MaxBytes {
		return nil, syntaxProblem("message is larger than %d bytes", lim.MaxBytes)
	}
	l := &limiter{raw: newDecoder(data), lim: lim}
	d := xml.NewTokenDecoder(l)
	m, err := decodeMessage(d)
	l.line, _ = l.raw.InputPos()
	if l.err != nil || l.rawErr != nil {
		// The whole-document check fails: that is the answer.
		return nil, l.problem(err)
	}
	// The rest of the document is still checked, as a whole-document
	// check before decoding would have.
	if derr := l.drain(); derr != nil {
		return nil, l.problem(derr)
	}
	if l.count == 0 {
		return nil, syntaxProblem("no XML element")
	}
	if err != nil {
		return m, l.problem(err)
	}
	return m, nil
}

// decodeMessage reads the NCIPMessage element from d. Its errors are raw:
// Decode turns them into Problems.
func decodeMessage(d *xml.Decoder) (*Message, error) {
	var root xml.StartElement
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
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
			return m, err
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
					return m, err
				}
				m.Problems = append(m.Problems, p)
			case name == "Ext":
				if err := d.Skip(); err != nil {
					return m, err
				}
			case m.Body != nil:
				return m, syntaxProblem("more than one service element (%.64s after %s)", name, m.Body.ServiceName())
			default:
				b := newBody(name)
				if b == nil {
					return m, NewProblem(ProblemUnsupportedService, fmt.Sprintf("%.64s is not supported", name)).WithElement(truncate(name, 64), "")
				}
				if err := d.DecodeElement(b, &t); err != nil {
					return m, err
				}
				m.Body = b
			}
		}
	}
}

// limiter is the xml.TokenReader between the tokeniser and the decoder. It
// hands on raw tokens (the decoder resolves namespaces and matches end
// tags), counting elements and depth and refusing directives first.
type limiter struct {
	raw          *xml.Decoder
	lim          Limits
	depth, count int
	err          *Problem // the limit or directive the document broke
	rawErr       error    // the tokeniser's error, other than io.EOF
	line         int      // the tokeniser's line when the decoder stopped
}

// Token implements xml.TokenReader.
func (l *limiter) Token() (xml.Token, error) {
	if l.err != nil {
		return nil, l.err
	}
	tok, err := l.raw.RawToken()
	if err != nil {
		if err != io.EOF {
			l.rawErr = err
		}
		return nil, err
	}
	switch t := tok.(type) {
	case xml.StartElement:
		l.depth++
		l.count++
		if l.depth > l.lim.MaxDepth {
			l.err = syntaxProblem("elements nested deeper than %d", l.lim.MaxDepth)
		} else if l.count > l.lim.MaxElements {
			l.err = syntaxProblem("more than %d elements", l.lim.MaxElements)
		}
	case xml.EndElement:
		l.depth--
	case xml.Directive:
		if bytes.HasPrefix(bytes.TrimSpace(t), []byte("DOCTYPE")) {
			l.err = syntaxProblem("DOCTYPE is not allowed")
		} else {
			l.err = syntaxProblem("XML directives are not allowed")
		}
	}
	if l.err != nil {
		return nil, l.err
	}
	return tok, nil
}

// drain reads the tokens the decoder left, to the end of the document.
func (l *limiter) drain() error {
	for {
		if _, err := l.Token(); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}

// problem turns err into a Problem. A limit broken or a tokeniser error
// wins; a syntax error the decoder found (an end tag that does not match,
// an end of input inside an element) is given the tokeniser's line where
// the decoder stopped, as the decoder reads no bytes itself.
func (l *limiter) problem(err error) *Problem {
	if l.err != nil {
		return l.err
	}
	if l.rawErr != nil {
		return xmlProblem(l.rawErr)
	}
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return xmlProblem(&xml.SyntaxError{Msg: se.Msg, Line: l.line})
	}
	return xmlProblem(err)
}
