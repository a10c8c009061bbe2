package z3950

import (
	"strconv"

	"github.com/illgw/illgw/z3950/ber"
)

// Query is the Search query (Z39.50-2003 §3.2.2.1.3 "Query"): a Type-1 RPN query or a
// type-104 CQL string. Exactly one is set.
type Query struct {
	RPN *RPNQuery
	CQL string
}

// RPNQuery is a Type-1 query (Z39.50-2003 §3.7): a default attribute set and an RPN tree.
type RPNQuery struct {
	AttributeSet ber.OID // nil means Bib-1
	Root         Node
}

// Node is one node of an RPN tree: *AttrTerm, *SetRef or *Op.
type Node interface{ rpnNode() }

// Attribute is one AttributeElement (Z39.50-2003 §3.7.1): type and numeric or string value,
// optionally from an attribute set other than the query's.
type Attribute struct {
	Set   ber.OID
	Type  int
	Value int
	// Str is set for a complex (string) value instead of Value.
	Str string
}

// TermKind says how a term was encoded (Z39.50 Term CHOICE).
type TermKind uint8

// Term encodings.
const (
	TermGeneral   TermKind = iota // [45] OCTET STRING (what YAZ sends)
	TermCharacter                 // [216] InternationalString
	TermNumeric                   // [215] INTEGER
	TermNull                      // [221] NULL
)

// AttrTerm is an AttributesPlusTerm operand (Z39.50-2003 §3.7.1).
type AttrTerm struct {
	Attrs []Attribute
	Term  string
	Kind  TermKind
}

// SetRef is a result-set operand: search within a named result set.
type SetRef struct{ Name string }

// Operator is a Boolean or proximity operator.
type Operator uint8

// Operators (Z39.50-2003 §3.7.2).
const (
	And Operator = iota
	Or
	AndNot
	Prox
)

// Proximity is a ProximityOperator (Z39.50-2003 §3.7.3).
type Proximity struct {
	Exclusion *bool
	Distance  int
	Ordered   bool
	Relation  int // 1 < ... 6 !=
	Unit      int // known unit (2 word); Private marks a private unit
	Private   bool
}

// Op combines two subtrees.
type Op struct {
	Op          Operator
	Prox        *Proximity
	Left, Right Node
}

func (*AttrTerm) rpnNode() {}
func (*SetRef) rpnNode()   {}
func (*Op) rpnNode()       {}

// Get returns the value of the first attribute of type t and whether it is there.
func (a *AttrTerm) Get(t int) (int, bool) {
	for _, at := range a.Attrs {
		if at.Type == t && at.Str == "" {
			return at.Value, true
		}
	}
	return 0, false
}

func (q *Query) encode(e *ber.Encoder) {
	e.Constructed(ber.CC(21), func(e *ber.Encoder) {
		if q.RPN == nil {
			e.Constructed(ber.CC(104), func(e *ber.Encoder) {
				e.OID(tagOID, OIDCQL)
				e.Constructed(ber.CC(0), func(e *ber.Encoder) { e.String(tagGeneralString, q.CQL) })
			})
			return
		}
		q.RPN.encode(e, ber.CC(1))
	})
}

func (q *RPNQuery) encode(e *ber.Encoder, tag ber.Tag) {
	e.Constructed(tag, func(e *ber.Encoder) {
		set := q.AttributeSet
		if set == nil {
			set = OIDBib1Attributes
		}
		e.OID(tagOID, set)
		encodeNode(e, q.Root)
	})
}

func encodeNode(e *ber.Encoder, n Node) {
	switch n := n.(type) {
	case *AttrTerm:
		e.Constructed(ber.CC(0), func(e *ber.Encoder) { n.encode(e) })
	case *SetRef:
		e.Constructed(ber.CC(0), func(e *ber.Encoder) { e.String(ber.C(tagResultSetID), n.Name) })
	case *Op:
		e.Constructed(ber.CC(1), func(e *ber.Encoder) {
			encodeNode(e, n.Left)
			encodeNode(e, n.Right)
			e.Constructed(ber.CC(46), func(e *ber.Encoder) {
				switch n.Op {
				case And, Or, AndNot:
					e.Null(ber.C(uint32(n.Op)))
				case Prox:
					p := n.Prox
					if p == nil {
						p = &Proximity{Relation: 2, Unit: 2}
					}
					e.Constructed(ber.CC(3), func(e *ber.Encoder) {
						if p.Exclusion != nil {
							e.Bool(ber.C(1), *p.Exclusion)
						}
						e.Int(ber.C(2), int64(p.Distance))
						e.Bool(ber.C(3), p.Ordered)
						e.Int(ber.C(4), int64(p.Relation))
						e.Constructed(ber.CC(5), func(e *ber.Encoder) {
							if p.Private {
								e.Int(ber.C(2), int64(p.Unit))
							} else {
								e.Int(ber.C(1), int64(p.Unit))
							}
						})
					})
				}
			})
		})
	}
}

// encode writes AttributesPlusTerm [102].
func (a *AttrTerm) encode(e *ber.Encoder) {
	e.Constructed(ber.CC(102), func(e *ber.Encoder) {
		encodeAttrs(e, a.Attrs)
		switch a.Kind {
		case TermCharacter:
			e.String(ber.C(216), a.Term)
		case TermNumeric:
			n, _ := strconv.ParseInt(a.Term, 10, 64)
			e.Int(ber.C(215), n)
		case TermNull:
			e.Null(ber.C(221))
		default:
			e.String(ber.C(45), a.Term)
		}
	})
}

func encodeAttrs(e *ber.Encoder, attrs []Attribute) {
	e.Constructed(ber.CC(44), func(e *ber.Encoder) {
		for _, at := range attrs {
			e.Constructed(tagSequence, func(e *ber.Encoder) {
				if at.Set != nil {
					e.OID(ber.C(1), at.Set)
				}
				e.Int(ber.C(120), int64(at.Type))
				if at.Str != "" {
					e.Constructed(ber.CC(224), func(e *ber.Encoder) {
						e.Constructed(ber.CC(1), func(e *ber.Encoder) { e.String(ber.C(1), at.Str) })
					})
				} else {
					e.Int(ber.C(121), int64(at.Value))
				}
			})
		}
	})
}

func decodeQuery(v ber.Value) (Query, error) {
	var q Query
	c := v.First()
	switch c.Tag() {
	case ber.CC(1), ber.CC(101):
		r, err := decodeRPNQuery(c)
		if err != nil {
			return q, err
		}
		q.RPN = r
		return q, nil
	case ber.CC(104):
		x, err := decodeExternal(c)
		if err != nil || !x.OID.Equal(OIDCQL) {
			return q, NewDiagnostic(107, "type-104 query other than CQL")
		}
		if x.ASN1 != nil {
			t, err := ber.Parse(x.ASN1, ber.Limits{MaxSize: len(x.ASN1) + 1})
			if err == nil {
				q.CQL = t.Root().String()
			}
		} else {
			q.CQL = string(x.Octets)
		}
		return q, nil
	}
	return q, NewDiagnostic(107, "query type "+c.Tag().String())
}

func decodeRPNQuery(v ber.Value) (*RPNQuery, error) {
	c := v.First()
	set, err := getOID(c, "RPNQuery attributeSet")
	if err != nil {
		return nil, err
	}
	r := &RPNQuery{}
	if !set.Equal(OIDBib1Attributes) {
		r.AttributeSet = set
	}
	if r.Root, err = decodeNode(c.Next()); err != nil {
		return nil, err
	}
	return r, nil
}

// decodeNode decodes an RPNStructure. Recursion depth is bounded by the BER depth limit that
// Parse already enforced.
func decodeNode(v ber.Value) (Node, error) {
	switch v.Tag() {
	case ber.CC(0):
		op := v.First()
		switch op.Tag() {
		case ber.CC(102):
			return decodeAttrTerm(op)
		case ber.C(tagResultSetID):
			return &SetRef{Name: op.String()}, nil
		}
		return nil, malformed("Operand " + op.Tag().String())
	case ber.CC(1):
		l := v.First()
		r := l.Next()
		o := r.Next()
		left, err := decodeNode(l)
		if err != nil {
			return nil, err
		}
		right, err := decodeNode(r)
		if err != nil {
			return nil, err
		}
		n := &Op{Left: left, Right: right}
		if !o.Is(ber.CC(46)) {
			return nil, malformed("RPN operator")
		}
		oc := o.First()
		switch oc.Tag() {
		case ber.C(0), ber.C(1), ber.C(2):
			n.Op = Operator(oc.Tag().Num)
		case ber.CC(3):
			n.Op = Prox
			p, err := decodeProx(oc)
			if err != nil {
				return nil, err
			}
			n.Prox = p
		default:
			return nil, malformed("RPN operator")
		}
		return n, nil
	}
	return nil, malformed("RPNStructure")
}

func decodeProx(v ber.Value) (*Proximity, error) {
	p := &Proximity{}
	var err error
	for c := v.First(); c.Valid() && err == nil; c = c.Next() {
		switch c.Tag() {
		case ber.C(1):
			var b bool
			b, err = getBool(c, "exclusion")
			p.Exclusion = &b
		case ber.C(2):
			p.Distance, err = getInt(c, "distance")
		case ber.C(3):
			p.Ordered, err = getBool(c, "ordered")
		case ber.C(4):
			p.Relation, err = getInt(c, "relationType")
		case ber.CC(5):
			u := c.First()
			p.Private = u.Tag() == ber.C(2)
			p.Unit, err = getInt(u, "proximityUnitCode")
		}
	}
	return p, err
}

func decodeAttrTerm(v ber.Value) (*AttrTerm, error) {
	a := &AttrTerm{}
	list := v.First()
	if !list.Is(ber.CC(44)) {
		return nil, malformed("AttributeList")
	}
	attrs, err := decodeAttrs(list)
	if err != nil {
		return nil, err
	}
	a.Attrs = attrs
	t := list.Next()
	switch t.Tag() {
	case ber.C(45), ber.CC(45):
		a.Term = string(t.OctetString())
	case ber.C(216):
		a.Term, a.Kind = t.String(), TermCharacter
	case ber.C(215):
		n, err := getInt(t, "numeric term")
		if err != nil {
			return nil, err
		}
		a.Term, a.Kind = strconv.Itoa(n), TermNumeric
	case ber.C(221):
		a.Kind = TermNull
	default:
		return nil, NewDiagnostic(229, "term type "+t.Tag().String())
	}
	return a, nil
}

func decodeAttrs(list ber.Value) ([]Attribute, error) {
	var attrs []Attribute
	for el := list.First(); el.Valid(); el = el.Next() {
		var at Attribute
		var err error
		for c := el.First(); c.Valid() && err == nil; c = c.Next() {
			switch c.Tag() {
			case ber.C(1):
				at.Set, err = getOID(c, "attributeSet")
			case ber.C(120):
				at.Type, err = getInt(c, "attributeType")
			case ber.C(121):
				at.Value, err = getInt(c, "attributeValue")
			case ber.CC(224):
				if s := c.Child(ber.CC(1)).First(); s.Valid() {
					if s.Tag() == ber.C(2) {
						at.Value, err = getInt(s, "attributeValue")
					} else {
						at.Str = s.String()
					}
				}
			}
		}
		if err != nil {
			return nil, err
		}
		attrs = append(attrs, at)
	}
	return attrs, nil
}
