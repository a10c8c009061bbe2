package sim

import (
	"context"
	"strings"

	"github.com/illgw/illgw/z3950"
	zmem "github.com/illgw/illgw/z3950/memory"
)

// catalogBackend is the member's Z39.50/SRU catalogue: z3950/memory over
// the member's records (database name = member code, any case), with the
// member's switches, and OPAC holdings whose availability comes from the
// ILS model.
type catalogBackend struct {
	m  *Member
	zb *zmem.Backend
}

// Init implements z3950.Backend (Z39.50-2003 §3.2.1.1).
func (b catalogBackend) Init(ctx context.Context, info *z3950.InitInfo) (z3950.Session, error) {
	s, err := b.zb.Init(ctx, info)
	if err != nil {
		return nil, err
	}
	return &catalogSession{Session: s.(*zmem.Session), m: b.m}, nil
}

// catalogSession is one association. Search fails with Bib-1 diagnostic 2
// while the member is Failing; Scan, Sort and Delete are z3950/memory's.
type catalogSession struct {
	*zmem.Session
	m *Member
}

// Search implements z3950.Session (Z39.50-2003 §3.2.2.1).
func (s *catalogSession) Search(ctx context.Context, q *z3950.SearchQuery) (*z3950.SearchResult, error) {
	if s.m.failing(Catalog) {
		return nil, z3950.NewDiagnostic(2, "simulated failure")
	}
	return s.Session.Search(ctx, q)
}

// Fetch implements z3950.Session (Z39.50-2003 §3.2.3.1). OPAC records carry
// one holding per copy: the member's call number, the item barcode and
// whether it is on the shelf now.
func (s *catalogSession) Fetch(ctx context.Context, f *z3950.FetchRequest) ([]z3950.Record, error) {
	if s.m.failing(Catalog) {
		return nil, z3950.NewDiagnostic(2, "simulated failure")
	}
	recs, err := s.Session.Fetch(ctx, f)
	if err != nil {
		return nil, err
	}
	for i := range recs {
		o := recs[i].OPAC
		if o == nil || o.Bibliographic == nil || len(o.Holdings) == 0 {
			continue
		}
		h := &o.Holdings[0]
		h.NucCode = s.m.Code
		item := s.m.copyOfRaw(o.Bibliographic.Octets)
		if item == "" {
			h.Circulation = nil // no circulating copy of this record
			continue
		}
		it, ok := s.m.Item(item)
		if !ok {
			h.Circulation = nil
			continue
		}
		h.LocalLocation = it.Location
		h.Circulation = []z3950.Circulation{{AvailableNow: it.ChargedTo == "", ItemID: it.ID, Renewable: true, OnHold: len(it.Holds) > 0}}
		if it.ChargedTo != "" {
			h.Circulation[0].AvailabilityDate = it.Due.Format("20060102")
		}
	}
	return recs, nil
}

// copyOfRaw finds the fixture item of the record whose 001 the ISO 2709
// octets carry.
func (m *Member) copyOfRaw(iso []byte) string {
	id := control001(iso)
	if id == "" {
		return ""
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for item, i := range m.itemRec {
		if strings.TrimSpace(m.Records[i].ControlValue("001")) == id {
			return item
		}
	}
	return ""
}

// control001 reads field 001 from an ISO 2709 record without decoding the
// rest: the directory entries follow the 24-byte leader, 12 bytes each.
func control001(b []byte) string {
	if len(b) < 24 {
		return ""
	}
	base := atoiN(b[12:17])
	for p := 24; p+12 <= len(b) && b[p] != 0x1e; p += 12 {
		if string(b[p:p+3]) != "001" {
			continue
		}
		n, off := atoiN(b[p+3:p+7]), atoiN(b[p+7:p+12])
		start, end := base+off, base+off+n
		if n < 0 || off < 0 || base < 0 || end > len(b) || start > end {
			return ""
		}
		v := string(b[start:end])
		if i := strings.IndexAny(v, "\x1d\x1e"); i >= 0 {
			v = v[:i]
		}
		return strings.TrimSpace(v)
	}
	return ""
}

func atoiN(b []byte) int {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}
