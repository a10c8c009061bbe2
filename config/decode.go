package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// maxNodes caps the YAML nodes the decoder visits, aliases expanded, so
// that a few anchors cannot expand into millions of values ("billion
// laughs").
const maxNodes = 200_000

var (
	durationType = reflect.TypeFor[time.Duration]()
	secretType   = reflect.TypeFor[Secret]()
)

// decoder fills Go values from a yaml.Node tree by walking the Go types, so
// that every key is checked against the schema (an unknown key is an error
// naming it and its line) and every key's line is recorded for validation.
//
// A null value (a key with nothing after the colon, or ~) leaves the
// default in place, as if the key were absent.
type decoder struct {
	p       *problems
	nodes   int
	tooMany bool
}

func (d *decoder) fail(line int, key, format string, args ...any) {
	d.p.bad[key] = true
	d.p.at(line, key, format, args...)
}

// deref follows aliases and counts the node against maxNodes. It returns
// nil when the limit is passed.
func (d *decoder) deref(n *yaml.Node, key string) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode; i++ {
		if i > 100 {
			d.fail(n.Line, key, "alias chain too long")
			return nil
		}
		n = n.Alias
	}
	d.nodes++
	if d.nodes > maxNodes {
		if !d.tooMany {
			d.tooMany = true
			d.fail(n.Line, key, "file expands to more than %d values (aliases included)", maxNodes)
		}
		return nil
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.DocumentNode:
		return "a document"
	}
	return "a scalar"
}

// value decodes n into v, whose key path is key.
func (d *decoder) value(n *yaml.Node, v reflect.Value, key string) {
	n = d.deref(n, key)
	if n == nil || isNull(n) {
		return
	}
	switch v.Type() {
	case durationType:
		d.duration(n, v, key)
		return
	case secretType:
		d.secret(n, v.Addr().Interface().(*Secret), key)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			nv := reflect.New(v.Type().Elem())
			setDefaults(nv.Interface())
			v.Set(nv)
		}
		d.value(n, v.Elem(), key)
	case reflect.Struct:
		d.structure(n, v, key)
	case reflect.Slice:
		d.sequence(n, v, key)
	case reflect.Map:
		d.mapping(n, v, key)
	default:
		d.scalar(n, v, key)
	}
}

// scalar decodes strings, booleans and numbers. A value that does not
// parse is quoted in the message (truncated); secrets never reach here.
func (d *decoder) scalar(n *yaml.Node, v reflect.Value, key string) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n.Line, key, "expected a single value, got %s", kindName(n))
		return
	}
	s := n.Value
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		switch strings.ToLower(s) {
		case "true":
			v.SetBool(true)
		case "false":
			v.SetBool(false)
		default:
			d.fail(n.Line, key, "expected true or false, got %s", quote(s))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if err != nil {
			d.fail(n.Line, key, "expected an integer, got %s", quote(s))
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u, err := strconv.ParseUint(s, 10, v.Type().Bits())
		if err != nil {
			d.fail(n.Line, key, "expected a whole number from 0 to %d, got %s", uint64(1)<<v.Type().Bits()-1, quote(s))
			return
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(s, v.Type().Bits())
		if err != nil {
			d.fail(n.Line, key, "expected a number, got %s", quote(s))
			return
		}
		v.SetFloat(f)
	default:
		panic("config: no decoder for " + v.Type().String())
	}
}

// duration decodes a Go duration string such as 500ms, 5s, 1h30m. A bare
// number is refused: "timeout: 4" has no unit and has been read as 4
// nanoseconds by other software.
func (d *decoder) duration(n *yaml.Node, v reflect.Value, key string) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n.Line, key, "expected a duration such as 5s, got %s", kindName(n))
		return
	}
	s := strings.TrimSpace(n.Value)
	if _, err := strconv.ParseFloat(s, 64); err == nil && s != "0" {
		d.fail(n.Line, key, "duration %s has no unit: write %ss or %sms", quote(s), s, s)
		return
	}
	dur, err := time.ParseDuration(s)
	if err != nil {
		d.fail(n.Line, key, "expected a duration such as 500ms, 5s or 2h, got %s", quote(s))
		return
	}
	v.SetInt(int64(dur))
}

// secret decodes {env: NAME}, {file: PATH} or {value: ...}. A bare scalar
// is refused, and the message never repeats what was written.
func (d *decoder) secret(n *yaml.Node, s *Secret, key string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n.Line, key, "a secret is written {env: NAME}, {file: PATH} or {value: ...} (or %s_env: NAME beside it)", lastKey(key))
		return
	}
	d.structure(n, reflect.ValueOf(s).Elem(), key)
	set := 0
	for _, x := range []string{s.Env, s.File, s.Value} {
		if x != "" {
			set++
		}
	}
	if set > 1 {
		d.fail(n.Line, key, "give only one of env, file and value")
	}
}

// entry is one key and value of a mapping, after merge keys (<<) are
// expanded.
type entry struct{ k, v *yaml.Node }

// entries lists a mapping's keys in order, with the entries of merged
// mappings (<<: *anchor) after them unless overridden. Repeated keys are
// reported.
func (d *decoder) entries(n *yaml.Node, key string) []entry {
	return d.entriesDepth(n, key, 0)
}

// maxMergeDepth bounds merges of merges (and a mapping merged into itself).
const maxMergeDepth = 10

func (d *decoder) entriesDepth(n *yaml.Node, key string, depth int) []entry {
	var out []entry
	seen := map[string]int{}
	var merged []entry
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.fail(k.Line, key, "a key must be a plain name, got %s", kindName(k))
			continue
		}
		if k.ShortTag() == "!!merge" {
			if depth >= maxMergeDepth {
				d.fail(k.Line, key, "merges (<<) nested more than %d deep", maxMergeDepth)
				continue
			}
			merged = append(merged, d.merge(v, key, depth+1)...)
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.fail(k.Line, childKey(key, k.Value), "key repeated (first at line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		out = append(out, entry{k, v})
	}
	for _, e := range merged {
		if _, ok := seen[e.k.Value]; !ok {
			seen[e.k.Value] = e.k.Line
			out = append(out, e)
		}
	}
	return out
}

// merge lists the entries of the mapping or list of mappings after <<.
func (d *decoder) merge(v *yaml.Node, key string, depth int) []entry {
	v = d.deref(v, key)
	if v == nil {
		return nil
	}
	var srcs []*yaml.Node
	switch v.Kind {
	case yaml.MappingNode:
		srcs = []*yaml.Node{v}
	case yaml.SequenceNode:
		for _, m := range v.Content {
			if m = d.deref(m, key); m != nil {
				srcs = append(srcs, m)
			}
		}
	default:
		d.fail(v.Line, key, "<< must name a mapping")
	}
	var out []entry
	for _, m := range srcs {
		if m.Kind != yaml.MappingNode {
			d.fail(m.Line, key, "<< must name a mapping")
			continue
		}
		out = append(out, d.entriesDepth(m, key, depth)...)
	}
	return out
}

// structure decodes a mapping into a struct, field by yaml tag. For every
// Secret field X the keys X_env and X_file are accepted too.
func (d *decoder) structure(n *yaml.Node, v reflect.Value, key string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n.Line, key, "expected a mapping of keys, got %s", kindName(n))
		return
	}
	t := v.Type()
	fields := map[string]int{}
	shorthand := map[string]int{}
	var names []string
	for i := range t.NumField() {
		name := yamlName(t.Field(i))
		if name == "" {
			continue
		}
		fields[name] = i
		names = append(names, name)
		if t.Field(i).Type == secretType {
			shorthand[name+"_env"] = i
			shorthand[name+"_file"] = i
			names = append(names, name+"_env", name+"_file")
		}
	}
	written := map[int]string{} // secret field index -> key that set it
	for _, e := range d.entries(n, key) {
		name := e.k.Value
		k := childKey(key, name)
		if i, ok := fields[name]; ok {
			d.p.lines[k] = e.k.Line
			if t.Field(i).Type == secretType {
				if d.conflict(written, i, name, yamlName(t.Field(i)), e.k.Line, key) {
					continue
				}
			}
			d.value(e.v, v.Field(i), k)
			continue
		}
		if i, ok := shorthand[name]; ok {
			canon := childKey(key, yamlName(t.Field(i)))
			d.p.lines[canon] = e.k.Line
			if d.conflict(written, i, name, yamlName(t.Field(i)), e.k.Line, key) {
				continue
			}
			val := d.deref(e.v, k)
			if val == nil {
				continue
			}
			if val.Kind != yaml.ScalarNode || isNull(val) || val.Value == "" {
				d.fail(val.Line, k, "expected the name of an environment variable or file")
				continue
			}
			s := v.Field(i).Addr().Interface().(*Secret)
			if strings.HasSuffix(name, "_env") {
				s.Env = val.Value
			} else {
				s.File = val.Value
			}
			continue
		}
		msg := "unknown key"
		if guess := closest(name, names); guess != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", guess)
		}
		d.fail(e.k.Line, k, "%s", msg)
	}
}

// conflict reports a secret field set by two keys (password and
// password_env, say).
func (d *decoder) conflict(written map[int]string, i int, name, canonical string, line int, key string) bool {
	if prev, ok := written[i]; ok {
		d.p.bad[childKey(key, canonical)] = true
		d.fail(line, childKey(key, name), "the secret is already given by %s; keep only one", prev)
		return true
	}
	written[i] = name
	return false
}

// sequence decodes a list into a slice; each new element gets its type's
// defaults before it is decoded.
func (d *decoder) sequence(n *yaml.Node, v reflect.Value, key string) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n.Line, key, "expected a list, got %s", kindName(n))
		return
	}
	if len(n.Content) == 0 {
		v.Set(reflect.Zero(v.Type()))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		k := indexKey(key, i)
		d.p.lines[k] = item.Line
		el := s.Index(i)
		setDefaults(el.Addr().Interface())
		d.value(item, el, k)
	}
	v.Set(s)
}

// mapping decodes a mapping into a map with string keys (databases).
func (d *decoder) mapping(n *yaml.Node, v reflect.Value, key string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n.Line, key, "expected a mapping, got %s", kindName(n))
		return
	}
	m := reflect.MakeMap(v.Type())
	for _, e := range d.entries(n, key) {
		k := childKey(key, e.k.Value)
		d.p.lines[k] = e.k.Line
		el := reflect.New(v.Type().Elem()).Elem()
		d.value(e.v, el, k)
		m.SetMapIndex(reflect.ValueOf(e.k.Value), el)
	}
	v.Set(m)
}

// yamlName is a field's key, or "" for fields that are not in the file.
func yamlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" || name == "" {
		return ""
	}
	return name
}

func lastKey(key string) string {
	if i := strings.LastIndexAny(key, ".]"); i >= 0 {
		return key[i+1:]
	}
	return key
}

// quote quotes a value for a message, cut to 40 bytes.
func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return strconv.Quote(s)
}

// closest is the name within edit distance 2 of s, for "did you mean".
func closest(s string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		if d := editDistance(s, n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
