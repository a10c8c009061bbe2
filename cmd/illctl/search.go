package main

import (
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/illgw/illgw/marc"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
	"github.com/illgw/illgw/z3950"
	"github.com/illgw/illgw/z3950/cql"
)

func init() {
	register("search", "search the consortium's catalogues: merged records with their holdings", runSearch)
}

// runSearch is "illctl search [-db DB] [-pqf] [-n N] [-start N] QUERY":
// one Catalog.Search, printed as the merged records with each holding
// member's call number and availability, then the members' hit counts and
// diagnostics. The query is CQL (dc.title=computer, bath.isbn=...) unless
// -pqf says it is PQF (@attr 1=4 computer).
func runSearch(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("illctl search", flag.ContinueOnError)
	db := fs.String("db", "consortium", "`DATABASES` to search, comma-separated: virtual databases or member codes")
	pqf := fs.Bool("pqf", false, "the query is PQF, not CQL")
	n := fs.Int("n", 10, "how many records to print")
	start := fs.Int("start", 1, "first record to print (1-based)")
	asJSON := fs.Bool("json", false, "print the answer as JSON")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: illctl search [-db consortium] [-pqf] [-n 10] [-start 1] [-json] QUERY")
		fs.PrintDefaults()
	}
	s, st := open("search", fs, args, stdout, stderr)
	if s == nil {
		return st
	}
	defer s.close()
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	var (
		rpn *z3950.RPNQuery
		err error
	)
	if *pqf {
		rpn, err = z3950.ParsePQF(fs.Arg(0))
	} else {
		rpn, err = cql.Default().MapCQL(fs.Arg(0))
	}
	if err != nil {
		fmt.Fprintf(stderr, "illctl search: %v\n", err)
		return 2
	}
	q, err := protoQuery(rpn)
	if err != nil {
		fmt.Fprintf(stderr, "illctl search: %v\n", err)
		return 2
	}
	var sid [8]byte
	_, _ = rand.Read(sid[:])
	session := "illctl-" + hex.EncodeToString(sid[:])
	cat := illgwv1.NewCatalogClient(s.conn)
	resp, err := cat.Search(s.ctx, &illgwv1.SearchRequest{Databases: strings.Split(*db, ","), Query: q,
		Start: int64(max(*start, 1)), Count: int64(max(*n, 0)), Session: session})
	if err != nil {
		return s.fail(err)
	}
	defer cat.Delete(s.ctx, &illgwv1.DeleteRequest{Session: session})
	if *asJSON {
		s.printJSON(resp)
		return 0
	}
	printSearch(stdout, *db, resp)
	return 0
}

// printSearch writes the merged records, their holdings, and each
// member's part.
func printSearch(w io.Writer, db string, resp *illgwv1.SearchResponse) {
	fmt.Fprintf(w, "%s: %d merged records", db, resp.HitCount)
	if resp.Status == illgwv1.ResultSetStatus_RESULT_SET_STATUS_SUBSET {
		fmt.Fprint(w, " (partial: some members did not answer)")
	}
	fmt.Fprintln(w)
	for _, r := range resp.Records {
		title, author, date := "(unreadable record)", "", ""
		if rec, _, err := marc.Decode(r.Data); err == nil {
			title, author, date = rec.Title(), rec.MainEntry(), rec.Date()
		}
		line := fmt.Sprintf("%3d. %s", r.Position, title)
		if author != "" {
			line += " / " + author
		}
		if date != "" {
			line += ", " + date
		}
		fmt.Fprintln(w, line)
		if r.MatchKey != "" {
			fmt.Fprintf(w, "     key %s\n", r.MatchKey)
		}
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		for _, h := range r.Holdings {
			fmt.Fprintf(tw, "     %s\t%s\t%s\t%s\t%s\n", h.Member, orDash(h.CallNumber), orDash(h.Location), availability(h.Availability), orDash(h.ItemId))
		}
		tw.Flush()
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MEMBER\tHITS\tTIME\tDIAGNOSTIC")
	for _, m := range resp.Members {
		diag := "-"
		if d := m.Diagnostic; d != nil {
			diag = fmt.Sprintf("%d %s", d.Code, d.Message)
			if d.Addinfo != "" {
				diag += ": " + d.Addinfo
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%v\t%s\n", m.Member, m.HitCount, m.Elapsed.AsDuration().Round(100_000), diag)
	}
	tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func availability(a illgwv1.Holding_Availability) string {
	switch a {
	case illgwv1.Holding_AVAILABILITY_AVAILABLE:
		return "available"
	case illgwv1.Holding_AVAILABILITY_ON_LOAN:
		return "on loan"
	case illgwv1.Holding_AVAILABILITY_UNAVAILABLE:
		return "unavailable"
	}
	return "-"
}

// protoQuery turns an RPN tree into the broker's query (64 levels at
// most, as the broker accepts).
func protoQuery(q *z3950.RPNQuery) (*illgwv1.Query, error) {
	var conv func(n z3950.Node, depth int) (*illgwv1.QueryNode, error)
	conv = func(n z3950.Node, depth int) (*illgwv1.QueryNode, error) {
		if depth > 64 {
			return nil, fmt.Errorf("query nested deeper than 64")
		}
		switch n := n.(type) {
		case *z3950.AttrTerm:
			at := &illgwv1.AttributesPlusTerm{Term: n.Term}
			for _, a := range n.Attrs {
				pa := &illgwv1.Attribute{Type: int32(a.Type), Value: &illgwv1.Attribute_Numeric{Numeric: int64(a.Value)}}
				if a.Str != "" {
					pa.Value = &illgwv1.Attribute_String_{String_: a.Str}
				}
				if a.Set != nil {
					pa.AttributeSet = a.Set.String()
				}
				at.Attributes = append(at.Attributes, pa)
			}
			return &illgwv1.QueryNode{Node: &illgwv1.QueryNode_Term{Term: at}}, nil
		case *z3950.SetRef:
			return &illgwv1.QueryNode{Node: &illgwv1.QueryNode_ResultSet{ResultSet: n.Name}}, nil
		case *z3950.Op:
			ops := map[z3950.Operator]illgwv1.Combination_Operator{z3950.And: illgwv1.Combination_OPERATOR_AND,
				z3950.Or: illgwv1.Combination_OPERATOR_OR, z3950.AndNot: illgwv1.Combination_OPERATOR_AND_NOT, z3950.Prox: illgwv1.Combination_OPERATOR_PROX}
			c := &illgwv1.Combination{Operator: ops[n.Op]}
			if p := n.Prox; p != nil {
				c.Proximity = &illgwv1.Proximity{Exclusion: p.Exclusion != nil && *p.Exclusion, Distance: int32(p.Distance), Ordered: p.Ordered,
					Relation: int32(p.Relation), Unit: int32(p.Unit), PrivateUnit: p.Private}
			}
			var err error
			if c.Left, err = conv(n.Left, depth+1); err != nil {
				return nil, err
			}
			if c.Right, err = conv(n.Right, depth+1); err != nil {
				return nil, err
			}
			return &illgwv1.QueryNode{Node: &illgwv1.QueryNode_Combination{Combination: c}}, nil
		}
		return nil, fmt.Errorf("empty query")
	}
	root, err := conv(q.Root, 1)
	if err != nil {
		return nil, err
	}
	out := &illgwv1.Query{Root: root}
	if q.AttributeSet != nil {
		out.AttributeSet = q.AttributeSet.String()
	}
	return out, nil
}
