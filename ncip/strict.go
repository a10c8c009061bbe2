package ncip

import (
	"fmt"
	"reflect"
	"strings"
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
	if leafTypes[v.Type()] {
		return nil
	}
	t := v.Type()
	type group struct {
		kind  string
		count int
		names []string
	}
	groups := map[string]*group{}
	var order []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		fv := v.Field(i)
		name := strings.Split(f.Tag.Get("xml"), ",")[0]
		if name == "" {
			name = f.Name
		}
		rule := f.Tag.Get("ncip")
		has := present(fv)
		switch {
		case !strict:
			if rule == "req" && fv.Kind() == reflect.Pointer && fv.IsNil() {
				return fmt.Errorf("ncip: %s/%s is required", path, name)
			}
		case rule == "req":
			if !has {
				return fmt.Errorf("ncip: encode: %s/%s is required", path, name)
			}
		case rule == "min=1":
			if fv.Len() == 0 {
				return fmt.Errorf("ncip: encode: %s/%s must occur at least once", path, name)
			}
		case strings.Contains(rule, "="):
			kind, g, _ := strings.Cut(rule, "=")
			gr := groups[g]
			if gr == nil {
				gr = &group{kind: kind}
				groups[g] = gr
				order = append(order, g)
			}
			gr.names = append(gr.names, name)
			if has {
				gr.count++
			}
		}
		if has && f.Type != problemType {
			if err := check(fv, path+"/"+name, strict); err != nil {
				return err
			}
		}
	}
	for _, g := range order {
		if !strict {
			break
		}
		gr := groups[g]
		alts := strings.Join(gr.names, " | ")
		switch {
		case gr.kind == "one" && gr.count != 1:
			return fmt.Errorf("ncip: encode: %s needs exactly one of (%s), has %d", path, alts, gr.count)
		case gr.kind == "any" && gr.count == 0:
			return fmt.Errorf("ncip: encode: %s needs one of (%s)", path, alts)
		case gr.kind == "opt1" && gr.count > 1:
			return fmt.Errorf("ncip: encode: %s allows at most one of (%s)", path, alts)
		}
	}
	return nil
}
