package cql

import (
	"sort"
	"strconv"
	"strings"

	"github.com/illgw/illgw/z3950"
)

// setPreference orders context sets when several indexes map to the same Use attribute.
var setPreference = map[string]int{"dc": 0, "bath": 1, "rec": 2, "cql": 3}

// FromRPN converts a Type-1 query to CQL for SRU targets, using the mapping in reverse: the Use
// attribute picks the index, relation/truncation/structure attributes pick the relation and
// term masking. An attribute the mapping cannot express is a *MappingError (16 for a Use
// attribute with no index).
func (m *Mapping) FromRPN(q *z3950.RPNQuery) (*Query, error) {
	n, err := m.fromNode(q.Root)
	if err != nil {
		return nil, err
	}
	return &Query{Root: n}, nil
}

func (m *Mapping) fromNode(n z3950.Node) (Node, error) {
	switch n := n.(type) {
	case *z3950.Op:
		l, err := m.fromNode(n.Left)
		if err != nil {
			return nil, err
		}
		r, err := m.fromNode(n.Right)
		if err != nil {
			return nil, err
		}
		b := &Boolean{Left: l, Right: r}
		switch n.Op {
		case z3950.And:
			b.Op = "and"
		case z3950.Or:
			b.Op = "or"
		case z3950.AndNot:
			b.Op = "not"
		case z3950.Prox:
			b.Op = "prox"
			if p := n.Prox; p != nil {
				unit := ""
				for name, u := range proxUnits {
					if u == p.Unit && !p.Private {
						unit = name
					}
				}
				if unit == "" {
					return nil, &MappingError{Code: 42, What: strconv.Itoa(p.Unit)}
				}
				cmp := map[int]string{1: "<", 2: "<=", 3: "=", 4: ">=", 5: ">", 6: "<>"}[p.Relation]
				if cmp == "" {
					return nil, &MappingError{Code: 40, What: strconv.Itoa(p.Relation)}
				}
				b.Modifiers = []Modifier{{Name: "unit", Comparator: "=", Value: unit},
					{Name: "distance", Comparator: cmp, Value: strconv.Itoa(p.Distance)}}
				if p.Ordered {
					b.Modifiers = append(b.Modifiers, Modifier{Name: "ordered"})
				}
			}
		}
		return b, nil
	case *z3950.SetRef:
		return &Clause{Index: "cql.resultSetId", Relation: Relation{Op: "="}, Term: n.Name}, nil
	case *z3950.AttrTerm:
		return m.fromTerm(n)
	}
	return nil, &MappingError{Code: 48, What: "empty query"}
}

// indexFor returns the CQL index whose mapping starts with Use attribute use.
func (m *Mapping) indexFor(use int) string {
	var cands []string
	for k, attrs := range m.entries {
		if !strings.HasPrefix(k, "index.") || len(attrs) == 0 || attrs[0].Type != 1 || attrs[0].Str != "" || attrs[0].Value != use {
			continue
		}
		cands = append(cands, k[len("index."):])
	}
	sort.Slice(cands, func(i, j int) bool {
		si, sj := cands[i][:strings.IndexByte(cands[i], '.')], cands[j][:strings.IndexByte(cands[j], '.')]
		pi, oki := setPreference[si]
		pj, okj := setPreference[sj]
		if !oki {
			pi = 9
		}
		if !okj {
			pj = 9
		}
		if pi != pj {
			return pi < pj
		}
		return m.line["index."+cands[i]] < m.line["index."+cands[j]]
	})
	if len(cands) == 0 {
		return ""
	}
	return cands[0]
}

func escapeTerm(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `*`, `\*`, `?`, `\?`, `^`, `\^`)
	return r.Replace(s)
}

func (m *Mapping) fromTerm(t *z3950.AttrTerm) (Node, error) {
	c := &Clause{Relation: Relation{Op: "="}}
	for _, a := range t.Attrs {
		if a.Str != "" {
			return nil, &MappingError{Code: 16, What: a.Str}
		}
	}
	if use, ok := t.Get(1); ok && use != 1016 {
		idx := m.indexFor(use)
		if idx == "" {
			return nil, &MappingError{Code: 16, What: "Bib-1 use " + strconv.Itoa(use)}
		}
		// Print the index the way people write it: dc.title, bath.isbn.
		set, name, _ := strings.Cut(idx, ".")
		c.Index = set + "." + caseOf(name)
	}
	if rel, ok := t.Get(2); ok {
		ops := map[int]string{1: "<", 2: "<=", 3: "=", 4: ">=", 5: ">", 6: "<>", 102: "=", 103: "="}
		op, ok := ops[rel]
		if !ok {
			return nil, &MappingError{Code: 19, What: "Bib-1 relation " + strconv.Itoa(rel)}
		}
		c.Relation.Op = op
		if rel == 102 {
			c.Relation.Modifiers = []Modifier{{Name: "relevant"}}
		}
		if c.Index == "" && op != "=" {
			c.Index = "cql.serverChoice"
		}
	}
	if st, ok := t.Get(4); ok && (st == 3 || st == 108) {
		c.Relation.Op = "=="
		if c.Index == "" {
			c.Index = "cql.serverChoice"
		}
	}
	term := escapeTerm(t.Term)
	switch tr, _ := t.Get(5); tr {
	case 1:
		term += "*"
	case 2:
		term = "*" + term
	case 3:
		term = "*" + term + "*"
	case 0, 100:
	default:
		return nil, &MappingError{Code: 28, What: "Bib-1 truncation " + strconv.Itoa(tr)}
	}
	if p, _ := t.Get(3); p == 1 {
		term = "^" + term
	}
	c.Term = term
	return c, nil
}

// caseOf returns the index name as the mapping file spells it (keys are stored lower-case, so
// the common camel-case names are restored from a small table).
func caseOf(name string) string {
	switch name {
	case "servicechoice", "serverchoice":
		return "serverChoice"
	case "keytitle":
		return "keyTitle"
	case "personalname":
		return "personalName"
	case "corporatename":
		return "corporateName"
	case "standardidentifier":
		return "standardIdentifier"
	}
	return name
}
