package sru

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/illgw/illgw/z3950"
	"github.com/illgw/illgw/z3950/cql"
)

// Server answers SRU over HTTP with the same z3950.Backend as the Z39.50 server: each request
// opens a session (Init with UTF-8), runs Search and Fetch, and closes it. It is an
// http.Handler; set it as z3950.Server.HTTPHandler to answer SRU on the Z39.50 port.
type Server struct {
	Backend z3950.Backend
	// Mapping maps CQL to RPN. nil means cql.Default() (cql, dc, bath, rec).
	Mapping *cql.Mapping
	// PathPrefix is stripped from the URL path before the rest is taken as the database
	// name (e.g. "/sru/"). "" means "/".
	PathPrefix string
	// DefaultDatabase is used when the path names none. "" means "Default".
	DefaultDatabase string
	// DefaultMaximumRecords applies when a searchRetrieve has no maximumRecords. 0 means 10.
	DefaultMaximumRecords int
	// MaxRecords caps maximumRecords. 0 means 100.
	MaxRecords int
	// MaxBody bounds a POST body. 0 means 64 KiB.
	MaxBody int64
	// Timeout bounds the backend work of one request. 0 means 60 s.
	Timeout time.Duration
	// ResultSetTTL > 0 keeps each search's result set that long (the backend keeps it, see
	// z3950.SearchQuery.TTL) and reports its id (resultSetId, resultSetIdleTime) so clients
	// continue it with cql.resultSetId="id". 0 (the default) keeps nothing between requests.
	ResultSetTTL time.Duration
	// AllowedNets, when non-empty, lists the client networks allowed; others get HTTP 403.
	// (On the Z39.50 port, z3950.Server.AllowedNets already applies.)
	AllowedNets []netip.Prefix
	// Logger receives backend errors (never request contents). nil means slog.Default().
	Logger *slog.Logger
}

func (s *Server) mapping() *cql.Mapping {
	if s.Mapping == nil {
		return cql.Default()
	}
	return s.Mapping
}

// ServeHTTP answers searchRetrieve, explain and scan over GET and POST (SRU 1.2 §"HTTP GET",
// §"HTTP POST"). Every SRU-level failure is a 200 response carrying a diagnostic.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if len(s.AllowedNets) > 0 && !s.allowed(r.RemoteAddr) {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	var vals url.Values
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		vals = r.URL.Query()
	case http.MethodPost:
		r.Body = http.MaxBytesReader(w, r.Body, max(s.MaxBody, 64<<10))
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		vals = r.Form
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	prefix := s.PathPrefix
	if prefix == "" {
		prefix = "/"
	}
	db := strings.Trim(strings.TrimPrefix(r.URL.Path, prefix), "/")
	if db == "" {
		db = s.DefaultDatabase
		if db == "" {
			db = "Default"
		}
	}
	req, err := ParseRequest(vals, db)
	out := newWriter(req.Version)
	if err != nil {
		var re *RequestError
		errors.As(err, &re)
		out.fatal(req, re.Code, re.Details)
	} else {
		ctx, cancel := context.WithTimeout(r.Context(), orDur(s.Timeout, time.Minute))
		defer cancel()
		switch req.Operation {
		case OpSearchRetrieve:
			s.searchRetrieve(ctx, r, req, out)
		case OpScan:
			s.scan(ctx, r, req, out)
		default:
			s.explain(r, req, out)
		}
	}
	w.Header().Set("Content-Type", "text/xml; charset=UTF-8")
	_, _ = w.Write([]byte(out.String()))
}

func (s *Server) allowed(remote string) bool {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return false
	}
	for _, p := range s.AllowedNets {
		if p.Contains(ap.Addr().Unmap()) {
			return true
		}
	}
	return false
}

func orDur(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func (s *Server) open(ctx context.Context, r *http.Request) (z3950.Session, error) {
	var addr net.Addr
	if ap, err := net.ResolveTCPAddr("tcp", r.RemoteAddr); err == nil {
		addr = ap
	}
	return s.Backend.Init(ctx, &z3950.InitInfo{RemoteAddr: addr, ImplementationName: "SRU"})
}

// sruDiag converts a backend error to an SRU diagnostic code and details.
func (s *Server) sruDiag(op string, err error) (int, string) {
	var d *z3950.Diagnostic
	if errors.As(err, &d) {
		return z3950.Bib1ToSRU(d.Code), d.AddInfo
	}
	var me *cql.MappingError
	if errors.As(err, &me) {
		return me.Code, me.What
	}
	var ce *cql.Error
	if errors.As(err, &ce) {
		return ce.Code, ce.Msg
	}
	var pe *z3950.PQFError
	if errors.As(err, &pe) {
		return 10, pe.Msg
	}
	logger := s.Logger
	if logger == nil {
		logger = slog.Default()
	}
	logger.Error("sru: backend error", "op", op, "err", err)
	return 1, ""
}

func (s *Server) query(req *Request) (*z3950.RPNQuery, []cql.SortKey, error) {
	if req.QueryType == "pqf" {
		q, err := z3950.ParsePQF(req.Query)
		return q, nil, err
	}
	q, err := cql.Parse(req.Query)
	if err != nil {
		return nil, nil, err
	}
	rpn, err := s.mapping().ToRPN(q)
	return rpn, q.SortBy, err
}

func (s *Server) searchRetrieve(ctx context.Context, hr *http.Request, req *Request, out *writer) {
	schema := schemaFor(req.RecordSchema)
	if schema == "" {
		out.fatal(req, 66, req.RecordSchema)
		return
	}
	rpn, sortBy, err := s.query(req)
	if err != nil {
		code, details := s.sruDiag("query", err)
		out.fatal(req, code, details)
		return
	}
	sess, err := s.open(ctx, hr)
	if err != nil {
		code, details := s.sruDiag("init", err)
		out.fatal(req, code, details)
		return
	}
	defer func() { _ = sess.Close(ctx) }()
	set := "default"
	if s.ResultSetTTL > 0 {
		set = newResultSetID()
	}
	res, err := sess.Search(ctx, &z3950.SearchQuery{ResultSet: set, Databases: []string{req.Database},
		Query: z3950.Query{RPN: rpn}, TTL: s.ResultSetTTL})
	if err != nil {
		code, details := s.sruDiag("search", err)
		out.fatal(req, code, details)
		return
	}
	if s.ResultSetTTL > 0 {
		req.resultSetID, req.resultSetTTL = set, int(s.ResultSetTTL/time.Second)
	}
	if len(sortBy) > 0 {
		if set, err = s.sort(ctx, sess, set, sortBy); err != nil {
			code, details := s.sruDiag("sort", err)
			out.searchResponse(req, res.Count, nil, 0, []diag{{code, details}})
			return
		}
	}
	limit := req.MaximumRecords
	if limit < 0 {
		limit = s.DefaultMaximumRecords
		if limit <= 0 {
			limit = 10
		}
	}
	limit = min(limit, s.maxRecords())
	if limit == 0 || res.Count == 0 {
		out.searchResponse(req, res.Count, nil, 0, warnings(res))
		return
	}
	if req.StartRecord > res.Count {
		out.searchResponse(req, res.Count, nil, 0, []diag{{61, strconv.Itoa(req.StartRecord)}})
		return
	}
	n := min(limit, res.Count-req.StartRecord+1)
	recs, err := sess.Fetch(ctx, &z3950.FetchRequest{ResultSet: set, Start: req.StartRecord, Count: n,
		Syntax: z3950.OIDXML, ElementSet: "marcxml"})
	if err != nil {
		code, details := s.sruDiag("fetch", err)
		out.searchResponse(req, res.Count, nil, 0, []diag{{code, details}})
		return
	}
	items := make([]record, 0, len(recs))
	for i, r := range recs {
		it := record{position: req.StartRecord + i, schema: schema}
		if r.Diagnostic != nil {
			it.diag = &diag{z3950.Bib1ToSRU(r.Diagnostic.Code), r.Diagnostic.AddInfo}
		} else if data, ok := convert(r.Data, schema); ok {
			it.data = data
		} else {
			it.diag = &diag{63, ""}
		}
		items = append(items, it)
	}
	next := 0
	if last := req.StartRecord + len(recs); last <= res.Count {
		next = last
	}
	out.searchResponse(req, res.Count, items, next, warnings(res))
}

// warnings turns the backend's non-fatal problems (a federated search's members that did
// not answer) into diagnostics sent beside the records (SRU 1.2 §"Diagnostics": a
// diagnostic in the response that does not stop the records is non-fatal).
func warnings(res *z3950.SearchResult) []diag {
	var ds []diag
	for _, w := range res.Warnings {
		ds = append(ds, diag{z3950.Bib1ToSRU(w.Code), w.AddInfo})
	}
	return ds
}

// newResultSetID returns a random result set id (128 bits, hex).
func newResultSetID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (s *Server) maxRecords() int {
	if s.MaxRecords <= 0 {
		return 100
	}
	return s.MaxRecords
}

// sort applies CQL sortBy through the session's Sorter (SRU diagnostic 80 without one).
func (s *Server) sort(ctx context.Context, sess z3950.Session, input string, keys []cql.SortKey) (string, error) {
	so, ok := sess.(z3950.Sorter)
	if !ok {
		return "", &cql.MappingError{Code: 80, What: "sort"}
	}
	var zk []z3950.SortKey
	for _, k := range keys {
		rpn, err := s.mapping().ToRPN(&cql.Query{Root: &cql.Clause{Index: k.Index, Relation: cql.Relation{Op: "="}, Term: "x"}})
		if err != nil {
			return "", err
		}
		at := rpn.Root.(*z3950.AttrTerm)
		key := z3950.SortKey{Attrs: at.Attrs[:1]}
		for _, m := range k.Modifiers {
			if strings.EqualFold(m.Name, "sort.descending") || strings.EqualFold(m.Name, "descending") {
				key.Descending = true
			}
		}
		zk = append(zk, key)
	}
	if _, err := so.Sort(ctx, &z3950.SortQuery{Inputs: []string{input}, Output: input, Keys: zk}); err != nil {
		return "", err
	}
	return input, nil
}

func (s *Server) scan(ctx context.Context, hr *http.Request, req *Request, out *writer) {
	q, err := cql.Parse(req.ScanClause)
	if err != nil {
		out.fatal(req, 10, err.Error())
		return
	}
	rpn, err := s.mapping().ToRPN(q)
	if err != nil {
		code, details := s.sruDiag("scan", err)
		out.fatal(req, code, details)
		return
	}
	at, ok := rpn.Root.(*z3950.AttrTerm)
	if !ok {
		out.fatal(req, 10, "scanClause must be a single clause")
		return
	}
	sess, err := s.open(ctx, hr)
	if err != nil {
		code, details := s.sruDiag("init", err)
		out.fatal(req, code, details)
		return
	}
	defer func() { _ = sess.Close(ctx) }()
	sc, ok := sess.(z3950.Scanner)
	if !ok {
		out.fatal(req, 4, "scan")
		return
	}
	res, err := sc.Scan(ctx, &z3950.ScanQuery{Databases: []string{req.Database}, Term: *at,
		Count: req.MaximumTerms, PreferredPosition: max(req.ResponsePos, 1)})
	if err != nil {
		code, details := s.sruDiag("scan", err)
		out.fatal(req, code, details)
		return
	}
	out.scanResponse(req, res.Terms)
}

func (s *Server) explain(hr *http.Request, req *Request, out *writer) {
	host, port, err := net.SplitHostPort(hr.Host)
	if err != nil {
		host, port = hr.Host, "80"
	}
	out.explainResponse(req, host, port, req.Database, s.mapping())
}
