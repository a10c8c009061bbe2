package memory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/illgw/illgw/marc"
	"github.com/illgw/illgw/z3950"
)

// Database is one named collection of records.
type Database struct {
	name    string
	recs    []*record
	indexes map[int]*index
}

// NewDatabase reads concatenated ISO 2709 records (any charset marc.CharsetAuto detects) and
// indexes them. A record the marc reader has to drop is an error.
func NewDatabase(name string, iso2709 []byte) (*Database, error) {
	db := &Database{name: name, indexes: map[int]*index{}}
	rd := marc.NewReader(bytes.NewReader(iso2709))
	for i := 1; ; i++ {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("memory: record %d: %w", i, err)
		}
		r, err := newRecord(rec)
		if err != nil {
			return nil, fmt.Errorf("memory: record %d: %w", i, err)
		}
		db.recs = append(db.recs, r)
	}
	for use, get := range useIndexes {
		db.indexes[use] = buildIndex(db.recs, get)
	}
	return db, nil
}

// Len returns the number of records.
func (db *Database) Len() int { return len(db.recs) }

// Backend serves a set of databases. Users, when non-nil, maps user ids to passwords and makes
// idAuthentication mandatory (Bib-1 1011 when missing or wrong).
type Backend struct {
	Databases map[string]*Database
	Users     map[string]string

	mu     sync.Mutex
	shared map[string]sharedSet // result sets kept beyond their session (SearchQuery.TTL)
}

type sharedSet struct {
	resultSet
	ttl     time.Duration
	expires time.Time
}

// keep stores a result set for ttl after its last use.
func (b *Backend) keep(name string, rs resultSet, ttl time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.shared == nil {
		b.shared = map[string]sharedSet{}
	}
	now := time.Now()
	for n, s := range b.shared {
		if now.After(s.expires) {
			delete(b.shared, n)
		}
	}
	b.shared[name] = sharedSet{resultSet: rs, ttl: ttl, expires: now.Add(ttl)}
}

// kept returns a live shared result set and extends its life.
func (b *Backend) kept(name string) (resultSet, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s, ok := b.shared[name]
	if !ok || time.Now().After(s.expires) {
		delete(b.shared, name)
		return resultSet{}, false
	}
	s.expires = time.Now().Add(s.ttl)
	b.shared[name] = s
	return s.resultSet, true
}

// set finds a result set of the session, or a shared one.
func (s *Session) set(name string) (resultSet, bool) {
	if rs, ok := s.sets[name]; ok {
		return rs, true
	}
	return s.b.kept(name)
}

// Init opens a session after checking idAuthentication when Users is set.
func (b *Backend) Init(_ context.Context, info *z3950.InitInfo) (z3950.Session, error) {
	if b.Users != nil {
		user, pass := "", ""
		if a := info.Auth; a != nil {
			user, pass = a.User, a.Password
			if !a.IDPass {
				user, pass, _ = strings.Cut(a.Open, "/")
			}
		}
		if want, ok := b.Users[user]; !ok || want != pass {
			return nil, z3950.NewDiagnostic(1011, "")
		}
	}
	return &Session{b: b, sets: map[string]resultSet{}}, nil
}

type resultSet struct {
	db  *Database
	ids []int
}

// Session is one association's state: its named result sets.
type Session struct {
	b    *Backend
	mu   sync.Mutex
	sets map[string]resultSet
}

func (s *Session) database(names []string) (*Database, error) {
	if len(names) != 1 {
		return nil, z3950.NewDiagnostic(23, strconv.Itoa(len(names)))
	}
	for n, db := range s.b.Databases {
		if strings.EqualFold(n, names[0]) {
			return db, nil
		}
	}
	return nil, z3950.NewDiagnostic(109, names[0])
}

// Search evaluates a Type-1 query. CQL (type-104) is refused with Bib-1 107; the SRU front
// end maps CQL to RPN before calling Search.
func (s *Session) Search(_ context.Context, q *z3950.SearchQuery) (*z3950.SearchResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	db, err := s.database(q.Databases)
	if err != nil {
		return nil, err
	}
	if q.Query.RPN == nil {
		return nil, z3950.NewDiagnostic(107, "CQL")
	}
	if set := q.Query.RPN.AttributeSet; set != nil && !set.Equal(z3950.OIDBib1Attributes) {
		return nil, z3950.NewDiagnostic(121, set.String())
	}
	ids, err := s.eval(db, q.Query.RPN.Root)
	if err != nil {
		return nil, err
	}
	s.sets[q.ResultSet] = resultSet{db: db, ids: ids}
	if q.TTL > 0 {
		s.b.keep(q.ResultSet, resultSet{db: db, ids: ids}, q.TTL)
	}
	return &z3950.SearchResult{Count: len(ids)}, nil
}

// eval evaluates an RPN tree. Proximity is evaluated at record level, as AND.
func (s *Session) eval(db *Database, n z3950.Node) ([]int, error) {
	switch n := n.(type) {
	case *z3950.AttrTerm:
		return db.term(n)
	case *z3950.SetRef:
		rs, ok := s.set(n.Name)
		if !ok || rs.db != db {
			return nil, z3950.NewDiagnostic(30, n.Name)
		}
		return rs.ids, nil
	case *z3950.Op:
		l, err := s.eval(db, n.Left)
		if err != nil {
			return nil, err
		}
		r, err := s.eval(db, n.Right)
		if err != nil {
			return nil, err
		}
		switch n.Op {
		case z3950.Or:
			return union(l, r), nil
		case z3950.AndNot:
			return minus(l, r), nil
		default:
			return intersect(l, r), nil
		}
	}
	return nil, z3950.NewDiagnostic(108, "")
}

// term evaluates one AttributesPlusTerm against the Bib-1 indexes.
func (db *Database) term(t *z3950.AttrTerm) ([]int, error) {
	use, ok := t.Get(1)
	if !ok {
		use = 1016
	}
	for _, a := range t.Attrs {
		if a.Str != "" {
			return nil, z3950.NewDiagnostic(246, a.Str)
		}
		if a.Set != nil && !a.Set.Equal(z3950.OIDBib1Attributes) {
			return nil, z3950.NewDiagnostic(121, a.Set.String())
		}
		if a.Type < 1 || a.Type > 6 {
			return nil, z3950.NewDiagnostic(113, strconv.Itoa(a.Type))
		}
	}
	ix, ok := db.indexes[use]
	if !ok {
		return nil, z3950.NewDiagnostic(114, strconv.Itoa(use))
	}
	rel, _ := t.Get(2)
	if rel != 0 && rel != 3 && rel != 102 && !(use == 30 || use == 31) {
		return nil, z3950.NewDiagnostic(117, strconv.Itoa(rel))
	}
	trunc, ok := t.Get(5)
	if !ok {
		trunc = truncNone
	}
	if trunc != truncRight && trunc != truncLeft && trunc != truncBoth && trunc != truncNone {
		return nil, z3950.NewDiagnostic(120, strconv.Itoa(trunc))
	}
	term := t.Term
	if use == 7 {
		term = strings.ReplaceAll(term, "-", "")
	}
	if (use == 30 || use == 31) && rel >= 1 && rel <= 5 && rel != 3 {
		return ix.compare(term, rel), nil
	}
	ws := words(term)
	if len(ws) == 0 {
		return nil, nil
	}
	ids := ix.lookup(ws[0], trunc)
	for _, w := range ws[1:] {
		ids = intersect(ids, ix.lookup(w, trunc))
	}
	if st, _ := t.Get(4); st == 1 && len(ws) > 1 && trunc == truncNone {
		phrase := strings.Join(ws, " ")
		var keep []int
		for _, id := range ids {
			for _, f := range ix.phrase[id] {
				if strings.Contains(" "+f+" ", " "+phrase+" ") {
					keep = append(keep, id)
					break
				}
			}
		}
		ids = keep
	}
	return ids, nil
}

// compare implements relations 1,2,4,5 on year values.
func (ix *index) compare(term string, rel int) []int {
	var ids []int
	for id, vals := range ix.phrase {
		for _, v := range vals {
			c := strings.Compare(v, term)
			if (rel == 1 && c < 0) || (rel == 2 && c <= 0) || (rel == 4 && c >= 0) || (rel == 5 && c > 0) {
				ids = append(ids, id)
				break
			}
		}
	}
	return ids
}

// Fetch returns records in USMARC (F or B; UTF-8, or MARC-8 when f.MARC8), XML (MARCXML),
// SUTRS or OPAC. Another syntax
// gives each record surrogate diagnostic 239; an XML element set other than F/marcxml gives 25.
func (s *Session) Fetch(_ context.Context, f *z3950.FetchRequest) ([]z3950.Record, error) {
	s.mu.Lock()
	rs, ok := s.set(f.ResultSet)
	s.mu.Unlock()
	if !ok {
		return nil, z3950.NewDiagnostic(30, f.ResultSet)
	}
	if f.Start < 1 || f.Start+f.Count-1 > len(rs.ids) {
		return nil, z3950.NewDiagnostic(13, strconv.Itoa(f.Start))
	}
	esn := strings.ToLower(f.ElementSet)
	out := make([]z3950.Record, 0, f.Count)
	for _, id := range rs.ids[f.Start-1 : f.Start-1+f.Count] {
		r := rs.db.recs[id]
		rec := z3950.Record{Database: rs.db.name, Syntax: f.Syntax}
		switch {
		case f.Syntax == nil || f.Syntax.Equal(z3950.OIDUSMARC):
			rec.Syntax = z3950.OIDUSMARC
			switch esn {
			case "", "f":
				rec.Data = r.iso(f.MARC8)
			case "b":
				data, err := r.brief(f.MARC8)
				if err != nil {
					rec.Diagnostic = z3950.NewDiagnostic(14, err.Error())
				}
				rec.Data = data
			default:
				rec.Diagnostic = z3950.NewDiagnostic(25, f.ElementSet)
			}
		case f.Syntax.Equal(z3950.OIDXML):
			if esn == "" || esn == "f" || esn == "marcxml" {
				rec.Data = r.xml
			} else {
				rec.Diagnostic = z3950.NewDiagnostic(25, f.ElementSet)
			}
		case f.Syntax.Equal(z3950.OIDSUTRS):
			rec.Data = r.sutrs()
		case f.Syntax.Equal(z3950.OIDOPAC):
			rec.OPAC = &z3950.OPACRecord{
				Bibliographic: &z3950.External{OID: z3950.OIDUSMARC, Octets: r.iso(f.MARC8)},
				Holdings: []z3950.Holding{{
					NucCode:     rs.db.name,
					CallNumber:  strings.Join(append(r.sub("050", "ab"), r.sub("090", "ab")...), " "),
					Circulation: []z3950.Circulation{{AvailableNow: true, ItemID: strings.TrimSpace(r.first("001", "")), Renewable: true}},
				}},
			}
		default:
			rec.Diagnostic = z3950.NewDiagnostic(239, f.Syntax.String())
		}
		out = append(out, rec)
	}
	return out, nil
}

// Scan lists index words from the start term on (Z39.50-2003 §3.2.8.1).
func (s *Session) Scan(_ context.Context, q *z3950.ScanQuery) (*z3950.ScanResult, error) {
	db, err := s.database(q.Databases)
	if err != nil {
		return nil, err
	}
	use, ok := q.Term.Get(1)
	if !ok {
		use = 1016
	}
	ix, ok := db.indexes[use]
	if !ok {
		return nil, z3950.NewDiagnostic(114, strconv.Itoa(use))
	}
	start := norm(q.Term.Term)
	i := sort.SearchStrings(ix.sorted, start)
	from := max(i-(q.PreferredPosition-1), 0)
	res := &z3950.ScanResult{Position: i - from + 1}
	for _, w := range ix.sorted[from:min(from+q.Count, len(ix.sorted))] {
		res.Terms = append(res.Terms, z3950.ScanTerm{Term: w, Occurrences: len(ix.words[w])})
	}
	res.Partial = len(res.Terms) < q.Count
	return res, nil
}

// Sort sorts by title (Use 4), author (1003, 1), date (30, 31) or, with a sort field name,
// "title", "author" or "date".
func (s *Session) Sort(_ context.Context, q *z3950.SortQuery) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.set(q.Inputs[0])
	if !ok {
		return 0, z3950.NewDiagnostic(30, q.Inputs[0])
	}
	if len(q.Keys) == 0 || len(q.Keys) > 3 {
		return 0, z3950.NewDiagnostic(211, strconv.Itoa(len(q.Keys)))
	}
	type keyFn func(*record) string
	var fns []keyFn
	var desc []bool
	for _, k := range q.Keys {
		name := strings.ToLower(k.Field)
		if k.Attrs != nil {
			use := 0
			for _, a := range k.Attrs {
				if a.Type == 1 {
					use = a.Value
				}
			}
			name = map[int]string{4: "title", 1003: "author", 1: "author", 30: "date", 31: "date"}[use]
		}
		var fn keyFn
		switch name {
		case "title":
			fn = func(r *record) string { return norm(strings.Join(r.sub("245", "ab"), " ")) }
		case "author":
			fn = func(r *record) string { return norm(strings.Join(authors(r), " ")) }
		case "date":
			fn = func(r *record) string { return strings.Join(dates(r), " ") }
		default:
			return 0, z3950.NewDiagnostic(207, k.Field)
		}
		fns = append(fns, fn)
		desc = append(desc, k.Descending)
	}
	ids := append([]int(nil), in.ids...)
	sort.SliceStable(ids, func(a, b int) bool {
		ra, rb := in.db.recs[ids[a]], in.db.recs[ids[b]]
		for i, fn := range fns {
			ka, kb := fn(ra), fn(rb)
			if ka != kb {
				return (ka < kb) != desc[i]
			}
		}
		return false
	})
	s.sets[q.Output] = resultSet{db: in.db, ids: ids}
	if _, shared := s.b.kept(q.Output); shared {
		s.b.mu.Lock()
		ttl := s.b.shared[q.Output].ttl
		s.b.mu.Unlock()
		s.b.keep(q.Output, resultSet{db: in.db, ids: ids}, ttl)
	}
	return len(ids), nil
}

// Delete drops result sets.
func (s *Session) Delete(_ context.Context, names []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range names {
		delete(s.sets, n)
	}
	return nil
}

// Close ends the session.
func (s *Session) Close(context.Context) error { return nil }
