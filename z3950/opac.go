package z3950

import (
	"github.com/illgw/illgw/z3950/ber"
)

// OPACRecord is the OPAC record syntax (OID 1.2.840.10003.5.102, Z39.50-2003 Appendix 5
// "RecordSyntax-opac"): a bibliographic record with holdings and circulation data.
type OPACRecord struct {
	Bibliographic *External
	Holdings      []Holding
}

// Holding is HoldingsAndCircData: where a copy is and whether it can be lent.
type Holding struct {
	NucCode          string // 852 $a: holding institution
	LocalLocation    string // 852 $b
	ShelvingLocation string // 852 $c
	CallNumber       string // 852 $h $i
	CopyNumber       string // 852 $t
	PublicNote       string // 852 $z
	EnumAndChron     string
	Circulation      []Circulation
}

// Circulation is a CircRecord.
type Circulation struct {
	AvailableNow      bool
	AvailabilityDate  string
	ItemID            string
	Renewable         bool
	OnHold            bool
	TemporaryLocation string
}

var holdingStrings = []struct {
	tag uint32
	get func(h *Holding) *string
}{
	{8, func(h *Holding) *string { return &h.NucCode }},
	{9, func(h *Holding) *string { return &h.LocalLocation }},
	{10, func(h *Holding) *string { return &h.ShelvingLocation }},
	{11, func(h *Holding) *string { return &h.CallNumber }},
	{13, func(h *Holding) *string { return &h.CopyNumber }},
	{14, func(h *Holding) *string { return &h.PublicNote }},
	{17, func(h *Holding) *string { return &h.EnumAndChron }},
}

// External returns the OPAC record as a retrieval record.
func (o *OPACRecord) External() *External {
	var e ber.Encoder
	e.Constructed(tagSequence, func(e *ber.Encoder) {
		if o.Bibliographic != nil {
			o.Bibliographic.encode(e, ber.CC(1))
		}
		if o.Holdings != nil {
			e.Constructed(ber.CC(2), func(e *ber.Encoder) {
				for i := range o.Holdings {
					h := &o.Holdings[i]
					e.Constructed(ber.CC(2), func(e *ber.Encoder) {
						for _, f := range holdingStrings {
							if s := *f.get(h); s != "" {
								e.String(ber.C(f.tag), s)
							}
						}
						if h.Circulation != nil {
							e.Constructed(ber.CC(19), func(e *ber.Encoder) {
								for _, c := range h.Circulation {
									e.Constructed(tagSequence, func(e *ber.Encoder) {
										e.Bool(ber.C(1), c.AvailableNow)
										if c.AvailabilityDate != "" {
											e.String(ber.C(2), c.AvailabilityDate)
										}
										if c.ItemID != "" {
											e.String(ber.C(5), c.ItemID)
										}
										e.Bool(ber.C(6), c.Renewable)
										e.Bool(ber.C(7), c.OnHold)
										if c.TemporaryLocation != "" {
											e.String(ber.C(10), c.TemporaryLocation)
										}
									})
								}
							})
						}
					})
				}
			})
		}
	})
	return &External{OID: OIDOPAC, ASN1: e.Bytes()}
}

// DecodeOPAC decodes an OPAC retrieval record.
func DecodeOPAC(x *External) (*OPACRecord, error) {
	if x == nil || x.ASN1 == nil || !x.OID.Equal(OIDOPAC) {
		return nil, malformed("not an OPAC record")
	}
	t, err := ber.Parse(x.ASN1, ber.Limits{MaxSize: len(x.ASN1) + 1, MaxDepth: 16})
	if err != nil {
		return nil, err
	}
	o := &OPACRecord{}
	for c := t.Root().First(); c.Valid(); c = c.Next() {
		switch c.Tag() {
		case ber.CC(1):
			if o.Bibliographic, err = decodeExternal(c); err != nil {
				return nil, err
			}
		case ber.CC(2):
			o.Holdings = []Holding{}
			for hr := c.First(); hr.Valid(); hr = hr.Next() {
				if hr.Tag() != ber.CC(2) {
					continue // MARC holdings records are not decoded
				}
				o.Holdings = append(o.Holdings, decodeHolding(hr))
			}
		}
	}
	return o, nil
}

func decodeHolding(v ber.Value) Holding {
	var h Holding
	for c := v.First(); c.Valid(); c = c.Next() {
		for _, f := range holdingStrings {
			if c.Tag() == ber.C(f.tag) {
				*f.get(&h) = c.String()
			}
		}
		if c.Tag() != ber.CC(19) {
			continue
		}
		h.Circulation = []Circulation{}
		for cr := c.First(); cr.Valid(); cr = cr.Next() {
			var ci Circulation
			for f := cr.First(); f.Valid(); f = f.Next() {
				switch f.Tag() {
				case ber.C(1):
					ci.AvailableNow, _ = f.Bool()
				case ber.C(2):
					ci.AvailabilityDate = f.String()
				case ber.C(5):
					ci.ItemID = f.String()
				case ber.C(6):
					ci.Renewable, _ = f.Bool()
				case ber.C(7):
					ci.OnHold, _ = f.Bool()
				case ber.C(10):
					ci.TemporaryLocation = f.String()
				}
			}
			h.Circulation = append(h.Circulation, ci)
		}
	}
	return h
}
