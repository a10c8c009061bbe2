// Command sip2load measures the gateway's SIP2 path under load (issue 6
// point 7): it configures a gateway in this process — an embedded state
// store, simulated member ILSes (sip2/memory ACSes on loopback), the
// member registry, the broker behind an in-memory gRPC connection, and
// the SIP2 server over sip2/adapter — with one terminal account per kiosk,
// then runs N kiosks that each log in and send M messages: checkouts and
// checkins of their own items, alternately, each with error detection.
//
// It prints throughput, p50/p99/max latency and the counts of lost
// transactions (a request without an ok answer) and duplicated ones (an ILS
// that charged or discharged an item more often than the kiosks were told),
// and exits 1 when either is not 0.
//
//	sip2load -kiosks 100 -messages 20
//	sip2load -kiosks 1000 -interval 2s -duration 2m
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/illgw/illgw/broker"
	"github.com/illgw/illgw/broker/member"
	"github.com/illgw/illgw/broker/state"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
	"github.com/illgw/illgw/sip2"
	"github.com/illgw/illgw/sip2/adapter"
	"github.com/illgw/illgw/sip2/memory"
)

type options struct {
	kiosks, messages, members int
	interval, duration        time.Duration
	timeout                   time.Duration
	redis                     string
}

func main() {
	var o options
	flag.IntVar(&o.kiosks, "kiosks", 100, "concurrent kiosks (one terminal account each)")
	flag.IntVar(&o.messages, "messages", 20, "messages per kiosk (ignored with -duration)")
	flag.IntVar(&o.members, "members", 3, "simulated member libraries the kiosks are spread over")
	flag.DurationVar(&o.interval, "interval", 0, "pause between a kiosk's messages (0: send the next as soon as the answer arrives)")
	flag.DurationVar(&o.duration, "duration", 0, "run each kiosk for this long instead of -messages (with -interval)")
	flag.StringVar(&o.redis, "redis", "", "keep the gateway's state in the Redis at `ADDR` instead of an embedded store in a temporary folder")
	flag.DurationVar(&o.timeout, "timeout", 15*time.Second, "a kiosk's wait for one answer before it counts the transaction as lost")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the run to `FILE`")
	flag.Parse()
	if o.kiosks < 1 || o.members < 1 || o.messages < 1 && o.duration <= 0 {
		fmt.Fprintln(os.Stderr, "sip2load: -kiosks, -members and -messages (or -duration) must be at least 1")
		os.Exit(2)
	}
	if o.duration > 0 {
		if o.interval <= 0 {
			fmt.Fprintln(os.Stderr, "sip2load: -duration needs -interval")
			os.Exit(2)
		}
		o.messages = int(o.duration / o.interval)
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "sip2load:", err)
			os.Exit(1)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "sip2load:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	res, err := run(context.Background(), o, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sip2load:", err)
		os.Exit(1)
	}
	if res.lost > 0 || res.duplicated > 0 {
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// result is what one run measured.
type result struct {
	sent, answered, lost, duplicated int
	elapsed                          time.Duration
	latencies                        []time.Duration
	acked                            []acked // per kiosk
}

func memberCode(i int) string { return fmt.Sprintf("M%02d", i) }
func patronID(k int) string   { return fmt.Sprintf("P%05d", k) }
func itemID(k, n int) string  { return fmt.Sprintf("K%05dI%04d", k, n) }

// run sets the gateway up, drives it and tears it down.
func run(ctx context.Context, o options, out io.Writer) (*result, error) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir, err := os.MkdirTemp("", "sip2load-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	// Simulated member ILSes.
	ilses := make([]*memory.Backend, o.members)
	var mcfg []member.Config
	var bmembers []broker.Member
	for i := range ilses {
		b := memory.New()
		b.LoanPeriod = 24 * time.Hour
		b.AddAccount(memory.Account{Login: "gw", PasswordHash: memory.HashPassword("gwpass", bcrypt.MinCost), Institution: memberCode(i)})
		ilses[i] = b
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		acs := &sip2.Server{Backend: b, Logger: quiet, MaxPerIP: -1, MaxConnections: -1}
		go acs.Serve(ln)
		defer acs.Close()
		mcfg = append(mcfg, member.Config{Code: memberCode(i), Name: "Member " + memberCode(i),
			SIP2: &member.SIP2Config{Addr: ln.Addr().String(), Login: "gw", Password: "gwpass", Institution: memberCode(i), Pool: 32}})
		bmembers = append(bmembers, broker.Member{Code: memberCode(i), Name: "Member " + memberCode(i)})
	}
	// One patron, one terminal account and its own items per kiosk.
	hash, err := bcrypt.GenerateFromPassword([]byte("kioskpass"), bcrypt.MinCost)
	if err != nil {
		return nil, err
	}
	items := (o.messages + 1) / 2
	var terminals []broker.Terminal
	for k := range o.kiosks {
		b := ilses[k%o.members]
		b.AddPatron(memory.Patron{ID: patronID(k), PIN: "1234", Name: "Patron " + patronID(k)})
		for n := range items {
			b.AddItem(memory.Item{ID: itemID(k, n), Title: "Title " + itemID(k, n)})
		}
		terminals = append(terminals, broker.Terminal{Login: fmt.Sprintf("kiosk%05d", k), PasswordHash: string(hash), Member: memberCode(k % o.members)})
	}

	so := state.Options{Driver: "embedded", Path: filepath.Join(dir, "illgw.db")}
	if o.redis != "" {
		so = state.Options{Driver: "redis", Addrs: []string{o.redis}}
	}
	st, err := state.Open(ctx, so)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	reg, err := member.New(member.Options{Members: mcfg, Flags: st, Logger: quiet, MaxConcurrent: 4 * o.kiosks})
	if err != nil {
		return nil, err
	}
	defer reg.Close()
	br := broker.New(broker.Options{Store: st, StoreDriver: so.Driver, Members: bmembers, Registry: reg, Terminals: terminals, Logger: quiet})
	gs := grpc.NewServer()
	br.Register(gs)
	bl := bufconn.Listen(1 << 20)
	go gs.Serve(bl)
	defer gs.Stop()
	cc, err := grpc.NewClient("passthrough:///sip2load",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return bl.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	defer cc.Close()
	circ := illgwv1.NewCirculationClient(cc)
	sln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &sip2.Server{Backend: &adapter.Backend{Client: circ}, ReplayStore: &adapter.ReplayStore{Client: circ},
		Logger: quiet, MaxPerIP: -1, MaxConnections: -1, IdleTimeout: -1}
	go srv.Serve(sln)
	defer srv.Close()

	fmt.Fprintf(out, "sip2load: %d kiosks x %d messages over %d members, interval %v, %s state store, GOMAXPROCS %d\n",
		o.kiosks, o.messages, o.members, o.interval, so.Driver, runtime.GOMAXPROCS(0))
	res := drive(ctx, o, sln.Addr().String())
	res.duplicated = duplicates(o, ilses, res)
	report(out, res)
	return res, nil
}

// acked records, per kiosk, which of its items the gateway said it charged
// and discharged.
type acked struct {
	out, in []bool
}

// drive runs the kiosks and collects their latencies.
func drive(ctx context.Context, o options, addr string) *result {
	items := (o.messages + 1) / 2
	ackedByKiosk := make([]acked, o.kiosks)
	var (
		mu        sync.Mutex
		latencies = make([]time.Duration, 0, o.kiosks*o.messages)
		sent      atomic.Int64
		answered  atomic.Int64
		lost      atomic.Int64
		wg        sync.WaitGroup
	)
	start := time.Now()
	for k := range o.kiosks {
		ackedByKiosk[k] = acked{out: make([]bool, items), in: make([]bool, items)}
		wg.Go(func() {
			c := &sip2.Client{Addr: addr, LoginUserID: fmt.Sprintf("kiosk%05d", k), LoginPassword: "kioskpass",
				Charset: sip2.UTF8, MaxConns: 1, MaxIdle: 1, IdleTimeout: time.Hour, DialTimeout: o.timeout, Timeout: o.timeout}
			defer c.Close()
			if o.interval > 0 { // spread the kiosks over one interval
				time.Sleep(rand.N(o.interval))
			}
			next := time.Now()
			mine := make([]time.Duration, 0, o.messages)
			for m := range o.messages {
				n := m / 2
				var req sip2.Message
				if m%2 == 0 {
					req = &sip2.Checkout{PatronID: patronID(k), PatronPassword: "1234", ItemID: itemID(k, n)}
				} else {
					req = &sip2.Checkin{ItemID: itemID(k, n), CurrentLocation: "MAIN"}
				}
				cctx, cancel := context.WithTimeout(ctx, o.timeout)
				t0 := time.Now()
				sent.Add(1)
				resp, err := c.Do(cctx, req)
				d := time.Since(t0)
				cancel()
				ok := false
				switch r := resp.(type) {
				case *sip2.CheckoutResponse:
					ok = r.OK
					ackedByKiosk[k].out[n] = ok
				case *sip2.CheckinResponse:
					ok = r.OK
					ackedByKiosk[k].in[n] = ok
				}
				if err == nil && ok {
					answered.Add(1)
					mine = append(mine, d)
				} else {
					lost.Add(1)
					if lost.Load() <= 5 {
						fmt.Fprintf(os.Stderr, "sip2load: kiosk %d message %d lost: %v\n", k, m, errOr(err, resp))
					}
				}
				if o.interval > 0 {
					next = next.Add(o.interval)
					time.Sleep(time.Until(next))
				}
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	return &result{sent: int(sent.Load()), answered: int(answered.Load()), lost: int(lost.Load()),
		elapsed: time.Since(start), latencies: latencies, acked: ackedByKiosk}
}

func errOr(err error, resp sip2.Message) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("answered %#v", resp)
}

// duplicates compares the ILSes' own counts with what the kiosks were
// told: an item charged or discharged more than once (or renewed, which is
// how an ACS takes a second checkout by the same patron) is a duplicated
// transaction; one the kiosk was told about but the ILS never saw is lost
// too (counted in res.lost).
func duplicates(o options, ilses []*memory.Backend, res *result) int {
	dup := 0
	for k, a := range res.acked {
		b := ilses[k%o.members]
		for n := range a.out {
			it, ok := b.Item(itemID(k, n))
			if !ok {
				continue
			}
			if it.Checkouts > 1 || it.Renewals > 0 || it.Checkins > 1 {
				dup++
			}
			if a.out[n] && it.Checkouts == 0 || a.in[n] && it.Checkins == 0 {
				res.lost++
			}
		}
	}
	return dup
}

func report(out io.Writer, r *result) {
	slices.Sort(r.latencies)
	q := func(p float64) time.Duration {
		if len(r.latencies) == 0 {
			return 0
		}
		return r.latencies[min(len(r.latencies)-1, int(p*float64(len(r.latencies))))]
	}
	fmt.Fprintf(out, "sent %d, answered ok %d in %v: %.0f messages/s\n", r.sent, r.answered, r.elapsed.Round(time.Millisecond),
		float64(r.answered)/r.elapsed.Seconds())
	fmt.Fprintf(out, "latency p50 %v  p99 %v  max %v\n", q(0.50).Round(10*time.Microsecond), q(0.99).Round(10*time.Microsecond),
		q(1).Round(10*time.Microsecond))
	fmt.Fprintf(out, "lost %d  duplicated %d\n", r.lost, r.duplicated)
}
