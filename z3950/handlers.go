package z3950

import (
	"errors"
	"strconv"

	"github.com/illgw/illgw/z3950/ber"
)

// Each handler has the same shape: check the request against the association's state, call
// the session, encode the answer. None of them touches bytes.

const (
	serverVersions = Version1 | Version2 | Version3
	defaultSetName = "default"
)

// handleInit answers an InitializeRequest (Z39.50-2003 §3.2.1.1): it negotiates version,
// options, message sizes and character set, then asks the Backend for a Session.
func (c *conn) handleInit(req *InitRequest) bool {
	if c.sess != nil {
		c.send(&Close{Reason: CloseProtocolError, Diagnostic: "second Init"})
		return false
	}
	resp := &InitResponse{
		Common:                Common{ReferenceID: req.ReferenceID},
		Version:               req.Version & serverVersions,
		ImplementationID:      "illgw",
		ImplementationName:    c.srv.ImplementationName,
		ImplementationVersion: c.srv.ImplementationVersion,
	}
	if resp.ImplementationName == "" {
		resp.ImplementationName = "illgw"
	}
	c.msgSize = clamp(req.PreferredMessageSize, 1024, orDefault(c.srv.MaxMessageSize, 1<<20))
	c.recordSize = clamp(req.ExceptionalRecordSize, c.msgSize, orDefault(c.srv.MaxRecordSize, 16<<20))
	resp.PreferredMessageSize, resp.ExceptionalRecordSize = c.msgSize, c.recordSize
	if req.Charset != nil && req.Charset.UTF8 && req.Options&OptNegotiation != 0 {
		c.utf8 = true
		resp.Charset = &CharsetProposal{UTF8: true, RecordsInSelectedCharSets: req.Charset.RecordsInSelectedCharSets}
	}
	c.marc8 = c.srv.MARC8 && !c.utf8
	ctx, cancel := c.ctx()
	defer cancel()
	sess, err := c.srv.Backend.Init(ctx, &InitInfo{
		RemoteAddr: c.nc.RemoteAddr(), Auth: req.Auth, ImplementationName: req.ImplementationName, UTF8: c.utf8, MARC8: c.marc8,
	})
	if err != nil || resp.Version == 0 {
		d := Diagnostic{Code: 1, AddInfo: "no common protocol version"}
		if err != nil {
			d = c.diagnose("init", err)
		}
		resp.Result = false
		resp.Options = 0
		resp.Charset = nil
		resp.UserInformation = diagExternal(d)
		c.send(resp)
		return false
	}
	c.sess = sess
	offer := OptSearch | OptPresent | OptNamedResultSets
	if _, ok := sess.(Scanner); ok {
		offer |= OptScan
	}
	if _, ok := sess.(Sorter); ok {
		offer |= OptSort
	}
	if _, ok := sess.(Deleter); ok {
		offer |= OptDelSet
	}
	if resp.Charset != nil {
		offer |= OptNegotiation
	}
	if c.srv.MapCQL != nil {
		offer |= OptQueryType104
	}
	resp.Options = req.Options & offer
	resp.Result = true
	return c.send(resp)
}

// OIDs of the Init-refusal diagnostic wrapping (Z39.50-2003 Appendix "UserInfoFormat
// userInfo-1" carrying a "DiagnosticFormat diag-1" record).
var (
	oidUserInfo1 = ber.MustOID("1.2.840.10003.10.3")
	oidDiag1     = ber.MustOID("1.2.840.10003.4.2")
)

// diagExternal wraps an Init refusal diagnostic for userInformationField: UserInfo-1 (an
// OtherInformation list) holding one diag-1 DiagnosticFormat with a default diagnostic,
// the form YAZ clients read.
func diagExternal(d Diagnostic) *External {
	var e ber.Encoder
	e.Constructed(ber.CC(tagOtherInformation), func(e *ber.Encoder) {
		e.Constructed(tagSequence, func(e *ber.Encoder) {
			e.Constructed(ber.CC(4), func(e *ber.Encoder) {
				e.OID(tagOID, oidDiag1)
				e.Constructed(ber.CC(0), func(e *ber.Encoder) {
					e.Constructed(tagSequence, func(e *ber.Encoder) { // SEQUENCE OF
						e.Constructed(tagSequence, func(e *ber.Encoder) {
							e.Constructed(ber.CC(1), func(e *ber.Encoder) {
								var inner ber.Encoder
								d.encode(&inner) // SEQUENCE{...}: retag as [1] IMPLICIT
								t, _ := ber.Parse(inner.Bytes(), ber.Limits{})
								e.Constructed(ber.CC(1), func(e *ber.Encoder) {
									for c := t.Root().First(); c.Valid(); c = c.Next() {
										reencode(e, c)
									}
								})
							})
						})
					})
				})
			})
		})
	})
	return &External{OID: oidUserInfo1, ASN1: e.Bytes()}
}

// asDiagnostic returns err's diagnostic: a *Diagnostic, or one from an error with a
// Diagnostic method (PQF and CQL errors), else code with no addinfo.
func asDiagnostic(err error, code int) Diagnostic {
	var d *Diagnostic
	if errors.As(err, &d) {
		return *d
	}
	var dg interface{ Diagnostic() *Diagnostic }
	if errors.As(err, &dg) {
		return *dg.Diagnostic()
	}
	return Diagnostic{Code: code}
}

func clamp(v, lo, hi int) int {
	if v <= 0 || v > hi {
		return hi
	}
	return max(v, lo)
}

// handleSearch answers a SearchRequest (Z39.50-2003 §3.2.2.1), piggy-backing records as the
// small/medium set rules ask.
func (c *conn) handleSearch(req *SearchRequest) *SearchResponse {
	resp := &SearchResponse{Common: Common{ReferenceID: req.ReferenceID}}
	name := req.ResultSetName
	if name == "" {
		name = defaultSetName
	}
	fail := func(d Diagnostic) *SearchResponse {
		resp.ResultSetStatus = 3 // none
		resp.Diagnostics = []Diagnostic{d}
		return resp
	}
	if _, exists := c.sets[name]; exists && !req.ReplaceIndicator {
		return fail(Diagnostic{Code: 21, AddInfo: name})
	}
	if _, exists := c.sets[name]; !exists && len(c.sets) >= orDefault(c.srv.MaxResultSets, 32) {
		return fail(Diagnostic{Code: 112, AddInfo: strconv.Itoa(len(c.sets))})
	}
	if req.Query.RPN == nil && c.srv.MapCQL != nil {
		rpn, err := c.srv.MapCQL(req.Query.CQL)
		if err != nil {
			return fail(asDiagnostic(err, 108))
		}
		req.Query = Query{RPN: rpn}
	}
	if err := c.checkSetRefs(req.Query.RPN); err != nil {
		return fail(*err)
	}
	delete(c.sets, name) // a failed search leaves no result set behind
	ctx, cancel := c.ctx()
	defer cancel()
	res, err := c.sess.Search(ctx, &SearchQuery{ResultSet: name, Databases: req.Databases, Query: req.Query})
	if err != nil {
		return fail(c.diagnose("search", err))
	}
	c.sets[name] = res.Count
	resp.ResultCount = res.Count
	resp.SearchStatus = true
	resp.NextResultSetPosition = 1
	if res.Estimate {
		resp.ResultSetStatus = 4
	}
	for _, w := range res.Warnings {
		if len(resp.AdditionalSearchInfo) == maxSearchInfo {
			break
		}
		resp.AdditionalSearchInfo = append(resp.AdditionalSearchInfo, w.Error())
	}
	n, esn := 0, ""
	switch {
	case res.Count <= req.SmallSetUpperBound:
		n, esn = res.Count, req.SmallSetElementSetName
	case res.Count < req.LargeSetLowerBound:
		n, esn = min(req.MediumSetPresentNumber, res.Count), req.MediumSetElementSetName
	}
	if n > 0 {
		pr := c.present(ctx, name, 1, n, esn, req.PreferredRecordSyntax)
		resp.NumberOfRecordsReturned = pr.NumberOfRecordsReturned
		resp.NextResultSetPosition = pr.NextResultSetPosition
		resp.PresentStatus = &pr.PresentStatus
		resp.records = pr.records
	}
	return resp
}

// checkSetRefs verifies that result sets named in the query exist (Bib-1 30 otherwise).
func (c *conn) checkSetRefs(q *RPNQuery) *Diagnostic {
	if q == nil {
		return nil
	}
	var walk func(n Node) *Diagnostic
	walk = func(n Node) *Diagnostic {
		switch n := n.(type) {
		case *SetRef:
			if _, ok := c.sets[n.Name]; !ok {
				return &Diagnostic{Code: 30, AddInfo: n.Name}
			}
		case *Op:
			if d := walk(n.Left); d != nil {
				return d
			}
			return walk(n.Right)
		}
		return nil
	}
	return walk(q.Root)
}

// handlePresent answers a PresentRequest (Z39.50-2003 §3.2.3.1).
func (c *conn) handlePresent(req *PresentRequest) *PresentResponse {
	ctx, cancel := c.ctx()
	defer cancel()
	resp := c.present(ctx, req.ResultSetID, req.Start, req.Count, req.ElementSetName, req.PreferredRecordSyntax)
	resp.ReferenceID = req.ReferenceID
	return resp
}
