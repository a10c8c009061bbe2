package adapter

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
	"github.com/illgw/illgw/sip2"
)

func TestError(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{status.Error(codes.PermissionDenied, "Incorrect PIN. Please try again."), "Incorrect PIN. Please try again."},
		{status.Error(codes.PermissionDenied, ""), "The library system is unavailable. Please ask staff for help."},
		{status.Error(codes.Unavailable, "broker: the library system of NORTH is unavailable (circuit open)"), "The library system is unavailable. Please try again later or ask staff for help."},
		{status.Error(codes.DeadlineExceeded, "x"), "The library system did not answer in time. Please try again."},
		{context.DeadlineExceeded, "The library system did not answer in time. Please try again."},
		{status.Error(codes.ResourceExhausted, "x"), "The library system is busy. Please try again in a moment."},
		{status.Error(codes.Unimplemented, "x"), "This function is not available here."},
		{status.Error(codes.Unauthenticated, "x"), "This terminal is not set up for this. Please ask staff for help."},
		{status.Error(codes.FailedPrecondition, "member NORTH has no SIP2"), "This terminal is not set up for this. Please ask staff for help."},
		{status.Error(codes.InvalidArgument, "x"), "The request could not be processed. Please check it and try again."},
		{status.Error(codes.NotFound, "x"), "Not found. Please ask staff for help."},
		{status.Error(codes.Canceled, "x"), "The request was cancelled. Please try again."},
		{status.Error(codes.Internal, "broker: secret internals"), "The library system is unavailable. Please ask staff for help."},
		{errors.New("dial tcp 10.0.0.1:50051: refused"), "The library system is unavailable. Please ask staff for help."},
		{&sip2.Error{ScreenMessage: "as it is"}, "as it is"},
	} {
		got := Error(c.err)
		if got.ScreenMessage != c.want {
			t.Errorf("Error(%v) = %q, want %q", c.err, got.ScreenMessage, c.want)
		}
		if got.Err == nil && !errors.As(c.err, new(*sip2.Error)) {
			t.Errorf("Error(%v) lost the cause", c.err)
		}
	}
	if Error(nil) != nil {
		t.Error("Error(nil) is not nil")
	}
}

func TestPatronStatusPositions(t *testing.T) {
	s := patronStatusBits(&illgwv1.PatronRestrictions{ChargePrivilegesDenied: true, TooManyItemsBilled: true, CardReportedLost: true})
	if got := s.String(); got != "Y   Y        Y" {
		t.Errorf("patron status %q", got)
	}
	if summaryKind("  Y       ") != illgwv1.ItemList_KIND_CHARGED || summaryKind("          ") != illgwv1.ItemList_KIND_UNSPECIFIED || summaryKind("") != 0 {
		t.Error("summary positions")
	}
}

// fakeBroker is a Circulation server with canned answers that records the
// protocol metadata of each call.
type fakeBroker struct {
	illgwv1.UnimplementedCirculationServer
	mu        sync.Mutex
	protocols []string
	online    bool
	replay    map[string]*illgwv1.ReplayEntry
}

func (f *fakeBroker) seen(ctx context.Context) {
	md, _ := metadata.FromIncomingContext(ctx)
	f.mu.Lock()
	f.protocols = append(f.protocols, strings.Join(md.Get(illgwv1.ProtocolMetadataKey), ","))
	f.mu.Unlock()
}

func (f *fakeBroker) Login(ctx context.Context, req *illgwv1.LoginRequest) (*illgwv1.LoginResponse, error) {
	f.seen(ctx)
	if req.GetPassword() != "pw" {
		return &illgwv1.LoginResponse{}, nil
	}
	return &illgwv1.LoginResponse{Ok: true, Terminal: &illgwv1.Terminal{Login: req.GetLogin(), Member: "NORTH", Institution: "NORTH", Charset: "utf-8", MaxConnections: 1}}, nil
}

func (f *fakeBroker) Status(ctx context.Context, req *illgwv1.StatusRequest) (*illgwv1.StatusResponse, error) {
	f.seen(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	return &illgwv1.StatusResponse{Online: f.online, CheckinOk: true, LibraryName: "North", Reply: &illgwv1.Reply{ScreenMessages: []string{"hello"}}}, nil
}

func (f *fakeBroker) Checkout(ctx context.Context, req *illgwv1.CheckoutRequest) (*illgwv1.CheckoutResponse, error) {
	f.seen(ctx)
	if req.GetTerminal().GetLogin() != "k1" || req.GetPin() != "1234" {
		return nil, status.Error(codes.PermissionDenied, "Incorrect PIN. Please try again.")
	}
	return &illgwv1.CheckoutResponse{Ok: true, Item: &illgwv1.Item{ItemId: req.GetItemId(), Title: "T", DueDateText: "20260301    235900"},
		Reply: &illgwv1.Reply{Extra: []*illgwv1.Field{{Code: "XY", Value: "local"}, {Code: "CQ", Value: "Y"}}}}, nil
}

func (f *fakeBroker) Checkin(ctx context.Context, req *illgwv1.CheckinRequest) (*illgwv1.CheckinResponse, error) {
	f.seen(ctx)
	return nil, status.Error(codes.Unavailable, "broker: the library system of NORTH is unavailable (circuit open)")
}

func (f *fakeBroker) GetReplay(ctx context.Context, req *illgwv1.GetReplayRequest) (*illgwv1.ReplayEntry, error) {
	f.seen(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	if e, ok := f.replay[req.GetTerminal()]; ok {
		return e, nil
	}
	return nil, status.Error(codes.NotFound, "none")
}

func (f *fakeBroker) PutReplay(ctx context.Context, req *illgwv1.ReplayEntry) (*illgwv1.PutReplayResponse, error) {
	f.seen(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.replay[req.GetTerminal()] = req
	return &illgwv1.PutReplayResponse{}, nil
}

func TestBackendOverGRPC(t *testing.T) {
	fb := &fakeBroker{online: true, replay: map[string]*illgwv1.ReplayEntry{}}
	gs := grpc.NewServer()
	illgwv1.RegisterCirculationServer(gs, fb)
	bl := bufconn.Listen(1 << 20)
	go gs.Serve(bl)
	cc, err := grpc.NewClient("passthrough:///bufconn",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return bl.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	client := illgwv1.NewCirculationClient(cc)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &sip2.Server{Backend: &Backend{Client: client}, ReplayStore: &ReplayStore{Client: client},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	go srv.Serve(ln)
	t.Cleanup(func() {
		srv.Close()
		cc.Close()
		gs.Stop()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	bad := &sip2.Client{Addr: ln.Addr().String(), LoginUserID: "k1", LoginPassword: "nope", Charset: sip2.UTF8, DialTimeout: 2 * time.Second}
	if _, err := bad.Status(ctx, &sip2.SCStatus{}); err == nil {
		t.Error("a refused login went through")
	}
	bad.Close()

	c := &sip2.Client{Addr: ln.Addr().String(), LoginUserID: "k1", LoginPassword: "pw", Charset: sip2.UTF8, MaxConns: 1}
	defer c.Close()
	st, err := c.Status(ctx, &sip2.SCStatus{})
	if err != nil || !st.Online || st.InstitutionID != "NORTH" || st.LibraryName != "North" || st.ScreenMessage[0] != "hello" {
		t.Fatalf("98: %+v %v", st, err)
	}
	for _, code := range []string{"11", "09", "63", "29", "65", "37", "15", "35", "17", "19", "25", "01"} {
		if !sip2.Supports(st.SupportedMessages, code) {
			t.Errorf("BX %q lacks %s", st.SupportedMessages, code)
		}
	}
	co, err := c.Checkout(ctx, &sip2.Checkout{InstitutionID: "NORTH", PatronID: "P1", PatronPassword: "1234", ItemID: "I1"})
	if err != nil || !co.OK || co.ItemID != "I1" || co.DueDate != "20260301    235900" || co.ValidPatronPassword != sip2.Yes ||
		len(co.Extra) != 1 || co.Extra[0] != (sip2.Field{ID: "XY", Value: "local"}) || co.PatronID != "P1" || co.InstitutionID != "NORTH" {
		t.Fatalf("12: %+v %v", co, err)
	}
	co, err = c.Checkout(ctx, &sip2.Checkout{InstitutionID: "NORTH", PatronID: "P1", PatronPassword: "0000", ItemID: "I2"})
	if err != nil || co.OK || co.ScreenMessage[0] != "Incorrect PIN. Please try again." {
		t.Fatalf("12 refused: %+v %v", co, err)
	}
	ci, err := c.Checkin(ctx, &sip2.Checkin{InstitutionID: "NORTH", ItemID: "I1"})
	if err != nil || ci.OK || !strings.Contains(ci.ScreenMessage[0], "unavailable") || strings.Contains(ci.ScreenMessage[0], "circuit") {
		t.Fatalf("10 with the member down: %+v %v", ci, err)
	}
	fb.mu.Lock()
	fb.online = false
	fb.mu.Unlock()
	if st, err := c.Status(ctx, &sip2.SCStatus{}); err != nil || st.Online {
		t.Fatalf("98 off-line: %+v %v", st, err)
	}
	fb.mu.Lock()
	defer fb.mu.Unlock()
	for i, p := range fb.protocols {
		if p != "sip2" {
			t.Errorf("call %d carried protocol %q", i, p)
		}
	}
	// The broker gets the checkin's digest, never its bytes, and the
	// response as sent.
	if e := fb.replay["k1"]; e == nil || len(e.GetRequest()) != sip2.ReplayDigestSize ||
		!strings.HasPrefix(string(e.GetResponse()), "10") {
		t.Errorf("replay entry after the checkin: %v", e)
	}
}
