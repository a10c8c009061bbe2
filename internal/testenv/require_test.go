package testenv

import "testing"

// FreePort never hands out one port twice in a process, even when the
// kernel would (a port released a moment ago is free again at once).
func TestFreePortDistinct(t *testing.T) {
	seen := map[int]bool{}
	for range 500 {
		p := FreePort(t)
		if seen[p] {
			t.Fatalf("port %d handed out twice", p)
		}
		seen[p] = true
	}
}
