package broker

import (
	"cmp"
	"context"
	"slices"
	"sort"
	"strings"
	"sync"

	"google.golang.org/grpc/codes"

	"github.com/illgw/illgw/broker/member"
	"github.com/illgw/illgw/marc"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

// Scan implements Catalog.Scan (Z39.50-2003 §3.2.8): every member lists
// its index terms around the start term; the lists are merged (terms that
// differ only in case are one entry, their counts added) and cut to Count
// terms with the start term at PositionInResponse.
func (c *catalog) Scan(ctx context.Context, req *illgwv1.ScanRequest) (*illgwv1.ScanResponse, error) {
	n := int(req.Count)
	if n == 0 {
		n = 20
	}
	pos := int(req.PositionInResponse)
	if pos == 0 {
		pos = 1
	}
	switch {
	case n < 1 || n > maxScanTerms:
		return nil, errorf(codes.InvalidArgument, "count %d not in 1..%d", n, maxScanTerms)
	case pos < 1 || pos > n+1:
		return nil, errorf(codes.InvalidArgument, "position %d not in 1..%d (Bib-1 233)", pos, n+1)
	case req.StepSize != 0:
		return nil, errorf(codes.InvalidArgument, "step size %d is not supported (Bib-1 205)", req.StepSize)
	case req.Term == nil:
		return nil, errorf(codes.InvalidArgument, "scan without a term (Bib-1 108)")
	}
	at, err := termFromProto(req.Term)
	if err != nil {
		return nil, queryStatus(err)
	}
	mems, err := c.members(req.Databases)
	if err != nil {
		return nil, err
	}
	type answer struct {
		terms []member.Term
		err   error
	}
	answers := make([]answer, len(mems))
	var wg sync.WaitGroup
	for i, code := range mems {
		wg.Go(func() {
			var cat *member.Catalog
			if c.b.registry != nil {
				if m := c.b.registry.Member(code); m != nil {
					cat = m.Catalog()
				}
			}
			if cat == nil {
				answers[i].err = errNoCatalog
				return
			}
			answers[i].terms, answers[i].err = cat.Scan(ctx, *at, n, pos)
		})
	}
	wg.Wait()

	resp := &illgwv1.ScanResponse{Status: illgwv1.ResultSetStatus_RESULT_SET_STATUS_COMPLETE}
	entries := map[string]*illgwv1.ScanEntry{}
	answered := 0
	for i, a := range answers {
		if a.err != nil {
			d, _ := memberDiagnostic(mems[i], a.err)
			resp.Diagnostics = append(resp.Diagnostics, d)
			continue
		}
		answered++
		for _, t := range a.terms {
			k := foldTerm(t.Value)
			e := entries[k]
			if e == nil {
				e = &illgwv1.ScanEntry{Term: k, DisplayTerm: t.Value, PerMember: map[string]int64{}}
				entries[k] = e
			}
			e.Occurrences += int64(t.Count)
			e.PerMember[mems[i]] += int64(t.Count)
		}
	}
	switch {
	case answered == 0:
		resp.Status = illgwv1.ResultSetStatus_RESULT_SET_STATUS_NONE
		return resp, nil
	case answered < len(mems):
		resp.Status = illgwv1.ResultSetStatus_RESULT_SET_STATUS_SUBSET
	}
	all := make([]*illgwv1.ScanEntry, 0, len(entries))
	for _, e := range entries {
		all = append(all, e)
	}
	slices.SortFunc(all, func(a, b *illgwv1.ScanEntry) int { return strings.Compare(a.Term, b.Term) })
	start := foldTerm(at.Term)
	idx := sort.Search(len(all), func(i int) bool { return all[i].Term >= start })
	from := max(idx-(pos-1), 0)
	resp.Entries = all[from:min(from+n, len(all))]
	resp.PositionOfTerm = int32(idx - from + 1)
	return resp, nil
}

func foldTerm(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Sort implements Catalog.Sort (Z39.50-2003 §3.2.7): it sorts one result
// set into a new one by up to maxSortKeys keys: a Bib-1 use attribute (4
// title, 1003/1004/1 author, 30/31 date), or a field path such as "245$a"
// or the names "title", "author", "date". A shared input (SRU) gives a
// shared output.
func (c *catalog) Sort(ctx context.Context, req *illgwv1.SortRequest) (*illgwv1.SortResponse, error) {
	if err := checkSession(req.Session, true); err != nil {
		return nil, err
	}
	switch {
	case len(req.InputResultSetIds) != 1:
		return nil, errorf(codes.InvalidArgument, "%d input result sets; exactly one is supported (Bib-1 230)", len(req.InputResultSetIds))
	case len(req.Keys) == 0 || len(req.Keys) > maxSortKeys:
		return nil, errorf(codes.InvalidArgument, "%d sort keys; 1..%d are supported (Bib-1 211)", len(req.Keys), maxSortKeys)
	case len(req.OutputResultSetName) > maxNameLen:
		return nil, errorf(codes.InvalidArgument, "output result set name longer than %d bytes", maxNameLen)
	}
	keys := make([]func(*marc.Record) string, len(req.Keys))
	for i, k := range req.Keys {
		fn, ok := sortKeyFunc(k)
		if !ok {
			return nil, errorf(codes.InvalidArgument, "sort key %d is not supported (Bib-1 207)", i+1)
		}
		if !k.CaseSensitive {
			fn = lower(fn)
		}
		keys[i] = fn
	}
	in, err := c.lookup(ctx, req.Session, req.InputResultSetIds[0])
	if err != nil {
		return nil, err
	}
	type row struct {
		r    *mergedRecord
		keys []string
	}
	rows := make([]row, len(in.records))
	for i, r := range in.records {
		rows[i] = row{r: r, keys: make([]string, len(keys))}
		rec, err := r.decode()
		if err != nil {
			continue // an unreadable record sorts first, with empty keys
		}
		for j, fn := range keys {
			rows[i].keys[j] = fn(rec)
		}
	}
	slices.SortStableFunc(rows, func(a, b row) int {
		for j := range keys {
			if d := cmp.Compare(a.keys[j], b.keys[j]); d != 0 {
				if req.Keys[j].Descending {
					return -d
				}
				return d
			}
		}
		return 0
	})
	out := &resultSet{members: in.members, diags: in.diags, status: in.status}
	for _, r := range rows {
		out.records = append(out.records, r.r)
	}
	name := req.OutputResultSetName
	if name == "" {
		name = defaultSetName
	}
	id, _, err := c.keep(ctx, out, req.Session, name, req.Session == "")
	if err != nil {
		return nil, err
	}
	return &illgwv1.SortResponse{ResultSetId: id, HitCount: int64(len(out.records))}, nil
}

func lower(fn func(*marc.Record) string) func(*marc.Record) string {
	return func(r *marc.Record) string { return strings.ToLower(fn(r)) }
}

// sortKeyFunc returns the value a record sorts by for one key.
func sortKeyFunc(k *illgwv1.SortKey) (func(*marc.Record) string, bool) {
	name := strings.ToLower(k.Field)
	for _, a := range k.Attributes {
		if n, ok := a.Value.(*illgwv1.Attribute_Numeric); ok && a.Type == 1 {
			switch n.Numeric {
			case 4:
				name = "title"
			case 1, 1003, 1004:
				name = "author"
			case 30, 31:
				name = "date"
			default:
				return nil, false
			}
		}
	}
	switch name {
	case "title":
		return (*marc.Record).Title, true
	case "author":
		return (*marc.Record).MainEntry, true
	case "date":
		return (*marc.Record).Date, true
	}
	tag, subs, ok := strings.Cut(name, "$")
	if !ok || len(tag) != 3 || subs == "" {
		return nil, false
	}
	return func(r *marc.Record) string {
		var b strings.Builder
		for i := range r.Fields {
			f := &r.Fields[i]
			if f.Tag != tag {
				continue
			}
			if f.IsControl() {
				return f.Value
			}
			for _, s := range f.Subfields {
				if strings.IndexByte(subs, s.Code) >= 0 {
					if b.Len() > 0 {
						b.WriteByte(' ')
					}
					b.WriteString(s.Value)
				}
			}
			return b.String()
		}
		return ""
	}, true
}
