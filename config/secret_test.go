package config

import (
	"fmt"
	"golang.org/x/crypto/bcrypt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestSecretFromEnv(t *testing.T) {
	t.Setenv("ILLGW_TEST_REDIS_PW", "s3cret-from-env")
	for _, form := range []string{"password_env: ILLGW_TEST_REDIS_PW", "password: {env: ILLGW_TEST_REDIS_PW}"} {
		c, err := Parse([]byte("state:\n  "+form+"\n"), "t.yaml")
		if err != nil {
			t.Fatalf("%s: %v", form, err)
		}
		if c.State.Password.Value != "s3cret-from-env" || c.State.Password.Env != "ILLGW_TEST_REDIS_PW" {
			t.Errorf("%s: password %#v", form, c.State.Password)
		}
	}
}

// TestSecretFromEnvFile: NAME_FILE stands in for an unset NAME.
func TestSecretFromEnvFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(path, []byte("from-env-file\n"), 0o400); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ILLGW_TEST_PW_FILE", path)
	c, err := Parse([]byte("state: {password_env: ILLGW_TEST_PW}"), "t.yaml")
	if err != nil || c.State.Password.Value != "from-env-file" {
		t.Fatalf("Parse: %v", err)
	}
	t.Setenv("ILLGW_TEST_PW", "from-env")
	c, err = Parse([]byte("state: {password_env: ILLGW_TEST_PW}"), "t.yaml")
	if err != nil || c.State.Password.Value != "from-env" {
		t.Fatalf("NAME did not win over NAME_FILE: %v", err)
	}
	os.Unsetenv("ILLGW_TEST_PW")
	t.Setenv("ILLGW_TEST_PW_FILE", path+".missing")
	_, err = Parse([]byte("state: {password_env: ILLGW_TEST_PW}"), "t.yaml")
	want := "t.yaml:1: state.password: secret file " + path + ".missing (from ILLGW_TEST_PW_FILE): no such file or directory"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
}

func TestSecretFromFile(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"lf": "from-file\n", "crlf": "from-file\r\n", "none": "from-file", "empty": "\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o400); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"lf", "crlf", "none"} {
		for _, form := range []string{"secret_file: %s", "secret: {file: %s}"} {
			src := fmt.Sprintf("members: [{code: N}]\npartners:\n  - agency: P\n    member: N\n    "+form+"\n", filepath.Join(dir, name))
			c, err := Parse([]byte(src), "t.yaml")
			if err != nil {
				t.Fatalf("%s %s: %v", name, form, err)
			}
			if c.Partners[0].Secret.Value != "from-file" {
				t.Errorf("%s %s: secret %q", name, form, c.Partners[0].Secret.Value)
			}
		}
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, maxSecretFile+1), 0o400); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		filepath.Join(dir, "empty"):   "is empty",
		dir:                           "is a directory",
		big:                           "larger than 65536 bytes",
		filepath.Join(dir, "missing"): "no such file or directory",
	} {
		src := "members: [{code: N}]\npartners:\n  - agency: P\n    member: N\n    secret_file: " + path + "\n"
		_, err := Parse([]byte(src), "t.yaml")
		wantMsg := "t.yaml:5: partners[0].secret: secret file " + path + ": " + want
		if err == nil || err.Error() != wantMsg {
			t.Errorf("err = %v\nwant %s", err, wantMsg)
		}
	}
}

// TestSecretNeverInErrors writes secrets wrongly in every way and checks
// that no message repeats them.
func TestSecretNeverInErrors(t *testing.T) {
	const canary = "canary-Zq81"
	t.Setenv("ILLGW_TEST_CANARY", canary)
	cases := []string{
		"state: {password: " + canary + "}",
		"state: {password: [" + canary + "]}",
		"state: {password: {valu: " + canary + "}}",
		"state: {password: {value: " + canary + ", env: X}}",
		"state: {password: {value: [" + canary + "]}}",
		"state: {password_env: [" + canary + "]}",
		"state: {password_env: {" + canary + ": 1}}",
		"state: {password: {value: " + canary + "}, password_env: ILLGW_TEST_CANARY}",
		"state: {password: {value: " + canary + "}, driver: nope}",
		"state: {password_env: ILLGW_TEST_CANARY, driver: nope}",
		"state: {password: {value: " + canary + "}}\n\tbad: [",
		"terminals: [{login: k, member: N, password_hash: " + canary + "}]",
	}
	for _, src := range cases {
		c, err := Parse([]byte(src), "t.yaml")
		if err == nil {
			t.Errorf("%s: accepted", src)
			continue
		}
		if c != nil {
			t.Errorf("%s: config returned with an error", src)
		}
		if strings.Contains(err.Error(), canary) {
			t.Errorf("%s: the secret appears in\n%v", src, err)
		}
	}
	// A loaded secret is not printed by fmt or written by yaml.Marshal.
	c, err := Parse([]byte("state: {password_env: ILLGW_TEST_CANARY}\nmembers: [{code: N, catalog: {sru: 'http://x.example.org/', user: u, password: {value: "+canary+"}}}]"), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "password", c.State.Password, "catalog", c.Members[0].Catalog)
	for _, s := range []string{logged.String(), fmt.Sprint(c), fmt.Sprintf("%+v", *c), fmt.Sprintf("%#v", c.State.Password), fmt.Sprintf("%v", c.Members[0].Catalog), string(out)} {
		if strings.Contains(s, canary) {
			t.Errorf("secret printed: %s", s)
		}
	}
	if c.State.Password.Value != canary || c.Members[0].Catalog.Password.Value != canary {
		t.Error("secrets not resolved")
	}
}

func TestValidateGoConfig(t *testing.T) {
	c := Default()
	c.Members = []Member{{Code: "N", Catalog: &Catalog{SRU: "http://x.example.org/sru", Charset: "utf-8", Timeout: 0, User: "u", Password: Secret{Env: "X"}}}}
	err := c.Validate()
	want := "members[0].catalog.password: secret not resolved\nmembers[0].catalog.timeout: duration 0s is under 1ms (is a unit missing?)"
	if err == nil || err.Error() != want {
		t.Errorf("Validate() =\n%v\nwant\n%s", err, want)
	}
}

func TestHashPassword(t *testing.T) {
	t.Parallel()
	h, err := HashPassword([]byte("kiosk1pass"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$2a$10$") || checkHash(h) != "" {
		t.Errorf("hash %q", h)
	}
	if !checkPassword(h, []byte("kiosk1pass")) {
		t.Error("right password refused")
	}
	for _, pw := range []string{"kiosk1pas", "KIOSK1PASS"} {
		if checkPassword(h, []byte(pw)) {
			t.Errorf("wrong password %q accepted", pw)
		}
	}
	if checkPassword("not a hash", []byte("kiosk1pass")) {
		t.Error("accepted against a non-hash")
	}
	if _, err := HashPassword(nil); err == nil {
		t.Error("empty password hashed")
	}
	if _, err := HashPassword([]byte(strings.Repeat("x", 73))); err == nil {
		t.Error("73-byte password hashed (bcrypt would ignore its tail)")
	}
	// The hash loads as a terminal's password_hash.
	src := fmt.Sprintf("members: [{code: N, sip2: {addr: '127.0.0.1:6101'}}]\nterminals: [{login: k, member: N, password_hash: '%s'}]", h)
	if _, err := Parse([]byte(src), "t.yaml"); err != nil {
		t.Errorf("hash refused: %v", err)
	}
}

func TestReadPassword(t *testing.T) {
	for in, want := range map[string]string{"pw\n": "pw", "pw\r\n": "pw", "pw": "pw", "pw\nsecond\n": "pw", "a b\n": "a b"} {
		got, err := ReadPassword(strings.NewReader(in))
		if err != nil || string(got) != want {
			t.Errorf("ReadPassword(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "\n", "\r\n", strings.Repeat("x", 73) + "\n", strings.Repeat("x", 5000)} {
		if got, err := ReadPassword(strings.NewReader(in)); err == nil {
			t.Errorf("ReadPassword(%.20q...) = %q, want an error", in, got)
		}
	}
}

// checkPassword is how the broker checks a terminal's password against
// the hash HashPassword made.
func checkPassword(hash string, pw []byte) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), pw) == nil
}
