package z3950

import (
	"errors"
	"fmt"

	"github.com/illgw/illgw/z3950/ber"
)

// PDU is one Z39.50 APDU (Z39.50-2003 §3.2, ASN.1 "PDU ::= CHOICE"). Every request and response
// type in this package implements it.
type PDU interface {
	// Tag returns the APDU's context tag number ([20] InitializeRequest ... [48] Close).
	Tag() uint32
	encode(e *ber.Encoder)
	decode(v ber.Value) error
}

// APDU context tags (Z39.50-2003 §3.2, ASN.1 module Z39-50-APDU-1995).
const (
	TagInitRequest      = 20
	TagInitResponse     = 21
	TagSearchRequest    = 22
	TagSearchResponse   = 23
	TagPresentRequest   = 24
	TagPresentResponse  = 25
	TagDeleteRequest    = 26
	TagDeleteResponse   = 27
	TagScanRequest      = 35
	TagScanResponse     = 36
	TagSortRequest      = 43
	TagSortResponse     = 44
	TagClose            = 48
	tagReferenceID      = 2
	tagOtherInformation = 201
	tagDatabaseName     = 105
	tagResultSetID      = 31
	tagElementSetName   = 103
)

// Well-known object identifiers (Z39.50-2003 Appendix 1 "OID").
var (
	OIDBib1Attributes = ber.MustOID("1.2.840.10003.3.1")
	OIDBib1Diag       = ber.MustOID("1.2.840.10003.4.1")
	OIDUSMARC         = ber.MustOID("1.2.840.10003.5.10")
	OIDSUTRS          = ber.MustOID("1.2.840.10003.5.101")
	OIDOPAC           = ber.MustOID("1.2.840.10003.5.102")
	OIDXML            = ber.MustOID("1.2.840.10003.5.109.10")
	OIDCharsetNeg3    = ber.MustOID("1.2.840.10003.15.3")
	OIDCQL            = ber.MustOID("1.2.840.10003.16.2")
	OIDUTF8Encoding   = ber.MustOID("1.0.10646.1.0.8")
)

// ErrMalformed reports a PDU that is well-formed BER but not a valid Z39.50 APDU.
var ErrMalformed = errors.New("z3950: malformed PDU")

// ErrUnsupportedPDU reports an APDU type this package does not implement (e.g. extended services).
var ErrUnsupportedPDU = errors.New("z3950: unsupported PDU")

func malformed(what string) error { return fmt.Errorf("%w: %s", ErrMalformed, what) }

// Common holds the fields every APDU may carry: referenceId ([2], echoed in the response) and
// otherInfo ([201], kept as raw encodings so they survive a round trip).
type Common struct {
	ReferenceID []byte
	OtherInfo   [][]byte
}

func (c *Common) encodeRef(e *ber.Encoder) {
	if c.ReferenceID != nil {
		e.Primitive(ber.C(tagReferenceID), c.ReferenceID)
	}
}

func (c *Common) encodeOther(e *ber.Encoder) {
	if len(c.OtherInfo) > 0 {
		e.Constructed(ber.CC(tagOtherInformation), func(e *ber.Encoder) {
			for _, o := range c.OtherInfo {
				e.Raw(o)
			}
		})
	}
}

// common decodes referenceId and otherInfo; it reports whether c was one of them.
func (c *Common) common(v ber.Value) bool {
	switch v.Tag() {
	case ber.C(tagReferenceID):
		c.ReferenceID = append([]byte(nil), v.Bytes()...)
		return true
	case ber.CC(tagOtherInformation):
		for o := v.First(); o.Valid(); o = o.Next() {
			var e ber.Encoder
			reencode(&e, o)
			c.OtherInfo = append(c.OtherInfo, e.Bytes())
		}
		return true
	}
	return false
}

// reencode copies a parsed element into e with definite lengths.
func reencode(e *ber.Encoder, v ber.Value) {
	if !v.Tag().Constructed {
		e.Primitive(v.Tag(), v.Bytes())
		return
	}
	e.Constructed(v.Tag(), func(e *ber.Encoder) {
		for c := v.First(); c.Valid(); c = c.Next() {
			reencode(e, c)
		}
	})
}

// Encode returns the BER encoding of p.
func Encode(p PDU) []byte {
	var e ber.Encoder
	e.Constructed(ber.CC(p.Tag()), p.encode)
	return e.Bytes()
}

// Decode parses one APDU from b under lim. It returns ErrUnsupportedPDU for APDU types this
// package does not implement, ErrMalformed (wrapped) for invalid content, and a ber error for
// invalid BER or a broken limit.
func Decode(b []byte, lim ber.Limits) (PDU, error) {
	t, err := ber.Parse(b, lim)
	if err != nil {
		return nil, err
	}
	return DecodeValue(t.Root())
}

// DecodeValue decodes an APDU from a parsed BER element.
func DecodeValue(v ber.Value) (PDU, error) {
	tag := v.Tag()
	if tag.Class != ber.Context || !tag.Constructed {
		return nil, malformed("not an APDU: " + tag.String())
	}
	var p PDU
	switch tag.Num {
	case TagInitRequest:
		p = new(InitRequest)
	case TagInitResponse:
		p = new(InitResponse)
	case TagSearchRequest:
		p = new(SearchRequest)
	case TagSearchResponse:
		p = new(SearchResponse)
	case TagPresentRequest:
		p = new(PresentRequest)
	case TagPresentResponse:
		p = new(PresentResponse)
	case TagDeleteRequest:
		p = new(DeleteRequest)
	case TagDeleteResponse:
		p = new(DeleteResponse)
	case TagScanRequest:
		p = new(ScanRequest)
	case TagScanResponse:
		p = new(ScanResponse)
	case TagSortRequest:
		p = new(SortRequest)
	case TagSortResponse:
		p = new(SortResponse)
	case TagClose:
		p = new(Close)
	default:
		return nil, fmt.Errorf("%w: [%d]", ErrUnsupportedPDU, tag.Num)
	}
	if err := p.decode(v); err != nil {
		return nil, err
	}
	return p, nil
}

// --- small decoding helpers ---

func getInt(v ber.Value, what string) (int, error) {
	n, err := v.Int()
	if err != nil || n > 1<<31-1 || n < -(1<<31) {
		return 0, malformed(what)
	}
	return int(n), nil
}

func getBool(v ber.Value, what string) (bool, error) {
	b, err := v.Bool()
	if err != nil {
		return false, malformed(what)
	}
	return b, nil
}

func getOID(v ber.Value, what string) (ber.OID, error) {
	o, err := v.OID()
	if err != nil {
		return nil, malformed(what)
	}
	return o, nil
}

// IntPtr returns a pointer to n, for optional INTEGER fields.
func IntPtr(n int) *int { return &n }

var (
	tagGeneralString = ber.U(ber.TagGeneralStr)
	tagVisibleString = ber.U(ber.TagVisibleStr)
	tagSequence      = ber.U(ber.TagSequence)
	tagExternal      = ber.U(ber.TagExternal)
	tagOID           = ber.U(ber.TagOID)
	tagInteger       = ber.U(ber.TagInteger)
)

// elementSetName decodes ElementSetNames (Z39.50-2003 §3.2.2.1.6): the generic name, or the
// first database-specific one.
func elementSetName(v ber.Value) (string, error) {
	c := v.First()
	switch c.Tag() {
	case ber.C(0):
		return c.String(), nil
	case ber.CC(1):
		if s := c.First(); s.Valid() {
			if n := s.Child(ber.C(tagElementSetName)); n.Valid() {
				return n.String(), nil
			}
		}
	}
	return "", malformed("ElementSetNames")
}

func encodeElementSetName(e *ber.Encoder, tag uint32, name string) {
	e.Constructed(ber.CC(tag), func(e *ber.Encoder) { e.String(ber.C(0), name) })
}

func databaseNames(v ber.Value) []string {
	var out []string
	for c := v.First(); c.Valid(); c = c.Next() {
		out = append(out, c.String())
	}
	return out
}

func encodeDatabaseNames(e *ber.Encoder, tag uint32, dbs []string) {
	e.Constructed(ber.CC(tag), func(e *ber.Encoder) {
		for _, d := range dbs {
			e.String(ber.C(tagDatabaseName), d)
		}
	})
}
