package member

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/illgw/illgw/z3950"
	"github.com/illgw/illgw/z3950/ber"
	"github.com/illgw/illgw/z3950/cql"
	"github.com/illgw/illgw/z3950/sru"
)

// Catalog searches one member's catalogue — a Z39.50 target or an SRU
// database — through the member's catalogue breaker. Z39.50 associations
// are kept in a small idle pool; each Search is one search and one present
// on one association, all under one deadline, so no result set outlives
// the call. SRU targets get the query as CQL (z3950/cql's mapping of Bib-1
// to CQL).
type Catalog struct {
	g       *guard
	proto   Protocol
	charset string // "marc8" or "utf-8"

	// Z39.50
	addr, db string
	opts     z3950.ClientOptions
	mu       sync.Mutex
	idle     []*z3950.Client
	closed   bool

	// SRU
	sru     *sru.Client
	mapping *cql.Mapping
}

// maxIdleZ3950 is how many idle associations a Catalog keeps.
const maxIdleZ3950 = 2

func newCatalog(r *Registry, g *guard, cfg CatalogConfig) *Catalog {
	c := &Catalog{g: g, proto: g.proto, charset: "utf-8"}
	if cs := strings.ToLower(cfg.Charset); cs == "marc8" || cs == "marc-8" {
		c.charset = "marc8"
	}
	if cfg.SRU != "" {
		hc := r.httpClient
		if cfg.User != "" {
			// SRU carries no credentials of its own; targets that want
			// them take HTTP Basic.
			base := hc.Transport
			if base == nil {
				base = http.DefaultTransport
			}
			hc = &http.Client{Transport: &basicAuth{user: cfg.User, password: cfg.Password, base: base}}
		}
		c.sru = &sru.Client{BaseURL: cfg.SRU, HTTP: hc}
		c.mapping = cql.Default()
		return c
	}
	c.addr, c.db, _ = splitZ3950(cfg.Z3950) // checked by checkMember
	c.opts.UTF8 = c.charset == "utf-8"
	if cfg.User != "" {
		c.opts.Auth = &z3950.Auth{User: cfg.User, Password: cfg.Password, IDPass: true}
	}
	return c
}

// Protocol is Z3950 or SRU.
func (c *Catalog) Protocol() Protocol { return c.proto }

// Charset is the configured charset of the member's records: "marc8" or
// "utf-8". SRU records are XML and always UTF-8.
func (c *Catalog) Charset() string {
	if c.sru != nil {
		return "utf-8"
	}
	return c.charset
}

// SearchRequest is one catalogue search.
type SearchRequest struct {
	Query *z3950.RPNQuery // the RPN tree (Z39.50-2003 §3.7)
	// Max is how many records to retrieve (search.max_records_per_member);
	// 0 retrieves none, only the hit count.
	Max int
	// Syntax is the record syntax asked of a Z39.50 target: nil means
	// USMARC; z3950.OIDOPAC asks for holdings too. SRU asks for marcxml.
	Syntax ber.OID
	// ElementSet: "" means "F".
	ElementSet string
}

// Record is one retrieved record.
type Record struct {
	Syntax ber.OID // z3950.OIDUSMARC, z3950.OIDOPAC or z3950.OIDXML (SRU)
	// Data is the bibliographic record: ISO 2709 (in the catalogue's
	// Charset) for USMARC and OPAC, MARCXML for SRU.
	Data []byte
	// Holdings come with OPAC records (Z39.50-2003 Appendix 5 OPAC).
	Holdings []z3950.Holding
	// Diagnostic is set instead of Data for a surrogate diagnostic.
	Diagnostic error
}

// SearchResult is a member's answer to a Search.
type SearchResult struct {
	Hits    int
	Records []Record
}

// Search runs one search and retrieves up to req.Max records. A Bib-1 or
// SRU diagnostic from the target comes back as the error
// (*z3950.Diagnostic, *sru.Diagnostic) and does not count against the
// breaker; a query the target's protocol cannot express (RPN to CQL) is a
// *cql.MappingError returned before any call.
func (c *Catalog) Search(ctx context.Context, req SearchRequest) (*SearchResult, error) {
	if req.Query == nil {
		return nil, errors.New("member: search without a query")
	}
	if c.sru != nil {
		return c.searchSRU(ctx, req)
	}
	var res *SearchResult
	err := c.g.r.Do(ctx, c.g.member, c.proto, func(ctx context.Context) error {
		return c.withConn(ctx, func(zc *z3950.Client) error {
			var err error
			res, err = searchZ3950(ctx, zc, c.db, req)
			return err
		})
	})
	return res, err
}

// searchZ3950 runs one search and retrieves up to req.Max records. The
// records are asked for in the search itself (piggybacked by the
// small-set rule, Z39.50-2003 §3.2.2.1.4: smallSetUpperBound = Max), so a
// result of at most Max records costs one round trip instead of two; a
// larger result, or records the target did not send with the search, are
// presented as before (§3.2.3). A search whose records part came back as
// a diagnostic is run again without piggyback, so the answer is what the
// search and present alone would give.
func searchZ3950(ctx context.Context, zc *z3950.Client, db string, req SearchRequest) (*SearchResult, error) {
	syntax := req.Syntax
	if syntax == nil {
		syntax = z3950.OIDUSMARC
	}
	es := req.ElementSet
	if es == "" {
		es = "F"
	}
	var opts *z3950.SearchOptions
	if req.Max > 0 {
		opts = &z3950.SearchOptions{Piggyback: req.Max, Syntax: syntax, ElementSet: es}
	}
	q := z3950.Query{RPN: req.Query}
	sr, err := zc.Search(ctx, []string{db}, q, opts)
	if err != nil && opts != nil && sr != nil && sr.SearchStatus {
		opts = nil
		sr, err = zc.Search(ctx, []string{db}, q, nil)
	}
	if err != nil {
		return nil, err
	}
	res := &SearchResult{Hits: sr.ResultCount}
	n := min(req.Max, sr.ResultCount)
	if n <= 0 {
		return res, nil
	}
	var got []z3950.NamePlusRecord
	if opts != nil {
		got = sr.Records[:min(len(sr.Records), n)]
	}
	res.Records = make([]Record, 0, n)
	for _, npr := range got {
		res.Records = append(res.Records, z3950Record(npr))
	}
	if len(got) == n {
		return res, nil
	}
	recs, err := zc.Present(ctx, "", len(got)+1, n-len(got), syntax, es)
	for _, npr := range recs {
		res.Records = append(res.Records, z3950Record(npr))
	}
	return res, err
}

func z3950Record(npr z3950.NamePlusRecord) Record {
	switch {
	case npr.Diagnostic != nil:
		return Record{Diagnostic: npr.Diagnostic}
	case npr.Record == nil:
		return Record{Diagnostic: z3950.NewDiagnostic(14, "no record")}
	case npr.Record.OID.Equal(z3950.OIDOPAC):
		o, err := z3950.DecodeOPAC(npr.Record)
		if err != nil || o.Bibliographic == nil {
			return Record{Syntax: z3950.OIDOPAC, Diagnostic: z3950.NewDiagnostic(14, "unreadable OPAC record")}
		}
		return Record{Syntax: z3950.OIDOPAC, Data: o.Bibliographic.Bytes(), Holdings: o.Holdings}
	}
	return Record{Syntax: npr.Record.OID, Data: npr.Record.Bytes()}
}

func (c *Catalog) searchSRU(ctx context.Context, req SearchRequest) (*SearchResult, error) {
	q, err := c.mapping.FromRPN(req.Query)
	if err != nil {
		return nil, err
	}
	var res *SearchResult
	err = c.g.r.Do(ctx, c.g.member, c.proto, func(ctx context.Context) error {
		sr, err := c.sru.SearchRetrieve(ctx, q.String(), 1, max(req.Max, 0), "marcxml")
		if sr != nil {
			res = &SearchResult{Hits: sr.Count}
			for _, r := range sr.Records {
				rec := Record{Syntax: z3950.OIDXML, Data: r.Data}
				if r.Diagnostic != nil {
					rec = Record{Diagnostic: r.Diagnostic}
				}
				res.Records = append(res.Records, rec)
			}
		}
		return err
	})
	return res, err
}

// Term is one scan term with the number of records it occurs in.
type Term struct {
	Value string
	Count int
}

// Scan lists up to n index terms around term (Z39.50-2003 §3.2.8.1; SRU
// scan with the term mapped to a CQL clause); position places the term in
// the list (1 = first).
func (c *Catalog) Scan(ctx context.Context, term z3950.AttrTerm, n, position int) ([]Term, error) {
	var out []Term
	if c.sru != nil {
		q, err := c.mapping.FromRPN(&z3950.RPNQuery{Root: &term})
		if err != nil {
			return nil, err
		}
		err = c.g.r.Do(ctx, c.g.member, c.proto, func(ctx context.Context) error {
			ts, err := c.sru.Scan(ctx, q.String(), n, position)
			for _, t := range ts {
				out = append(out, Term{t.Value, t.Count})
			}
			return err
		})
		return out, err
	}
	err := c.g.r.Do(ctx, c.g.member, c.proto, func(ctx context.Context) error {
		return c.withConn(ctx, func(zc *z3950.Client) error {
			sr, err := zc.Scan(ctx, c.db, term, n, position)
			out = out[:0]
			if sr != nil {
				for _, e := range sr.Entries {
					if e.Diagnostic != nil {
						continue
					}
					t := Term{Value: e.Term}
					if e.Occurrences != nil {
						t.Count = *e.Occurrences
					}
					out = append(out, t)
				}
			}
			return err
		})
	})
	return out, err
}

// withConn runs f on a pooled association, or a new one. When a pooled
// association turns out dead (the target closed it while idle), f runs
// once more on a fresh one: searches and scans change nothing on the
// target, so a repeat is safe.
func (c *Catalog) withConn(ctx context.Context, f func(*z3950.Client) error) error {
	zc, reused, err := c.get(ctx)
	if err != nil {
		return err
	}
	err = f(zc)
	if err != nil && reused && errors.Is(err, z3950.ErrConnectionLost) && ctx.Err() == nil {
		_ = zc.Close(ctx)
		if zc, err = z3950.Dial(ctx, c.addr, &c.opts); err != nil {
			return err
		}
		err = f(zc)
	}
	c.put(ctx, zc)
	return err
}

func (c *Catalog) get(ctx context.Context) (*z3950.Client, bool, error) {
	c.mu.Lock()
	for len(c.idle) > 0 {
		zc := c.idle[len(c.idle)-1]
		c.idle = c.idle[:len(c.idle)-1]
		if zc.Healthy() {
			c.mu.Unlock()
			return zc, true, nil
		}
		_ = zc.Close(ctx)
	}
	c.mu.Unlock()
	zc, err := z3950.Dial(ctx, c.addr, &c.opts)
	return zc, false, err
}

// put keeps a healthy association for the next call, or closes it.
func (c *Catalog) put(ctx context.Context, zc *z3950.Client) {
	c.mu.Lock()
	if zc.Healthy() && !c.closed && len(c.idle) < maxIdleZ3950 {
		c.idle = append(c.idle, zc)
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	// A polite Close, but never past the call's deadline nor long.
	ctx, cancel := context.WithTimeout(ctx, closeWait)
	defer cancel()
	_ = zc.Close(ctx)
}

// closeWait bounds the Z39.50 Close handshake of an association let go.
const closeWait = 100 * time.Millisecond

// close closes the idle associations (Z39.50 Close, bounded by the deadline).
func (c *Catalog) close() {
	c.mu.Lock()
	idle := c.idle
	c.idle, c.closed = nil, true
	c.mu.Unlock()
	for _, zc := range idle {
		ctx, cancel := context.WithTimeout(context.Background(), closeWait)
		_ = zc.Close(ctx)
		cancel()
	}
}

// basicAuth adds HTTP Basic credentials to every request of an SRU client.
type basicAuth struct {
	user, password string
	base           http.RoundTripper
}

func (b *basicAuth) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.SetBasicAuth(b.user, b.password)
	return b.base.RoundTrip(req)
}
