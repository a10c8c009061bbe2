package broker

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc"

	"github.com/illgw/illgw/broker/ill"
	"github.com/illgw/illgw/broker/loan"
	"github.com/illgw/illgw/marc"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

// Bib-1 use attributes (Z39.50-2003 Appendix 3, Bib-1 attribute set).
const (
	useTitle = 4
	useISBN  = 7
	useISSN  = 8
	useLCCN  = 9
)

// Searcher is the Catalog service's Search, as a gRPC client or the server
// itself offers it.
type Searcher interface {
	Search(ctx context.Context, req *illgwv1.SearchRequest, opts ...grpc.CallOption) (*illgwv1.SearchResponse, error)
}

// ownCatalog is the broker's own Catalog service as a Searcher.
type ownCatalog struct{ c *catalog }

func (o ownCatalog) Search(ctx context.Context, req *illgwv1.SearchRequest, _ ...grpc.CallOption) (*illgwv1.SearchResponse, error) {
	return o.c.Search(ctx, req)
}

// defaultHoldings searches the broker's own Catalog service across every
// member that lends.
func (b *Broker) defaultHoldings() loan.Catalog {
	var dbs []string
	for _, m := range b.members {
		if m.Lends {
			dbs = append(dbs, m.Code)
		}
	}
	return HoldingsFrom(ownCatalog{b.catalog}, dbs...)
}

// HoldingsFrom adapts the Catalog service to the loan engine's catalogue
// (issue 8 point 2): it searches the given databases (member codes or a
// virtual database) by ISBN, ISSN, LCCN or else title, and returns the
// holdings of the best match (the first merged record).
func HoldingsFrom(s Searcher, databases ...string) loan.Catalog {
	return &holdings{s: s, dbs: databases}
}

type holdings struct {
	s   Searcher
	dbs []string
}

// errNoTerm is returned for a bib with nothing to search by.
var errNoTerm = errors.New("broker: the loan names no ISBN, ISSN, LCCN or title to search for")

func (h *holdings) Holdings(ctx context.Context, b loan.Bib) ([]ill.Holding, loan.Bib, error) {
	use, term := 0, ""
	switch {
	case b.ISBN != "":
		use, term = useISBN, b.ISBN
	case b.ISSN != "":
		use, term = useISSN, b.ISSN
	case b.LCCN != "":
		use, term = useLCCN, b.LCCN
	case b.Title != "":
		use, term = useTitle, b.Title
	default:
		return nil, loan.Bib{}, errNoTerm
	}
	q := &illgwv1.Query{Root: &illgwv1.QueryNode{Node: &illgwv1.QueryNode_Term{Term: &illgwv1.AttributesPlusTerm{
		Attributes: []*illgwv1.Attribute{{Type: 1, Value: &illgwv1.Attribute_Numeric{Numeric: int64(use)}}},
		Term:       term,
	}}}}
	var out []ill.Holding
	var found loan.Bib
	described := false
	// The Catalog service takes at most maxDatabases databases a search.
	for i := 0; i < len(h.dbs); i += maxDatabases {
		resp, err := h.s.Search(ctx, &illgwv1.SearchRequest{Databases: h.dbs[i:min(i+maxDatabases, len(h.dbs))], Query: q,
			Start: 1, Count: 1, Session: "illgw-loans", ResultSetName: "rota"})
		if err != nil {
			return nil, loan.Bib{}, fmt.Errorf("catalogue search: %w", err)
		}
		recs := resp.GetRecords()
		if len(recs) == 0 {
			continue
		}
		if !described {
			found, described = describe(recs[0]), true
		}
		for _, x := range recs[0].GetHoldings() { // the best match only
			out = append(out, ill.Holding{Member: x.GetMember(), ItemID: x.GetItemId(), CallNumber: x.GetCallNumber(),
				Available: x.GetAvailability() == illgwv1.Holding_AVAILABILITY_AVAILABLE})
		}
	}
	return out, found, nil
}

// describe is what a loan records of a catalogue record: title, main entry,
// date and identifiers (zero when the record does not decode).
func describe(r *illgwv1.Record) loan.Bib {
	var rec *marc.Record
	var err error
	if r.GetSyntax() == "marcxml" {
		rec, _, err = marc.DecodeXML(r.GetData())
	} else {
		rec, _, err = marc.Decode(r.GetData())
	}
	if err != nil || rec == nil {
		return loan.Bib{}
	}
	b := loan.Bib{Title: rec.Title(), Author: rec.MainEntry(), Date: rec.Date(), LCCN: rec.LCCN()}
	if v := rec.ISBNs(); len(v) > 0 {
		b.ISBN = v[0]
	}
	if v := rec.ISSNs(); len(v) > 0 {
		b.ISSN = v[0]
	}
	return b
}
