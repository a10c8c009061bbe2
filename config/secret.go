package config

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"

	"golang.org/x/crypto/bcrypt"
)

// maxSecretFile is the largest secret file read (64 KiB).
const maxSecretFile = 64 << 10

// PasswordCost is the bcrypt cost HashPassword uses, and the least cost
// Validate accepts in terminals[].password_hash.
const PasswordCost = 10

// maxPassword is bcrypt's limit: it ignores bytes past the 72nd, so longer
// passwords are refused rather than silently cut.
const maxPassword = 72

// resolveSecrets reads every secret given by env or file into its Value.
// When the variable NAME is unset but NAME_FILE is set, the secret is read
// from the file NAME_FILE names.
// A secret that cannot be read is reported by key, with the variable's
// name or the file's path; the secret itself never is.
func (c *Config) resolveSecrets(p *problems) {
	walk(reflect.ValueOf(c).Elem(), "", func(key string, f reflect.StructField, v reflect.Value) bool {
		if f.Type != secretType {
			return true
		}
		s := v.Addr().Interface().(*Secret)
		switch {
		case s.Env != "":
			val, ok := os.LookupEnv(s.Env)
			if file, isFile := os.LookupEnv(s.Env + "_FILE"); !ok && isFile && file != "" {
				// The container convention: NAME_FILE names a file
				// holding NAME's value (Docker and Kubernetes secrets).
				v, err := readSecretFile(file)
				if err != nil {
					p.add(key, "secret file %s (from %s_FILE): %v", file, s.Env, err)
				} else {
					s.Value = v
				}
				return false
			}
			switch {
			case !ok:
				p.add(key, "environment variable %s is not set (nor %s_FILE)", s.Env, s.Env)
			case val == "":
				p.add(key, "environment variable %s is empty", s.Env)
			default:
				s.Value = val
			}
		case s.File != "":
			val, err := readSecretFile(s.File)
			if err != nil {
				p.add(key, "secret file %s: %v", s.File, err)
			} else {
				s.Value = val
			}
		}
		return false
	})
}

// readSecretFile reads a secret file of at most maxSecretFile bytes and
// trims one trailing newline (LF or CRLF).
func readSecretFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", errors.New(openReason(err))
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return "", errors.New("is a directory")
	}
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return "", errors.New(openReason(err))
	}
	if len(b) > maxSecretFile {
		return "", fmt.Errorf("larger than %d bytes", maxSecretFile)
	}
	b = bytes.TrimSuffix(b, []byte("\n"))
	b = bytes.TrimSuffix(b, []byte("\r"))
	if len(b) == 0 {
		return "", errors.New("is empty")
	}
	return string(b), nil
}

// HashPassword returns the bcrypt hash (cost PasswordCost) of a terminal
// password, for terminals[].password_hash; `illgw hash-password` prints it.
// Passwords longer than 72 bytes are refused (bcrypt would ignore the rest).
func HashPassword(pw []byte) (string, error) {
	if len(pw) == 0 {
		return "", errors.New("config: empty password")
	}
	if len(pw) > maxPassword {
		return "", fmt.Errorf("config: password longer than %d bytes", maxPassword)
	}
	h, err := bcrypt.GenerateFromPassword(pw, PasswordCost)
	if err != nil {
		return "", fmt.Errorf("config: %w", err)
	}
	return string(h), nil
}

// ReadPassword reads a password for `illgw hash-password`: the first line
// of r without its line ending, at most 72 bytes.
func ReadPassword(r io.Reader) ([]byte, error) {
	br := bufio.NewReaderSize(io.LimitReader(r, 1024), 1024)
	line, err := br.ReadSlice('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, fmt.Errorf("config: password longer than %d bytes", maxPassword)
		}
		return nil, fmt.Errorf("config: reading password: %w", err)
	}
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if len(line) == 0 {
		return nil, errors.New("config: empty password")
	}
	if len(line) > maxPassword {
		return nil, fmt.Errorf("config: password longer than %d bytes", maxPassword)
	}
	return bytes.Clone(line), nil
}

// checkHash says what is wrong with a password_hash, or "" if nothing.
func checkHash(h string) string {
	cost, err := bcrypt.Cost([]byte(h))
	if err != nil {
		return "is not a bcrypt hash; make one with illgw hash-password"
	}
	if cost < PasswordCost {
		return fmt.Sprintf("bcrypt cost %d is below %d; make a new hash with illgw hash-password", cost, PasswordCost)
	}
	return ""
}
