package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Error is one problem in a configuration file: where it is and what is
// wrong. Error() prints FILE:LINE: key: reason, leaving out the parts that
// are unknown (a configuration built in Go has no file or line).
//
// Reason never holds the value of a secret.
type Error struct {
	File   string // the file's path or the name given to Parse
	Line   int    // 1-based; 0 when unknown
	Key    string // the key's path, e.g. members[1].catalog.timeout
	Reason string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	} else if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// ErrorList is every problem found in one configuration, in file order.
// Load, Parse and Validate return one (as an error) when anything is wrong;
// errors.As finds either the list or its first *Error.
type ErrorList []*Error

// Error prints one problem per line.
func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap gives errors.Is and errors.As every problem in the list.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// problems collects errors with the lines known for each key path.
type problems struct {
	file  string
	lines map[string]int
	list  ErrorList
	// truncated is set once maxErrors problems are recorded.
	truncated bool
	// bad holds the key paths whose values failed to decode, so that
	// validation does not report them a second time.
	bad map[string]bool
}

func newProblems(file string) *problems {
	return &problems{file: file, lines: map[string]int{}, bad: map[string]bool{}}
}

// maxErrors is the most problems reported for one file; a broken file
// (or one anchor used a thousand times) would otherwise bury the first.
const maxErrors = 100

// at records a problem at an explicit line.
func (p *problems) at(line int, key, format string, args ...any) {
	if len(p.list) >= maxErrors {
		p.truncated = true
		return
	}
	p.list = append(p.list, &Error{File: p.file, Line: line, Key: key, Reason: clean(fmt.Sprintf(format, args...))})
}

// clean escapes control characters (a newline or terminal escape written
// into a file name or variable name) so that each problem prints as one
// harmless line.
func clean(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isControl(r) {
			fmt.Fprintf(&b, "\\x%02x", r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isControl(r rune) bool { return r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) }

// err returns the problems sorted by line, or nil when there are none.
func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	l := p.list
	slices.SortStableFunc(l, func(a, b *Error) int { return cmp.Compare(a.Line, b.Line) })
	if p.truncated {
		l = append(l, &Error{File: p.file, Reason: fmt.Sprintf("more than %d problems; fix these first", maxErrors)})
	}
	return l
}

// add records a problem at key's line, or at the line of its nearest
// parent that appears in the file.
func (p *problems) add(key, format string, args ...any) {
	for k := key; ; k = parentKey(k) {
		if p.bad[k] {
			return
		}
		if k == "" {
			break
		}
	}
	p.at(p.line(key), key, format, args...)
}

// line is the line of key or of its nearest parent found in the file.
func (p *problems) line(key string) int {
	for k := key; k != ""; k = parentKey(k) {
		if l, ok := p.lines[k]; ok {
			return l
		}
	}
	return 0
}

// parentKey strips the last element of a key path: members[1].catalog ->
// members[1] -> members -> "".
func parentKey(k string) string {
	i := strings.LastIndexAny(k, ".[")
	if i < 0 {
		return ""
	}
	return k[:i]
}

// childKey joins a key path and a mapping key. A key that is not a plain
// name (letters, digits, _ - . up to 64 bytes) is quoted, so that messages
// stay on one line and carry no control characters.
func childKey(parent, key string) string {
	if !plainKey(key) {
		key = quote(key)
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func plainKey(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// indexKey joins a key path and a sequence index.
func indexKey(parent string, i int) string {
	return fmt.Sprintf("%s[%d]", parent, i)
}
