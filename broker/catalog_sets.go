package broker

import (
	"bytes"
	"compress/gzip"
	"container/list"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/illgw/illgw/broker/state"
	"github.com/illgw/illgw/marc"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
	"github.com/illgw/illgw/z3950"
)

// Keys of result sets and the search cache in the state store. An id a
// client sees is the key's last segment with a prefix: "s-" for a shared
// result set, "c-" for a cached search (any instance can continue either).
const (
	keyResultSet   = "catalog:rs:"
	keySearchCache = "catalog:cache:"
	// maxStoredSet bounds a stored set once decompressed: a damaged or
	// foreign entry never makes the broker allocate more.
	maxStoredSet = 32 << 20
)

// cacheKey identifies a search: the members asked (in order), the query
// in canonical PQF (Z39.50-2003 §3.7 rendered by z3950.PQF) and the
// per-member record limit.
func cacheKey(codes []string, rpn *z3950.RPNQuery, max int) string {
	h := sha256.New()
	fmt.Fprintf(h, "v1\x00%s\x00%d\x00%s", strings.Join(codes, ","), max, z3950.PQF(rpn))
	return hex.EncodeToString(h.Sum(nil))
}

// cached reads a search from the cache. A store that fails or an entry
// that does not decode is a miss: the search goes to the members.
func (c *catalog) cached(ctx context.Context, key string) (*resultSet, bool) {
	b, err := c.b.store.GetTTL(ctx, keySearchCache+key)
	if err != nil {
		if !errors.Is(err, state.ErrNotFound) {
			c.b.log.Warn("catalog: search cache unavailable; asking the members", "err", err)
		}
		return nil, false
	}
	set, err := decodeSet(b)
	if err != nil {
		c.b.log.Warn("catalog: unreadable search cache entry; asking the members", "key", key, "err", err)
		return nil, false
	}
	set.cacheKey, set.fromCache = key, true
	return set, true
}

// sharedSession is the memory key space of shared sets: the instance
// that made a shared set answers from memory while it holds it; any other
// instance reads the state store.
const sharedSession = "\x00shared"

// keep stores the set where the request wants it and returns its id and
// lifetime: in memory with the session (Z39.50), or in the state store
// (SRU), under the client's name for it when that is a valid id (the SRU
// server names each set), else under a new id. A cacheable set also goes
// to the search cache; when the cache entry is the set's own store entry
// the set costs no second write, and for a session the write does not
// hold up the answer.
func (c *catalog) keep(ctx context.Context, set *resultSet, session, name string, shared bool) (string, time.Duration, error) {
	if !shared {
		c.mem.put(session, name, set)
		if set.cacheKey != "" && !set.fromCache {
			c.writeCacheAsync(set)
		}
		return name, 0, nil
	}
	id := name
	if !validSharedID(id) || id == defaultSetName {
		if set.cacheKey != "" {
			id = "c-" + set.cacheKey
			if !set.fromCache {
				if err := c.writeStore(ctx, keySearchCache+set.cacheKey, set, c.opts.CacheTTL); err != nil {
					c.b.log.Warn("catalog: search not cached; its result set cannot be continued", "err", err)
					return "", 0, nil
				}
			}
			c.mem.put(sharedSession, id, set)
			return id, c.opts.CacheTTL, nil
		}
		id = "s-" + randomHex(16)
	}
	if err := c.writeStore(ctx, keyResultSet+id, set, c.opts.ResultSetTTL); err != nil {
		c.b.log.Warn("catalog: result set not stored; it cannot be continued", "err", err)
		return "", 0, nil
	}
	c.mem.put(sharedSession, id, set)
	if set.cacheKey != "" && !set.fromCache {
		c.writeCacheAsync(set)
	}
	return id, c.opts.ResultSetTTL, nil
}

// validSharedID reports whether a client's name for a shared set can be
// its id: 1..64 letters, digits, '-', '_' and '.' (the SRU server's
// names are 32 hex digits).
func validSharedID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// cacheWrites bounds background cache writes; beyond it a search is
// simply not cached.
var cacheWrites = make(chan struct{}, 16)

func (c *catalog) writeCacheAsync(set *resultSet) {
	select {
	case cacheWrites <- struct{}{}:
	default:
		return
	}
	go func() {
		defer func() { <-cacheWrites }()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := c.writeStore(ctx, keySearchCache+set.cacheKey, set, c.opts.CacheTTL); err != nil {
			c.b.log.Warn("catalog: search not cached", "err", err)
		}
	}()
}

func (c *catalog) writeStore(ctx context.Context, key string, set *resultSet, ttl time.Duration) error {
	b, err := encodeSet(set)
	if err != nil {
		return err
	}
	if len(b) > state.MaxDataLen {
		return fmt.Errorf("result set of %d bytes compressed is over the store's %d", len(b), state.MaxDataLen)
	}
	return c.b.store.PutTTL(ctx, key, b, ttl)
}

// lookup finds a result set by id: the session's own sets first, then the
// shared sets this instance holds, then the shared sets and the cache in
// the state store.
func (c *catalog) lookup(ctx context.Context, session, id string) (*resultSet, error) {
	if session != "" {
		if set := c.mem.get(session, id); set != nil {
			return set, nil
		}
	}
	if set := c.mem.get(sharedSession, id); set != nil {
		return set, nil
	}
	var key string
	switch {
	case strings.HasPrefix(id, "c-") && isHex(id[2:], 64):
		key = keySearchCache + id[2:]
	case validSharedID(id):
		key = keyResultSet + id
	default:
		return nil, setNotFound(id)
	}
	b, err := c.b.store.GetTTL(ctx, key)
	if errors.Is(err, state.ErrNotFound) {
		return nil, setNotFound(id)
	}
	if err != nil {
		return nil, storeError("result set", err)
	}
	set, err := decodeSet(b)
	if err != nil {
		c.b.log.Warn("catalog: unreadable stored result set", "id", id, "err", err)
		return nil, setNotFound(id)
	}
	set.fromCache = true
	return set, nil
}

// setNotFound carries Bib-1 30 (specified result set does not exist) for
// the front ends; SRU clients see diagnostic 51.
func setNotFound(id string) error {
	if len(id) > maxNameLen {
		id = id[:maxNameLen]
	}
	return errorf(codes.NotFound, "result set %q does not exist or has expired (Bib-1 30)", id)
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// encodeSet writes a set as a gzip-compressed SearchResponse holding every
// record (ISO 2709 UTF-8) with its holdings and match key.
func encodeSet(set *resultSet) ([]byte, error) {
	m := &illgwv1.SearchResponse{HitCount: int64(len(set.records)), Members: set.members, Diagnostics: set.diags, Status: set.status}
	for i, r := range set.records {
		m.Records = append(m.Records, &illgwv1.Record{Position: int64(i + 1), Syntax: z3950.OIDUSMARC.String(),
			Data: r.iso, Charset: "utf-8", MatchKey: r.key, Holdings: r.holdings})
	}
	raw, err := proto.Marshal(m)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decodeSet reads what encodeSet wrote, refusing more than maxStoredSet
// bytes once decompressed and records that are not ISO 2709.
func decodeSet(b []byte) (*resultSet, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("broker: stored result set: %w", err)
	}
	raw, err := io.ReadAll(io.LimitReader(zr, maxStoredSet+1))
	if err != nil {
		return nil, fmt.Errorf("broker: stored result set: %w", err)
	}
	if len(raw) > maxStoredSet {
		return nil, fmt.Errorf("broker: stored result set larger than %d bytes", maxStoredSet)
	}
	var m illgwv1.SearchResponse
	if err := proto.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("broker: stored result set: %w", err)
	}
	set := &resultSet{members: m.Members, diags: m.Diagnostics, status: m.Status}
	for i, r := range m.Records {
		if len(r.Data) < 24 || len(r.Data) > 99999 {
			return nil, fmt.Errorf("broker: stored result set: record %d is not ISO 2709", i+1)
		}
		set.records = append(set.records, &mergedRecord{iso: r.Data, key: r.MatchKey, holdings: r.Holdings})
	}
	return set, nil
}

// memorySets holds the Z39.50 result sets: each belongs to one session
// (one association) under the client's name for it. Sets not used for
// ttl, and the least recently used beyond maxRecords records in all, are
// dropped.
type memorySets struct {
	mu         sync.Mutex
	byKey      map[memKey]*list.Element
	lru        *list.List // front: most recently used
	records    int
	maxRecords int
	ttl        time.Duration
	now        func() time.Time
}

type memKey struct{ session, name string }

type memEntry struct {
	key  memKey
	set  *resultSet
	used time.Time
}

func newMemorySets(maxRecords int, ttl time.Duration, now func() time.Time) *memorySets {
	return &memorySets{byKey: map[memKey]*list.Element{}, lru: list.New(), maxRecords: maxRecords, ttl: ttl, now: now}
}

func (m *memorySets) put(session, name string, set *resultSet) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := memKey{session, name}
	if el, ok := m.byKey[k]; ok {
		m.remove(el)
	}
	m.byKey[k] = m.lru.PushFront(&memEntry{key: k, set: set, used: m.now()})
	m.records += len(set.records)
	m.evict()
}

func (m *memorySets) get(session, name string) *resultSet {
	m.mu.Lock()
	defer m.mu.Unlock()
	el, ok := m.byKey[memKey{session, name}]
	if !ok {
		return nil
	}
	e := el.Value.(*memEntry)
	e.used = m.now()
	m.lru.MoveToFront(el)
	return e.set
}

// delete drops the named sets of a session, or all of them.
func (m *memorySets) delete(session string, names []string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	if len(names) == 0 {
		for k, el := range m.byKey {
			if k.session == session {
				m.remove(el)
				n++
			}
		}
		return n
	}
	for _, name := range names {
		if el, ok := m.byKey[memKey{session, name}]; ok {
			m.remove(el)
			n++
		}
	}
	return n
}

func (m *memorySets) remove(el *list.Element) {
	e := el.Value.(*memEntry)
	delete(m.byKey, e.key)
	m.lru.Remove(el)
	m.records -= len(e.set.records)
}

// evict drops expired sets and, beyond maxRecords, the least recently
// used; the newest set always stays.
func (m *memorySets) evict() {
	now := m.now()
	for el := m.lru.Back(); el != nil && el != m.lru.Front(); el = m.lru.Back() {
		e := el.Value.(*memEntry)
		if m.records <= m.maxRecords && now.Sub(e.used) < m.ttl {
			break
		}
		m.remove(el)
	}
}

// len returns the number of sets and records held, for tests.
func (m *memorySets) len() (sets, records int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.byKey), m.records
}

// decodeRecord decodes a merged record's ISO 2709 (always UTF-8 here).
func (r *mergedRecord) decode() (*marc.Record, error) {
	rec, _, err := marc.Decode(r.iso)
	return rec, err
}
