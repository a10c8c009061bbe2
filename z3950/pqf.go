package z3950

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/illgw/illgw/z3950/ber"
)

// PQF is YAZ's Prefix Query Format, the text form of Type-1 queries used by yaz-client, zoomsh
// and in logs (YAZ manual "Prefix Query Format"):
//
//	query   ::= [ '@attrset' set ] struct
//	struct  ::= { '@attr' [set] type '=' value } term
//	          | '@set' name
//	          | ('@and' | '@or' | '@not') struct struct
//	          | '@prox' exclusion distance ordered relation ('k'|'p') unit struct struct
//	          | '@term' ('general'|'numeric'|'string'|'null') struct
//
// Terms are bare words or "double-quoted" with backslash escapes.

// MaxPQFDepth bounds operator nesting in ParsePQF; deeper queries are refused.
const MaxPQFDepth = 64

// MaxPQFLength bounds the length of a PQF string accepted by ParsePQF.
const MaxPQFLength = 64 << 10

// attribute set names YAZ accepts (yaz oid database, Z39.50-2003 Appendix 1 §A1.3).
var attrSetNames = map[string]string{
	"bib-1": "1.2.840.10003.3.1", "exp-1": "1.2.840.10003.3.2", "ext-1": "1.2.840.10003.3.3",
	"ccl-1": "1.2.840.10003.3.4", "gils": "1.2.840.10003.3.5", "stas-1": "1.2.840.10003.3.6",
	"collections-1": "1.2.840.10003.3.7", "cimi-1": "1.2.840.10003.3.8", "geo-1": "1.2.840.10003.3.9",
	"zbig": "1.2.840.10003.3.10", "util": "1.2.840.10003.3.11", "xd-1": "1.2.840.10003.3.12",
	"zthes": "1.2.840.10003.3.13", "fin-1": "1.2.840.10003.3.14", "dan-1": "1.2.840.10003.3.15",
	"holdings": "1.2.840.10003.3.16", "marc": "1.2.840.10003.3.17", "bib-2": "1.2.840.10003.3.18",
	"zeerex": "1.2.840.10003.3.19",
}

var attrSetPrintNames = map[string]string{
	"1.2.840.10003.3.1": "Bib-1", "1.2.840.10003.3.2": "Exp-1", "1.2.840.10003.3.3": "Ext-1",
	"1.2.840.10003.3.5": "GILS", "1.2.840.10003.3.11": "Util",
}

// PQFError is a PQF syntax error at a byte offset.
type PQFError struct {
	Offset int
	Msg    string
}

func (e *PQFError) Error() string { return fmt.Sprintf("z3950: PQF: %s at offset %d", e.Msg, e.Offset) }

// Diagnostic returns Bib-1 108 (malformed query), what a server sends for a bad PQF.
func (e *PQFError) Diagnostic() *Diagnostic { return NewDiagnostic(108, e.Msg) }

type pqfParser struct {
	s     string
	pos   int
	tok   string
	tokAt int
	quote bool
}

// next reads the next token; quoted tokens have quote set.
func (p *pqfParser) next() bool {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t' || p.s[p.pos] == '\n' || p.s[p.pos] == '\r') {
		p.pos++
	}
	p.tokAt = p.pos
	p.quote = false
	if p.pos >= len(p.s) {
		p.tok = ""
		return false
	}
	if p.s[p.pos] == '"' {
		var sb strings.Builder
		p.pos++
		for p.pos < len(p.s) && p.s[p.pos] != '"' {
			if p.s[p.pos] == '\\' && p.pos+1 < len(p.s) {
				p.pos++
			}
			sb.WriteByte(p.s[p.pos])
			p.pos++
		}
		if p.pos >= len(p.s) {
			p.tok = sb.String()
			p.quote = true
			p.pos = len(p.s) + 1 // mark unterminated
			return true
		}
		p.pos++
		p.tok = sb.String()
		p.quote = true
		return true
	}
	start := p.pos
	for p.pos < len(p.s) && p.s[p.pos] != ' ' && p.s[p.pos] != '\t' && p.s[p.pos] != '\n' && p.s[p.pos] != '\r' {
		p.pos++
	}
	p.tok = p.s[start:p.pos]
	return true
}

func (p *pqfParser) fail(msg string) error { return &PQFError{Offset: p.tokAt, Msg: msg} }

func (p *pqfParser) need(what string) error {
	if !p.next() {
		return p.fail("missing " + what)
	}
	if p.pos > len(p.s) {
		return p.fail("unterminated quote")
	}
	return nil
}

func (p *pqfParser) int(what string) (int, error) {
	if err := p.need(what); err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(p.tok)
	if err != nil || n < -(1<<31) || n > 1<<31-1 {
		return 0, p.fail("bad " + what + " " + strconv.Quote(p.tok))
	}
	return n, nil
}

func parseAttrSet(name string) (ber.OID, bool) {
	if o, ok := attrSetNames[strings.ToLower(name)]; ok {
		return ber.MustOID(o), true
	}
	if o, err := ber.ParseOID(name); err == nil {
		return o, true
	}
	return nil, false
}

// ParsePQF parses a PQF query into an RPN query.
func ParsePQF(s string) (*RPNQuery, error) {
	if len(s) > MaxPQFLength {
		return nil, &PQFError{Msg: "query too long"}
	}
	p := &pqfParser{s: s}
	q := &RPNQuery{}
	if err := p.need("query"); err != nil {
		return nil, err
	}
	if !p.quote && p.tok == "@attrset" {
		if err := p.need("attribute set"); err != nil {
			return nil, err
		}
		o, ok := parseAttrSet(p.tok)
		if !ok {
			return nil, p.fail("unknown attribute set " + strconv.Quote(p.tok))
		}
		if !o.Equal(OIDBib1Attributes) {
			q.AttributeSet = o
		}
		if err := p.need("query"); err != nil {
			return nil, err
		}
	}
	n, err := p.structure(0, TermGeneral)
	if err != nil {
		return nil, err
	}
	if p.next() {
		return nil, p.fail("trailing " + strconv.Quote(p.tok))
	}
	q.Root = n
	return q, nil
}

// structure parses one query-struct whose first token is already in p.tok.
func (p *pqfParser) structure(depth int, kind TermKind) (Node, error) {
	if depth > MaxPQFDepth {
		return nil, p.fail("query nested too deeply")
	}
	if p.pos > len(p.s) {
		return nil, p.fail("unterminated quote")
	}
	var attrs []Attribute
	for !p.quote && p.tok == "@attr" {
		at, err := p.attr()
		if err != nil {
			return nil, err
		}
		attrs = append(attrs, at)
		if err := p.need("term"); err != nil {
			return nil, err
		}
	}
	if p.quote || !strings.HasPrefix(p.tok, "@") || len(attrs) > 0 && p.tok == "@" {
		return &AttrTerm{Attrs: attrs, Term: p.tok, Kind: kind}, nil
	}
	if len(attrs) > 0 && p.tok != "@term" {
		return nil, p.fail("attributes must precede a term")
	}
	op := &Op{}
	switch p.tok {
	case "@and":
		op.Op = And
	case "@or":
		op.Op = Or
	case "@not":
		op.Op = AndNot
	case "@prox":
		op.Op = Prox
		pr, err := p.prox()
		if err != nil {
			return nil, err
		}
		op.Prox = pr
	case "@set":
		if err := p.need("result set name"); err != nil {
			return nil, err
		}
		return &SetRef{Name: p.tok}, nil
	case "@term":
		if err := p.need("term type"); err != nil {
			return nil, err
		}
		k := map[string]TermKind{"general": TermGeneral, "numeric": TermNumeric, "string": TermCharacter, "null": TermNull}
		kd, ok := k[p.tok]
		if !ok {
			return nil, p.fail("unknown term type " + strconv.Quote(p.tok))
		}
		if kd == TermNull {
			return &AttrTerm{Attrs: attrs, Kind: TermNull}, nil
		}
		if err := p.need("term"); err != nil {
			return nil, err
		}
		if kd == TermNumeric {
			if _, err := strconv.ParseInt(p.tok, 10, 64); err != nil {
				return nil, p.fail("numeric term " + strconv.Quote(p.tok))
			}
		}
		return &AttrTerm{Attrs: attrs, Term: p.tok, Kind: kd}, nil
	default:
		return nil, p.fail("unknown operator " + strconv.Quote(p.tok))
	}
	var err error
	if err = p.need("operand"); err != nil {
		return nil, err
	}
	if op.Left, err = p.structure(depth+1, TermGeneral); err != nil {
		return nil, err
	}
	if err = p.need("operand"); err != nil {
		return nil, err
	}
	if op.Right, err = p.structure(depth+1, TermGeneral); err != nil {
		return nil, err
	}
	return op, nil
}

// attr parses the rest of "@attr [set] type=value".
func (p *pqfParser) attr() (Attribute, error) {
	var at Attribute
	if err := p.need("attribute"); err != nil {
		return at, err
	}
	if !strings.Contains(p.tok, "=") {
		o, ok := parseAttrSet(p.tok)
		if !ok {
			return at, p.fail("unknown attribute set " + strconv.Quote(p.tok))
		}
		at.Set = o
		if err := p.need("attribute"); err != nil {
			return at, err
		}
	}
	t, v, ok := strings.Cut(p.tok, "=")
	if !ok {
		return at, p.fail("attribute without '='")
	}
	n, err := strconv.Atoi(t)
	if err != nil || n < 0 || n > 1<<31-1 {
		return at, p.fail("bad attribute type " + strconv.Quote(t))
	}
	at.Type = n
	if m, err := strconv.Atoi(v); err == nil && m >= -(1<<31) && m <= 1<<31-1 {
		at.Value = m
	} else if v != "" {
		at.Str = v
	} else {
		return at, p.fail("empty attribute value")
	}
	return at, nil
}

func (p *pqfParser) prox() (*Proximity, error) {
	pr := &Proximity{}
	ex, err := p.int("exclusion")
	if err != nil {
		return nil, err
	}
	if ex != 0 {
		b := true
		pr.Exclusion = &b
	} else {
		b := false
		pr.Exclusion = &b
	}
	if pr.Distance, err = p.int("distance"); err != nil {
		return nil, err
	}
	ord, err := p.int("ordered")
	if err != nil {
		return nil, err
	}
	pr.Ordered = ord != 0
	if pr.Relation, err = p.int("relation"); err != nil {
		return nil, err
	}
	if err := p.need("unit kind"); err != nil {
		return nil, err
	}
	switch p.tok {
	case "k", "known":
	case "p", "private":
		pr.Private = true
	default:
		return nil, p.fail("proximity unit kind must be k or p")
	}
	if pr.Unit, err = p.int("unit"); err != nil {
		return nil, err
	}
	return pr, nil
}

// PQF prints q in YAZ's prefix query format; ParsePQF(PQF(q)) gives q back. The default
// attribute set is printed only when it is not Bib-1.
func PQF(q *RPNQuery) string {
	if q == nil {
		return ""
	}
	var sb strings.Builder
	if q.AttributeSet != nil && !q.AttributeSet.Equal(OIDBib1Attributes) {
		sb.WriteString("@attrset " + setName(q.AttributeSet) + " ")
	}
	writePQF(&sb, q.Root)
	return sb.String()
}

func setName(o ber.OID) string {
	if n, ok := attrSetPrintNames[o.String()]; ok {
		return n
	}
	return o.String()
}

func writePQF(sb *strings.Builder, n Node) {
	switch n := n.(type) {
	case *AttrTerm:
		for _, a := range n.Attrs {
			sb.WriteString("@attr ")
			if a.Set != nil {
				sb.WriteString(setName(a.Set) + " ")
			}
			sb.WriteString(strconv.Itoa(a.Type) + "=")
			if a.Str != "" {
				sb.WriteString(a.Str)
			} else {
				sb.WriteString(strconv.Itoa(a.Value))
			}
			sb.WriteByte(' ')
		}
		switch n.Kind {
		case TermNumeric:
			sb.WriteString("@term numeric ")
		case TermCharacter:
			sb.WriteString("@term string ")
		case TermNull:
			sb.WriteString("@term null")
			return
		}
		sb.WriteString(quoteTerm(n.Term))
	case *SetRef:
		sb.WriteString("@set " + quoteTerm(n.Name))
	case *Op:
		switch n.Op {
		case And:
			sb.WriteString("@and ")
		case Or:
			sb.WriteString("@or ")
		case AndNot:
			sb.WriteString("@not ")
		case Prox:
			p := n.Prox
			if p == nil {
				p = &Proximity{Relation: 2, Unit: 2}
			}
			ex := 0
			if p.Exclusion != nil && *p.Exclusion {
				ex = 1
			}
			kind := "k"
			if p.Private {
				kind = "p"
			}
			fmt.Fprintf(sb, "@prox %d %d %d %d %s %d ", ex, p.Distance, b2i(p.Ordered), p.Relation, kind, p.Unit)
		}
		writePQF(sb, n.Left)
		sb.WriteByte(' ')
		writePQF(sb, n.Right)
	}
}

func quoteTerm(s string) string {
	if s != "" && !strings.HasPrefix(s, "@") && !strings.ContainsAny(s, " \t\r\n\"\\") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}
