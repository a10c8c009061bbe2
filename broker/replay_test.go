package broker

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"github.com/illgw/illgw/broker/state"
	"github.com/illgw/illgw/internal/testenv"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
	"github.com/illgw/illgw/sip2"
	"github.com/illgw/illgw/sip2/memory"
)

// brokerReplay is the part of sip2/adapter's ReplayStore these tests need
// (the broker may not import an adapter): the digest goes in
// ReplayEntry.request.
type brokerReplay struct{ c illgwv1.CirculationClient }

func (r brokerReplay) Get(ctx context.Context, terminal string) (sip2.ReplayEntry, bool, error) {
	e, err := r.c.GetReplay(ctx, &illgwv1.GetReplayRequest{Terminal: terminal})
	if status.Code(err) == codes.NotFound {
		return sip2.ReplayEntry{}, false, nil
	}
	if err != nil {
		return sip2.ReplayEntry{}, false, err
	}
	return sip2.ReplayEntry{Digest: e.GetRequest(), Response: e.GetResponse()}, true, nil
}

func (r brokerReplay) Put(ctx context.Context, terminal string, e sip2.ReplayEntry) error {
	_, err := r.c.PutReplay(ctx, &illgwv1.ReplayEntry{Terminal: terminal, Request: e.Digest, Response: e.Response})
	return err
}

// replayInstance is one gateway instance: a broker on the shared store and
// a kiosk-facing SIP2 server keeping its replay entries through it.
func replayInstance(t *testing.T, st state.Store, ils *memory.Backend) string {
	t.Helper()
	hash, _ := bcrypt.GenerateFromPassword([]byte("kiosk1pass"), bcrypt.MinCost)
	b := New(Options{Store: st, Logger: quiet, Members: []Member{{Code: "NORTH"}},
		Terminals: []Terminal{{Login: "kiosk1", PasswordHash: string(hash), Member: "NORTH"}}})
	gs := grpc.NewServer()
	b.Register(gs)
	bl := bufconn.Listen(1 << 20)
	go gs.Serve(bl)
	cc, err := grpc.NewClient("passthrough:///bufconn",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return bl.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &sip2.Server{Backend: ils, Logger: quiet, ReplayStore: brokerReplay{illgwv1.NewCirculationClient(cc)}}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close(); cc.Close(); gs.Stop() })
	return ln.Addr().String()
}

// kioskSend logs in to addr, sends msg and returns the response line.
func kioskSend(t *testing.T, addr string, msg []byte) string {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(nc)
	var codec sip2.Codec
	for _, m := range [][]byte{codec.Encode(&sip2.Login{UIDAlgorithm: '0', PWDAlgorithm: '0', LoginUserID: "kiosk1", LoginPassword: "kiosk1pass"}, 0), msg} {
		if _, err := nc.Write(append(m, '\r')); err != nil {
			t.Fatal(err)
		}
		line, err := r.ReadString('\r')
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(line, "940") {
			t.Fatalf("login refused: %q", line)
		}
		if bytes.Equal(m, msg) {
			return strings.TrimSuffix(line, "\r")
		}
	}
	return ""
}

// TestReplayEntryHoldsNoPIN: a checkout with a PIN, sent to one gateway
// instance, leaves in the real store (bbolt, and a real redis-server
// started by testenv) an entry in which
// neither the PIN nor the request appears; the kiosk's retry of the same
// bytes on a new connection to the other instance gets the same response
// byte for byte, and the ILS charges the item once (issue 6 point 2).
func TestReplayEntryHoldsNoPIN(t *testing.T) {
	// Each store opener returns the stores of two gateway instances: one
	// bbolt file can be open in one process only, so both embedded
	// instances share it; on Redis each instance has its own client.
	stores := map[string]func(t *testing.T) (state.Store, state.Store){
		"embedded": func(t *testing.T) (state.Store, state.Store) {
			st, err := state.Open(context.Background(), state.Options{Driver: "embedded", Path: filepath.Join(t.TempDir(), "illgw.db"), NoSnapshotSocket: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st, st
		},
		"redis": func(t *testing.T) (state.Store, state.Store) {
			r := testenv.Redis(t)
			var sts [2]state.Store
			for i := range sts {
				st, err := state.Open(context.Background(), state.Options{Driver: "redis", Addrs: []string{r.Addr}})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				sts[i] = st
			}
			return sts[0], sts[1]
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			st, st2 := open(t)
			const pin = "PIN-7zq-4711"
			ils := memory.New()
			ils.AddAccount(memory.Account{Login: "kiosk1", PasswordHash: memory.HashPassword("kiosk1pass", 4), Institution: "NORTH"})
			ils.AddPatron(memory.Patron{ID: "N0001", PIN: pin, Name: "Ada Lovelace"})
			ils.AddItem(memory.Item{ID: "NI0001", Title: "Title 1"})
			a, b := replayInstance(t, st, ils), replayInstance(t, st2, ils)

			req := (sip2.Codec{}).Encode(&sip2.Checkout{InstitutionID: "NORTH", PatronID: "N0001", ItemID: "NI0001", PatronPassword: pin,
				TransactionDate: time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)}, 3)
			first := kioskSend(t, a, req)
			if !strings.HasPrefix(first, "121") {
				t.Fatalf("checkout: %q", first)
			}
			raw, err := st.GetTTL(context.Background(), replayKey("kiosk1"))
			if err != nil {
				t.Fatalf("replay entry not in the store: %v", err)
			}
			for _, secret := range []string{pin, "AD" + pin, "kiosk1pass", string(req)} {
				if bytes.Contains(raw, []byte(secret)) {
					t.Errorf("stored entry holds %q", secret)
				}
			}
			if !bytes.HasSuffix(raw, []byte(first)) || len(raw) != sip2.ReplayDigestSize+len(first) {
				t.Errorf("stored entry is not digest+response: %q", raw)
			}
			if again := kioskSend(t, b, req); again != first {
				t.Errorf("retry on the other instance: %q, want %q", again, first)
			}
			if it, _ := ils.Item("NI0001"); it.ChargedTo != "N0001" {
				t.Errorf("item charged to %q", it.ChargedTo)
			}
			// A different request (another sequence number) runs.
			req2 := (sip2.Codec{}).Encode(&sip2.Checkin{InstitutionID: "NORTH", ItemID: "NI0001",
				TransactionDate: time.Date(2026, 11, 27, 6, 1, 0, 0, time.UTC), ReturnDate: time.Date(2026, 11, 27, 6, 1, 0, 0, time.UTC)}, 4)
			if got := kioskSend(t, b, req2); !strings.HasPrefix(got, "101") {
				t.Errorf("checkin: %q", got)
			}
			if it, _ := ils.Item("NI0001"); it.ChargedTo != "" {
				t.Errorf("item still charged to %q after checkin", it.ChargedTo)
			}
		})
	}
}
