// Package state holds the broker's shared state: loans with compare-and-set,
// their event log, TTL entries, windowed counters, partition feeds and
// timers, in an embedded bbolt file or in Redis (DESIGN.md, "The broker").
//
// Loans are opaque bytes with a version. Every change is one atomic write
// (Store.Apply): the loan under compare-and-set on its version, the events
// it appends to the loan's log and to its partition's feed, an optional
// timer change, and a dedup record when the caller gives a dedup key. A
// loan's partition is a stable hash of its id modulo a count fixed when the
// store is created; on Redis every key of a partition carries the hash tag
// {illgw:pN}, so one Lua script covers the whole write even on Cluster.
//
// Watchers read each partition's feed from the last position they saw
// (Store.Feed). Timers are claimed with Store.ClaimDue, which removes them
// in the same step, so a timer fires on one instance however many run.
//
// A write that fails with ErrUnavailable has an unknown outcome. Retrying it
// with the same dedup key returns the first outcome (Result.Replayed)
// instead of applying it twice; the Redis driver never retries writes by
// itself (reliability-security.md §2.3).
//
// Operations (format.go, snapshot.go, restore.go, export.go): both drivers
// record FormatVersion on first open and migrate an older store or refuse a
// newer one. An open embedded store serves consistent snapshots on a unix
// socket beside its file, because bbolt's exclusive flock keeps every other
// process out of the file while the gateway runs; Backup asks it there,
// Inspect checks a snapshot and Restore puts one back. Export and Import
// move all durable state between drivers as JSON lines, idempotently.
package state
