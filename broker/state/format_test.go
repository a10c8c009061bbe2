package state

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/illgw/illgw/internal/testenv"
	"github.com/redis/go-redis/v9"
	bolt "go.etcd.io/bbolt"
)

// setEmbeddedFormat rewrites (or, with "", deletes) the format field of a
// closed embedded store, as an older or newer illgw would have left it.
func setEmbeddedFormat(t *testing.T, path, v string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error {
		if v == "" {
			return tx.Bucket(bMeta).Delete(kFormat)
		}
		return tx.Bucket(bMeta).Put(kFormat, []byte(v))
	}); err != nil {
		t.Fatal(err)
	}
}

func embeddedFormat(t *testing.T, path string) string {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v string
	db.View(func(tx *bolt.Tx) error { v = string(tx.Bucket(bMeta).Get(kFormat)); return nil })
	return v
}

// TestEmbeddedFormat: a new store records FormatVersion; a store from
// before formats were recorded is migrated and keeps its loans; a store of
// a newer format is refused with a message saying what to do.
func TestEmbeddedFormat(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	s := openTestEmbedded(t, path, Options{})
	mustCreate(t, s, "OLD1")
	s.Close()
	if got := embeddedFormat(t, path); got != "1" {
		t.Fatalf("new store has format %q, want 1", got)
	}

	setEmbeddedFormat(t, path, "") // as written before formats existed
	s = openTestEmbedded(t, path, Options{})
	if l, err := s.Get(ctx, "OLD1"); err != nil || l.Version != 1 {
		t.Fatalf("loan after migration = %+v, %v", l, err)
	}
	s.Close()
	if got := embeddedFormat(t, path); got != "1" {
		t.Fatalf("migrated store has format %q, want 1", got)
	}

	setEmbeddedFormat(t, path, "7")
	_, err := Open(ctx, Options{Path: path})
	if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "store format 7, written by a newer illgw") {
		t.Fatalf("open of a format-7 store: %v, want ErrFormat naming the newer format", err)
	}
	if _, err := Inspect(path); !errors.Is(err, ErrFormat) {
		t.Fatalf("Inspect of a format-7 store: %v, want ErrFormat", err)
	}
	setEmbeddedFormat(t, path, "x1")
	if _, err := Open(ctx, Options{Path: path}); !errors.Is(err, ErrFormat) {
		t.Fatalf("open with an unreadable format: %v, want ErrFormat", err)
	}
}

// TestRedisFormat is TestEmbeddedFormat on a real redis-server.
func TestRedisFormat(t *testing.T) {
	ctx := context.Background()
	srv := testenv.Redis(t)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer c.Close()
	s := openTestRedis(t, srv.Addr, Options{})
	mustCreate(t, s, "OLD1")
	s.Close()
	if v := c.HGet(ctx, metaKey, "format").Val(); v != "1" {
		t.Fatalf("new store has format %q, want 1", v)
	}
	c.HDel(ctx, metaKey, "format")
	s = openTestRedis(t, srv.Addr, Options{})
	if l, err := s.Get(ctx, "OLD1"); err != nil || l.Version != 1 {
		t.Fatalf("loan after migration = %+v, %v", l, err)
	}
	s.Close()
	if v := c.HGet(ctx, metaKey, "format").Val(); v != "1" {
		t.Fatalf("migrated store has format %q, want 1", v)
	}
	c.HSet(ctx, metaKey, "format", 7)
	_, err := Open(ctx, Options{Driver: "redis", Addrs: []string{srv.Addr}})
	if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "newer illgw") {
		t.Fatalf("open of a format-7 store: %v, want ErrFormat", err)
	}
}
