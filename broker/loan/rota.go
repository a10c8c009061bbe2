package loan

import (
	"context"
	"sync"
	"time"

	"github.com/illgw/illgw/broker/ill"
	"github.com/illgw/illgw/broker/state"
)

// locate builds the rota (ncip-ill.md §3.3 "Locate", issue 8 point 2): the
// catalogue's holdings, ordered by ill.BuildRota with the configured
// lenders and the active loans each is lending now.
func (e *Engine) locate(ctx context.Context, rec *Record) (result, error) {
	if e.o.Catalog == nil {
		return result{Outcome: outcomeOK}, nil
	}
	holdings, found, err := e.o.Catalog.Holdings(ctx, rec.Bib)
	if err != nil {
		return result{Outcome: outcomeFailed, Detail: "catalogue search: " + err.Error()}, err
	}
	policies := make(map[string]ill.LenderPolicy, len(e.members))
	for code, m := range e.members {
		policies[code] = ill.LenderPolicy{Lends: m.Lends}
	}
	load, err := e.load.get(ctx, e)
	if err != nil {
		return result{Outcome: outcomeFailed, Detail: "counting active loans: " + err.Error()}, err
	}
	res := result{Outcome: outcomeOK, Lenders: ill.BuildRota(holdings, rec.Loan.Requester, policies, load)}
	if found.Title != "" || found.Author != "" || found.ISBN != "" || found.ISSN != "" || found.LCCN != "" {
		found.Record, found.ItemID = nil, ""
		res.Found = &found
	}
	return res, nil
}

// fillFrom sets the fields of b that are empty from what the catalogue
// found, each cut to the loan's text limits; what the requester gave wins.
func (b *Bib) fillFrom(f Bib) {
	for _, p := range []struct {
		dst *string
		src string
		max int
	}{
		{&b.Title, f.Title, maxTextLen}, {&b.Author, f.Author, maxTextLen}, {&b.Date, f.Date, ill.MaxItemLen},
		{&b.ISBN, f.ISBN, ill.MaxItemLen}, {&b.ISSN, f.ISSN, ill.MaxItemLen}, {&b.LCCN, f.LCCN, ill.MaxItemLen},
		{&b.OCLC, f.OCLC, ill.MaxItemLen},
	} {
		if *p.dst == "" {
			*p.dst = truncate(p.src, p.max)
		}
	}
}

// loadCache is the count of active loans per lender, recounted at most
// every LoadTTL.
type loadCache struct {
	mu     sync.Mutex
	at     time.Time
	counts map[string]int
}

func (c *loadCache) get(ctx context.Context, e *Engine) (map[string]int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts != nil && e.now().Sub(c.at) < e.o.LoadTTL {
		return c.counts, nil
	}
	counts := map[string]int{}
	err := e.scan(ctx, func(r *Record) {
		if !r.Loan.State.Terminal() && r.Loan.Lender != "" {
			counts[r.Loan.Lender]++
		}
	})
	if err != nil {
		return nil, err
	}
	c.counts, c.at = counts, e.now()
	return counts, nil
}

// scan calls f for every loan of every partition. Loans that do not decode
// are logged and left out.
func (e *Engine) scan(ctx context.Context, f func(*Record)) error {
	for p := range e.store.Partitions() {
		after := ""
		for {
			var page []state.Loan
			var next string
			err := e.retryStore(ctx, func(ctx context.Context) (err error) {
				page, next, err = e.store.List(ctx, state.ListOptions{Partition: p, After: after, Limit: state.MaxListLimit})
				return err
			})
			if err != nil {
				return err
			}
			for _, s := range page {
				r, err := decode(s)
				if err != nil {
					e.log.Warn("loan: skipping a loan that does not decode", "loan", s.ID, "err", err)
					continue
				}
				f(r)
			}
			if next == "" {
				break
			}
			after = next
		}
	}
	return nil
}
