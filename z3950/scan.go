package z3950

import (
	"github.com/illgw/illgw/z3950/ber"
)

// ScanRequest is the ScanRequest APDU [35] (Z39.50-2003 §3.2.8.1).
type ScanRequest struct {
	Common
	Databases         []string
	AttributeSet      ber.OID // nil: absent
	Term              AttrTerm
	StepSize          *int
	NumberOfTerms     int
	PreferredPosition *int
}

// ScanEntry is one entry of a scan response: a term with its occurrence count, or a surrogate
// diagnostic.
type ScanEntry struct {
	Term        string
	DisplayTerm string
	Occurrences *int
	Diagnostic  *Diagnostic
}

// Scan status values (Z39.50-2003 §3.2.8.1.5).
const (
	ScanSuccess  = 0
	ScanPartial5 = 5 // term list ended before the requested number of terms
	ScanFailure  = 6
)

// ScanResponse is the ScanResponse APDU [36] (Z39.50-2003 §3.2.8.1).
type ScanResponse struct {
	Common
	StepSize        *int
	Status          int
	NumberOfEntries int
	Position        *int
	Entries         []ScanEntry  // nil: no entries element
	Diagnostics     []Diagnostic // non-surrogate diagnostics
	AttributeSet    ber.OID
}

// Tag returns 35.
func (*ScanRequest) Tag() uint32 { return TagScanRequest }

// Tag returns 36.
func (*ScanResponse) Tag() uint32 { return TagScanResponse }

func (p *ScanRequest) encode(e *ber.Encoder) {
	p.encodeRef(e)
	encodeDatabaseNames(e, 3, p.Databases)
	if p.AttributeSet != nil {
		e.OID(tagOID, p.AttributeSet)
	}
	p.Term.encode(e)
	if p.StepSize != nil {
		e.Int(ber.C(5), int64(*p.StepSize))
	}
	e.Int(ber.C(6), int64(p.NumberOfTerms))
	if p.PreferredPosition != nil {
		e.Int(ber.C(7), int64(*p.PreferredPosition))
	}
	p.encodeOther(e)
}

func (p *ScanRequest) decode(v ber.Value) error {
	var seen int
	for c := v.First(); c.Valid(); c = c.Next() {
		if p.common(c) {
			continue
		}
		var err error
		switch c.Tag() {
		case ber.CC(3):
			p.Databases = databaseNames(c)
			seen |= 1
		case tagOID:
			p.AttributeSet, err = getOID(c, "attributeSet")
		case ber.CC(102):
			var t *AttrTerm
			t, err = decodeAttrTerm(c)
			if t != nil {
				p.Term = *t
			}
			seen |= 2
		case ber.C(5):
			var n int
			n, err = getInt(c, "stepSize")
			p.StepSize = &n
		case ber.C(6):
			p.NumberOfTerms, err = getInt(c, "numberOfTermsRequested")
			seen |= 4
		case ber.C(7):
			var n int
			n, err = getInt(c, "preferredPositionInResponse")
			p.PreferredPosition = &n
		}
		if err != nil {
			return err
		}
	}
	if seen != 7 {
		return malformed("ScanRequest lacks a mandatory field")
	}
	return nil
}

func (p *ScanResponse) encode(e *ber.Encoder) {
	p.encodeRef(e)
	if p.StepSize != nil {
		e.Int(ber.C(3), int64(*p.StepSize))
	}
	e.Int(ber.C(4), int64(p.Status))
	e.Int(ber.C(5), int64(p.NumberOfEntries))
	if p.Position != nil {
		e.Int(ber.C(6), int64(*p.Position))
	}
	if p.Entries != nil || p.Diagnostics != nil {
		e.Constructed(ber.CC(7), func(e *ber.Encoder) {
			if p.Entries != nil {
				e.Constructed(ber.CC(1), func(e *ber.Encoder) {
					for _, en := range p.Entries {
						if en.Diagnostic != nil {
							e.Constructed(ber.CC(2), en.Diagnostic.encode)
							continue
						}
						e.Constructed(ber.CC(1), func(e *ber.Encoder) {
							e.String(ber.C(45), en.Term)
							if en.DisplayTerm != "" {
								e.String(ber.C(0), en.DisplayTerm)
							}
							if en.Occurrences != nil {
								e.Int(ber.C(2), int64(*en.Occurrences))
							}
						})
					}
				})
			}
			if p.Diagnostics != nil {
				e.Constructed(ber.CC(2), func(e *ber.Encoder) {
					for i := range p.Diagnostics {
						p.Diagnostics[i].encode(e)
					}
				})
			}
		})
	}
	if p.AttributeSet != nil {
		e.OID(ber.C(8), p.AttributeSet)
	}
	p.encodeOther(e)
}

func (p *ScanResponse) decode(v ber.Value) error {
	for c := v.First(); c.Valid(); c = c.Next() {
		if p.common(c) {
			continue
		}
		var err error
		switch c.Tag() {
		case ber.C(3):
			var n int
			n, err = getInt(c, "stepSize")
			p.StepSize = &n
		case ber.C(4):
			p.Status, err = getInt(c, "scanStatus")
		case ber.C(5):
			p.NumberOfEntries, err = getInt(c, "numberOfEntriesReturned")
		case ber.C(6):
			var n int
			n, err = getInt(c, "positionOfTerm")
			p.Position = &n
		case ber.CC(7):
			err = p.decodeEntries(c)
		case ber.C(8):
			p.AttributeSet, err = getOID(c, "attributeSet")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (p *ScanResponse) decodeEntries(v ber.Value) error {
	if l := v.Child(ber.CC(1)); l.Valid() {
		p.Entries = []ScanEntry{}
		for en := l.First(); en.Valid(); en = en.Next() {
			var s ScanEntry
			switch en.Tag() {
			case ber.CC(1):
				for c := en.First(); c.Valid(); c = c.Next() {
					switch c.Tag() {
					case ber.C(45), ber.C(216):
						s.Term = c.String()
					case ber.C(215):
						n, err := c.Int()
						if err != nil {
							return malformed("numeric term")
						}
						s.Term = itoa(int(n))
					case ber.C(0):
						s.DisplayTerm = c.String()
					case ber.C(2):
						n, err := getInt(c, "globalOccurrences")
						if err != nil {
							return err
						}
						s.Occurrences = &n
					}
				}
			case ber.CC(2):
				d, err := decodeDiagRec(en.First())
				if err != nil {
					return err
				}
				s.Diagnostic = &d
			default:
				return malformed("scan Entry")
			}
			p.Entries = append(p.Entries, s)
		}
	}
	if l := v.Child(ber.CC(2)); l.Valid() {
		var err error
		p.Diagnostics, err = appendDiagRecs(p.Diagnostics, l)
		return err
	}
	return nil
}
