package broker

import (
	"fmt"
	"unicode/utf8"

	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
	"github.com/illgw/illgw/z3950"
	"github.com/illgw/illgw/z3950/ber"
)

// Limits on a query received over gRPC, checked while the tree is walked
// and before anything is built from a node. They match what the Z39.50
// front end accepts (z3950.Server MaxDepth 64), so a query that reached
// the broker through it always fits.
const (
	maxQueryDepth = 64
	maxQueryNodes = 1024 // operands and operators together
	maxTermBytes  = 1024 // one term, UTF-8
	maxTermAttrs  = 32   // attributes of one term
	maxOIDLen     = 64   // an attribute-set OID in dotted form
)

// QueryError is a query the broker refuses. Code is the Bib-1 diagnostic
// the front ends answer with (Z39.50-2003 Appendix 3: 108 malformed query,
// 121 unsupported attribute set, 124 unsupported term type, 128 illegal
// result set name).
type QueryError struct {
	Code int
	Msg  string
}

func (e *QueryError) Error() string {
	return fmt.Sprintf("broker: query: %s (Bib-1 %d)", e.Msg, e.Code)
}

// rpnFromProto turns the gRPC query into the RPN tree of package z3950
// (Z39.50-2003 §3.7). sets resolves a result-set operand to the id the
// caller may use; nil refuses every result-set operand.
func rpnFromProto(q *illgwv1.Query) (*z3950.RPNQuery, error) {
	if q == nil || q.Root == nil {
		return nil, &QueryError{108, "empty query"}
	}
	out := &z3950.RPNQuery{}
	if q.AttributeSet != "" {
		oid, err := parseOID(q.AttributeSet)
		if err != nil {
			return nil, &QueryError{121, "attribute set " + err.Error()}
		}
		out.AttributeSet = oid
	}
	nodes := 0
	root, err := nodeFromProto(q.Root, 1, &nodes)
	if err != nil {
		return nil, err
	}
	out.Root = root
	return out, nil
}

func nodeFromProto(n *illgwv1.QueryNode, depth int, count *int) (z3950.Node, error) {
	if depth > maxQueryDepth {
		return nil, &QueryError{108, fmt.Sprintf("query nested deeper than %d", maxQueryDepth)}
	}
	*count++
	if *count > maxQueryNodes {
		return nil, &QueryError{108, fmt.Sprintf("query has more than %d nodes", maxQueryNodes)}
	}
	switch v := n.GetNode().(type) {
	case *illgwv1.QueryNode_Term:
		return termFromProto(v.Term)
	case *illgwv1.QueryNode_ResultSet:
		if v.ResultSet == "" || len(v.ResultSet) > 256 {
			return nil, &QueryError{128, "result set name"}
		}
		return &z3950.SetRef{Name: v.ResultSet}, nil
	case *illgwv1.QueryNode_Combination:
		c := v.Combination
		if c.Left == nil || c.Right == nil {
			return nil, &QueryError{108, "operator without two operands"}
		}
		op := &z3950.Op{}
		switch c.Operator {
		case illgwv1.Combination_OPERATOR_AND:
			op.Op = z3950.And
		case illgwv1.Combination_OPERATOR_OR:
			op.Op = z3950.Or
		case illgwv1.Combination_OPERATOR_AND_NOT:
			op.Op = z3950.AndNot
		case illgwv1.Combination_OPERATOR_PROX:
			op.Op = z3950.Prox
			p := c.Proximity
			if p == nil {
				return nil, &QueryError{108, "proximity operator without its parameters"}
			}
			op.Prox = &z3950.Proximity{Distance: int(p.Distance), Ordered: p.Ordered, Relation: int(p.Relation),
				Unit: int(p.Unit), Private: p.PrivateUnit}
			if p.Exclusion {
				ex := true
				op.Prox.Exclusion = &ex
			}
		default:
			return nil, &QueryError{108, fmt.Sprintf("unknown operator %d", c.Operator)}
		}
		var err error
		if op.Left, err = nodeFromProto(c.Left, depth+1, count); err != nil {
			return nil, err
		}
		if op.Right, err = nodeFromProto(c.Right, depth+1, count); err != nil {
			return nil, err
		}
		return op, nil
	}
	return nil, &QueryError{108, "empty query node"}
}

func termFromProto(t *illgwv1.AttributesPlusTerm) (*z3950.AttrTerm, error) {
	if len(t.Term) > maxTermBytes {
		return nil, &QueryError{108, fmt.Sprintf("term longer than %d bytes", maxTermBytes)}
	}
	if !utf8.ValidString(t.Term) {
		return nil, &QueryError{108, "term is not UTF-8"}
	}
	if len(t.Attributes) > maxTermAttrs {
		return nil, &QueryError{108, fmt.Sprintf("more than %d attributes on a term", maxTermAttrs)}
	}
	out := &z3950.AttrTerm{Term: t.Term}
	switch t.TermType {
	case 0, 1:
	case 2:
		out.Kind = z3950.TermNumeric
	case 3:
		out.Kind = z3950.TermCharacter
	default:
		return nil, &QueryError{124, fmt.Sprintf("term type %d", t.TermType)}
	}
	for _, a := range t.Attributes {
		za := z3950.Attribute{Type: int(a.Type)}
		if a.AttributeSet != "" {
			oid, err := parseOID(a.AttributeSet)
			if err != nil {
				return nil, &QueryError{121, "attribute set " + err.Error()}
			}
			za.Set = oid
		}
		switch v := a.Value.(type) {
		case *illgwv1.Attribute_Numeric:
			za.Value = int(v.Numeric)
			if v.Numeric < -1<<31 || v.Numeric > 1<<31-1 {
				return nil, &QueryError{108, "attribute value out of range"}
			}
		case *illgwv1.Attribute_String_:
			if v.String_ == "" || len(v.String_) > maxTermBytes || !utf8.ValidString(v.String_) {
				return nil, &QueryError{108, "string attribute value"}
			}
			za.Str = v.String_
		default:
			return nil, &QueryError{108, "attribute without a value"}
		}
		out.Attrs = append(out.Attrs, za)
	}
	return out, nil
}

func parseOID(s string) (ber.OID, error) {
	if len(s) > maxOIDLen {
		return nil, fmt.Errorf("%q too long", s[:maxOIDLen])
	}
	oid, err := ber.ParseOID(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not an OID", s)
	}
	return oid, nil
}

// setRefs lists the result-set operands of a query.
func setRefs(n z3950.Node, out []string) []string {
	switch n := n.(type) {
	case *z3950.SetRef:
		out = append(out, n.Name)
	case *z3950.Op:
		out = setRefs(n.Left, out)
		out = setRefs(n.Right, out)
	}
	return out
}
