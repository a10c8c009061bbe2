package loan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/illgw/illgw/broker/ill"
	"github.com/illgw/illgw/broker/member"
	"github.com/illgw/illgw/broker/state"
	"github.com/illgw/illgw/ncip"
)

// fakeILS is a member's library system for tests: ncip.Memory behind a
// real NCIP server on loopback, counting every call by service and id
// (request id, else item id, else user id) so that tests can prove no call
// was made twice.
type fakeILS struct {
	*ncip.Memory
	code string
	srv  *httptest.Server
	down atomic.Bool // answer every call with Temporary Processing Failure
	// lose is how many RequestItem answers to lose after the request is
	// made, as a dropped connection would.
	lose  atomic.Int32
	mu    sync.Mutex
	calls map[string]int
	held  map[string]bool // request ids this ILS holds a request for
}

func newFakeILS(t testing.TB, code string) *fakeILS {
	f := &fakeILS{Memory: ncip.NewMemory(code), code: code, calls: map[string]int{}}
	f.srv = httptest.NewServer(&ncip.Server{Handler: f, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	t.Cleanup(f.srv.Close)
	return f
}

var errDown = errors.New("the library system is down")

func (f *fakeILS) count(service string, ids ...string) error {
	id := ""
	for _, v := range ids {
		if v != "" {
			id = v
			break
		}
	}
	f.mu.Lock()
	f.calls[service+" "+id]++
	f.mu.Unlock()
	if f.down.Load() {
		return errDown
	}
	return nil
}

// Calls returns how often service was called for id.
func (f *fakeILS) Calls(service, id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[service+" "+id]
}

// CallList returns every "service id=count", sorted.
func (f *fakeILS) CallList() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for k, n := range f.calls {
		out = append(out, fmt.Sprintf("%s=%d", k, n))
	}
	sort.Strings(out)
	return out
}

func rid(r *ncip.RequestID) string {
	if r == nil {
		return ""
	}
	return r.Value
}

func iid(i *ncip.ItemID) string {
	if i == nil {
		return ""
	}
	return i.Value
}

func uid(u *ncip.UserID) string {
	if u == nil {
		return ""
	}
	return u.Value
}

func (f *fakeILS) LookupUser(ctx context.Context, r *ncip.LookupUser) (*ncip.LookupUserResponse, error) {
	if err := f.count("LookupUser", uid(r.UserID)); err != nil {
		return nil, err
	}
	return f.Memory.LookupUser(ctx, r)
}

func (f *fakeILS) RequestItem(ctx context.Context, r *ncip.RequestItem) (*ncip.RequestItemResponse, error) {
	if err := f.count("RequestItem", rid(r.RequestID)); err != nil {
		return nil, err
	}
	// The ILS refuses a second request under a request id it holds.
	f.mu.Lock()
	dup := f.held[rid(r.RequestID)]
	f.mu.Unlock()
	if dup {
		return nil, ncip.NewServiceProblem("RequestItem", ncip.ProblemDuplicateRequest, "a request with this id exists").WithElement("RequestId", rid(r.RequestID))
	}
	resp, err := f.Memory.RequestItem(ctx, r)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	if f.held == nil {
		f.held = map[string]bool{}
	}
	f.held[rid(r.RequestID)] = true
	f.mu.Unlock()
	if n := f.lose.Load(); n > 0 && f.lose.CompareAndSwap(n, n-1) {
		return nil, errDown
	}
	return resp, nil
}

func (f *fakeILS) CancelRequestItem(ctx context.Context, r *ncip.CancelRequestItem) (*ncip.CancelRequestItemResponse, error) {
	if err := f.count("CancelRequestItem", rid(r.RequestID), iid(r.ItemID)); err != nil {
		return nil, err
	}
	return f.Memory.CancelRequestItem(ctx, r)
}

func (f *fakeILS) AcceptItem(ctx context.Context, r *ncip.AcceptItem) (*ncip.AcceptItemResponse, error) {
	if err := f.count("AcceptItem", rid(r.RequestID)); err != nil {
		return nil, err
	}
	return f.Memory.AcceptItem(ctx, r)
}

func (f *fakeILS) CheckOutItem(ctx context.Context, r *ncip.CheckOutItem) (*ncip.CheckOutItemResponse, error) {
	if err := f.count("CheckOutItem", iid(r.ItemID)); err != nil {
		return nil, err
	}
	return f.Memory.CheckOutItem(ctx, r)
}

func (f *fakeILS) CheckInItem(ctx context.Context, r *ncip.CheckInItem) (*ncip.CheckInItemResponse, error) {
	if err := f.count("CheckInItem", iid(r.ItemID)); err != nil {
		return nil, err
	}
	return f.Memory.CheckInItem(ctx, r)
}

func (f *fakeILS) DeleteItem(ctx context.Context, r *ncip.DeleteItem) (*ncip.DeleteItemResponse, error) {
	if err := f.count("DeleteItem", iid(r.ItemID)); err != nil {
		return nil, err
	}
	return f.Memory.DeleteItem(ctx, r)
}

func (f *fakeILS) RenewItem(ctx context.Context, r *ncip.RenewItem) (*ncip.RenewItemResponse, error) {
	if err := f.count("RenewItem", iid(r.ItemID)); err != nil {
		return nil, err
	}
	return f.Memory.RenewItem(ctx, r)
}

// catalog is a Catalog stub: holdings per ISBN.
type catalog struct {
	mu       sync.Mutex
	holdings map[string][]ill.Holding
	found    map[string]Bib // what the catalogue describes, per ISBN
	searches atomic.Int64
}

func (c *catalog) Holdings(_ context.Context, b Bib) ([]ill.Holding, Bib, error) {
	c.searches.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]ill.Holding(nil), c.holdings[b.ISBN]...), c.found[b.ISBN], nil
}

func (c *catalog) add(isbn string, h ...ill.Holding) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.holdings == nil {
		c.holdings = map[string][]ill.Holding{}
	}
	c.holdings[isbn] = append(c.holdings[isbn], h...)
}

// consortium is NORTH, SOUTH and EAST with fake ILSes, a registry with
// breakers in front of them, a catalogue stub and a store.
type consortium struct {
	ils      map[string]*fakeILS
	registry *member.Registry
	catalog  *catalog
	members  []Member
}

var codes = []string{"NORTH", "SOUTH", "EAST"}

func newConsortium(t testing.TB) *consortium {
	c := &consortium{ils: map[string]*fakeILS{}, catalog: &catalog{}}
	var cfgs []member.Config
	for _, code := range codes {
		f := newFakeILS(t, code)
		p := code[:1]
		f.AddUser(ncip.MemoryUser{ID: p + "0001"})
		f.AddUser(ncip.MemoryUser{ID: p + "0002", Blocked: true})
		for _, o := range codes {
			if o != code {
				f.AddUser(ncip.MemoryUser{ID: "ILL-" + o})
			}
		}
		c.ils[code] = f
		cfgs = append(cfgs, member.Config{Code: code, NCIP: &member.NCIPConfig{URL: f.srv.URL, Agency: code, Timeout: 2 * time.Second},
			Lending: member.Lending{Lends: true, Borrows: true, InstitutionalPatron: "ILL-" + code}})
		c.members = append(c.members, Member{Code: code, Lends: true, Borrows: true})
	}
	reg, err := member.New(member.Options{Members: cfgs, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	c.registry = reg
	return c
}

// title adds a title held by the given lenders, one copy each with item id
// "<member>-<isbn>", and returns its ISBN.
func (c *consortium) title(isbn string, lenders ...string) string {
	for _, m := range lenders {
		item := m + "-" + isbn
		c.ils[m].AddItem(ncip.MemoryItem{ID: item, Title: "Title " + isbn})
		c.catalog.add(isbn, ill.Holding{Member: m, Available: true, ItemID: item})
	}
	return isbn
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openEmbedded(t testing.TB, path string) state.Store {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "loans.db")
	}
	s, err := state.Open(context.Background(), state.Options{Path: path, NoSnapshotSocket: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// engine returns an engine over store for the consortium; tweak may change
// the options first.
func (c *consortium) engine(t testing.TB, store state.Store, tweak func(*Options)) *Engine {
	t.Helper()
	o := Options{Store: store, ILS: Registry(c.registry), Catalog: c.catalog, Members: c.members, Logger: quiet(),
		CallBackoff: 10 * time.Millisecond, Poll: 20 * time.Millisecond, WatchPoll: 20 * time.Millisecond, Lease: 10 * time.Second}
	if tweak != nil {
		tweak(&o)
	}
	e, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		e.Close(ctx)
	})
	return e
}

var operator = Actor{Kind: ill.ActorOperator, ID: "alice"}

func memberActor(code string) Actor { return Actor{Kind: ill.ActorMember, ID: code, Member: code} }

// kinds lists the kinds of a loan's history.
func kinds(evs []Event) string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Kind)
	}
	return strings.Join(out, " ")
}

// waitFor polls cond until it holds or a generous bound passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
