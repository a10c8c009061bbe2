package z3950

import (
	"github.com/illgw/illgw/z3950/ber"
)

// SearchRequest is the SearchRequest APDU [22] (Z39.50-2003 §3.2.2.1).
type SearchRequest struct {
	Common
	SmallSetUpperBound      int
	LargeSetLowerBound      int
	MediumSetPresentNumber  int
	ReplaceIndicator        bool
	ResultSetName           string
	Databases               []string
	SmallSetElementSetName  string // "" means absent
	MediumSetElementSetName string
	PreferredRecordSyntax   ber.OID
	Query                   Query
}

// SearchResponse is the SearchResponse APDU [23] (Z39.50-2003 §3.2.2.1). Records holds
// piggy-backed records or, when the search failed, non-surrogate diagnostics.
type SearchResponse struct {
	Common
	ResultCount             int
	NumberOfRecordsReturned int
	NextResultSetPosition   int
	SearchStatus            bool
	ResultSetStatus         int  // 0 absent; 1 subset, 2 interim, 3 none, 4 estimate
	PresentStatus           *int // nil absent; see PresentSuccess...
	records
	// AdditionalSearchInfo is additionalSearchInfo [203] (Z39.50-2003 §3.2.2.1.6) as text:
	// one characterInfo entry each, e.g. what part of a federated search did not answer.
	AdditionalSearchInfo []string
}

// Tag returns 22.
func (*SearchRequest) Tag() uint32 { return TagSearchRequest }

// Tag returns 23.
func (*SearchResponse) Tag() uint32 { return TagSearchResponse }

func (p *SearchRequest) encode(e *ber.Encoder) {
	p.encodeRef(e)
	e.Int(ber.C(13), int64(p.SmallSetUpperBound))
	e.Int(ber.C(14), int64(p.LargeSetLowerBound))
	e.Int(ber.C(15), int64(p.MediumSetPresentNumber))
	e.Bool(ber.C(16), p.ReplaceIndicator)
	e.String(ber.C(17), p.ResultSetName)
	encodeDatabaseNames(e, 18, p.Databases)
	if p.SmallSetElementSetName != "" {
		encodeElementSetName(e, 100, p.SmallSetElementSetName)
	}
	if p.MediumSetElementSetName != "" {
		encodeElementSetName(e, 101, p.MediumSetElementSetName)
	}
	if p.PreferredRecordSyntax != nil {
		e.OID(ber.C(104), p.PreferredRecordSyntax)
	}
	p.Query.encode(e)
	p.encodeOther(e)
}

func (p *SearchRequest) decode(v ber.Value) error {
	var seen int
	for c := v.First(); c.Valid(); c = c.Next() {
		if p.common(c) {
			continue
		}
		var err error
		switch c.Tag() {
		case ber.C(13):
			p.SmallSetUpperBound, err = getInt(c, "smallSetUpperBound")
		case ber.C(14):
			p.LargeSetLowerBound, err = getInt(c, "largeSetLowerBound")
		case ber.C(15):
			p.MediumSetPresentNumber, err = getInt(c, "mediumSetPresentNumber")
		case ber.C(16):
			p.ReplaceIndicator, err = getBool(c, "replaceIndicator")
		case ber.C(17):
			p.ResultSetName = c.String()
		case ber.CC(18):
			p.Databases = databaseNames(c)
			seen |= 1
		case ber.CC(100):
			p.SmallSetElementSetName, err = elementSetName(c)
		case ber.CC(101):
			p.MediumSetElementSetName, err = elementSetName(c)
		case ber.C(104):
			p.PreferredRecordSyntax, err = getOID(c, "preferredRecordSyntax")
		case ber.CC(21):
			p.Query, err = decodeQuery(c)
			seen |= 2
		}
		if err != nil {
			return err
		}
	}
	if seen != 3 {
		return malformed("SearchRequest lacks databaseNames or query")
	}
	return nil
}

func (p *SearchResponse) encode(e *ber.Encoder) {
	p.encodeRef(e)
	e.Int(ber.C(23), int64(p.ResultCount))
	e.Int(ber.C(24), int64(p.NumberOfRecordsReturned))
	e.Int(ber.C(25), int64(p.NextResultSetPosition))
	e.Bool(ber.C(22), p.SearchStatus)
	if p.ResultSetStatus != 0 {
		e.Int(ber.C(26), int64(p.ResultSetStatus))
	}
	if p.PresentStatus != nil {
		e.Int(ber.C(27), int64(*p.PresentStatus))
	}
	p.encodeRecords(e)
	if len(p.AdditionalSearchInfo) > 0 {
		// OtherInformation ::= SEQUENCE OF SEQUENCE { category [1] OPTIONAL,
		//   information CHOICE { characterInfo [2] IMPLICIT InternationalString, ... } }
		e.Constructed(ber.CC(tagAdditionalSearchInfo), func(e *ber.Encoder) {
			for _, s := range p.AdditionalSearchInfo {
				e.Constructed(tagSequence, func(e *ber.Encoder) { e.String(ber.C(2), s) })
			}
		})
	}
	p.encodeOther(e)
}

// tagAdditionalSearchInfo is SearchResponse.additionalSearchInfo [203].
const tagAdditionalSearchInfo = 203

// maxSearchInfo bounds the additionalSearchInfo entries kept from one response.
const maxSearchInfo = 256

func (p *SearchResponse) decode(v ber.Value) error {
	for c := v.First(); c.Valid(); c = c.Next() {
		if p.common(c) {
			continue
		}
		if ok, err := p.decodeRecords(c); ok {
			if err != nil {
				return err
			}
			continue
		}
		var err error
		switch c.Tag() {
		case ber.C(23):
			p.ResultCount, err = getInt(c, "resultCount")
		case ber.C(24):
			p.NumberOfRecordsReturned, err = getInt(c, "numberOfRecordsReturned")
		case ber.C(25):
			p.NextResultSetPosition, err = getInt(c, "nextResultSetPosition")
		case ber.C(22):
			p.SearchStatus, err = getBool(c, "searchStatus")
		case ber.C(26):
			p.ResultSetStatus, err = getInt(c, "resultSetStatus")
		case ber.C(27):
			var n int
			n, err = getInt(c, "presentStatus")
			p.PresentStatus = &n
		case ber.CC(tagAdditionalSearchInfo):
			for o := c.First(); o.Valid() && len(p.AdditionalSearchInfo) < maxSearchInfo; o = o.Next() {
				for i := o.First(); i.Valid(); i = i.Next() {
					if i.Tag() == ber.C(2) {
						p.AdditionalSearchInfo = append(p.AdditionalSearchInfo, i.String())
					}
				}
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Present status values (Z39.50-2003 §3.2.2.1.3 PresentStatus).
const (
	PresentSuccess  = 0
	PresentPartial1 = 1
	PresentPartial2 = 2 // message size too small for all records
	PresentPartial3 = 3
	PresentPartial4 = 4 // some records are surrogate diagnostics
	PresentFailure  = 5
)

// PresentRequest is the PresentRequest APDU [24] (Z39.50-2003 §3.2.3.1).
type PresentRequest struct {
	Common
	ResultSetID           string
	Start                 int
	Count                 int
	ElementSetName        string // "" means absent
	PreferredRecordSyntax ber.OID
}

// PresentResponse is the PresentResponse APDU [25] (Z39.50-2003 §3.2.3.1).
type PresentResponse struct {
	Common
	NumberOfRecordsReturned int
	NextResultSetPosition   int
	PresentStatus           int
	records
}

// Tag returns 24.
func (*PresentRequest) Tag() uint32 { return TagPresentRequest }

// Tag returns 25.
func (*PresentResponse) Tag() uint32 { return TagPresentResponse }

func (p *PresentRequest) encode(e *ber.Encoder) {
	p.encodeRef(e)
	e.String(ber.C(tagResultSetID), p.ResultSetID)
	e.Int(ber.C(30), int64(p.Start))
	e.Int(ber.C(29), int64(p.Count))
	if p.ElementSetName != "" {
		encodeElementSetName(e, 19, p.ElementSetName)
	}
	if p.PreferredRecordSyntax != nil {
		e.OID(ber.C(104), p.PreferredRecordSyntax)
	}
	p.encodeOther(e)
}

func (p *PresentRequest) decode(v ber.Value) error {
	var seen int
	for c := v.First(); c.Valid(); c = c.Next() {
		if p.common(c) {
			continue
		}
		var err error
		switch c.Tag() {
		case ber.C(tagResultSetID):
			p.ResultSetID = c.String()
			seen |= 1
		case ber.C(30):
			p.Start, err = getInt(c, "resultSetStartPoint")
			seen |= 2
		case ber.C(29):
			p.Count, err = getInt(c, "numberOfRecordsRequested")
			seen |= 4
		case ber.CC(19):
			p.ElementSetName, err = elementSetName(c)
		case ber.CC(209):
			return NewDiagnostic(26, "complex record composition (CompSpec)")
		case ber.C(104):
			p.PreferredRecordSyntax, err = getOID(c, "preferredRecordSyntax")
		}
		if err != nil {
			return err
		}
	}
	if seen != 7 {
		return malformed("PresentRequest lacks a mandatory field")
	}
	return nil
}

func (p *PresentResponse) encode(e *ber.Encoder) {
	p.encodeRef(e)
	e.Int(ber.C(24), int64(p.NumberOfRecordsReturned))
	e.Int(ber.C(25), int64(p.NextResultSetPosition))
	e.Int(ber.C(27), int64(p.PresentStatus))
	p.encodeRecords(e)
	p.encodeOther(e)
}

func (p *PresentResponse) decode(v ber.Value) error {
	for c := v.First(); c.Valid(); c = c.Next() {
		if p.common(c) {
			continue
		}
		if ok, err := p.decodeRecords(c); ok {
			if err != nil {
				return err
			}
			continue
		}
		var err error
		switch c.Tag() {
		case ber.C(24):
			p.NumberOfRecordsReturned, err = getInt(c, "numberOfRecordsReturned")
		case ber.C(25):
			p.NextResultSetPosition, err = getInt(c, "nextResultSetPosition")
		case ber.C(27):
			p.PresentStatus, err = getInt(c, "presentStatus")
		}
		if err != nil {
			return err
		}
	}
	return nil
}
