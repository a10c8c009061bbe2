package main

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:50051": true,
		"127.8.9.1:1":     true,
		"[::1]:50051":     true,
		"localhost:50051": true,
		"0.0.0.0:50051":   false,
		":50051":          false,
		"[::]:50051":      false,
		"10.0.0.5:50051":  false,
		"example.org:1":   false,
		"127.0.0.1":       false, // no port: not an address net.Listen takes
	} {
		if got := isLoopback(addr); got != want {
			t.Errorf("isLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

// TestHealthzWaitsForEveryPart: /healthz is 503 before the listeners are
// up, while a registered part (a simulated member) is not up, and while
// stopping; 200 otherwise.
func TestHealthzWaitsForEveryPart(t *testing.T) {
	g := &gateway{}
	code := func() (int, string) {
		rec := httptest.NewRecorder()
		g.healthz(rec, httptest.NewRequest("GET", "/healthz", nil))
		return rec.Code, rec.Body.String()
	}
	if c, _ := code(); c != http.StatusServiceUnavailable {
		t.Errorf("before start: %d", c)
	}
	g.up.Store(true)
	if c, _ := code(); c != http.StatusOK {
		t.Errorf("up: %d", c)
	}
	northUp := false
	g.waitFor = append(g.waitFor, func() error {
		if !northUp {
			return errors.New("member NORTH not up")
		}
		return nil
	})
	if c, body := code(); c != http.StatusServiceUnavailable || !strings.Contains(body, "NORTH") {
		t.Errorf("member down: %d %q", c, body)
	}
	northUp = true
	if c, _ := code(); c != http.StatusOK {
		t.Errorf("member up: %d", c)
	}
	g.stopping.Store(true)
	if c, _ := code(); c != http.StatusServiceUnavailable {
		t.Errorf("stopping: %d", c)
	}
}
