package z3950

import (
	"fmt"

	"github.com/illgw/illgw/z3950/ber"
)

// Diagnostic is a Bib-1 diagnostic (Z39.50-2003 Appendix 3, DefaultDiagFormat). It is the one
// error type of this package: a Backend returns it to send the diagnostic to the client, and the
// Client returns it when the target sends one.
type Diagnostic struct {
	// Set is the diagnostic set; nil means Bib-1 (1.2.840.10003.4.1).
	Set     ber.OID
	Code    int
	AddInfo string
}

// Error returns "z3950: diagnostic 109 (Database unavailable): nosuchdb".
func (d *Diagnostic) Error() string {
	msg := Bib1DiagnosticText(d.Code)
	if msg == "" {
		msg = "unknown"
	}
	if d.AddInfo != "" {
		return fmt.Sprintf("z3950: diagnostic %d (%s): %s", d.Code, msg, d.AddInfo)
	}
	return fmt.Sprintf("z3950: diagnostic %d (%s)", d.Code, msg)
}

// NewDiagnostic returns a Bib-1 diagnostic with the given code and additional information.
func NewDiagnostic(code int, addinfo string) *Diagnostic {
	return &Diagnostic{Code: code, AddInfo: addinfo}
}

// encode writes DefaultDiagFormat with an explicit outer tag when tag is valid.
func (d *Diagnostic) encode(e *ber.Encoder) {
	e.Constructed(tagSequence, func(e *ber.Encoder) {
		set := d.Set
		if set == nil {
			set = OIDBib1Diag
		}
		e.OID(tagOID, set)
		e.Int(tagInteger, int64(d.Code))
		e.String(tagVisibleString, d.AddInfo) // v2Addinfo, as YAZ sends it
	})
}

// decodeDiagRec decodes DiagRec ::= CHOICE { defaultFormat, externallyDefined }. An
// externally defined diagnostic becomes code 1 (permanent system error) with no addinfo.
func decodeDiagRec(v ber.Value) (Diagnostic, error) {
	switch v.Tag() {
	case tagSequence:
		return decodeDefaultDiag(v)
	case tagExternal:
		return Diagnostic{Code: 1, AddInfo: "externally defined diagnostic"}, nil
	}
	return Diagnostic{}, malformed("DiagRec")
}

// appendDiagRecs decodes list, a SEQUENCE OF DiagRec (Z39.50-2003 §3.2.2.1.5 "Records"),
// and appends its diagnostics to ds; it stops at the first malformed entry.
func appendDiagRecs(ds []Diagnostic, list ber.Value) ([]Diagnostic, error) {
	for n := list.First(); n.Valid(); n = n.Next() {
		d, err := decodeDiagRec(n)
		if err != nil {
			return ds, err
		}
		ds = append(ds, d)
	}
	return ds, nil
}

// decodeDefaultDiag decodes the content of a DefaultDiagFormat (any outer tag).
func decodeDefaultDiag(v ber.Value) (Diagnostic, error) {
	var d Diagnostic
	c := v.First()
	set, err := getOID(c, "diagnosticSetId")
	if err != nil {
		return d, err
	}
	if !set.Equal(OIDBib1Diag) {
		d.Set = set
	}
	c = c.Next()
	if d.Code, err = getInt(c, "condition"); err != nil {
		return d, err
	}
	if c = c.Next(); c.Valid() {
		d.AddInfo = c.String()
	}
	return d, nil
}

// NamePlusRecord is one entry of a Records list (Z39.50-2003 §3.2.2.1.5 "Records"): a database
// name and either a retrieval record or a surrogate diagnostic for that position.
type NamePlusRecord struct {
	Database   string
	Record     *External   // retrievalRecord
	Diagnostic *Diagnostic // surrogateDiagnostic
}

// External is an ASN.1 EXTERNAL (X.208 §33) as Z39.50 uses it for records: the record syntax
// OID and either octet-aligned bytes (MARC, XML, SUTRS as octets) or one ASN.1 value (OPAC, GRS-1,
// SUTRS), kept as its encoding and decoded on demand (see OPACRecord).
type External struct {
	OID    ber.OID
	Octets []byte // octet-aligned [1]
	ASN1   []byte // single-ASN1-type [0]: the inner value's encoding
}

// Bytes returns the record's content: the octets, or for a single-ASN1-type string (SUTRS)
// the string's bytes. Other ASN.1 values (OPAC, GRS-1) return nil; see DecodeOPAC.
func (x *External) Bytes() []byte {
	if x.Octets != nil {
		return x.Octets
	}
	t, err := ber.Parse(x.ASN1, ber.Limits{MaxSize: len(x.ASN1) + 1, MaxDepth: 8})
	if err != nil || t.Root().Tag().Class != ber.Universal || t.Root().Tag().Num != ber.TagGeneralStr && t.Root().Tag().Num != ber.TagOctetString && t.Root().Tag().Num != ber.TagVisibleStr {
		return nil
	}
	return t.Root().OctetString()
}

func (x *External) encode(e *ber.Encoder, tag ber.Tag) {
	e.Constructed(tag, func(e *ber.Encoder) {
		if x.OID != nil {
			e.OID(tagOID, x.OID)
		}
		switch {
		case x.ASN1 != nil:
			e.Constructed(ber.CC(0), func(e *ber.Encoder) { e.Raw(x.ASN1) })
		default:
			e.Primitive(ber.C(1), x.Octets)
		}
	})
}

func decodeExternal(v ber.Value) (*External, error) {
	x := &External{}
	for c := v.First(); c.Valid(); c = c.Next() {
		switch c.Tag() {
		case tagOID:
			o, err := getOID(c, "EXTERNAL direct-reference")
			if err != nil {
				return nil, err
			}
			x.OID = o
		case ber.C(1):
			x.Octets = append([]byte{}, c.Bytes()...)
		case ber.CC(1): // octet-aligned sent constructed (segmented)
			x.Octets = c.OctetString()
		case ber.CC(0):
			var e ber.Encoder
			if in := c.First(); in.Valid() {
				reencode(&e, in)
			}
			x.ASN1 = e.Bytes()
		}
	}
	if x.Octets == nil && x.ASN1 == nil {
		return nil, malformed("EXTERNAL without octet-aligned or single-ASN1-type encoding")
	}
	return x, nil
}

func (r *NamePlusRecord) encode(e *ber.Encoder) {
	e.Constructed(tagSequence, func(e *ber.Encoder) {
		if r.Database != "" {
			e.String(ber.C(0), r.Database)
		}
		e.Constructed(ber.CC(1), func(e *ber.Encoder) {
			if r.Diagnostic != nil {
				e.Constructed(ber.CC(2), r.Diagnostic.encode)
				return
			}
			x := r.Record
			if x == nil {
				x = &External{}
			}
			e.Constructed(ber.CC(1), func(e *ber.Encoder) { x.encode(e, tagExternal) })
		})
	})
}

func decodeNamePlusRecord(v ber.Value) (NamePlusRecord, error) {
	var r NamePlusRecord
	for c := v.First(); c.Valid(); c = c.Next() {
		switch c.Tag() {
		case ber.C(0):
			r.Database = c.String()
		case ber.CC(1):
			in := c.First()
			switch in.Tag() {
			case ber.CC(1):
				x, err := decodeExternal(in.First())
				if err != nil {
					return r, err
				}
				r.Record = x
			case ber.CC(2):
				d, err := decodeDiagRec(in.First())
				if err != nil {
					return r, err
				}
				r.Diagnostic = &d
			default:
				return r, malformed("record fragments are not supported")
			}
		}
	}
	if r.Record == nil && r.Diagnostic == nil {
		return r, malformed("NamePlusRecord without record")
	}
	return r, nil
}

// records is the Records CHOICE shared by Search and Present responses.
type records struct {
	// Records are the response records ([28]); nil means none were sent.
	Records []NamePlusRecord
	// Diagnostics are non-surrogate diagnostics ([130] one, [205] several); when set, Records is
	// not sent.
	Diagnostics []Diagnostic
}

func (r *records) encodeRecords(e *ber.Encoder) {
	switch {
	case len(r.Diagnostics) == 1:
		d := r.Diagnostics[0]
		e.Constructed(ber.CC(130), func(e *ber.Encoder) {
			set := d.Set
			if set == nil {
				set = OIDBib1Diag
			}
			e.OID(tagOID, set)
			e.Int(tagInteger, int64(d.Code))
			e.String(tagVisibleString, d.AddInfo)
		})
	case len(r.Diagnostics) > 1:
		e.Constructed(ber.CC(205), func(e *ber.Encoder) {
			for i := range r.Diagnostics {
				r.Diagnostics[i].encode(e)
			}
		})
	case r.Records != nil:
		e.Constructed(ber.CC(28), func(e *ber.Encoder) {
			for i := range r.Records {
				r.Records[i].encode(e)
			}
		})
	}
}

// decodeRecords reports whether c was a Records alternative, decoding it into r.
func (r *records) decodeRecords(c ber.Value) (bool, error) {
	switch c.Tag() {
	case ber.CC(28):
		r.Records = []NamePlusRecord{}
		for n := c.First(); n.Valid(); n = n.Next() {
			rec, err := decodeNamePlusRecord(n)
			if err != nil {
				return true, err
			}
			r.Records = append(r.Records, rec)
		}
		return true, nil
	case ber.CC(130):
		d, err := decodeDefaultDiag(c)
		if err != nil {
			return true, err
		}
		r.Diagnostics = []Diagnostic{d}
		return true, nil
	case ber.CC(205):
		var err error
		r.Diagnostics, err = appendDiagRecs(r.Diagnostics, c)
		return true, err
	}
	return false, nil
}
