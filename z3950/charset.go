package z3950

import (
	"github.com/illgw/illgw/z3950/ber"
)

// Charset-3 negotiation (Z39.50-2003 Appendix 14 "NEG", ASN.1 module
// NegotiationRecordDefinition-charSetandLanguageNegotiation-3) travels as an EXTERNAL in an
// Init otherInfo entry: SEQUENCE { information [4] IMPLICIT EXTERNAL }.

func hasCharsetInfo(others [][]byte) bool {
	return charsetFromOtherInfo(others) != nil
}

// charsetFromOtherInfo finds and decodes a Charset-3 entry; it ignores anything it cannot read.
func charsetFromOtherInfo(others [][]byte) *CharsetProposal {
	for _, raw := range others {
		t, err := ber.Parse(raw, ber.Limits{MaxSize: len(raw) + 1, MaxDepth: 16})
		if err != nil {
			continue
		}
		x := t.Root().Child(ber.CC(4))
		if !x.Valid() {
			continue
		}
		oid, err := x.First().OID()
		if err != nil || !oid.Equal(OIDCharsetNeg3) {
			continue
		}
		if cs := decodeCharset(x.Child(ber.CC(0)).First()); cs != nil {
			return cs
		}
	}
	return nil
}

func decodeCharset(v ber.Value) *CharsetProposal {
	cs := &CharsetProposal{}
	var sets ber.Value
	switch v.Tag() {
	case ber.CC(1): // proposal: proposedCharSets [1] IMPLICIT SEQUENCE OF CHOICE
		sets = v.Child(ber.CC(1))
	case ber.CC(2): // response: selectedCharSets [1] CHOICE (explicit)
		sets = v.Child(ber.CC(1))
	default:
		return nil
	}
	if b, err := v.Child(ber.C(3)).Bool(); err == nil {
		cs.RecordsInSelectedCharSets = &b
	}
	for c := sets.First(); c.Valid(); c = c.Next() {
		switch c.Tag() {
		case ber.CC(2): // iso10646 [2] IMPLICIT Iso10646
			if o, err := c.Child(ber.C(2)).OID(); err == nil && o.Equal(OIDUTF8Encoding) {
				cs.UTF8 = true
			}
		case ber.CC(3): // private [3] PrivateCharacterSet (explicit CHOICE)
			if x := c.Child(ber.CC(2)); x.Valid() { // externallySpecified [2] IMPLICIT EXTERNAL
				if s := x.Child(ber.C(1)); s.Valid() {
					cs.Private = append(cs.Private, s.String())
				}
			}
		}
	}
	return cs
}

// encodeOtherInfo writes one otherInfo entry holding the Charset-3 record, as a proposal
// (InitRequest) or a response (InitResponse).
func (cs *CharsetProposal) encodeOtherInfo(e *ber.Encoder, proposal bool) {
	e.Constructed(tagSequence, func(e *ber.Encoder) {
		e.Constructed(ber.CC(4), func(e *ber.Encoder) {
			e.OID(tagOID, OIDCharsetNeg3)
			e.Constructed(ber.CC(0), func(e *ber.Encoder) {
				tag := uint32(2)
				if proposal {
					tag = 1
				}
				e.Constructed(ber.CC(tag), func(e *ber.Encoder) {
					e.Constructed(ber.CC(1), func(e *ber.Encoder) {
						if cs.UTF8 {
							e.Constructed(ber.CC(2), func(e *ber.Encoder) { e.OID(ber.C(2), OIDUTF8Encoding) })
						}
						for _, p := range cs.Private {
							if !proposal && cs.UTF8 {
								break // a response selects one set
							}
							e.Constructed(ber.CC(3), func(e *ber.Encoder) {
								e.Constructed(ber.CC(2), func(e *ber.Encoder) {
									e.OID(tagOID, ber.MustOID("1.2.840.10003.15.1000.81.1"))
									e.String(ber.C(1), p)
								})
							})
							if !proposal {
								break
							}
						}
						if !proposal && !cs.UTF8 && len(cs.Private) == 0 {
							e.Null(ber.C(4)) // none
						}
					})
					if cs.RecordsInSelectedCharSets != nil {
						e.Bool(ber.C(3), *cs.RecordsInSelectedCharSets)
					}
				})
			})
		})
	})
}
