// Package cql parses CQL 1.2 (the Contextual Query Language, LoC "CQL: the Contextual Query
// Language" specification, version 1.2) and maps it to and from Z39.50 Type-1 (RPN) queries
// through a mapping in YAZ's pqf.properties format.
package cql

import (
	"errors"
	"fmt"
	"strings"

	"github.com/illgw/illgw/z3950"
)

// Limits on what Parse accepts.
const (
	MaxQueryLength = 64 << 10
	MaxDepth       = 64
)

// Node is a CQL query tree node: *Clause or *Boolean.
type Node interface {
	node()
	write(sb *strings.Builder, top bool)
}

// Modifier is a relation, boolean or sort modifier: /name, or /name op value.
type Modifier struct {
	Name       string
	Comparator string // "" when the modifier has no value
	Value      string
}

// Relation is a comparator with its modifiers.
type Relation struct {
	Op        string // "=", "==", "<", ">", "<=", ">=", "<>", or a named relation (any, all, exact, adj, within, ...)
	Modifiers []Modifier
}

// Clause is a search clause: index relation term. An unqualified term has Index "" and
// Relation "=" (cql.serverChoice with the server-choice relation).
type Clause struct {
	Index    string
	Relation Relation
	Term     string
	// Prefixes maps a prefix to its context set URI for prefix assignments in scope.
	Prefixes map[string]string
}

// Boolean joins two subqueries with and, or, not or prox (left-associative, equal precedence).
type Boolean struct {
	Op          string
	Modifiers   []Modifier
	Left, Right Node
}

// SortKey is one sortBy key.
type SortKey struct {
	Index     string
	Modifiers []Modifier
}

// Query is a parsed CQL query.
type Query struct {
	Root   Node
	SortBy []SortKey
}

func (*Clause) node()  {}
func (*Boolean) node() {}

// Error is a CQL syntax error; Code is the SRU diagnostic (10 query syntax error).
type Error struct {
	Code   int
	Offset int
	Msg    string
}

func (e *Error) Error() string { return fmt.Sprintf("cql: %s at offset %d", e.Msg, e.Offset) }

// ErrSyntax is matched by errors.Is for every syntax *Error.
var ErrSyntax = errors.New("cql: syntax error")

// Is makes errors.Is(err, ErrSyntax) true for syntax errors.
func (e *Error) Is(target error) bool { return target == ErrSyntax && e.Code == 10 }

// String prints the query in CQL; Parse(q.String()) gives the same tree.
func (q *Query) String() string {
	var sb strings.Builder
	if q.Root != nil {
		q.Root.write(&sb, true)
	}
	if len(q.SortBy) > 0 {
		sb.WriteString(" sortBy")
		for _, k := range q.SortBy {
			sb.WriteString(" " + k.Index)
			writeMods(&sb, k.Modifiers)
		}
	}
	return sb.String()
}

func writeMods(sb *strings.Builder, mods []Modifier) {
	for _, m := range mods {
		sb.WriteString("/" + m.Name)
		if m.Comparator != "" {
			sb.WriteString(m.Comparator + quote(m.Value))
		}
	}
}

func (c *Clause) write(sb *strings.Builder, _ bool) {
	if c.Index != "" {
		sb.WriteString(c.Index)
		if isSymbol(c.Relation.Op) && len(c.Relation.Modifiers) == 0 {
			sb.WriteString(c.Relation.Op)
		} else {
			sb.WriteString(" " + c.Relation.Op)
			writeMods(sb, c.Relation.Modifiers)
			sb.WriteByte(' ')
		}
	}
	sb.WriteString(quote(c.Term))
}

func (b *Boolean) write(sb *strings.Builder, top bool) {
	if !top {
		sb.WriteByte('(')
	}
	b.Left.write(sb, false)
	sb.WriteString(" " + b.Op)
	writeMods(sb, b.Modifiers)
	sb.WriteByte(' ')
	b.Right.write(sb, false)
	if !top {
		sb.WriteByte(')')
	}
}

func isSymbol(op string) bool {
	switch op {
	case "=", "==", "<", ">", "<=", ">=", "<>":
		return true
	}
	return false
}

var reserved = map[string]bool{"and": true, "or": true, "not": true, "prox": true, "sortby": true}

// quote returns s bare when it is a plain word, else in double quotes. Terms keep their
// backslash escapes as written (CQL 1.2 §"Masking"), so s needs no further escaping.
func quote(s string) string {
	if s != "" && !reserved[strings.ToLower(s)] && !strings.ContainsAny(s, " \t\r\n()=<>\"/") {
		return s
	}
	// A trailing unescaped backslash would escape the closing quote: escape it.
	n := len(s) - len(strings.TrimRight(s, `\`))
	if n%2 == 1 {
		s += `\`
	}
	return `"` + s + `"`
}

// Diagnostic returns Bib-1 108 (malformed query), for CQL sent over Z39.50.
func (e *Error) Diagnostic() *z3950.Diagnostic { return z3950.NewDiagnostic(108, e.Msg) }
