package adapter

import (
	"regexp"
	"strconv"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
	"github.com/illgw/illgw/z3950"
)

// maxDepth bounds the RPN tree sent to the broker; the broker refuses
// deeper ones too (Bib-1 108).
const maxDepth = 64

// queryToProto turns an RPN query (Z39.50-2003 §3.7) into the broker's.
func queryToProto(q *z3950.RPNQuery) (*illgwv1.Query, error) {
	out := &illgwv1.Query{}
	if q.AttributeSet != nil {
		out.AttributeSet = q.AttributeSet.String()
	}
	root, err := nodeToProto(q.Root, 1)
	if err != nil {
		return nil, err
	}
	out.Root = root
	return out, nil
}

func nodeToProto(n z3950.Node, depth int) (*illgwv1.QueryNode, error) {
	if depth > maxDepth {
		return nil, z3950.NewDiagnostic(108, "query nested too deep")
	}
	switch n := n.(type) {
	case *z3950.AttrTerm:
		return &illgwv1.QueryNode{Node: &illgwv1.QueryNode_Term{Term: termToProto(n)}}, nil
	case *z3950.SetRef:
		return &illgwv1.QueryNode{Node: &illgwv1.QueryNode_ResultSet{ResultSet: n.Name}}, nil
	case *z3950.Op:
		c := &illgwv1.Combination{}
		switch n.Op {
		case z3950.And:
			c.Operator = illgwv1.Combination_OPERATOR_AND
		case z3950.Or:
			c.Operator = illgwv1.Combination_OPERATOR_OR
		case z3950.AndNot:
			c.Operator = illgwv1.Combination_OPERATOR_AND_NOT
		case z3950.Prox:
			c.Operator = illgwv1.Combination_OPERATOR_PROX
			if p := n.Prox; p != nil {
				c.Proximity = &illgwv1.Proximity{Exclusion: p.Exclusion != nil && *p.Exclusion, Distance: int32(p.Distance),
					Ordered: p.Ordered, Relation: int32(p.Relation), Unit: int32(p.Unit), PrivateUnit: p.Private}
			}
		}
		var err error
		if c.Left, err = nodeToProto(n.Left, depth+1); err != nil {
			return nil, err
		}
		if c.Right, err = nodeToProto(n.Right, depth+1); err != nil {
			return nil, err
		}
		return &illgwv1.QueryNode{Node: &illgwv1.QueryNode_Combination{Combination: c}}, nil
	}
	return nil, z3950.NewDiagnostic(108, "empty query")
}

func termToProto(t *z3950.AttrTerm) *illgwv1.AttributesPlusTerm {
	out := &illgwv1.AttributesPlusTerm{Term: t.Term}
	switch t.Kind {
	case z3950.TermNumeric:
		out.TermType = 2
	case z3950.TermCharacter:
		out.TermType = 3
	}
	for _, a := range t.Attrs {
		out.Attributes = append(out.Attributes, attrToProto(a))
	}
	return out
}

func attrToProto(a z3950.Attribute) *illgwv1.Attribute {
	pa := &illgwv1.Attribute{Type: int32(a.Type)}
	if a.Set != nil {
		pa.AttributeSet = a.Set.String()
	}
	if a.Str != "" {
		pa.Value = &illgwv1.Attribute_String_{String_: a.Str}
	} else {
		pa.Value = &illgwv1.Attribute_Numeric{Numeric: int64(a.Value)}
	}
	return pa
}

// bib1InMessage finds the Bib-1 code the broker puts in its error
// messages: "... (Bib-1 109)".
var bib1InMessage = regexp.MustCompile(`\(Bib-1 (\d{1,4})\)`)

// diagnostic maps a broker error to the Bib-1 diagnostic (Z39.50-2003
// Appendix 3) the client gets; SRU turns it into its own diagnostic. The
// broker names the code in its message when it knows it; otherwise the
// gRPC code decides. Messages of internal errors do not reach the client.
func diagnostic(err error) *z3950.Diagnostic {
	st, _ := status.FromError(err)
	msg := st.Message()
	if m := bib1InMessage.FindStringSubmatch(msg); m != nil {
		code, _ := strconv.Atoi(m[1])
		return z3950.NewDiagnostic(code, clip(msg, 200))
	}
	switch st.Code() {
	case codes.InvalidArgument:
		return z3950.NewDiagnostic(108, clip(msg, 200)) // malformed query
	case codes.NotFound:
		return z3950.NewDiagnostic(109, clip(msg, 200)) // database unavailable
	case codes.Unimplemented:
		return z3950.NewDiagnostic(3, "") // unsupported search
	case codes.PermissionDenied, codes.Unauthenticated:
		return z3950.NewDiagnostic(1011, "") // bad userid or password / access denied
	case codes.ResourceExhausted:
		return z3950.NewDiagnostic(33, "") // resources exhausted
	}
	return z3950.NewDiagnostic(2, "") // temporary system error
}
