package ncip

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// This file checks a body against the schema's required elements and
// choices before it is encoded. Struct tags carry the rules:
//
//	ncip:"req"      the element must be present (a string must be non-empty)
//	ncip:"one=G"    exactly one field of group G is present
//	ncip:"any=G"    at least one field of group G is present
//	ncip:"opt1=G"   at most one field of group G is present
//	ncip:"min=1"    a repeated element occurs at least once
//	ncip:"problem"  only allowed beside Problems in a response

var (
	problemType  = reflect.TypeOf(Problem{})
	leafTypes    = map[reflect.Type]bool{reflect.TypeOf(SchemeValue{}): true, reflect.TypeOf(DateTime{}): true}
	headerField  = "Header"
	problemField = "Problems"
)

// strict returns the body to encode: for a response with Problems, a copy
// with only the header, the Problems and the problem-side fields; otherwise
// a copy without the problem-side fields. The result has been validated.
func strict(body Body) (Body, error) {
	v := reflect.ValueOf(body)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("ncip: encode: %T is not a pointer to a message struct", body)
	}
	src := v.Elem()
	t := src.Type()
	probs := src.FieldByName(problemField)
	name := body.ServiceName()
	if probs.IsValid() && probs.Len() > 0 {
		out := reflect.New(t)
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if f.Name == headerField || f.Name == problemField || f.Tag.Get("ncip") == "problem" {
				out.Elem().Field(i).Set(src.Field(i))
			}
		}
		if h := out.Elem().FieldByName(headerField); !h.IsNil() {
			if err := validate(h.Interface(), name+"/ResponseHeader"); err != nil {
				return nil, err
			}
		}
		for i := 0; i < probs.Len(); i++ {
			if err := validate(probs.Index(i).Addr().Interface(), name+"/Problem"); err != nil {
				return nil, err
			}
		}
		return out.Interface().(Body), nil
	}
	out := reflect.New(t)
	out.Elem().Set(src)
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).Tag.Get("ncip") == "problem" {
			out.Elem().Field(i).SetZero()
		}
	}
	b := out.Interface().(Body)
	if err := validate(b, name); err != nil {
		return nil, err
	}
	return b, nil
}

// validate checks v (a pointer to a struct) and everything below it.
func validate(v any, path string) error {
	return check(reflect.ValueOf(v), path, true)
}

// missing returns an error naming the first required element of a decoded
// request that is absent, or nil. Unlike validate it is lenient: it ignores
// choices, repeats and empty strings, which real partners get wrong without
// harm, and checks only the elements a handler cannot do without.
func missing(req Request) error {
	return check(reflect.ValueOf(req), req.ServiceName(), false)
}

func present(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Slice:
		return v.Len() > 0
	case reflect.Bool:
		return v.Bool()
	}
	return !v.IsZero()
}

// fieldRule is what check needs to know of one struct field, read once per
// type from its tags (see the rules at the top of this file).
type fieldRule struct {
	name  string // the element name, from the xml tag or the field name
	rule  string // the ncip tag
	kind  string // for group rules: "one", "any" or "opt1"
	group int    // for group rules: index into structRules.groups
	skip  bool   // a Problem: never checked below
}

// structRules are the rules of one struct type.
type structRules struct {
	leaf   bool
	fields []fieldRule
	groups []groupRule
}

// groupRule is one choice group of a struct, in order of first appearance.
type groupRule struct {
	kind  string
	names string // the alternatives joined with " | ", for error messages
}

// rulesCache maps a reflect.Type to its *structRules. Types are a fixed set,
// so the cache is bounded; it saves parsing struct tags on every message.
var rulesCache sync.Map

func rulesOf(t reflect.Type) *structRules {
	if r, ok := rulesCache.Load(t); ok {
		return r.(*structRules)
	}
	r := &structRules{leaf: leafTypes[t]}
	if !r.leaf {
		index := map[string]int{}
		var names [][]string
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name := strings.Split(f.Tag.Get("xml"), ",")[0]
			if name == "" {
				name = f.Name
			}
			fr := fieldRule{name: name, rule: f.Tag.Get("ncip"), group: -1, skip: f.Type == problemType}
			if fr.rule != "req" && fr.rule != "min=1" && strings.Contains(fr.rule, "=") {
				kind, g, _ := strings.Cut(fr.rule, "=")
				gi, ok := index[g]
				if !ok {
					gi = len(r.groups)
					index[g] = gi
					r.groups = append(r.groups, groupRule{kind: kind})
					names = append(names, nil)
				}
				fr.kind, fr.group = kind, gi
				names[gi] = append(names[gi], name)
			}
			r.fields = append(r.fields, fr)
		}
		for i := range r.groups {
			r.groups[i].names = strings.Join(names[i], " | ")
		}
	}
	v, _ := rulesCache.LoadOrStore(t, r)
	return v.(*structRules)
}

func check(v reflect.Value, path string, strict bool) error {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			if err := check(v.Index(i), path, strict); err != nil {
				return err
			}
		}
		return nil
	case reflect.Struct:
	default:
		return nil
	}
	rules := rulesOf(v.Type())
	if rules.leaf {
		return nil
	}
	// Most structs have at most a few groups; counts live on the stack.
	var countsBuf [8]int
	counts := countsBuf[:0]
	if strict {
		if len(rules.groups) <= len(countsBuf) {
			counts = countsBuf[:len(rules.groups)]
		} else {
			counts = make([]int, len(rules.groups))
		}
	}
	for i := range rules.fields {
		f := &rules.fields[i]
		fv := v.Field(i)
		has := present(fv)
		switch {
		case !strict:
			if f.rule == "req" && fv.Kind() == reflect.Pointer && fv.IsNil() {
				return fmt.Errorf("ncip: %s/%s is required", path, f.name)
			}
		case f.rule == "req":
			if !has {
				return fmt.Errorf("ncip: encode: %s/%s is required", path, f.name)
			}
		case f.rule == "min=1":
			if fv.Len() == 0 {
				return fmt.Errorf("ncip: encode: %s/%s must occur at least once", path, f.name)
			}
		case f.group >= 0:
			if has {
				counts[f.group]++
			}
		}
		if has && !f.skip && descends(fv) {
			if err := check(fv, path+"/"+f.name, strict); err != nil {
				return err
			}
		}
	}
	if !strict {
		return nil
	}
	for i, g := range rules.groups {
		switch {
		case g.kind == "one" && counts[i] != 1:
			return fmt.Errorf("ncip: encode: %s needs exactly one of (%s), has %d", path, g.names, counts[i])
		case g.kind == "any" && counts[i] == 0:
			return fmt.Errorf("ncip: encode: %s needs one of (%s)", path, g.names)
		case g.kind == "opt1" && counts[i] > 1:
			return fmt.Errorf("ncip: encode: %s allows at most one of (%s)", path, g.names)
		}
	}
	return nil
}

// descends reports whether check can find anything to check below v: only
// structs (through pointers and slices) carry rules. It saves building the
// path string for every string and int field.
func descends(v reflect.Value) bool {
	t := v.Type()
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	return t.Kind() == reflect.Struct && !leafTypes[t]
}
