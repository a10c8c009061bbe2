package cql

import (
	"strings"
)

type tokKind int

const (
	tEOF tokKind = iota
	tWord
	tQuoted
	tLParen
	tRParen
	tSlash
	tCmp // = == < > <= >= <>
)

type token struct {
	kind tokKind
	text string
	at   int
}

type parser struct {
	s     string
	pos   int
	tok   token
	depth int
}

func (p *parser) next() error {
	s := p.s
	for p.pos < len(s) && strings.IndexByte(" \t\r\n", s[p.pos]) >= 0 {
		p.pos++
	}
	p.tok = token{at: p.pos}
	if p.pos >= len(s) {
		p.tok.kind = tEOF
		return nil
	}
	c := s[p.pos]
	switch c {
	case '(':
		p.tok.kind, p.tok.text = tLParen, "("
		p.pos++
	case ')':
		p.tok.kind, p.tok.text = tRParen, ")"
		p.pos++
	case '/':
		p.tok.kind, p.tok.text = tSlash, "/"
		p.pos++
	case '=', '<', '>':
		p.tok.kind = tCmp
		two := ""
		if p.pos+1 < len(s) {
			two = s[p.pos : p.pos+2]
		}
		switch two {
		case "==", "<=", ">=", "<>":
			p.tok.text = two
			p.pos += 2
		default:
			p.tok.text = string(c)
			p.pos++
		}
	case '"':
		p.pos++
		start := p.pos
		for p.pos < len(s) && s[p.pos] != '"' {
			if s[p.pos] == '\\' {
				p.pos++
			}
			p.pos++
		}
		if p.pos >= len(s) {
			return p.fail("unterminated quoted term")
		}
		p.tok.kind, p.tok.text = tQuoted, s[start:p.pos]
		p.pos++
	default:
		start := p.pos
		// charString1: no whitespace, ( ) = < > " or / (a backslash does not escape them).
		for p.pos < len(s) && strings.IndexByte(" \t\r\n()=<>\"/", s[p.pos]) < 0 {
			p.pos++
		}
		p.tok.kind, p.tok.text = tWord, s[start:p.pos]
	}
	return nil
}

func (p *parser) fail(msg string) error { return &Error{Code: 10, Offset: p.tok.at, Msg: msg} }

func (p *parser) isWord(w string) bool {
	return p.tok.kind == tWord && strings.EqualFold(p.tok.text, w)
}

func (p *parser) isBoolean() bool {
	return p.isWord("and") || p.isWord("or") || p.isWord("not") || p.isWord("prox")
}

// Parse parses a CQL 1.2 query. Errors are *Error with SRU diagnostic code 10.
func Parse(s string) (*Query, error) {
	if len(s) > MaxQueryLength {
		return nil, &Error{Code: 10, Msg: "query too long"}
	}
	p := &parser{s: s}
	if err := p.next(); err != nil {
		return nil, err
	}
	if p.tok.kind == tEOF {
		return nil, p.fail("empty query")
	}
	root, err := p.query(map[string]string{})
	if err != nil {
		return nil, err
	}
	q := &Query{Root: root}
	if p.isWord("sortby") {
		if err := p.next(); err != nil {
			return nil, err
		}
		for p.tok.kind == tWord || p.tok.kind == tQuoted {
			k := SortKey{Index: p.tok.text}
			if err := p.next(); err != nil {
				return nil, err
			}
			if k.Modifiers, err = p.modifiers(); err != nil {
				return nil, err
			}
			q.SortBy = append(q.SortBy, k)
		}
		if len(q.SortBy) == 0 {
			return nil, p.fail("sortBy without a key")
		}
	}
	if p.tok.kind != tEOF {
		return nil, p.fail("unexpected " + p.tok.text)
	}
	return q, nil
}

// query ::= prefixAssignment query | scopedClause
func (p *parser) query(prefixes map[string]string) (Node, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > MaxDepth {
		return nil, p.fail("query nested too deeply")
	}
	for p.tok.kind == tCmp && p.tok.text == ">" {
		if err := p.next(); err != nil {
			return nil, err
		}
		if p.tok.kind != tWord && p.tok.kind != tQuoted {
			return nil, p.fail("prefix assignment without URI")
		}
		name, uri := "", p.tok.text
		if err := p.next(); err != nil {
			return nil, err
		}
		if p.tok.kind == tCmp && p.tok.text == "=" {
			if err := p.next(); err != nil {
				return nil, err
			}
			if p.tok.kind != tWord && p.tok.kind != tQuoted {
				return nil, p.fail("prefix assignment without URI")
			}
			name, uri = uri, p.tok.text
			if err := p.next(); err != nil {
				return nil, err
			}
		}
		scoped := make(map[string]string, len(prefixes)+1)
		for k, v := range prefixes {
			scoped[k] = v
		}
		scoped[name] = uri
		prefixes = scoped
	}
	left, err := p.clause(prefixes)
	if err != nil {
		return nil, err
	}
	for p.isBoolean() {
		b := &Boolean{Op: strings.ToLower(p.tok.text), Left: left}
		if err := p.next(); err != nil {
			return nil, err
		}
		if b.Modifiers, err = p.modifiers(); err != nil {
			return nil, err
		}
		if b.Right, err = p.clause(prefixes); err != nil {
			return nil, err
		}
		left = b
	}
	return left, nil
}

// clause ::= '(' query ')' | index relation term | term
func (p *parser) clause(prefixes map[string]string) (Node, error) {
	switch p.tok.kind {
	case tLParen:
		if err := p.next(); err != nil {
			return nil, err
		}
		n, err := p.query(prefixes)
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tRParen {
			return nil, p.fail("missing )")
		}
		return n, p.next()
	case tCmp:
		if p.tok.text == ">" {
			return p.query(prefixes)
		}
		return nil, p.fail("relation without index")
	case tWord, tQuoted:
	default:
		return nil, p.fail("expected a search term")
	}
	first := p.tok
	if err := p.next(); err != nil {
		return nil, err
	}
	c := &Clause{Prefixes: prefixes}
	// index relation term?
	if first.kind == tWord && (p.tok.kind == tCmp || (p.tok.kind == tWord && !p.isBoolean() && !p.isWord("sortby"))) {
		c.Index = first.text
		c.Relation.Op = p.tok.text
		if p.tok.kind == tWord {
			c.Relation.Op = strings.ToLower(p.tok.text)
		}
		if err := p.next(); err != nil {
			return nil, err
		}
		var err error
		if c.Relation.Modifiers, err = p.modifiers(); err != nil {
			return nil, err
		}
		if p.tok.kind != tWord && p.tok.kind != tQuoted {
			return nil, p.fail("missing search term")
		}
		c.Term = p.tok.text
		return c, p.next()
	}
	if first.kind == tWord && reserved[strings.ToLower(first.text)] {
		return nil, p.fail("reserved word " + first.text + " used as a term")
	}
	c.Relation.Op = "="
	c.Term = first.text
	return c, nil
}

// modifiers ::= { '/' name [ comparator value ] }
func (p *parser) modifiers() ([]Modifier, error) {
	var mods []Modifier
	for p.tok.kind == tSlash {
		if err := p.next(); err != nil {
			return nil, err
		}
		if p.tok.kind != tWord {
			return nil, p.fail("modifier without a name")
		}
		m := Modifier{Name: p.tok.text}
		if err := p.next(); err != nil {
			return nil, err
		}
		if p.tok.kind == tCmp {
			m.Comparator = p.tok.text
			if err := p.next(); err != nil {
				return nil, err
			}
			if p.tok.kind != tWord && p.tok.kind != tQuoted {
				return nil, p.fail("modifier without a value")
			}
			m.Value = p.tok.text
			if err := p.next(); err != nil {
				return nil, err
			}
		}
		mods = append(mods, m)
		if len(mods) > 32 {
			return nil, p.fail("too many modifiers")
		}
	}
	return mods, nil
}
