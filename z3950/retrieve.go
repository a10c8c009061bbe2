package z3950

import (
	"context"
	"strconv"

	"github.com/illgw/illgw/z3950/ber"
)

// responseOverhead is room kept in a Present/Search response for everything but records.
const responseOverhead = 256

// present fetches records start..start+count-1 from a result set, cutting the answer to the
// negotiated preferredMessageSize (presentStatus partial-2, Z39.50-2003 §3.3.3).
func (c *conn) present(ctx context.Context, set string, start, count int, esn string, syntax ber.OID) *PresentResponse {
	resp := &PresentResponse{}
	fail := func(d Diagnostic) *PresentResponse {
		resp.PresentStatus = PresentFailure
		resp.NextResultSetPosition = start + max(count, 0)
		resp.Diagnostics = []Diagnostic{d}
		return resp
	}
	hits, ok := c.sets[set]
	if !ok {
		return fail(Diagnostic{Code: 30, AddInfo: set})
	}
	if start < 1 || count < 0 || (count > 0 && start > hits) {
		return fail(Diagnostic{Code: 13, AddInfo: strconv.Itoa(start)})
	}
	count = min(count, hits-start+1)
	if count == 0 {
		resp.NextResultSetPosition = start
		resp.Records = []NamePlusRecord{}
		return resp
	}
	recs, err := c.sess.Fetch(ctx, &FetchRequest{ResultSet: set, Start: start, Count: count, Syntax: syntax, ElementSet: esn, MARC8: c.marc8})
	if err != nil {
		return fail(c.diagnose("fetch", err))
	}
	if len(recs) > count {
		recs = recs[:count]
	}
	budget := c.msgSize - responseOverhead
	resp.Records = make([]NamePlusRecord, 0, len(recs))
	size := 0
	for i, r := range recs {
		npr := toNamePlusRecord(r, syntax)
		var e ber.Encoder
		npr.encode(&e)
		n := len(e.Bytes())
		if size+n > budget {
			if i > 0 {
				resp.PresentStatus = PresentPartial2
				break
			}
			// A first record bigger than the message size is still sent if it is within the
			// exceptional record size; otherwise a surrogate diagnostic replaces it.
			if n > c.recordSize {
				npr = NamePlusRecord{Database: r.Database, Diagnostic: &Diagnostic{Code: 17, AddInfo: strconv.Itoa(n)}}
			}
		}
		size += n
		if npr.Diagnostic != nil && resp.PresentStatus == PresentSuccess {
			resp.PresentStatus = PresentPartial4
		}
		resp.Records = append(resp.Records, npr)
		if size > budget {
			if i+1 < len(recs) {
				resp.PresentStatus = PresentPartial2
			}
			break
		}
	}
	if len(recs) < count && resp.PresentStatus == PresentSuccess {
		resp.PresentStatus = PresentPartial1
	}
	resp.NumberOfRecordsReturned = len(resp.Records)
	resp.NextResultSetPosition = start + len(resp.Records)
	return resp
}

func toNamePlusRecord(r Record, asked ber.OID) NamePlusRecord {
	npr := NamePlusRecord{Database: r.Database}
	switch {
	case r.Diagnostic != nil:
		npr.Diagnostic = r.Diagnostic
	case r.OPAC != nil:
		npr.Record = r.OPAC.External()
	default:
		syn := r.Syntax
		if syn == nil {
			syn = asked
		}
		if syn == nil {
			syn = OIDUSMARC
		}
		npr.Record = &External{OID: syn, Octets: r.Data}
		if syn.Equal(OIDSUTRS) {
			// SUTRS ::= InternationalString, sent as single-ASN1-type (as YAZ does).
			var e ber.Encoder
			e.String(tagGeneralString, string(r.Data))
			npr.Record = &External{OID: syn, ASN1: e.Bytes()}
		} else if npr.Record.Octets == nil {
			npr.Record.Octets = []byte{}
		}
	}
	return npr
}

// handleScan answers a ScanRequest (Z39.50-2003 §3.2.8.1).
func (c *conn) handleScan(req *ScanRequest) *ScanResponse {
	resp := &ScanResponse{Common: Common{ReferenceID: req.ReferenceID}}
	fail := func(d Diagnostic) *ScanResponse {
		resp.Status = ScanFailure
		resp.Diagnostics = []Diagnostic{d}
		return resp
	}
	sc, ok := c.sess.(Scanner)
	if !ok {
		return fail(Diagnostic{Code: 3, AddInfo: "scan"})
	}
	if req.StepSize != nil && *req.StepSize != 0 {
		return fail(Diagnostic{Code: 205, AddInfo: strconv.Itoa(*req.StepSize)})
	}
	pos := 1
	if req.PreferredPosition != nil {
		pos = *req.PreferredPosition
	}
	n := min(max(req.NumberOfTerms, 0), 1000)
	if pos < 1 || pos > n+1 {
		return fail(Diagnostic{Code: 233, AddInfo: strconv.Itoa(pos)})
	}
	ctx, cancel := c.ctx()
	defer cancel()
	res, err := sc.Scan(ctx, &ScanQuery{Databases: req.Databases, Term: req.Term, Count: n, PreferredPosition: pos})
	if err != nil {
		return fail(c.diagnose("scan", err))
	}
	zero := 0
	resp.StepSize = &zero
	resp.Entries = make([]ScanEntry, 0, len(res.Terms))
	for _, t := range res.Terms {
		occ := t.Occurrences
		resp.Entries = append(resp.Entries, ScanEntry{Term: t.Term, Occurrences: &occ})
	}
	resp.NumberOfEntries = len(resp.Entries)
	p := res.Position
	resp.Position = &p
	if res.Partial || len(res.Terms) < n {
		resp.Status = ScanPartial5
	}
	return resp
}

// handleSort answers a SortRequest (Z39.50-2003 §3.2.7.1).
func (c *conn) handleSort(req *SortRequest) *SortResponse {
	resp := &SortResponse{Common: Common{ReferenceID: req.ReferenceID}}
	fail := func(d Diagnostic) *SortResponse {
		resp.Status = SortFailure
		resp.Diagnostics = []Diagnostic{d}
		return resp
	}
	so, ok := c.sess.(Sorter)
	if !ok {
		return fail(Diagnostic{Code: 207, AddInfo: "sort not supported"})
	}
	if len(req.Inputs) != 1 {
		return fail(Diagnostic{Code: 230, AddInfo: strconv.Itoa(len(req.Inputs))})
	}
	if _, ok := c.sets[req.Inputs[0]]; !ok {
		return fail(Diagnostic{Code: 30, AddInfo: req.Inputs[0]})
	}
	if req.Output == "" {
		return fail(Diagnostic{Code: 208})
	}
	if _, exists := c.sets[req.Output]; !exists && len(c.sets) >= orDefault(c.srv.MaxResultSets, 32) {
		return fail(Diagnostic{Code: 112, AddInfo: strconv.Itoa(len(c.sets))})
	}
	ctx, cancel := c.ctx()
	defer cancel()
	n, err := so.Sort(ctx, &SortQuery{Inputs: req.Inputs, Output: req.Output, Keys: req.Keys})
	if err != nil {
		return fail(c.diagnose("sort", err))
	}
	c.sets[req.Output] = n
	resp.ResultCount = &n
	return resp
}

// handleDelete answers a DeleteResultSetRequest (Z39.50-2003 §3.2.4.1).
func (c *conn) handleDelete(req *DeleteRequest) *DeleteResponse {
	resp := &DeleteResponse{Common: Common{ReferenceID: req.ReferenceID}}
	names := req.ResultSets
	if req.All {
		names = names[:0]
		for n := range c.sets {
			names = append(names, n)
		}
	}
	for _, n := range names {
		if _, ok := c.sets[n]; !ok {
			resp.Status = 1 // resultSetDidNotExist
		}
		delete(c.sets, n)
	}
	if d, ok := c.sess.(Deleter); ok && len(names) > 0 {
		ctx, cancel := c.ctx()
		defer cancel()
		if err := d.Delete(ctx, names); err != nil {
			c.diagnose("delete", err)
			resp.Status = 3 // systemProblemAtTarget
		}
	}
	return resp
}
