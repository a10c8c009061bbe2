package state

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/illgw/illgw/internal/testenv"
)

// TestRedisKillMidLoad: writers keep moving their loans forward while
// redis-server (AOF, appendfsync always) is killed with SIGKILL and started
// again. A writer whose call fails retries the same transition with the same
// dedup key until it gets an answer. Afterwards every loan's version and log
// length equal the transitions its writer saw succeed: no acknowledged write
// lost, none applied twice.
func TestRedisKillMidLoad(t *testing.T) {
	const writers, steps = 4, 40
	ctx := context.Background()
	srv := testenv.Redis(t, testenv.WithAOF())
	s := openTestRedis(t, srv.Addr, Options{DialTimeout: 300 * time.Millisecond, ReadTimeout: 300 * time.Millisecond})
	killAt := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	unknown := make([]int, writers)
	for w := range writers {
		id := fmt.Sprintf("KILL%d", w)
		mustCreate(t, s, id)
		wg.Go(func() {
			for v := uint64(1); v <= steps; v++ {
				if w == 0 && v == steps/2 {
					once.Do(func() { close(killAt) })
				}
				m := Mutation{LoanID: id, ExpectVersion: v, Data: fmt.Appendf(nil, "%d", v),
					Events: []Event{ev("step", fmt.Sprint(v))}, DedupKey: fmt.Sprintf("%s-%d", id, v)}
				deadline := time.Now().Add(20 * time.Second)
				for {
					r, err := s.Apply(ctx, m)
					if err == nil {
						if r.Loan.Version != v+1 {
							t.Errorf("%s step %d: version %d", id, v, r.Loan.Version)
							return
						}
						break
					}
					if !errors.Is(err, ErrUnavailable) || time.Now().After(deadline) {
						t.Errorf("%s step %d: %v", id, v, err)
						return
					}
					unknown[w]++
					time.Sleep(20 * time.Millisecond)
				}
			}
		})
	}
	<-killAt
	srv.Kill(t)
	time.Sleep(200 * time.Millisecond)
	srv.Start(t)
	wg.Wait()
	if t.Failed() {
		return
	}
	for w := range writers {
		id := fmt.Sprintf("KILL%d", w)
		l, err := s.Get(ctx, id)
		if err != nil || l.Version != steps+1 {
			t.Fatalf("%s after the crash: version %d, %v; want %d", id, l.Version, err, steps+1)
		}
		evs, err := s.Events(ctx, id)
		if err != nil || len(evs) != steps+1 {
			t.Fatalf("%s log has %d events, %v; want %d", id, len(evs), err, steps+1)
		}
		for i, e := range evs[1:] {
			if e.Actor != fmt.Sprint(i+1) {
				t.Fatalf("%s event %d is step %s", id, i+1, e.Actor)
			}
		}
	}
	t.Logf("failed calls retried with their dedup key, per writer: %v", unknown)
}
