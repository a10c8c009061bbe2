package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/illgw/illgw/broker/state"
	"github.com/illgw/illgw/config"
)

// illgw backup and illgw restore: copies of the embedded store.
//
// A running gateway holds the bbolt file's exclusive lock, which keeps
// every other process out of the file, read-only openers included; so the
// gateway's store serves snapshots on a unix socket beside the file
// (state.SnapshotSocket) and `illgw backup` asks it there. With no gateway
// running, backup opens the file read-only itself. Either way the copy is
// one bbolt read transaction: a consistent cut of the committed state.

// cmdBackup writes a snapshot of the embedded store to -o PATH, checks it
// (state.Inspect) and only then renames it into place.
func cmdBackup(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("backup", stderr)
	path := fs.String("config", "", "configuration `FILE` (YAML) of the gateway whose store to copy")
	out := fs.String("o", "", "write the snapshot to `PATH`")
	if st := parseFlags(fs, args); st >= 0 {
		return st
	}
	cfg, st := loadConfig(fs, *path, stderr)
	if st >= 0 {
		return st
	}
	if st := embeddedOnly(cfg, "backup", stderr); st >= 0 {
		return st
	}
	if *out == "" {
		fmt.Fprintln(stderr, "illgw backup: -o PATH is required")
		return 2
	}
	if same, _ := sameFile(*out, cfg.State.Path); same {
		fmt.Fprintf(stderr, "illgw backup: -o %s is the store itself\n", *out)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var info state.Info
	f, finish, err := partialFile(*out, func(tmp string) (err error) {
		info, err = state.Inspect(tmp) // the copy must pass before it replaces anything
		return err
	})
	if err != nil {
		fmt.Fprintf(stderr, "illgw backup: %v\n", err)
		return 1
	}
	n, online, err := state.Backup(ctx, cfg.State.Path, f)
	if err = finish(err); err != nil {
		fmt.Fprintf(stderr, "illgw backup: %v\n", err)
		return 1
	}
	syncDir(filepath.Dir(*out))
	how := "from the running gateway"
	if !online {
		how = "from the file (no gateway running)"
	}
	fmt.Fprintf(stdout, "illgw backup: %s: %d bytes %s; store format %d, %d partitions, %d loans, %d events, %d timers, %d TTL entries; checked\n",
		*out, n, how, info.Format, info.Partitions, info.Loans, info.Events, info.Timers, info.TTL)
	return 0
}

// cmdRestore puts a snapshot back in place of the embedded store, refusing
// while a gateway has the store open.
func cmdRestore(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("restore", stderr)
	path := fs.String("config", "", "configuration `FILE` (YAML) naming the store to replace")
	in := fs.String("i", "", "the snapshot `PATH` written by illgw backup")
	if st := parseFlags(fs, args); st >= 0 {
		return st
	}
	cfg, st := loadConfig(fs, *path, stderr)
	if st >= 0 {
		return st
	}
	if st := embeddedOnly(cfg, "restore", stderr); st >= 0 {
		return st
	}
	if *in == "" {
		fmt.Fprintln(stderr, "illgw restore: -i PATH is required")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := state.Restore(ctx, *in, cfg.State.Path, cfg.State.Partitions)
	if err != nil {
		fmt.Fprintf(stderr, "illgw restore: %v\n", err)
		if errors.Is(err, state.ErrInUse) {
			fmt.Fprintln(stderr, "illgw restore: nothing was changed; stop the gateway (systemctl stop illgw) and run the restore again")
		}
		return 1
	}
	i := res.Info
	fmt.Fprintf(stdout, "illgw restore: %s now holds %s (store format %d, %d partitions, %d loans, %d events, %d timers)\n",
		cfg.State.Path, *in, i.Format, i.Partitions, i.Loans, i.Events, i.Timers)
	if res.Previous != "" {
		fmt.Fprintf(stdout, "illgw restore: the store it replaced is kept as %s; delete it once the gateway runs well\n", res.Previous)
	}
	return 0
}

// embeddedOnly refuses a command that works on the embedded store's file
// when the configuration uses Redis.
func embeddedOnly(cfg *config.Config, cmd string, stderr io.Writer) int {
	if cfg.State.Driver == "embedded" {
		return -1
	}
	fmt.Fprintf(stderr, "illgw %s: the state store is %s, not embedded: back Redis up with its own persistence (AOF, BGSAVE), "+
		"or copy the state with illgw state export\n", cmd, cfg.State.Driver)
	return 2
}

// sameFile reports whether a and b name one existing file.
func sameFile(a, b string) (bool, error) {
	fa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	fb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(fa, fb), nil
}

// syncDir makes a rename in dir durable; errors are not fatal, as the file
// itself is synced.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
