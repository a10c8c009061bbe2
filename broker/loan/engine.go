package loan

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/illgw/illgw/broker/ill"
	"github.com/illgw/illgw/broker/state"
	"github.com/illgw/illgw/ncip"
)

// Sentinel errors; test them with errors.Is.
var (
	// ErrClosed: the engine has been closed.
	ErrClosed = errors.New("loan: engine closed")
	// ErrVersion: the loan is not at the version the caller expected.
	ErrVersion = errors.New("loan: loan is at another version")
	// ErrInvalid: the request breaks a documented rule or limit.
	ErrInvalid = errors.New("loan: invalid request")
	// ErrBusy: the loan kept changing under the engine; try again.
	ErrBusy = errors.New("loan: loan kept changing, try again")
)

// Catalog finds the members holding what a loan asks for (the federated
// catalogue's holdings; issue 8 point 2). It also returns what it knows of
// the record it matched (title, author, date, identifiers; zero when
// nothing), so a loan asked for by an identifier alone gains a title.
type Catalog interface {
	Holdings(ctx context.Context, bib Bib) ([]ill.Holding, Bib, error)
}

// NCIP is the part of a member's NCIP client the engine calls;
// *member.NCIPClient implements it, behind the member's breaker.
type NCIP interface {
	LookupUser(context.Context, *ncip.LookupUser) (*ncip.LookupUserResponse, error)
	RequestItem(context.Context, *ncip.RequestItem) (*ncip.RequestItemResponse, error)
	CancelRequestItem(context.Context, *ncip.CancelRequestItem) (*ncip.CancelRequestItemResponse, error)
	AcceptItem(context.Context, *ncip.AcceptItem) (*ncip.AcceptItemResponse, error)
	CheckOutItem(context.Context, *ncip.CheckOutItem) (*ncip.CheckOutItemResponse, error)
	CheckInItem(context.Context, *ncip.CheckInItem) (*ncip.CheckInItemResponse, error)
	DeleteItem(context.Context, *ncip.DeleteItem) (*ncip.DeleteItemResponse, error)
	RenewItem(context.Context, *ncip.RenewItem) (*ncip.RenewItemResponse, error)
	RecallItem(context.Context, *ncip.RecallItem) (*ncip.RecallItemResponse, error)
}

// ILS returns a member's NCIP client, or an error when it has none.
type ILS interface {
	NCIP(member string) (NCIP, error)
}

// Member is what the engine needs to know of a member library
// (config members[].lending).
type Member struct {
	Code           string
	Lends, Borrows bool
	// InstitutionalPatron is the patron a lender charges this member's
	// borrowed items to; "" means "ILL-" + Code.
	InstitutionalPatron string
}

// Options configure an Engine. Zero durations take the defaults named.
type Options struct {
	Store   state.Store // required
	ILS     ILS         // required
	Catalog Catalog     // nil: every loan ends at end-of-rota ("no catalogue")
	Members []Member
	// Timeouts are the lender time-outs per service level
	// (loans.lender_timeout).
	Timeouts ill.Timeouts
	// AnonymiseAfter is how long a finished loan keeps its patron
	// (loans.anonymise_after): 0 means 720h.
	AnonymiseAfter time.Duration
	// Agency is our agency id in the NCIP requests' ids: "" means "ILLGW".
	Agency string
	// Instance names this engine in call claims: "" means host-pid.
	Instance string
	Logger   *slog.Logger
	Now      func() time.Time
	// Poll is how often Run claims due timers: 0 means 1s.
	Poll time.Duration
	// Sweep is how often Run looks for timers lost with a dead instance:
	// 0 means 1m. SweepGrace is how late a timer must be to count as
	// lost: 0 means 30s.
	Sweep, SweepGrace time.Duration
	// Lease is how long a call may run before another instance may take it
	// over: 0 means 2m. It must exceed CallAttempts NCIP deadlines.
	Lease time.Duration
	// CallAttempts is how often a call is tried before it is marked
	// failed: 0 means 3. CallBackoff is the first pause between tries
	// (doubling): 0 means 200ms.
	CallAttempts int
	CallBackoff  time.Duration
	// RetryAfter is the first automatic retry of a failed call (doubling,
	// at most AutoRetries times, then staff must act): 0 means 1m and 5.
	RetryAfter  time.Duration
	AutoRetries int
	// StoreRetry is how long an operation keeps retrying a store that does
	// not answer: 0 means 30s.
	StoreRetry time.Duration
	// LoadTTL is how long the count of active loans per lender (the rota's
	// load order) is reused: 0 means 30s.
	LoadTTL time.Duration
	// WatchPoll is how often Watch reads the partition feeds: 0 means 250ms.
	WatchPoll time.Duration
	// NoCalls stores transitions without making their calls, which wait in
	// the outbox: the loans API of a broker that has no member registry.
	NoCalls bool
}

// Engine drives loans. Create it with New; it is safe for concurrent use.
type Engine struct {
	o       Options
	store   state.Store
	members map[string]Member
	policy  ill.Policy
	log     *slog.Logger
	now     func() time.Time

	load loadCache

	mu     sync.Mutex
	closed bool
	done   chan struct{}
	// watchesDone ends every Watch (EndWatches).
	watchesDone chan struct{}
	watchesOnce sync.Once
	running     sync.WaitGroup // calls and handlers in flight
}

// New returns an Engine for the options.
func New(o Options) (*Engine, error) {
	if o.Store == nil || (o.ILS == nil && !o.NoCalls) {
		return nil, fmt.Errorf("%w: Store and ILS are required", ErrInvalid)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.AnonymiseAfter, 720*time.Hour)
	def(&o.Poll, time.Second)
	def(&o.Sweep, time.Minute)
	def(&o.SweepGrace, 30*time.Second)
	def(&o.Lease, 2*time.Minute)
	def(&o.CallBackoff, 200*time.Millisecond)
	def(&o.RetryAfter, time.Minute)
	def(&o.StoreRetry, 30*time.Second)
	def(&o.LoadTTL, 30*time.Second)
	def(&o.WatchPoll, 250*time.Millisecond)
	if o.CallAttempts <= 0 {
		o.CallAttempts = 3
	}
	if o.AutoRetries <= 0 {
		o.AutoRetries = 5
	}
	if o.Agency == "" {
		o.Agency = "ILLGW"
	}
	if o.Instance == "" {
		h, _ := os.Hostname()
		o.Instance = fmt.Sprintf("%s-%d", h, os.Getpid())
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	e := &Engine{o: o, store: o.Store, members: map[string]Member{}, policy: ill.Policy{Timeouts: o.Timeouts},
		log: o.Logger, now: o.Now, done: make(chan struct{}), watchesDone: make(chan struct{})}
	for _, m := range o.Members {
		if m.InstitutionalPatron == "" {
			m.InstitutionalPatron = "ILL-" + m.Code
		}
		e.members[m.Code] = m
	}
	return e, nil
}

// Close stops Run and new operations, and waits for the calls in flight to
// be made and recorded (bounded by ctx). It does not close the store.
func (e *Engine) Close(ctx context.Context) error {
	e.mu.Lock()
	if !e.closed {
		e.closed = true
		close(e.done)
	}
	e.mu.Unlock()
	ch := make(chan struct{})
	go func() { e.running.Wait(); close(ch) }()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// EndWatches ends every Watch with ErrClosed, now and from now on, while
// the engine goes on: a gateway that is shutting down calls it first, so
// that open watch streams do not hold up the end of in-flight requests.
func (e *Engine) EndWatches() {
	e.watchesOnce.Do(func() { close(e.watchesDone) })
}

// begin registers an operation in flight, or fails once the engine is
// closed.
func (e *Engine) begin() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return ErrClosed
	}
	e.running.Add(1)
	return nil
}

// Get returns a loan.
func (e *Engine) Get(ctx context.Context, id string) (*Record, error) {
	var s state.Loan
	err := e.retryStore(ctx, func(ctx context.Context) (err error) {
		s, err = e.store.Get(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return decode(s)
}

// History returns a loan's events in order.
func (e *Engine) History(ctx context.Context, id string) ([]Event, error) {
	var evs []state.Event
	err := e.retryStore(ctx, func(ctx context.Context) (err error) {
		evs, err = e.store.Events(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	p := e.store.PartitionOf(id)
	out := make([]Event, 0, len(evs))
	for _, s := range evs {
		ev, err := EventFromStore(s, p)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
}

// retryStore runs f until it succeeds, fails with something other than
// state.ErrUnavailable, or StoreRetry has passed; the pause between tries
// grows from 50ms to 1s. A write passed here must carry a dedup key, so
// that a try whose outcome was lost is not applied twice.
func (e *Engine) retryStore(ctx context.Context, f func(context.Context) error) error {
	deadline := time.Now().Add(e.o.StoreRetry)
	pause := 50 * time.Millisecond
	for {
		err := f(ctx)
		if err == nil || !errors.Is(err, state.ErrUnavailable) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
		pause = min(2*pause, time.Second)
	}
}

// randomKey returns a fresh dedup key for a write that has no natural one.
func randomKey(prefix string) string {
	var b [12]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// newID returns a fresh loan id (ill.ShortID from crypto/rand).
func newID() string {
	var b [ill.IDBytes]byte
	rand.Read(b[:])
	id, _ := ill.ShortID(b[:])
	return id
}
