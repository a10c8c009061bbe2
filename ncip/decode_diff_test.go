package ncip

import (
	"bytes"
	"encoding/xml"
	"io"
	"reflect"
	"testing"
)

// decodeTwoPass is the decoder as it was before Decode went to one pass: a
// raw token scan of the whole document for the limits and the directive
// ban, then a second parse that decodes. FuzzDecodeOnePass holds Decode to
// its answers.
func decodeTwoPass(data []byte, lim Limits) (*Message, error) {
	lim = lim.withDefaults()
	if len(data) > lim.MaxBytes {
		return nil, syntaxProblem("message is larger than %d bytes", lim.MaxBytes)
	}
	d := newDecoder(data)
	depth, count := 0, 0
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			if count == 0 {
				return nil, syntaxProblem("no XML element")
			}
			break
		}
		if err != nil {
			return nil, xmlProblem(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			count++
			if depth > lim.MaxDepth {
				return nil, syntaxProblem("elements nested deeper than %d", lim.MaxDepth)
			}
			if count > lim.MaxElements {
				return nil, syntaxProblem("more than %d elements", lim.MaxElements)
			}
		case xml.EndElement:
			depth--
		case xml.Directive:
			if bytes.HasPrefix(bytes.TrimSpace(t), []byte("DOCTYPE")) {
				return nil, syntaxProblem("DOCTYPE is not allowed")
			}
			return nil, syntaxProblem("XML directives are not allowed")
		}
	}
	m, err := decodeMessage(newDecoder(data))
	if err != nil {
		return m, xmlProblem(err)
	}
	return m, nil
}

// FuzzDecodeOnePass checks that the one-pass Decode answers every input
// exactly as the two-pass decoder did: the same Problem type and detail,
// a Message or none, the same version and the same decoded body.
func FuzzDecodeOnePass(f *testing.F) {
	addGoldenSeeds(f)
	f.Add([]byte(`<NCIPMessage version="9"><UpdateUser/><X>` + string(bytes.Repeat([]byte("<a/>"), 70)) + `</X></NCIPMessage>`))
	f.Add([]byte("<NCIPMessage>\n<LookupUser>\n<UserId></LookupUser></NCIPMessage>"))
	f.Add([]byte("<NCIPMessage><CheckInItem/></NCIPMessage>\n<"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := Limits{MaxDepth: 8, MaxElements: 60}
		m1, err1 := Decode(data, lim)
		m2, err2 := decodeTwoPass(data, lim)
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("one pass: %v, two passes: %v", err1, err2)
		}
		if err1 != nil {
			p1, p2 := err1.(*Problem), err2.(*Problem)
			if p1.Type != p2.Type || p1.Detail != p2.Detail {
				t.Fatalf("one pass: %s %q, two passes: %s %q", p1.Type.Value, p1.Detail, p2.Type.Value, p2.Detail)
			}
		}
		if (m1 == nil) != (m2 == nil) {
			t.Fatalf("one pass message %v, two passes %v", m1 != nil, m2 != nil)
		}
		if m1 != nil && !reflect.DeepEqual(m1, m2) {
			t.Fatalf("messages differ:\none pass:  %#v\ntwo passes: %#v", m1, m2)
		}
	})
}
