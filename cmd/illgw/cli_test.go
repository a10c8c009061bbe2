package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

const syscallTERM = syscall.SIGTERM

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("listen:\n  http: 127.0.0.1:8080\n  htpp: 127.0.0.1:8081\nstate:\n  driver: embedded\n  path: "+filepath.Join(dir, "x.db")+"\n"), 0o600)
	code, _, stderr := runIllgw(t, "", "check-config", "-config", bad)
	if code == 0 {
		t.Fatal("check-config accepted an unknown key")
	}
	if !strings.Contains(stderr, bad+":3:") || !strings.Contains(stderr, "htpp") {
		t.Errorf("stderr lacks file:line and the key:\n%s", stderr)
	}

	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("state:\n  driver: embedded\n  path: "+filepath.Join(dir, "x.db")+"\nmembers:\n  - code: NORTH\n    name: North\n"), 0o600)
	code, stdout, stderr := runIllgw(t, "", "check-config", "-config", good)
	if code != 0 || !strings.Contains(stdout, "ok (1 member, 0 databases, 0 terminals, 0 partners, state embedded)") {
		t.Errorf("good file: exit %d\n%s%s", code, stdout, stderr)
	}

	code, _, stderr = runIllgw(t, "", "check-config", "-config", filepath.Join(dir, "missing.yaml"))
	if code == 0 || !strings.Contains(stderr, "missing.yaml") {
		t.Errorf("missing file: exit %d, %s", code, stderr)
	}
	code, _, _ = runIllgw(t, "", "check-config")
	if code != 2 {
		t.Errorf("check-config without -config: exit %d, want 2", code)
	}
}

func TestHashPassword(t *testing.T) {
	code, stdout, stderr := runIllgw(t, "kiosk1pass\n", "hash-password")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	hash := strings.TrimSuffix(stdout, "\n")
	if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte("kiosk1pass")); err != nil {
		t.Errorf("printed hash %q does not verify: %v", hash, err)
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte("kiosk1pass\n")) == nil {
		t.Error("the trailing newline was hashed")
	}
	if strings.Contains(stdout+stderr, "kiosk1pass") {
		t.Error("the password was echoed")
	}
	if code, _, _ := runIllgw(t, "", "hash-password"); code == 0 {
		t.Error("an empty password was hashed")
	}
}

func TestVersionAndUsage(t *testing.T) {
	code, stdout, _ := runIllgw(t, "", "version")
	if code != 0 || !strings.HasPrefix(stdout, "illgw ") || !strings.Contains(stdout, "go1.") {
		t.Errorf("version: %d %q", code, stdout)
	}
	if code, _, stderr := runIllgw(t, "", "frobnicate"); code != 2 || !strings.Contains(stderr, "unknown command") {
		t.Errorf("unknown command: %d %q", code, stderr)
	}
	if code, _, _ := runIllgw(t, ""); code != 2 {
		t.Errorf("no command: exit %d", code)
	}
}

// TestDemoConfigIsValid checks the embedded demo configuration and its
// fixtures without starting anything.
func TestDemoConfigIsValid(t *testing.T) {
	cfg, err := demoConfig(filepath.Join(t.TempDir(), "d.db"), "127.0.0.1:6001", "127.0.0.1:2100", "127.0.0.1:8080", "127.0.0.1:50051")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Terminals) != 1 || cfg.Terminals[0].Login != "kiosk1" ||
		bcrypt.CompareHashAndPassword([]byte(cfg.Terminals[0].PasswordHash), []byte("kiosk1pass")) != nil {
		t.Errorf("kiosk1's hash does not verify kiosk1pass")
	}
	if len(cfg.Partners) != 1 || cfg.Partners[0].Agency != "PARTNER1" || cfg.Partners[0].Secret.Value != "partner1secret" || cfg.Partners[0].Member != "NORTH" {
		t.Errorf("partner %+v", cfg.Partners)
	}
	if got := cfg.Databases["consortium"]; strings.Join(got, ",") != "NORTH,SOUTH,EAST" {
		t.Errorf("consortium = %v", got)
	}
	if _, err := demoConfig("x.db", "127.0.0.1:6001", "127.0.0.1:2100", "127.0.0.1:8080", "0.0.0.0:50051"); err == nil {
		t.Error("demo accepted gRPC on all interfaces without TLS")
	}
}
