package z3950

import (
	"strconv"

	"github.com/illgw/illgw/z3950/ber"
)

func itoa(n int) string { return strconv.Itoa(n) }

// SortKey is one SortKeySpec (Z39.50-2003 §3.2.7.1.3): a sort field name or Bib-1 sort
// attributes, with direction and case handling.
type SortKey struct {
	Field           string      // sortfield [0]; "" when Attrs is used
	AttributeSet    ber.OID     // for Attrs; nil means Bib-1
	Attrs           []Attribute // sortAttributes [2]
	Descending      bool        // sortRelation 1
	CaseInsensitive bool        // caseSensitivity 1
	// MissingNull sends missingValueAction null [2] (what yaz-client sends); false omits it.
	MissingNull bool
}

// SortRequest is the SortRequest APDU [43] (Z39.50-2003 §3.2.7.1).
type SortRequest struct {
	Common
	Inputs []string
	Output string
	Keys   []SortKey
}

// Sort status values.
const (
	SortSuccess  = 0
	SortPartial1 = 1
	SortFailure  = 2
)

// SortResponse is the SortResponse APDU [44] (Z39.50-2003 §3.2.7.1).
type SortResponse struct {
	Common
	Status          int
	ResultSetStatus int // 0 absent
	Diagnostics     []Diagnostic
	ResultCount     *int
}

// Tag returns 43.
func (*SortRequest) Tag() uint32 { return TagSortRequest }

// Tag returns 44.
func (*SortResponse) Tag() uint32 { return TagSortResponse }

func (p *SortRequest) encode(e *ber.Encoder) {
	p.encodeRef(e)
	e.Constructed(ber.CC(3), func(e *ber.Encoder) {
		for _, s := range p.Inputs {
			e.String(tagGeneralString, s)
		}
	})
	e.String(ber.C(4), p.Output)
	e.Constructed(ber.CC(5), func(e *ber.Encoder) {
		for _, k := range p.Keys {
			e.Constructed(tagSequence, func(e *ber.Encoder) {
				e.Constructed(ber.CC(1), func(e *ber.Encoder) {
					if k.Attrs == nil {
						e.String(ber.C(0), k.Field)
						return
					}
					e.Constructed(ber.CC(2), func(e *ber.Encoder) {
						set := k.AttributeSet
						if set == nil {
							set = OIDBib1Attributes
						}
						e.OID(tagOID, set)
						encodeAttrs(e, k.Attrs)
					})
				})
				e.Int(ber.C(1), b2i(k.Descending))
				e.Int(ber.C(2), b2i(k.CaseInsensitive))
				if k.MissingNull {
					e.Constructed(ber.CC(3), func(e *ber.Encoder) { e.Null(ber.C(2)) })
				}
			})
		}
	})
	p.encodeOther(e)
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func (p *SortRequest) decode(v ber.Value) error {
	var seen int
	for c := v.First(); c.Valid(); c = c.Next() {
		if p.common(c) {
			continue
		}
		switch c.Tag() {
		case ber.CC(3):
			for s := c.First(); s.Valid(); s = s.Next() {
				p.Inputs = append(p.Inputs, s.String())
			}
			seen |= 1
		case ber.C(4):
			p.Output = c.String()
			seen |= 2
		case ber.CC(5):
			for s := c.First(); s.Valid(); s = s.Next() {
				k, err := decodeSortKey(s)
				if err != nil {
					return err
				}
				p.Keys = append(p.Keys, k)
			}
			seen |= 4
		}
	}
	if seen != 7 {
		return malformed("SortRequest lacks a mandatory field")
	}
	return nil
}

func decodeSortKey(v ber.Value) (SortKey, error) {
	var k SortKey
	for c := v.First(); c.Valid(); c = c.Next() {
		switch c.Tag() {
		case ber.CC(1):
			key := c.First()
			switch key.Tag() {
			case ber.C(0):
				k.Field = key.String()
			case ber.CC(2):
				set, err := getOID(key.First(), "sort attributeSet")
				if err != nil {
					return k, err
				}
				if !set.Equal(OIDBib1Attributes) {
					k.AttributeSet = set
				}
				attrs, err := decodeAttrs(key.First().Next())
				if err != nil {
					return k, err
				}
				k.Attrs = attrs
				if k.Attrs == nil {
					k.Attrs = []Attribute{}
				}
			default:
				return k, NewDiagnostic(237, "sort key "+key.Tag().String())
			}
		case ber.CC(2):
			return k, NewDiagnostic(237, "database-specific sort keys")
		case ber.C(1):
			n, err := getInt(c, "sortRelation")
			if err != nil {
				return k, err
			}
			k.Descending = n == 1 || n == 4
		case ber.C(2):
			n, err := getInt(c, "caseSensitivity")
			if err != nil {
				return k, err
			}
			k.CaseInsensitive = n == 1
		case ber.CC(3):
			k.MissingNull = c.First().Tag() == ber.C(2)
		}
	}
	return k, nil
}

func (p *SortResponse) encode(e *ber.Encoder) {
	p.encodeRef(e)
	e.Int(ber.C(3), int64(p.Status))
	if p.ResultSetStatus != 0 {
		e.Int(ber.C(4), int64(p.ResultSetStatus))
	}
	if p.Diagnostics != nil {
		e.Constructed(ber.CC(5), func(e *ber.Encoder) {
			for i := range p.Diagnostics {
				p.Diagnostics[i].encode(e)
			}
		})
	}
	if p.ResultCount != nil {
		e.Int(ber.C(6), int64(*p.ResultCount))
	}
	p.encodeOther(e)
}

func (p *SortResponse) decode(v ber.Value) error {
	for c := v.First(); c.Valid(); c = c.Next() {
		if p.common(c) {
			continue
		}
		var err error
		switch c.Tag() {
		case ber.C(3):
			p.Status, err = getInt(c, "sortStatus")
		case ber.C(4):
			p.ResultSetStatus, err = getInt(c, "resultSetStatus")
		case ber.CC(5):
			p.Diagnostics, err = appendDiagRecs(p.Diagnostics, c)
		case ber.C(6):
			var n int
			n, err = getInt(c, "resultCount")
			p.ResultCount = &n
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// DeleteRequest is the DeleteResultSetRequest APDU [26] (Z39.50-2003 §3.2.4.1).
type DeleteRequest struct {
	Common
	All        bool // deleteFunction all (1); otherwise list (0)
	ResultSets []string
}

// DeleteResponse is the DeleteResultSetResponse APDU [27]. Status 0 is success, 1 result set
// did not exist (Z39.50-2003 §3.2.4.1.4 DeleteSetStatus).
type DeleteResponse struct {
	Common
	Status int
}

// Tag returns 26.
func (*DeleteRequest) Tag() uint32 { return TagDeleteRequest }

// Tag returns 27.
func (*DeleteResponse) Tag() uint32 { return TagDeleteResponse }

func (p *DeleteRequest) encode(e *ber.Encoder) {
	p.encodeRef(e)
	e.Int(ber.C(32), b2i(p.All))
	if len(p.ResultSets) > 0 {
		e.Constructed(tagSequence, func(e *ber.Encoder) {
			for _, s := range p.ResultSets {
				e.String(ber.C(tagResultSetID), s)
			}
		})
	}
	p.encodeOther(e)
}

func (p *DeleteRequest) decode(v ber.Value) error {
	for c := v.First(); c.Valid(); c = c.Next() {
		if p.common(c) {
			continue
		}
		switch c.Tag() {
		case ber.C(32):
			n, err := getInt(c, "deleteFunction")
			if err != nil {
				return err
			}
			p.All = n == 1
		case tagSequence:
			for s := c.First(); s.Valid(); s = s.Next() {
				p.ResultSets = append(p.ResultSets, s.String())
			}
		}
	}
	return nil
}

func (p *DeleteResponse) encode(e *ber.Encoder) {
	p.encodeRef(e)
	e.Int(ber.C(0), int64(p.Status))
	p.encodeOther(e)
}

func (p *DeleteResponse) decode(v ber.Value) error {
	for c := v.First(); c.Valid(); c = c.Next() {
		if p.common(c) {
			continue
		}
		if c.Tag() == ber.C(0) {
			n, err := getInt(c, "deleteOperationStatus")
			if err != nil {
				return err
			}
			p.Status = n
		}
	}
	return nil
}

// Close reasons (Z39.50-2003 §3.2.11.1.4).
const (
	CloseFinished       = 0
	CloseShutdown       = 1
	CloseSystemProblem  = 2
	CloseResources      = 4
	CloseSecurity       = 5
	CloseProtocolError  = 6
	CloseLackOfActivity = 7
	ClosePeerAbort      = 8
	CloseUnspecified    = 9
)

// Close is the Close APDU [48] (Z39.50-2003 §3.2.11.1), sent by either side.
type Close struct {
	Common
	Reason     int
	Diagnostic string
}

// Tag returns 48.
func (*Close) Tag() uint32 { return TagClose }

func (p *Close) encode(e *ber.Encoder) {
	p.encodeRef(e)
	e.Int(ber.C(211), int64(p.Reason))
	if p.Diagnostic != "" {
		e.String(ber.C(3), p.Diagnostic)
	}
	p.encodeOther(e)
}

func (p *Close) decode(v ber.Value) error {
	for c := v.First(); c.Valid(); c = c.Next() {
		if p.common(c) {
			continue
		}
		switch c.Tag() {
		case ber.C(211):
			n, err := getInt(c, "closeReason")
			if err != nil {
				return err
			}
			p.Reason = n
		case ber.C(3):
			p.Diagnostic = c.String()
		}
	}
	return nil
}
