package testenv

import (
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// yazClient runs yaz-client in batch mode with the given commands and
// returns its output.
func yazClient(t *testing.T, cmds ...string) string {
	t.Helper()
	bin := Require(t, "yaz-client", "yaz")
	f := filepath.Join(t.TempDir(), "cmds")
	if err := os.WriteFile(f, []byte(strings.Join(append(cmds, "quit"), "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "-f", f).CombinedOutput()
	if err != nil {
		t.Fatalf("yaz-client: %v\n%s", err, out)
	}
	return string(out)
}

var hitsRE = regexp.MustCompile(`Number of hits: (\d+)`)

// hits returns every hit count yaz-client printed, in order.
func hits(out string) []string {
	var h []string
	for _, m := range hitsRE.FindAllStringSubmatch(out, -1) {
		h = append(h, m[1])
	}
	return h
}

func TestYazZtestAnswersYazClient(t *testing.T) {
	s := YazZtest(t)
	out := yazClient(t,
		"open "+s.String(),
		"find @attr 1=4 12", // yaz-ztest: a numeric term is the hit count
		"format usmarc",
		"show 1+1",
		"scan @attr 1=4 comp",
		"close")
	if got := hits(out); len(got) != 1 || got[0] != "12" {
		t.Fatalf("hit counts %v, want [12]\n%s", got, out)
	}
	if !strings.Contains(out, "Records: 1") {
		t.Fatalf("no record presented\n%s", out)
	}
	// Scan reads the dummy-words file written by YazZtest.
	if !strings.Contains(out, "COMPUTER (9)") {
		t.Fatalf("scan did not list COMPUTER (9) from dummy-words\n%s", out)
	}
}

// With -T, stopping yaz-ztest closes connections that are still open.
func TestYazZtestStopClosesConnections(t *testing.T) {
	s := YazZtest(t)
	c, err := net.DialTimeout("tcp", s.Addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(z3950InitRequest); err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 4096)
	if n, err := c.Read(buf); err != nil || buf[0] != 0xb5 {
		t.Fatalf("init response: % x %v", buf[:n], err)
	}
	pid := s.PID()
	s.Stop(t)
	if pidAlive(pid) {
		t.Fatalf("yaz-ztest pid %d alive after Stop", pid)
	}
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	for {
		_, err = c.Read(buf)
		if err != nil {
			break
		}
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("connection still open 3 s after Stop")
	}
	if err != io.EOF && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("read after Stop: %v", err)
	}
	if err := z3950Init(s.Addr); err == nil {
		t.Fatal("Init answered after Stop")
	}
	s.Start(t)
	if err := z3950Init(s.Addr); err != nil {
		t.Fatalf("Init after Start on the same address: %v", err)
	}
}

func TestZ3950InitProbeRefusesNonZ3950(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("HTTP/1.0 400 Bad Request\r\n\r\n"))
			c.Close()
		}
	}()
	if err := z3950Init(ln.Addr().String()); err == nil {
		t.Fatal("an HTTP reply passed the Z39.50 Init probe")
	}
}

// initPreferredMessageSize sends the fixed Init and returns the
// preferredMessageSize [5] of the response.
func initPreferredMessageSize(t *testing.T, addr string) int {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := c.Write(z3950InitRequest); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4096)
	n, err := io.ReadAtLeast(c, b, 2)
	if err != nil {
		t.Fatal(err)
	}
	b = b[:n]
	for i := 2; i+1 < len(b); i += 2 + int(b[i+1]) {
		if b[i] == 0x85 && b[i+1] <= 4 && i+2+int(b[i+1]) <= len(b) {
			v := 0
			for _, o := range b[i+2 : i+2+int(b[i+1])] {
				v = v<<8 | int(o)
			}
			return v
		}
	}
	t.Fatalf("no preferredMessageSize in % x", b)
	return 0
}

func TestYazZtestMaxMessageKB(t *testing.T) {
	if got := initPreferredMessageSize(t, YazZtest(t).Addr); got != 65536 {
		t.Fatalf("default server: preferredMessageSize %d, want the 65536 asked for", got)
	}
	if got := initPreferredMessageSize(t, YazZtest(t, WithMaxMessageKB(32)).Addr); got != 32768 {
		t.Fatalf("-k 32: preferredMessageSize %d, want 32768", got)
	}
}
