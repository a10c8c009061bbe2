package main

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDemoBannerCommands runs the HTTP commands the demo banner's "Try:"
// lines print, as a new user would paste them, and checks that they answer
// what the banner and README promise: the SRU search of the virtual
// database finds the 9 merged "computer" records, and the yaz-client line
// names the gateway's own Z39.50 listener, not a simulated member's.
func TestDemoBannerCommands(t *testing.T) {
	d := startDemo(t)
	var out string
	for deadline := time.Now().Add(10 * time.Second); ; {
		out = d.stdout.String()
		if strings.Contains(out, "Stop with Ctrl-C.") || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	_, try, ok := strings.Cut(out, "Try:\n")
	if !ok {
		t.Fatalf("banner has no Try: section:\n%s", out)
	}
	urlRE := regexp.MustCompile(`https?://[^\s']+`)
	var curls int
	for _, line := range strings.Split(try, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "curl ") {
			continue
		}
		u := urlRE.FindString(line)
		if u == "" {
			t.Errorf("curl line without a URL: %q", line)
			continue
		}
		curls++
		code, body := get(u)
		if code != http.StatusOK {
			t.Errorf("%s: HTTP %d %.200s", line, code, body)
			continue
		}
		if strings.Contains(u, "/sru/consortium") && !strings.Contains(body, "<zs:numberOfRecords>9</zs:numberOfRecords>") {
			t.Errorf("%s: want 9 merged records, got %.300s", line, body)
		}
	}
	if curls < 3 {
		t.Errorf("banner shows %d curl commands, want healthz, metrics and SRU:\n%s", curls, try)
	}
	z3950 := regexp.MustCompile(`yaz-client tcp:(\S+)/consortium`).FindStringSubmatch(try)
	if z3950 == nil {
		t.Fatalf("banner shows no yaz-client line for the consortium database:\n%s", try)
	}
	if !regexp.MustCompile(`(?m)^  Z39\.50/SRU\s+` + regexp.QuoteMeta(z3950[1]) + `\s`).MatchString(out) {
		t.Errorf("yaz-client line names %s, not the gateway's Z39.50 listener:\n%s", z3950[1], out)
	}
}
