package broker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/illgw/illgw/broker/member"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
	"github.com/illgw/illgw/z3950"
)

// SearchOptions configure the Catalog service; cmd/illgw maps the config
// file's search: section onto them.
type SearchOptions struct {
	// CacheTTL is how long an identical search is answered from the
	// search cache in the state store. 0 turns the cache off (config
	// search.cache_ttl: 0s); the config's default is 30s.
	CacheTTL time.Duration
	// MaxRecordsPerMember is how many records each member is asked for
	// (search.max_records_per_member). 0 means 100.
	MaxRecordsPerMember int
	// ResultSetTTL is how long a shared (SRU) result set lives in the state
	// store, and how long an unused in-memory set is kept. 0 means 10m.
	ResultSetTTL time.Duration
	// MaxMemoryRecords bounds the records of all in-memory (Z39.50) result
	// sets together; the least recently used sets are dropped beyond it.
	// 0 means 200000.
	MaxMemoryRecords int
}

func (o SearchOptions) withDefaults() SearchOptions {
	if o.MaxRecordsPerMember <= 0 {
		o.MaxRecordsPerMember = 100
	}
	if o.ResultSetTTL <= 0 {
		o.ResultSetTTL = 10 * time.Minute
	}
	if o.MaxMemoryRecords <= 0 {
		o.MaxMemoryRecords = 200000
	}
	return o
}

// Limits on a request, checked before any work.
const (
	maxDatabases   = 16
	maxPresent     = 1000 // records in one Search or Present answer
	maxScanTerms   = 1000
	maxSessionLen  = 128
	maxSortKeys    = 8
	maxNameLen     = 256
	defaultSetName = "default"
)

// catalog is the Catalog service: federated search over the members'
// catalogues (DESIGN.md "Federated search"; issue 5).
type catalog struct {
	illgwv1.UnimplementedCatalogServer
	b    *Broker
	opts SearchOptions
	mem  *memorySets

	// noOPAC remembers Z39.50 members that refused the OPAC syntax, so they
	// are asked for USMARC straight away.
	noOPAC sync.Map
}

func newCatalog(b *Broker, o SearchOptions) *catalog {
	o = o.withDefaults()
	return &catalog{b: b, opts: o, mem: newMemorySets(o.MaxMemoryRecords, o.ResultSetTTL, b.now)}
}

// members resolves the requested databases to member codes: a virtual
// database (databases: in config) or a member code, any case, each
// member once in configuration order of the databases asked.
func (c *catalog) members(dbs []string) ([]string, error) {
	if len(dbs) == 0 {
		return nil, errorf(codes.InvalidArgument, "no database named (Bib-1 %d)", 23)
	}
	if len(dbs) > maxDatabases {
		return nil, errorf(codes.InvalidArgument, "%d databases, at most %d (Bib-1 %d)", len(dbs), maxDatabases, 111)
	}
	var out []string
	add := func(code string) {
		if !slices.Contains(out, code) {
			out = append(out, code)
		}
	}
	for _, db := range dbs {
		found := false
		for name, list := range c.b.databases {
			if strings.EqualFold(name, db) {
				for _, code := range list {
					add(code)
				}
				found = true
				break
			}
		}
		if found {
			continue
		}
		for _, m := range c.b.members {
			if strings.EqualFold(m.Code, db) {
				add(m.Code)
				found = true
				break
			}
		}
		if !found {
			return nil, dbError(db)
		}
	}
	return out, nil
}

// dbError is the gRPC error of an unknown database; the message carries
// Bib-1 109 for the front ends.
func dbError(db string) error {
	if len(db) > maxNameLen {
		db = db[:maxNameLen]
	}
	return errorf(codes.NotFound, "database %q does not exist (Bib-1 109)", db)
}

// Search implements Catalog.Search (Z39.50-2003 §3.2.2): it resolves the
// databases to members, answers from the cache when it can, else fans out
// to every member at once, merges, keeps the result set and returns the
// first records.
func (c *catalog) Search(ctx context.Context, req *illgwv1.SearchRequest) (*illgwv1.SearchResponse, error) {
	if err := checkSession(req.Session, req.Shared); err != nil {
		return nil, err
	}
	if len(req.ResultSetName) > maxNameLen {
		return nil, errorf(codes.InvalidArgument, "result set name longer than %d bytes", maxNameLen)
	}
	if req.Start < 0 || req.Count < 0 || req.Count > maxPresent {
		return nil, errorf(codes.InvalidArgument, "start %d and count %d: count must be 0..%d", req.Start, req.Count, maxPresent)
	}
	rpn, err := rpnFromProto(req.Query)
	if err != nil {
		return nil, queryStatus(err)
	}
	var set *resultSet
	if ref, ok := rpn.Root.(*z3950.SetRef); ok {
		// A query that is only a result-set id continues that set (SRU's
		// cql.resultSetId="id"; Z39.50 @set name).
		if set, err = c.lookup(ctx, req.Session, ref.Name); err != nil {
			return nil, err
		}
	} else {
		if refs := setRefs(rpn.Root, nil); len(refs) > 0 {
			return nil, errorf(codes.InvalidArgument, "result set %q as a search term is not supported (Bib-1 18)", refs[0])
		}
		mems, err := c.members(req.Databases)
		if err != nil {
			return nil, err
		}
		if set, err = c.search(ctx, mems, rpn); err != nil {
			return nil, err
		}
	}
	name := req.ResultSetName
	if name == "" {
		name = defaultSetName
	}
	id, ttl, err := c.keep(ctx, set, req.Session, name, req.Shared)
	if err != nil {
		return nil, err
	}
	resp := &illgwv1.SearchResponse{
		ResultSetId: id,
		HitCount:    int64(len(set.records)),
		Members:     set.members,
		Diagnostics: set.diags,
		Status:      set.status,
	}
	if ttl > 0 {
		resp.ResultSetTtl = durationpb.New(ttl)
	}
	if req.Count > 0 {
		start := max(req.Start, 1)
		recs, d := c.present(set, start, req.Count, req.RecordSyntax, req.ElementSet, req.Charset)
		resp.Records = recs
		if d != nil {
			resp.Diagnostics = append(slices.Clone(resp.Diagnostics), d)
		}
	}
	return resp, nil
}

// search answers from the cache or by fanning out.
func (c *catalog) search(ctx context.Context, mems []string, rpn *z3950.RPNQuery) (*resultSet, error) {
	key := ""
	if c.opts.CacheTTL > 0 {
		key = cacheKey(mems, rpn, c.opts.MaxRecordsPerMember)
		if set, ok := c.cached(ctx, key); ok {
			return set, nil
		}
	}
	set := c.fanOut(ctx, mems, rpn)
	if key != "" && set.cacheable {
		set.cacheKey = key
	}
	return set, nil
}

// Present implements Catalog.Present (Z39.50-2003 §3.2.3): records
// start..start+count-1 of a result set, in the syntax asked.
func (c *catalog) Present(ctx context.Context, req *illgwv1.PresentRequest) (*illgwv1.PresentResponse, error) {
	if err := checkSession(req.Session, true); err != nil {
		return nil, err
	}
	if req.Start < 1 || req.Count < 0 || req.Count > maxPresent {
		return nil, errorf(codes.InvalidArgument, "start %d and count %d: start from 1, count 0..%d", req.Start, req.Count, maxPresent)
	}
	set, err := c.lookup(ctx, req.Session, req.ResultSetId)
	if err != nil {
		return nil, err
	}
	resp := &illgwv1.PresentResponse{HitCount: int64(len(set.records))}
	if req.Start > int64(len(set.records)) && req.Count > 0 {
		resp.Diagnostics = []*illgwv1.Diagnostic{{Code: 13, Message: "present request out of range", Addinfo: fmt.Sprint(req.Start)}}
		return resp, nil
	}
	recs, d := c.present(set, req.Start, req.Count, req.RecordSyntax, req.ElementSet, req.Charset)
	resp.Records = recs
	if d != nil {
		resp.Diagnostics = []*illgwv1.Diagnostic{d}
	}
	return resp, nil
}

// Delete implements Catalog.Delete (Z39.50-2003 §3.2.4): it drops a
// session's in-memory result sets. Shared sets expire on their own.
func (c *catalog) Delete(ctx context.Context, req *illgwv1.DeleteRequest) (*illgwv1.DeleteResponse, error) {
	if req.Session == "" || len(req.Session) > maxSessionLen {
		return nil, errorf(codes.InvalidArgument, "session must be 1..%d bytes", maxSessionLen)
	}
	n := c.mem.delete(req.Session, req.ResultSetIds)
	return &illgwv1.DeleteResponse{Deleted: int32(n)}, nil
}

func checkSession(session string, shared bool) error {
	if len(session) > maxSessionLen {
		return errorf(codes.InvalidArgument, "session longer than %d bytes", maxSessionLen)
	}
	if session == "" && !shared {
		return errorf(codes.InvalidArgument, "a search needs a session (Z39.50) or shared set (SRU)")
	}
	return nil
}

// queryStatus turns a *QueryError into InvalidArgument naming its Bib-1
// code, which the adapters read back with errorDiagnostic.
func queryStatus(err error) error {
	var qe *QueryError
	if errors.As(err, &qe) {
		return errorf(codes.InvalidArgument, "%s (Bib-1 %d)", qe.Msg, qe.Code)
	}
	return errorf(codes.InvalidArgument, "%v", err)
}

// memberDiagnostic describes why a member contributed nothing, and
// whether that is a failure (the member is down, slow or skipped) rather
// than an answer (a Bib-1 or SRU diagnostic of its own).
func memberDiagnostic(code string, err error) (d *illgwv1.Diagnostic, failed bool) {
	d = &illgwv1.Diagnostic{Member: code}
	var (
		zd *z3950.Diagnostic
		oe *member.OpenError
	)
	switch {
	case errors.As(err, &zd):
		d.Code, d.Addinfo = int32(zd.Code), zd.AddInfo
		d.Message = z3950.Bib1DiagnosticText(zd.Code)
		return d, false
	case errors.As(err, &oe):
		d.Code, d.Message = 109, "member skipped: its breaker is open"
		if oe.Flagged {
			d.Message = "member skipped: its breaker is open (flagged by another instance)"
		}
		return d, true
	case errors.Is(err, member.ErrBusy):
		d.Code, d.Message = 109, "member skipped: too many searches in flight"
		return d, true
	case errors.Is(err, context.DeadlineExceeded):
		d.Code, d.Message = 2, "member did not answer in time"
		return d, true
	case errors.Is(err, context.Canceled):
		d.Code, d.Message = 2, "search cancelled"
		return d, true
	}
	if sd, ok := sruDiagnostic(err); ok {
		d.Code, d.Uri, d.Message, d.Addinfo = 2, sd.URI, sd.Message, sd.Details
		if sd.Code() > 0 {
			d.Code = int32(sruToBib1(sd.Code()))
		}
		return d, false
	}
	if mc, ok := mappingError(err); ok {
		d.Code, d.Message, d.Addinfo = 108, "query cannot be sent to this member's SRU target", mc
		return d, false
	}
	d.Code, d.Message = 109, "member unreachable"
	if !member.IsFailure(err) {
		d.Code, d.Message = 2, "member search failed"
	}
	return d, member.IsFailure(err)
}
