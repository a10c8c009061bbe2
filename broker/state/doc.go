// Package state holds the broker's shared state: loans with compare-and-set, their event log, TTL entries, windowed counters, partition feeds and timers, in an embedded bbolt file or in Redis.
package state
