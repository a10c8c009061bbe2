package broker

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/illgw/illgw/broker/member"
	"github.com/illgw/illgw/marc"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
	"github.com/illgw/illgw/z3950"
	"github.com/illgw/illgw/z3950/cql"
	"github.com/illgw/illgw/z3950/sru"
)

// resultSet is a merged, de-duplicated search result.
type resultSet struct {
	records []*mergedRecord
	members []*illgwv1.MemberResult
	diags   []*illgwv1.Diagnostic
	status  illgwv1.ResultSetStatus
	// cacheable: every member answered (a failed, slow or skipped member
	// would leave a hole in the cache for cache_ttl).
	cacheable bool
	cacheKey  string // set when the set goes to the cache under this key
	fromCache bool   // read from the cache: nothing to write back

	index map[string][]int // match key -> records, while merging
}

// mergedRecord is one bibliographic record and every member's holding of
// it. iso is ISO 2709 in UTF-8 (leader/09 'a', NFC).
type mergedRecord struct {
	iso      []byte
	keys     marc.Keys
	keyList  []string // keys.Strings(), computed once while normalising
	key      string   // first match key, for clients
	holdings []*illgwv1.Holding
	fields   int // the record's field count: the fuller record wins a merge
}

// memberAnswer is one member's part in a fan-out.
type memberAnswer struct {
	code    string
	res     *member.SearchResult
	err     error
	elapsed time.Duration
	// recs are res.Records normalised, done in the member's own goroutine
	// so that one member's records are converted while the others are
	// still answering.
	recs []*mergedRecord
}

// fanOut asks every member at once and merges what comes back. Each call
// runs under the member's own deadline and breaker (member.Registry.Do),
// so a dead or slow member costs at most its catalog.timeout and an open
// breaker costs nothing.
func (c *catalog) fanOut(ctx context.Context, codes []string, rpn *z3950.RPNQuery) *resultSet {
	answers := make([]memberAnswer, len(codes))
	var wg sync.WaitGroup
	for i, code := range codes {
		wg.Go(func() { answers[i] = c.ask(ctx, code, rpn) })
	}
	wg.Wait()
	return c.merge(answers)
}

// errNoCatalog is the answer of a member without a catalogue.
var errNoCatalog = z3950.NewDiagnostic(109, "member has no catalogue configured")

// ask searches one member. Z39.50 members are asked for OPAC records
// (Z39.50-2003 Appendix 5), which carry holdings; a target that refuses
// that syntax is asked again for USMARC and remembered.
func (c *catalog) ask(ctx context.Context, code string, rpn *z3950.RPNQuery) memberAnswer {
	start := time.Now()
	a := memberAnswer{code: code}
	var cat *member.Catalog
	if c.b.registry != nil {
		if m := c.b.registry.Member(code); m != nil {
			cat = m.Catalog()
		}
	}
	if cat == nil {
		a.err = errNoCatalog
		return a
	}
	req := member.SearchRequest{Query: rpn, Max: c.opts.MaxRecordsPerMember}
	_, plain := c.noOPAC.Load(code)
	opac := cat.Protocol() == member.Z3950 && !plain
	if opac {
		req.Syntax = z3950.OIDOPAC
	}
	a.res, a.err = cat.Search(ctx, req)
	if opac && refusedSyntax(a.res, a.err) && ctx.Err() == nil {
		c.noOPAC.Store(code, true)
		req.Syntax = nil
		a.res, a.err = cat.Search(ctx, req)
	}
	a.elapsed = time.Since(start)
	if a.res != nil {
		a.recs = normalise(code, a.res.Records)
	}
	return a
}

// refusedSyntax reports a target that cannot give OPAC records: Bib-1 238
// (record not available in requested syntax), 239 (record syntax not
// supported) or 227 (no data available in requested record syntax), for
// the whole present or for every record.
func refusedSyntax(res *member.SearchResult, err error) bool {
	syntaxCode := func(e error) bool {
		var d *z3950.Diagnostic
		return errors.As(e, &d) && (d.Code == 238 || d.Code == 239 || d.Code == 227 || d.Code == 25)
	}
	if err != nil {
		return syntaxCode(err)
	}
	if res == nil || len(res.Records) == 0 {
		return false
	}
	for _, r := range res.Records {
		if r.Diagnostic == nil || !syntaxCode(r.Diagnostic) {
			return false
		}
	}
	return true
}

// merge de-duplicates the members' records by match key (marc.MatchKeys,
// marc.SameRecord), taking the members' records in turns: each member's
// first record, then each member's second, and so on, so that no member
// crowds the others out of the first page.
func (c *catalog) merge(answers []memberAnswer) *resultSet {
	set := &resultSet{status: illgwv1.ResultSetStatus_RESULT_SET_STATUS_COMPLETE, cacheable: true, index: map[string][]int{}}
	lists := make([][]*mergedRecord, len(answers))
	answered := 0
	for i, a := range answers {
		mr := &illgwv1.MemberResult{Member: a.code, Elapsed: durationpb.New(a.elapsed)}
		if a.res != nil {
			mr.HitCount = int64(a.res.Hits)
			lists[i] = a.recs
		}
		if a.err != nil {
			d, failed := memberDiagnostic(a.code, a.err)
			mr.Diagnostic = d
			set.diags = append(set.diags, d)
			if failed {
				set.cacheable = false
			}
		} else {
			answered++
		}
		set.members = append(set.members, mr)
	}
	switch {
	case answered == 0:
		set.status = illgwv1.ResultSetStatus_RESULT_SET_STATUS_NONE
	case answered < len(answers):
		set.status = illgwv1.ResultSetStatus_RESULT_SET_STATUS_SUBSET
	}
	for rank := 0; ; rank++ {
		more := false
		for _, l := range lists {
			if rank < len(l) {
				more = true
				set.add(l[rank])
			}
		}
		if !more {
			break
		}
	}
	set.index = nil
	return set
}

// add merges r into the set: into the record it matches, or as a new one.
func (s *resultSet) add(r *mergedRecord) {
	ks := r.keyList
	for _, k := range ks {
		for _, i := range s.index[k] {
			have := s.records[i]
			if !marc.SameRecord(have.keys, r.keys) {
				continue
			}
			have.holdings = append(have.holdings, r.holdings...)
			if r.fields > have.fields {
				have.iso, have.fields = r.iso, r.fields
			}
			for _, k := range ks {
				s.index[k] = appendOnce(s.index[k], i)
			}
			return
		}
	}
	i := len(s.records)
	s.records = append(s.records, r)
	for _, k := range ks {
		s.index[k] = append(s.index[k], i)
	}
}

func appendOnce(l []int, i int) []int {
	for _, x := range l {
		if x == i {
			return l
		}
	}
	return append(l, i)
}

// normalise turns a member's records into UTF-8 MARC21 (leader/09 'a',
// NFC: marc.ToUTF8 with the charset detected from the data and leader)
// with the member's holdings. Records the member sent as surrogate
// diagnostics, or that cannot be read, are left out. A record that needs
// no conversion is kept as sent: normalise owns recs and may change
// their Data (leader/09).
func normalise(code string, recs []member.Record) []*mergedRecord {
	out := make([]*mergedRecord, 0, len(recs))
	for _, r := range recs {
		if r.Diagnostic != nil || len(r.Data) == 0 {
			continue
		}
		var (
			rec *marc.Record
			err error
		)
		var iso []byte
		if r.Syntax.Equal(z3950.OIDXML) {
			rec, _, err = marc.DecodeXML(r.Data)
			if err == nil {
				marc.ToUTF8(rec, marc.CharsetUTF8)
			}
		} else {
			var problems []marc.Problem
			rec, problems, err = marc.Decode(r.Data)
			if err == nil && len(problems) == 0 && plainASCII(r.Data) {
				// Nothing to convert: ASCII reads the same in MARC-8 and
				// UTF-8, so the record as sent is the record to keep, with
				// leader/09 saying UTF-8.
				iso = r.Data
				iso[9] = 'a'
				rec.Leader[9] = 'a'
			} else if err == nil {
				marc.ToUTF8(rec, marc.CharsetAuto)
			}
		}
		if err != nil {
			continue
		}
		if iso == nil {
			if iso, err = marc.Encode(rec); err != nil {
				continue
			}
		}
		keys := marc.MatchKeys(rec)
		m := &mergedRecord{iso: iso, keys: keys, keyList: keys.Strings(), holdings: holdingsOf(code, rec, r.Holdings), fields: len(rec.Fields)}
		if len(m.keyList) > 0 {
			m.key = m.keyList[0]
		}
		out = append(out, m)
	}
	return out
}

// plainASCII reports an ISO 2709 record whose bytes are all ASCII without
// an escape (MARC-8 switches character sets with ESC sequences), so its
// text is the same in MARC-8 and UTF-8.
func plainASCII(b []byte) bool {
	if len(b) < 24 {
		return false
	}
	for _, c := range b {
		if c >= 0x80 || c == 0x1b {
			return false
		}
	}
	return true
}

// holdingsOf lists a member's copies of a record: from OPAC holdings
// (call number, location, item and availability: Z39.50-2003 Appendix 5
// HoldingsAndCircData), else from the record's own 852 fields, else one
// holding naming the member and its record id (001).
func holdingsOf(code string, rec *marc.Record, hs []z3950.Holding) []*illgwv1.Holding {
	local := strings.TrimSpace(rec.ControlValue("001"))
	var out []*illgwv1.Holding
	for _, h := range hs {
		loc := h.LocalLocation
		if loc == "" {
			loc = h.ShelvingLocation
		}
		if len(h.Circulation) == 0 {
			out = append(out, &illgwv1.Holding{Member: code, CallNumber: h.CallNumber, Location: loc, LocalId: local})
			continue
		}
		for _, ci := range h.Circulation {
			av := illgwv1.Holding_AVAILABILITY_UNAVAILABLE
			switch {
			case ci.AvailableNow:
				av = illgwv1.Holding_AVAILABILITY_AVAILABLE
			case ci.AvailabilityDate != "":
				av = illgwv1.Holding_AVAILABILITY_ON_LOAN
			}
			out = append(out, &illgwv1.Holding{Member: code, CallNumber: h.CallNumber, Location: loc,
				ItemId: ci.ItemID, Availability: av, LocalId: local})
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, h := range rec.Holdings() {
		out = append(out, &illgwv1.Holding{Member: code, CallNumber: h.CallNumber, Location: h.Location, LocalId: local})
	}
	if len(out) == 0 {
		out = append(out, &illgwv1.Holding{Member: code, LocalId: local})
	}
	return out
}

// sruDiagnostic finds an SRU diagnostic in err.
func sruDiagnostic(err error) (*sru.Diagnostic, bool) {
	var d *sru.Diagnostic
	ok := errors.As(err, &d)
	return d, ok
}

// mappingError finds a query an SRU member cannot be sent (no CQL index
// for a Bib-1 attribute).
func mappingError(err error) (string, bool) {
	var me *cql.MappingError
	if errors.As(err, &me) {
		return me.What, true
	}
	return "", false
}

// sruToBib1 maps the SRU diagnostics a member's target may send to the
// nearest Bib-1 code (the reverse of YAZ's Bib-1 to SRU table for the
// codes that matter in a search; SRU 1.2 "Diagnostics List").
func sruToBib1(code int) int {
	switch code {
	case 1:
		return 2 // general system error
	case 10:
		return 108 // query syntax error -> malformed query
	case 16:
		return 114 // unsupported index -> unsupported use attribute
	case 19:
		return 117 // unsupported relation
	case 22:
		return 122 // unsupported combination of relation and index
	case 27:
		return 108 // empty term
	case 35:
		return 110 // unsupported boolean operator
	case 61:
		return 13 // first record position out of range
	case 66, 67:
		return 239 // unknown schema / record not available in this schema
	case 235:
		return 109 // database does not exist
	}
	return 2
}
