package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/illgw/illgw/broker/state"
)

// illgw state export / import: move all durable state between stores of
// either driver through the driver-neutral stream of state.Export.

const stateUsage = `usage:
  illgw state export -config FILE -o PATH   write the store's state to PATH ("-" for stdout)
  illgw state import -config FILE -i PATH   add the state in PATH to the store

Export and import move loans (with versions), events (with feed positions),
timers, dedup records, TTL entries and counters that have not expired, as
JSON lines, between the embedded store and Redis in either direction. An
import is idempotent; content that differs from the store's is reported and
not applied.
`

func cmdState(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, stateUsage)
		return 2
	}
	switch args[0] {
	case "export":
		return cmdStateExport(args[1:], stdout, stderr)
	case "import":
		return cmdStateImport(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, stateUsage)
		return 0
	}
	fmt.Fprintf(stderr, "illgw state: unknown command %q\n\n%s", args[0], stateUsage)
	return 2
}

// cmdStateExport writes the store's state. The embedded store is exported
// from a snapshot (state.Backup), so the gateway may keep running and the
// export is one consistent cut; Redis is read as it is, so gateways writing
// to it should be stopped first for an exact copy.
func cmdStateExport(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("state export", stderr)
	path := fs.String("config", "", "configuration `FILE` (YAML) naming the store")
	out := fs.String("o", "", "write the stream to `PATH` (- for stdout)")
	if st := parseFlags(fs, args); st >= 0 {
		return st
	}
	cfg, st := loadConfig(fs, *path, stderr)
	if st >= 0 {
		return st
	}
	if *out == "" {
		fmt.Fprintln(stderr, "illgw state export: -o PATH is required")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	opts := stateOptions(cfg)
	if cfg.State.Driver == "embedded" {
		snap, err := snapshotForExport(ctx, cfg.State.Path)
		if err != nil {
			fmt.Fprintf(stderr, "illgw state export: %v\n", err)
			return 1
		}
		defer os.Remove(snap)
		opts.Path, opts.NoSnapshotSocket = snap, true
	}
	s, err := state.Open(ctx, opts)
	if err != nil {
		fmt.Fprintf(stderr, "illgw state export: %v\n", err)
		return 1
	}
	defer s.Close()

	w, finish, err := outputFile(*out, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "illgw state export: %v\n", err)
		return 1
	}
	res, err := state.Export(ctx, s, w)
	if err = finish(err); err != nil {
		fmt.Fprintf(stderr, "illgw state export: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "illgw state export: %d loans, %d events, %d dedup records, %d TTL entries, %d counters from the %s store\n",
		res.Loans, res.Events, res.Dedups, res.TTLs, res.Counters, cfg.State.Driver)
	return 0
}

// snapshotForExport copies the embedded store beside itself and returns
// the copy's path.
func snapshotForExport(ctx context.Context, path string) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), ".illgw-export-*.db")
	if err != nil {
		return "", err
	}
	_, _, err = state.Backup(ctx, path, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// outputFile opens path for writing through a temporary name; finish
// renames it into place if the write succeeded and removes it if not.
func outputFile(path string, stdout io.Writer) (io.Writer, func(error) error, error) {
	if path == "-" {
		return stdout, func(err error) error { return err }, nil
	}
	f, finish, err := partialFile(path, nil)
	if err != nil {
		return nil, nil, err
	}
	return f, finish, nil
}

// partialFile opens path+".partial" for writing. finish, given the write's
// error, syncs and closes the file, runs check (when not nil) on the closed
// copy and renames it over path; on any error it removes the copy, so path
// is either replaced by a complete, checked file or left as it was.
func partialFile(path string, check func(tmp string) error) (*os.File, func(error) error, error) {
	tmp := path + ".partial"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, nil, err
	}
	return f, func(err error) error {
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil && check != nil {
			err = check(tmp)
		}
		if err == nil {
			err = os.Rename(tmp, path)
		}
		if err != nil {
			os.Remove(tmp)
		}
		return err
	}, nil
}

// cmdStateImport applies a stream to the store. The embedded store must not
// be in use (its lock says so); for Redis the operator stops the gateways.
func cmdStateImport(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("state import", stderr)
	path := fs.String("config", "", "configuration `FILE` (YAML) naming the store")
	in := fs.String("i", "", "the stream `PATH` written by illgw state export")
	if st := parseFlags(fs, args); st >= 0 {
		return st
	}
	cfg, st := loadConfig(fs, *path, stderr)
	if st >= 0 {
		return st
	}
	if *in == "" {
		fmt.Fprintln(stderr, "illgw state import: -i PATH is required")
		return 2
	}
	f, err := os.Open(*in)
	if err != nil {
		fmt.Fprintf(stderr, "illgw state import: %v\n", err)
		return 1
	}
	defer f.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := state.Open(ctx, stateOptions(cfg))
	if err != nil {
		fmt.Fprintf(stderr, "illgw state import: %v\n", err)
		if errors.Is(err, state.ErrUnavailable) && cfg.State.Driver == "embedded" {
			fmt.Fprintln(stderr, "illgw state import: stop the gateway that has the store open, then import again")
		}
		return 1
	}
	defer s.Close()
	if cfg.State.Driver == "redis" {
		fmt.Fprintln(stderr, "illgw state import: importing into Redis; no gateway should write to it until the import ends")
	}
	res, err := state.Import(ctx, s, f)
	fmt.Fprintf(stdout, "illgw state import: added %s; already there %s; expired %d; conflicts %d\n",
		counts(res.Added), counts(res.Same), res.Expired, res.ConflictN)
	for _, c := range res.Conflicts {
		fmt.Fprintf(stdout, "  conflict: %s\n", c)
	}
	if err != nil {
		fmt.Fprintf(stderr, "illgw state import: %v\n", err)
		return 1
	}
	return 0
}

// counts prints a map of line kinds to counts in a stable order.
func counts(m map[string]int) string {
	if len(m) == 0 {
		return "nothing"
	}
	var keys, parts []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d %s", m[k], k))
	}
	return strings.Join(parts, ", ")
}
