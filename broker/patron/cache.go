package patron

import (
	"sync"
	"time"
)

// cache is the positive-lookup cache: barcode -> Patron found, for ttl, in
// this process only (patron data is not copied into the shared store). It
// holds directory attributes and never a PIN; Authenticate does not read
// it. A nil *cache is off.
type cache struct {
	ttl  time.Duration
	size int
	now  func() time.Time
	mu   sync.Mutex
	m    map[string]cached
}

type cached struct {
	p   Patron
	exp time.Time
}

func newCache(ttl time.Duration, size int, now func() time.Time) *cache {
	return &cache{ttl: ttl, size: size, now: now, m: make(map[string]cached)}
}

func (c *cache) get(barcode string) (Patron, bool) {
	if c == nil {
		return Patron{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[barcode]
	if !ok {
		return Patron{}, false
	}
	if !c.now().Before(e.exp) {
		delete(c.m, barcode)
		return Patron{}, false
	}
	return e.p, true
}

// put stores p. When the cache is full, expired entries are dropped first,
// then an arbitrary one.
func (c *cache) put(barcode string, p Patron) {
	if c == nil {
		return
	}
	p.PINVerified = false
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[barcode]; !ok && len(c.m) >= c.size {
		for k, e := range c.m {
			if !now.Before(e.exp) {
				delete(c.m, k)
			}
		}
		for k := range c.m {
			if len(c.m) < c.size {
				break
			}
			delete(c.m, k)
		}
	}
	c.m[barcode] = cached{p: p, exp: now.Add(c.ttl)}
}

func (c *cache) len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
