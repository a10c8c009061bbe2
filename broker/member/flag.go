package member

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FlagStore is the part of the state store the consortium-wide open flags
// need. broker/state.Store satisfies it (embedded and Redis drivers alike).
// GetTTL must return an error wrapping state.ErrNotFound for a missing or
// expired key; any other error is treated as "store unavailable".
type FlagStore interface {
	GetTTL(ctx context.Context, key string) ([]byte, error)
	PutTTL(ctx context.Context, key string, value []byte, ttl time.Duration) error
	DeleteTTL(ctx context.Context, key string) error
}

// FlagKey is the state-store key of the open flag of one member's protocol:
// "breaker-open/<member>/<protocol>".
func FlagKey(member string, p Protocol) string {
	return "breaker-open/" + member + "/" + string(p)
}

// Limits of a flag value read from the store, checked before parsing.
const (
	maxFlagValue = 160
	maxInstance  = 64
)

// flagValue is what an open flag holds: "v1 <until unix ms> <instance>".
// Until lets readers know when the flag expires without a TTL query.
type flagValue struct {
	Until    time.Time
	Instance string
}

func (f flagValue) encode() []byte {
	inst := f.Instance
	if len(inst) > maxInstance {
		inst = inst[:maxInstance]
	}
	return []byte("v1 " + strconv.FormatInt(f.Until.UnixMilli(), 10) + " " + inst)
}

// errBadFlag reports a flag value this version cannot read.
var errBadFlag = errors.New("member: unreadable open flag")

// parseFlag decodes a flag value. It checks the length before looking at
// the content; an unreadable value is an error (the caller then treats the
// member as flagged for one recheck period, never forever).
func parseFlag(b []byte) (flagValue, error) {
	if len(b) > maxFlagValue {
		return flagValue{}, fmt.Errorf("%w: %d bytes > %d", errBadFlag, len(b), maxFlagValue)
	}
	ver, rest, ok := strings.Cut(string(b), " ")
	if !ok || ver != "v1" {
		return flagValue{}, fmt.Errorf("%w: no v1 prefix", errBadFlag)
	}
	ms, inst, _ := strings.Cut(rest, " ")
	if len(ms) == 0 || len(ms) > 19 {
		return flagValue{}, fmt.Errorf("%w: bad expiry", errBadFlag)
	}
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil || n < 0 {
		return flagValue{}, fmt.Errorf("%w: bad expiry", errBadFlag)
	}
	if len(inst) > maxInstance {
		return flagValue{}, fmt.Errorf("%w: instance name longer than %d", errBadFlag, maxInstance)
	}
	for i := 0; i < len(inst); i++ {
		if c := inst[i]; c < ' ' || c == 0x7f {
			return flagValue{}, fmt.Errorf("%w: control byte in instance", errBadFlag)
		}
	}
	return flagValue{Until: time.UnixMilli(n), Instance: inst}, nil
}

// flagOp is a pending write of one flag: set until a time, or clear.
type flagOp struct {
	key   string
	set   bool
	value flagValue
	ttl   time.Duration
}

// flagWriter writes flags from one goroutine so that a breaker transition
// never waits for the store. Pending writes are coalesced per key: only the
// latest state of a flag is written.
type flagWriter struct {
	store   FlagStore
	timeout time.Duration
	onErr   func(key string, err error)

	mu      sync.Mutex
	pending map[string]flagOp
	order   []string
	wake    chan struct{}
	idle    *sync.Cond // signalled when pending is empty and nothing is being written
	busy    bool
	done    chan struct{}
	stopped chan struct{}
}

func newFlagWriter(store FlagStore, timeout time.Duration, onErr func(string, error)) *flagWriter {
	w := &flagWriter{store: store, timeout: timeout, onErr: onErr, pending: map[string]flagOp{},
		wake: make(chan struct{}, 1), done: make(chan struct{}), stopped: make(chan struct{})}
	w.idle = sync.NewCond(&w.mu)
	go w.run()
	return w
}

// enqueue records op as the latest state of its flag.
func (w *flagWriter) enqueue(op flagOp) {
	w.mu.Lock()
	if _, ok := w.pending[op.key]; !ok {
		w.order = append(w.order, op.key)
	}
	w.pending[op.key] = op
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *flagWriter) run() {
	defer close(w.stopped)
	for {
		select {
		case <-w.done:
			w.drain() // last writes, each still bounded by the timeout
			return
		case <-w.wake:
			w.drain()
		}
	}
}

// drain writes every pending op, oldest key first.
func (w *flagWriter) drain() {
	for {
		w.mu.Lock()
		if len(w.order) == 0 {
			w.busy = false
			w.idle.Broadcast()
			w.mu.Unlock()
			return
		}
		key := w.order[0]
		w.order = w.order[1:]
		op := w.pending[key]
		delete(w.pending, key)
		w.busy = true
		w.mu.Unlock()

		ctx, cancel := context.WithTimeout(context.Background(), w.timeout)
		var err error
		if op.set {
			err = w.store.PutTTL(ctx, op.key, op.value.encode(), op.ttl)
		} else {
			err = w.store.DeleteTTL(ctx, op.key)
		}
		cancel()
		if err != nil && w.onErr != nil {
			w.onErr(op.key, err)
		}
	}
}

// wait blocks until every write enqueued so far has been attempted.
func (w *flagWriter) wait() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(w.order) > 0 || w.busy {
		w.idle.Wait()
	}
}

// close writes what is pending and stops the goroutine.
func (w *flagWriter) close() {
	close(w.done)
	<-w.stopped
}
