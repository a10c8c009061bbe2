package adapter

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"

	"google.golang.org/grpc/metadata"

	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
	"github.com/illgw/illgw/z3950"
	"github.com/illgw/illgw/z3950/ber"
)

// Backend is the z3950.Backend of the gateway's Z39.50 and SRU front ends:
// every operation is a call on the broker's Catalog service, which fans
// the search out to the members. Database names are member codes and the
// virtual databases of the config (databases:).
type Backend struct {
	// Client reaches the broker. Required.
	Client illgwv1.CatalogClient
	// Protocol labels the calls (gRPC metadata illgw-protocol): "z3950"
	// or "sru". "" means "z3950".
	Protocol string
}

func (b *Backend) protocol() string {
	if b.Protocol == "" {
		return "z3950"
	}
	return b.Protocol
}

// Init opens a session (Z39.50-2003 §3.2.1.1). It asks nothing of the
// broker: an association is a session id and the result sets named in it.
// A client that did not negotiate UTF-8 gets MARC-8 records when the
// server says so (z3950.InitInfo.MARC8).
func (b *Backend) Init(ctx context.Context, info *z3950.InitInfo) (z3950.Session, error) {
	var id [16]byte
	_, _ = rand.Read(id[:])
	return &Session{b: b, id: hex.EncodeToString(id[:]), marc8: info.MARC8, dbs: map[string]string{}}, nil
}

// Session is one association (or one SRU request). Its result sets live
// in the broker: in memory with the session for Z39.50 (dropped when the
// association closes), in the state store for SRU sets kept beyond the
// request (z3950.SearchQuery.TTL), so any gateway instance can continue
// them.
type Session struct {
	b     *Backend
	id    string
	marc8 bool
	dbs   map[string]string // result set -> the database it was searched in, for records
	// inMemory: the broker holds sets of this session in memory.
	inMemory bool
	// last and pre: the first records of a Z39.50 search come with the
	// search (prefetch.go).
	last shape
	pre  *prefetched
}

func (s *Session) ctx(ctx context.Context) context.Context {
	return metadata.AppendToOutgoingContext(ctx, illgwv1.ProtocolMetadataKey, s.b.protocol())
}

// Search runs a federated search (Z39.50-2003 §3.2.2.1). Members that
// failed come back as warnings: the server sends them as additional
// search information (Z39.50) or diagnostics beside the records (SRU).
// When no member answered, the search fails with the first member's
// diagnostic.
func (s *Session) Search(ctx context.Context, q *z3950.SearchQuery) (*z3950.SearchResult, error) {
	if q.Query.RPN == nil {
		return nil, z3950.NewDiagnostic(107, "CQL")
	}
	pq, err := queryToProto(q.Query.RPN)
	if err != nil {
		return nil, err
	}
	req := &illgwv1.SearchRequest{Databases: q.Databases, Query: pq, ResultSetName: q.ResultSet, Session: s.id, Shared: q.TTL > 0}
	s.forget(q.ResultSet)
	var sh shape
	if !req.Shared && s.b.protocol() == "z3950" {
		sh = s.prefetchShape()
		req.Count, req.RecordSyntax, req.ElementSet, req.Charset = int64(sh.count), sh.syntax, sh.elementSet, sh.charset
	}
	resp, err := s.b.Client.Search(s.ctx(ctx), req)
	if err != nil {
		return nil, diagnostic(err)
	}
	if req.Count > 0 {
		// The broker adds the diagnostic of records it could not render
		// last, without a member: that is not a warning of the search, and
		// the client's present will meet it again.
		if n := len(resp.Diagnostics); n > 0 && resp.Diagnostics[n-1].Member == "" {
			resp.Diagnostics = resp.Diagnostics[:n-1]
		} else if int64(len(resp.Records)) == min(req.Count, resp.HitCount) {
			s.pre = &prefetched{set: setName(q.ResultSet), shape: sh, recs: resp.Records}
		}
	}
	if len(q.Databases) > 0 {
		s.dbs[q.ResultSet] = q.Databases[0]
	}
	s.inMemory = s.inMemory || !req.Shared
	warnings := make([]z3950.Diagnostic, 0, len(resp.Diagnostics))
	for _, d := range resp.Diagnostics {
		warnings = append(warnings, memberWarning(d))
	}
	if resp.Status == illgwv1.ResultSetStatus_RESULT_SET_STATUS_NONE && len(warnings) > 0 {
		return nil, &warnings[0]
	}
	return &z3950.SearchResult{Count: int(resp.HitCount), Warnings: warnings}, nil
}

// memberWarning is a member's diagnostic with the member named in its
// additional information ("SOUTH: member did not answer in time").
func memberWarning(d *illgwv1.Diagnostic) z3950.Diagnostic {
	var info []string
	for _, s := range []string{d.Message, d.Addinfo} {
		if s != "" {
			info = append(info, s)
		}
	}
	text := strings.Join(info, ": ")
	if d.Member != "" {
		text = d.Member + ": " + text
	}
	code := int(d.Code)
	if code <= 0 {
		code = 2
	}
	return z3950.Diagnostic{Code: code, AddInfo: clip(text, 200)}
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// Fetch returns records of a result set (Z39.50-2003 §3.2.3.1): USMARC,
// OPAC (the merged holdings of every member), MARCXML or SUTRS, UTF-8
// unless MARC-8 was asked for.
func (s *Session) Fetch(ctx context.Context, f *z3950.FetchRequest) ([]z3950.Record, error) {
	req := &illgwv1.PresentRequest{ResultSetId: f.ResultSet, Start: int64(f.Start), Count: int64(f.Count),
		ElementSet: f.ElementSet, Session: s.id}
	if f.Syntax != nil {
		req.RecordSyntax = f.Syntax.String()
	}
	if f.MARC8 || s.marc8 {
		req.Charset = "marc-8"
	}
	s.remember(req)
	recs, ok := s.fromPrefetch(req)
	if !ok {
		resp, err := s.b.Client.Present(s.ctx(ctx), req)
		if err != nil {
			return nil, diagnostic(err)
		}
		if len(resp.Records) == 0 && len(resp.Diagnostics) > 0 {
			d := resp.Diagnostics[0]
			return nil, z3950.NewDiagnostic(int(d.Code), d.Addinfo)
		}
		recs = resp.Records
	}
	db := s.dbs[f.ResultSet]
	out := make([]z3950.Record, 0, len(recs))
	for _, r := range recs {
		out = append(out, toRecord(db, r))
	}
	return out, nil
}

// toRecord turns a merged record into what the server sends. An OPAC
// record carries one HoldingsAndCircData per member copy (Z39.50-2003
// Appendix 5), NucCode naming the member.
func toRecord(db string, r *illgwv1.Record) z3950.Record {
	oid, err := ber.ParseOID(r.Syntax)
	if err != nil {
		return z3950.Record{Database: db, Diagnostic: z3950.NewDiagnostic(14, "record syntax "+clip(r.Syntax, 64))}
	}
	if !oid.Equal(z3950.OIDOPAC) {
		return z3950.Record{Database: db, Syntax: oid, Data: r.Data}
	}
	o := &z3950.OPACRecord{Bibliographic: &z3950.External{OID: z3950.OIDUSMARC, Octets: r.Data}}
	for _, h := range r.Holdings {
		zh := z3950.Holding{NucCode: h.Member, LocalLocation: h.Location, CallNumber: h.CallNumber}
		if h.ItemId != "" || h.Availability != illgwv1.Holding_AVAILABILITY_UNKNOWN {
			zh.Circulation = []z3950.Circulation{{ItemID: h.ItemId, AvailableNow: h.Availability == illgwv1.Holding_AVAILABILITY_AVAILABLE}}
		}
		o.Holdings = append(o.Holdings, zh)
	}
	return z3950.Record{Database: db, Syntax: z3950.OIDOPAC, OPAC: o}
}

// Scan merges the members' term lists (Z39.50-2003 §3.2.8.1).
func (s *Session) Scan(ctx context.Context, q *z3950.ScanQuery) (*z3950.ScanResult, error) {
	req := &illgwv1.ScanRequest{Databases: q.Databases, Term: termToProto(&q.Term), Count: int32(q.Count),
		PositionInResponse: int32(q.PreferredPosition), StepSize: int32(q.StepSize)}
	resp, err := s.b.Client.Scan(s.ctx(ctx), req)
	if err != nil {
		return nil, diagnostic(err)
	}
	if resp.Status == illgwv1.ResultSetStatus_RESULT_SET_STATUS_NONE && len(resp.Diagnostics) > 0 {
		w := memberWarning(resp.Diagnostics[0])
		return nil, &w
	}
	res := &z3950.ScanResult{Position: int(resp.PositionOfTerm)}
	for _, e := range resp.Entries {
		t := e.DisplayTerm
		if t == "" {
			t = e.Term
		}
		res.Terms = append(res.Terms, z3950.ScanTerm{Term: t, Occurrences: int(e.Occurrences)})
	}
	res.Partial = len(res.Terms) < q.Count
	return res, nil
}

// Sort sorts a result set into another (Z39.50-2003 §3.2.7.1).
func (s *Session) Sort(ctx context.Context, q *z3950.SortQuery) (int, error) {
	req := &illgwv1.SortRequest{InputResultSetIds: q.Inputs, OutputResultSetName: q.Output, Session: s.id}
	for _, k := range q.Keys {
		pk := &illgwv1.SortKey{Field: k.Field, Descending: k.Descending, CaseSensitive: !k.CaseInsensitive}
		for _, a := range k.Attrs {
			pk.Attributes = append(pk.Attributes, attrToProto(a))
		}
		req.Keys = append(req.Keys, pk)
	}
	s.forget(q.Output)
	resp, err := s.b.Client.Sort(s.ctx(ctx), req)
	if err != nil {
		return 0, diagnostic(err)
	}
	if len(q.Inputs) > 0 {
		s.dbs[q.Output] = s.dbs[q.Inputs[0]]
	}
	return int(resp.HitCount), nil
}

// Delete drops result sets (Z39.50-2003 §3.2.4.1).
func (s *Session) Delete(ctx context.Context, names []string) error {
	s.forget(names...)
	_, err := s.b.Client.Delete(s.ctx(ctx), &illgwv1.DeleteRequest{Session: s.id, ResultSetIds: names})
	if err != nil {
		return diagnostic(err)
	}
	return nil
}

// Close drops the association's result sets in the broker.
func (s *Session) Close(ctx context.Context) error {
	s.pre = nil
	if !s.inMemory {
		return nil
	}
	_, err := s.b.Client.Delete(s.ctx(ctx), &illgwv1.DeleteRequest{Session: s.id})
	return err
}
