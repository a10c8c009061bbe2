package state

import (
	"errors"
	"fmt"
	"strconv"
)

// FormatVersion is the layout version of a store this build writes. Both
// drivers record it beside the partition count the first time a store is
// opened (embedded: key "format" of bucket meta; Redis: field format of
// illgw:meta). Opening a store checks it:
//
//   - a store without the field was written before formats were recorded
//     (format 0, the same layout as format 1): it is migrated by recording
//     the current format;
//   - a store of an older format is migrated step by step (migrations);
//   - a store of a newer format was written by a newer illgw and is refused
//     with ErrFormat, so an older binary never writes a layout it does not
//     know.
//
// Backups (Backup), exports (Export) and the checks of a snapshot before it
// is restored (Inspect) carry the same number.
const FormatVersion = 1

// ErrFormat reports a store or stream written in a format this build does
// not read.
var ErrFormat = errors.New("state: unsupported store format")

// formatMigrations lists, for each format older than FormatVersion, what
// turns a store of that format into the next one. Format 0 stores have the
// format-1 layout, so recording the number is the whole migration; a later
// layout change adds its step here and a test that opens a store of the
// previous format.
var formatMigrations = map[int]string{
	0: "record the store format (layout unchanged)",
}

// parseFormat reads a stored format field; absent (nil) means format 0.
func parseFormat(v []byte) (int, error) {
	if v == nil {
		return 0, nil
	}
	n, err := strconv.Atoi(string(v))
	if err != nil || n < 0 || len(v) > 9 {
		return 0, fmt.Errorf("%w: unreadable format field %q", ErrFormat, clip(v))
	}
	return n, nil
}

// checkFormat refuses a format this build cannot read or migrate; where is
// the store's path or address, for the message.
func checkFormat(where string, f int) error {
	if f > FormatVersion {
		return fmt.Errorf("%w: %s is store format %d, written by a newer illgw; this build reads formats up to %d: "+
			"run the newer illgw, or restore a backup taken before the upgrade", ErrFormat, where, f, FormatVersion)
	}
	for v := f; v < FormatVersion; v++ {
		if _, ok := formatMigrations[v]; !ok {
			return fmt.Errorf("%w: %s is store format %d, which this build cannot migrate (no step from %d)", ErrFormat, where, f, v)
		}
	}
	return nil
}

// clip shortens a stored value for an error message.
func clip(v []byte) string {
	if len(v) > 32 {
		return string(v[:32]) + "..."
	}
	return string(v)
}
