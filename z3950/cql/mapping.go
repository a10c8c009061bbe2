package cql

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/illgw/illgw/z3950"
)

// Mapping converts between CQL and RPN. It is read from a file in YAZ's pqf.properties format
// (YAZ manual, "Specification of CQL to RPN mappings"):
//
//	set.dc = info:srw/cql-context-set/1/dc-v1.1      context set prefix -> URI
//	set = info:srw/cql-context-set/1/cql-v1.2         default set for unprefixed indexes
//	index.dc.title = 1=4                              index -> attributes ("*" copies the name)
//	relation.eq = 2=3  relation.< = 2=1  relation.scr = 2=3 ...
//	position.any = 3=3  structure.* = 4=1  truncation.right = 5=1  always = 6=1
type Mapping struct {
	sets       map[string]string // prefix -> URI
	defaultSet string            // URI
	entries    map[string][]z3950.Attribute
	line       map[string]int // entry -> line number, to prefer earlier entries in reverse mapping
}

//go:embed default.properties
var defaultProperties string

// Default returns the shipped mapping for the cql, dc, bath and rec context sets. A Mapping
// is read-only once parsed, so the one returned is shared.
func Default() *Mapping { return defaultMapping() }

var defaultMapping = sync.OnceValue(func() *Mapping {
	m, err := ParseMapping(strings.NewReader(defaultProperties))
	if err != nil {
		panic("cql: shipped default.properties is invalid: " + err.Error())
	}
	return m
})

// ParseMapping reads a pqf.properties-style mapping.
func ParseMapping(r io.Reader) (*Mapping, error) {
	m := &Mapping{sets: map[string]string{}, entries: map[string][]z3950.Attribute{}, line: map[string]int{}}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("cql: mapping line %d: no '='", n)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case k == "set":
			m.defaultSet = v
		case strings.HasPrefix(k, "set."):
			m.sets[strings.ToLower(k[4:])] = v
		default:
			attrs, err := parseAttrs(v)
			if err != nil {
				return nil, fmt.Errorf("cql: mapping line %d: %v", n, err)
			}
			m.entries[strings.ToLower(k)] = attrs
			m.line[strings.ToLower(k)] = n
		}
	}
	return m, sc.Err()
}

// parseAttrs reads "1=4 2=3" (a value may be "*" or a word, kept in Str).
func parseAttrs(v string) ([]z3950.Attribute, error) {
	var out []z3950.Attribute
	for _, f := range strings.Fields(v) {
		t, val, ok := strings.Cut(f, "=")
		typ, err := strconv.Atoi(t)
		if !ok || err != nil {
			return nil, fmt.Errorf("bad attribute %q", f)
		}
		a := z3950.Attribute{Type: typ}
		if n, err := strconv.Atoi(val); err == nil {
			a.Value = n
		} else {
			a.Str = val
		}
		out = append(out, a)
	}
	return out, nil
}

// MappingError is a CQL feature the mapping cannot express; Code is the SRU diagnostic
// (15 unsupported context set, 16 unsupported index, 19 unsupported relation, 20 relation
// modifier, 46 boolean modifier...). Its Diagnostic method gives the Bib-1 equivalent.
type MappingError struct {
	Code int
	What string
}

func (e *MappingError) Error() string {
	return fmt.Sprintf("cql: unsupported (diagnostic %d): %s", e.Code, e.What)
}

var sruToBib1 = map[int]int{10: 108, 15: 121, 16: 114, 19: 117, 20: 117, 46: 110, 47: 110, 48: 3}

// Diagnostic returns the Bib-1 diagnostic for the error (for Z39.50 type-104 queries).
func (e *MappingError) Diagnostic() *z3950.Diagnostic {
	c, ok := sruToBib1[e.Code]
	if !ok {
		c = 3
	}
	return z3950.NewDiagnostic(c, e.What)
}

var relationNames = map[string]string{
	"<": "<", ">": ">", "<=": "le", ">=": "ge", "<>": "<>", "==": "exact", "=": "eq",
}

// ToRPN maps a parsed CQL query to a Type-1 query. sortBy is not part of RPN; the caller
// sorts with q.SortBy.
func (m *Mapping) ToRPN(q *Query) (*z3950.RPNQuery, error) {
	root, err := m.node(q.Root)
	if err != nil {
		return nil, err
	}
	return &z3950.RPNQuery{Root: root}, nil
}

func (m *Mapping) node(n Node) (z3950.Node, error) {
	switch n := n.(type) {
	case *Boolean:
		l, err := m.node(n.Left)
		if err != nil {
			return nil, err
		}
		r, err := m.node(n.Right)
		if err != nil {
			return nil, err
		}
		op := &z3950.Op{Left: l, Right: r}
		switch n.Op {
		case "and":
			op.Op = z3950.And
		case "or":
			op.Op = z3950.Or
		case "not":
			op.Op = z3950.AndNot
		case "prox":
			op.Op = z3950.Prox
			p, err := proxModifiers(n.Modifiers)
			if err != nil {
				return nil, err
			}
			op.Prox = p
			return op, nil
		}
		if len(n.Modifiers) > 0 {
			return nil, &MappingError{Code: 46, What: n.Op + "/" + n.Modifiers[0].Name}
		}
		return op, nil
	case *Clause:
		return m.clause(n)
	}
	return nil, &MappingError{Code: 48, What: "empty query"}
}

var proxUnits = map[string]int{"character": 1, "word": 2, "sentence": 3, "paragraph": 4, "element": 8}

func proxModifiers(mods []Modifier) (*z3950.Proximity, error) {
	no := false
	p := &z3950.Proximity{Exclusion: &no, Distance: 1, Relation: 2, Unit: 2}
	for _, md := range mods {
		switch strings.ToLower(md.Name) {
		case "unit":
			u, ok := proxUnits[strings.ToLower(md.Value)]
			if !ok {
				return nil, &MappingError{Code: 42, What: md.Value}
			}
			p.Unit = u
		case "distance":
			d, err := strconv.Atoi(md.Value)
			if err != nil || d < 0 {
				return nil, &MappingError{Code: 41, What: md.Value}
			}
			p.Distance = d
			p.Relation = map[string]int{"<": 1, "<=": 2, "=": 3, ">=": 4, ">": 5, "<>": 6}[md.Comparator]
			if p.Relation == 0 {
				return nil, &MappingError{Code: 40, What: md.Comparator}
			}
		case "ordered":
			p.Ordered = true
		case "unordered":
			p.Ordered = false
		default:
			return nil, &MappingError{Code: 43, What: md.Name}
		}
	}
	return p, nil
}

// lookup finds an entry, falling back to a "*" wildcard of the same family.
func (m *Mapping) lookup(key, family string) ([]z3950.Attribute, bool) {
	if a, ok := m.entries[strings.ToLower(key)]; ok {
		return a, true
	}
	a, ok := m.entries[family+".*"]
	return a, ok
}

func (m *Mapping) clause(c *Clause) (z3950.Node, error) {
	set, name := "", c.Index
	if c.Index == "" {
		set, name = "cql", "serverChoice"
	} else if i := strings.LastIndexByte(c.Index, '.'); i >= 0 {
		set, name = c.Index[:i], c.Index[i+1:]
	}
	set = strings.ToLower(set)
	// Resolve the prefix to a set name the mapping knows: a prefix assignment in the query
	// names a URI; the unprefixed default is the mapping's "set".
	if set == "" {
		set = m.prefixFor(m.defaultSet)
	} else if uri, ok := c.Prefixes[set]; ok {
		set = m.prefixFor(uri)
	}
	if _, known := m.sets[set]; !known && set != "cql" {
		return nil, &MappingError{Code: 15, What: set}
	}
	if set == "cql" && strings.EqualFold(name, "resultSetId") {
		return &z3950.SetRef{Name: unescape(c.Term)}, nil // CQL 1.2 cql context set
	}
	idx, ok := m.entries["index."+set+"."+strings.ToLower(name)]
	if !ok {
		idx, ok = m.entries["index."+set+".*"]
	}
	if !ok {
		return nil, &MappingError{Code: 16, What: c.Index}
	}
	rel := strings.ToLower(c.Relation.Op)
	if r, ok := relationNames[rel]; ok {
		rel = r
	}
	if c.Index == "" {
		rel = "scr"
	}
	for _, md := range c.Relation.Modifiers {
		if _, ok := m.entries["relationmodifier."+strings.ToLower(md.Name)]; !ok {
			return nil, &MappingError{Code: 20, What: md.Name}
		}
	}
	term := c.Term
	if rel == "any" || rel == "all" {
		words := strings.Fields(term)
		if len(words) > 1 {
			op := z3950.Or
			if rel == "all" {
				op = z3950.And
			}
			var out z3950.Node
			for _, w := range words {
				n, err := m.clause(&Clause{Index: c.Index, Relation: Relation{Op: "=", Modifiers: c.Relation.Modifiers}, Term: w, Prefixes: c.Prefixes})
				if err != nil {
					return nil, err
				}
				if out == nil {
					out = n
				} else {
					out = &z3950.Op{Op: op, Left: out, Right: n}
				}
			}
			return out, nil
		}
		rel = "eq"
	}
	relAttrs, ok := m.lookup("relation."+rel, "relation")
	if !ok {
		if rel == "scr" {
			relAttrs, ok = m.lookup("relation.eq", "relation")
		}
		if !ok {
			return nil, &MappingError{Code: 19, What: c.Relation.Op}
		}
	}
	// Truncation from unescaped '*' at either end; position from '^' anchors.
	trunc := "none"
	left := strings.HasPrefix(term, "*")
	right := strings.HasSuffix(term, "*") && !strings.HasSuffix(term, `\*`)
	switch {
	case left && right && len(term) > 1:
		trunc, term = "both", term[1:len(term)-1]
	case left:
		trunc, term = "left", term[1:]
	case right:
		trunc, term = "right", term[:len(term)-1]
	}
	pos := "any"
	if strings.HasPrefix(term, "^") {
		pos, term = "first", term[1:]
	}
	term = unescape(term)
	var attrs []z3950.Attribute
	add := func(as []z3950.Attribute) {
		for _, a := range as {
			if a.Str == "*" {
				a.Str = name
			}
			attrs = append(attrs, a)
		}
	}
	add(idx)
	if t, ok := m.entries["truncation."+trunc]; ok {
		add(t)
	} else if trunc != "none" {
		return nil, &MappingError{Code: 28, What: trunc}
	}
	add(m.entries["always"])
	add(m.entries["position."+pos])
	if s, ok := m.lookup("structure."+rel, "structure"); ok {
		add(s)
	}
	add(relAttrs)
	return &z3950.AttrTerm{Attrs: dedupe(attrs), Term: term}, nil
}

// dedupe keeps the first attribute of each type.
func dedupe(attrs []z3950.Attribute) []z3950.Attribute {
	seen := map[int]bool{}
	out := attrs[:0]
	for _, a := range attrs {
		if !seen[a.Type] {
			seen[a.Type] = true
			out = append(out, a)
		}
	}
	return out
}

func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		sb.WriteByte(s[i])
	}
	return sb.String()
}

func (m *Mapping) prefixFor(uri string) string {
	names := make([]string, 0, len(m.sets))
	for n, u := range m.sets {
		if u == uri {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	if len(names) > 0 {
		return names[0]
	}
	return "cql"
}

// Sets returns the mapping's context sets as (prefix, URI) pairs, sorted by prefix.
func (m *Mapping) Sets() [][2]string {
	var out [][2]string
	for p, u := range m.sets {
		out = append(out, [2]string{p, u})
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// Indexes returns the mapped indexes ("dc.title", ...) in file order, wildcards excluded.
func (m *Mapping) Indexes() []string {
	var out []string
	for k := range m.entries {
		if strings.HasPrefix(k, "index.") && !strings.HasSuffix(k, ".*") {
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool { return m.line[out[i]] < m.line[out[j]] })
	for i, k := range out {
		set, name, _ := strings.Cut(k[len("index."):], ".")
		out[i] = set + "." + caseOf(name)
	}
	return out
}

// MapCQL parses a CQL query and maps it to RPN; it fits z3950.Server.MapCQL for type-104
// queries. sortBy is ignored there (Z39.50 clients sort with a Sort request).
func (m *Mapping) MapCQL(s string) (*z3950.RPNQuery, error) {
	q, err := Parse(s)
	if err != nil {
		return nil, err
	}
	return m.ToRPN(q)
}
