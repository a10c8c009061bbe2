package member

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/illgw/illgw/broker/state"
)

// guard is the breaker, deadline, concurrency cap and flag cache of one
// member's protocol.
type guard struct {
	r       *Registry
	member  string
	proto   Protocol
	key     string
	timeout time.Duration
	cb      *gobreaker.CircuitBreaker[struct{}]
	sem     chan struct{}

	mu sync.Mutex // never held while calling cb: cb calls onStateChange under its own lock
	// flag cache
	flag           flagValue
	flagChecked    time.Time
	flagRefreshing bool
	flagErr        string // last store error on a flag read, for Health
	// health
	requests, failures, answers, refused uint64
	lastErr                              string
	lastErrAt                            time.Time
	lastTransition                       time.Time
}

// callResult carries a call's error and outcome through gobreaker, so that
// IsSuccessful and IsExcluded see the outcome classify decided with the
// caller's context in hand.
type callResult struct {
	err error
	out outcome
}

func (c *callResult) Error() string { return c.err.Error() }

func outcomeOf(err error) outcome {
	if err == nil {
		return outcomeOK
	}
	var cr *callResult
	if errors.As(err, &cr) {
		return cr.out
	}
	return outcomeFailure // a panic inside the call, which gobreaker turns into an error
}

func newGuard(r *Registry, member string, p Protocol, timeout time.Duration) *guard {
	g := &guard{r: r, member: member, proto: p, key: FlagKey(member, p), timeout: timeout,
		sem: make(chan struct{}, r.maxConcurrent)}
	b := r.breaker
	bucket := max(b.Window/6, time.Millisecond)
	g.cb = gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
		Name:         member + "/" + string(p),
		MaxRequests:  b.Probes,
		Interval:     b.Window,
		BucketPeriod: bucket,
		Timeout:      b.OpenFor,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			// Consecutive failures, or the failure ratio of the calls that
			// ended inside the window (in-flight calls are not counted:
			// reliability-security.md §2.1 warns of ratios computed from
			// the wrong counts).
			if c.ConsecutiveFailures >= b.Failures {
				return true
			}
			ended := c.TotalSuccesses + c.TotalFailures
			return ended >= b.MinRequests && float64(c.TotalFailures) >= b.Ratio*float64(ended)
		},
		IsSuccessful:  func(err error) bool { o := outcomeOf(err); return o == outcomeOK || o == outcomeAnswer },
		IsExcluded:    func(err error) bool { return err != nil && outcomeOf(err) == outcomeCanceled },
		OnStateChange: func(_ string, from, to gobreaker.State) { g.onStateChange(from, to) },
	})
	r.metrics.setState(member, p, gobreaker.StateClosed)
	return g
}

// onStateChange runs under the breaker's lock: it must not call g.cb. It
// records the transition, updates the metrics and queues the flag write.
func (g *guard) onStateChange(from, to gobreaker.State) {
	now := g.r.now()
	g.mu.Lock()
	g.lastTransition = now
	g.mu.Unlock()
	g.r.metrics.transition(g.member, g.proto, to)
	g.r.log.Info("member: breaker "+to.String(), "member", g.member, "protocol", string(g.proto), "from", from.String())
	if g.r.flags == nil {
		return
	}
	switch to {
	case gobreaker.StateOpen:
		open := g.r.breaker.OpenFor
		g.r.writer.enqueue(flagOp{key: g.key, set: true, ttl: open,
			value: flagValue{Until: now.Add(open), Instance: g.r.instance}})
	case gobreaker.StateClosed:
		g.r.writer.enqueue(flagOp{key: g.key})
	}
}

// flagged reports whether another instance has flagged this breaker open,
// reading the store at most once per FlagRecheck. A store that fails or is
// slow counts as "not flagged": the local breaker still guards the member.
func (g *guard) flagged(ctx context.Context) (flagValue, bool) {
	r := g.r
	if r.flags == nil {
		return flagValue{}, false
	}
	now := r.now()
	g.mu.Lock()
	if g.flagRefreshing || (r.recheck >= 0 && now.Sub(g.flagChecked) < r.recheck) {
		v := g.flag
		g.mu.Unlock()
		return v, g.otherInstance(v, now)
	}
	g.flagRefreshing = true
	g.mu.Unlock()

	rctx, cancel := context.WithTimeout(ctx, r.flagTimeout)
	b, err := r.flags.GetTTL(rctx, g.key)
	cancel()
	var v flagValue
	var storeErr string
	switch {
	case err == nil:
		var perr error
		if v, perr = parseFlag(b); perr != nil {
			// Written by another version, or damaged: honour it as a flag
			// until the next recheck; its TTL ends it in the store.
			v = flagValue{Until: now.Add(r.breaker.OpenFor), Instance: "?"}
		}
	case errors.Is(err, state.ErrNotFound):
	default:
		storeErr = "flag read failed: " + sanitize(err, nil)
	}
	g.mu.Lock()
	g.flag, g.flagChecked, g.flagRefreshing, g.flagErr = v, now, false, storeErr
	g.mu.Unlock()
	if storeErr != "" {
		r.log.Debug("member: open flag unreadable; relying on the local breaker", "member", g.member, "protocol", string(g.proto), "error", storeErr)
	}
	return v, g.otherInstance(v, now)
}

// otherInstance: a live flag written by another instance. This instance's
// own flag only mirrors its local breaker, which already decides.
func (g *guard) otherInstance(v flagValue, now time.Time) bool {
	return v.Until.After(now) && v.Instance != g.r.instance
}

// do runs fn under the breaker and the deadline; see Registry.Do.
func (g *guard) do(ctx context.Context, fn func(context.Context) error) error {
	r := g.r
	if g.cb.State() == gobreaker.StateOpen {
		return g.refuse(&OpenError{Member: g.member, Protocol: g.proto})
	}
	if v, ok := g.flagged(ctx); ok {
		return g.refuse(&OpenError{Member: g.member, Protocol: g.proto, Flagged: true, Until: v.Until})
	}
	select {
	case g.sem <- struct{}{}:
		defer func() { <-g.sem }()
	default:
		r.metrics.call(g.member, g.proto, "busy", -1)
		return &busyError{g.member, g.proto}
	}
	cctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	start := time.Now()
	var out outcome
	_, err := g.cb.Execute(func() (struct{}, error) {
		err := fn(cctx)
		out = classify(ctx, err, r.isFailure)
		if err == nil {
			return struct{}{}, nil
		}
		return struct{}{}, &callResult{err: err, out: out}
	})
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		return g.refuse(&OpenError{Member: g.member, Protocol: g.proto})
	}
	elapsed := time.Since(start)
	var cr *callResult
	if errors.As(err, &cr) {
		err = cr.err
	}
	r.metrics.call(g.member, g.proto, out.String(), elapsed.Seconds())
	g.mu.Lock()
	g.requests++
	switch out {
	case outcomeAnswer:
		g.answers++
	case outcomeFailure:
		g.failures++
		g.lastErr, g.lastErrAt = sanitize(err, r.secrets[g.member]), r.now()
	}
	g.mu.Unlock()
	if out == outcomeFailure {
		return &CallError{Member: g.member, Protocol: g.proto, Err: err}
	}
	return err
}

func (g *guard) refuse(e *OpenError) error {
	g.mu.Lock()
	g.refused++
	g.mu.Unlock()
	g.r.metrics.call(g.member, g.proto, "refused", -1)
	return e
}

type busyError struct {
	member string
	proto  Protocol
}

func (e *busyError) Error() string {
	return "member: too many calls in flight to " + e.member + "/" + string(e.proto)
}
func (e *busyError) Is(target error) bool { return target == ErrBusy }

// CallError is a failed call: one that counted against the member's
// breaker. Err is the protocol client's error (errors.Is and errors.As
// see through CallError).
type CallError struct {
	Member   string
	Protocol Protocol
	Err      error
}

func (e *CallError) Error() string {
	return "member " + e.Member + "/" + string(e.Protocol) + ": " + e.Err.Error()
}

// Unwrap returns the protocol client's error.
func (e *CallError) Unwrap() error { return e.Err }
