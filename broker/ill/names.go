package ill

import (
	"fmt"
	"strconv"
)

//go:generate go run ./gen

// maxNameLen bounds the names Parse functions look at; no defined name is
// longer, so a longer input is rejected before it is compared or echoed.
const maxNameLen = 32

// nameOf returns names[i], or a numbered placeholder for a value outside the
// defined set, so String never panics on a corrupt value.
func nameOf(names []string, i int, kind string) string {
	if i > 0 && i < len(names) && names[i] != "" {
		return names[i]
	}
	return kind + "(" + strconv.Itoa(i) + ")"
}

// parseName finds s in names (index 0 is the invalid zero value and never
// matches) and returns its index.
func parseName(names []string, s, kind string) (int, error) {
	if len(s) > maxNameLen {
		return 0, fmt.Errorf("ill: %s name longer than %d bytes: %w", kind, maxNameLen, ErrUnknownName)
	}
	for i := 1; i < len(names); i++ {
		if names[i] == s {
			return i, nil
		}
	}
	return 0, fmt.Errorf("ill: unknown %s %q: %w", kind, s, ErrUnknownName)
}
