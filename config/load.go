package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxFileSize is the largest configuration file Load reads (1 MiB); a
// consortium of hundreds of members and thousands of terminals needs a
// fraction of it. The limit is checked before the file is read.
const MaxFileSize = 1 << 20

// Load reads the configuration file at path, decodes it strictly (an
// unknown key is an error naming the key and its line), applies defaults,
// resolves every secret from its environment variable or file, and
// validates the result. On failure the error is an ErrorList of every
// problem found, each printed as FILE:LINE: key: reason.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, ErrorList{{File: path, Reason: openReason(err)}}
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > MaxFileSize {
		return nil, ErrorList{{File: path, Reason: fmt.Sprintf("file is %d bytes; the limit is %d", fi.Size(), MaxFileSize)}}
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, ErrorList{{File: path, Reason: "cannot read: " + openReason(err)}}
	}
	return Parse(data, path)
}

func openReason(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Parse is Load for a configuration already in memory; name is used in
// messages in place of the file's path. Secret files named in data are
// read relative to the working directory.
func Parse(data []byte, name string) (*Config, error) {
	if len(data) > MaxFileSize {
		return nil, ErrorList{{File: name, Reason: fmt.Sprintf("file is more than %d bytes", MaxFileSize)}}
	}
	p := newProblems(name)
	c := Default()
	c.File = name
	c.lines = p.lines

	root, err := parseYAML(data)
	if err != nil {
		return nil, ErrorList{yamlError(err, name)}
	}
	if root != nil {
		d := &decoder{p: p}
		if root.Kind != yaml.MappingNode && !isNull(root) {
			p.at(root.Line, "", "the file must be a mapping of keys (listen:, members:, ...), not %s", kindName(root))
			return nil, p.err()
		}
		d.value(root, reflect.ValueOf(c).Elem(), "")
	}
	for i := range c.Members {
		memberDefaults(&c.Members[i])
	}
	c.resolveSecrets(p)
	c.validate(p)
	if err := p.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// parseYAML parses one YAML document into its root node; nil for an empty
// file. A second document is an error.
func parseYAML(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, err
	}
	var more yaml.Node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, err
		}
		return nil, &docError{line: more.Line}
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		return doc.Content[0], nil
	}
	return nil, nil
}

type docError struct{ line int }

func (e *docError) Error() string { return "only one YAML document is allowed" }

var yamlLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// yamlError turns a YAML syntax error into an *Error with its line.
func yamlError(err error, name string) *Error {
	var de *docError
	if errors.As(err, &de) {
		return &Error{File: name, Line: de.line, Reason: de.Error()}
	}
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: name, Line: line, Reason: "YAML syntax: " + clean(m[2])}
	}
	return &Error{File: name, Reason: "YAML syntax: " + clean(strings.TrimPrefix(msg, "yaml: "))}
}

// Line is the line of a key path (members[1].catalog.timeout) in the file
// the configuration was loaded from, or of its nearest parent there; 0 when
// unknown. cmd/illgw uses it to point at the key behind a startup failure,
// such as an address that cannot be bound.
func (c *Config) Line(key string) int {
	p := problems{lines: c.lines}
	return p.line(key)
}

// walk calls fn for every field below v (lists by index, maps in key
// order), with its key path and struct field. fn returns false to skip the
// field's children.
func walk(v reflect.Value, key string, fn func(key string, f reflect.StructField, v reflect.Value) bool) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			walk(v.Elem(), key, fn)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			name := yamlName(t.Field(i))
			if name == "" {
				continue
			}
			k := childKey(key, name)
			if fn(k, t.Field(i), v.Field(i)) {
				walk(v.Field(i), k, fn)
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			walk(v.Index(i), indexKey(key, i), fn)
		}
	case reflect.Map:
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, mk := range keys {
			walk(v.MapIndex(mk), childKey(key, mk.String()), fn)
		}
	}
}
