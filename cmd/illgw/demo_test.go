package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"

	"github.com/illgw/illgw/ncip"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

func TestDemoEndpoints(t *testing.T) {
	d := startDemo(t)
	if code, body := get(d.url("/healthz")); code != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	if code, body := get(d.url("/readyz")); code != http.StatusOK || body != "ok\n" {
		t.Errorf("/readyz = %d %q", code, body)
	}
	out := d.stdout.String()
	for _, want := range []string{d.grpcAddr, "http://" + d.httpAddr, "illctl", "NORTH, SOUTH, EAST", "kiosk1", "/ncip /sru/{db} /healthz"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo banner lacks %q:\n%s", want, out)
		}
	}

	cc := dialPlain(t, d.grpcAddr)
	ctx := ctxT(t)
	for _, svc := range []string{"", "illgw.v1.Loans", "illgw.v1.Members"} {
		h, err := grpc_health_v1.NewHealthClient(cc).Check(ctx, &grpc_health_v1.HealthCheckRequest{Service: svc})
		if err != nil || h.Status != grpc_health_v1.HealthCheckResponse_SERVING {
			t.Errorf("gRPC health %q = %v, %v", svc, h, err)
		}
	}

	stream, err := reflectionpb.NewServerReflectionClient(cc).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var services []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		services = append(services, s.Name)
	}
	for _, want := range []string{"illgw.v1.Catalog", "illgw.v1.Circulation", "illgw.v1.Loans", "illgw.v1.Members", "grpc.health.v1.Health"} {
		if !slices.Contains(services, want) {
			t.Errorf("reflection lists %v, missing %s", services, want)
		}
	}
	stream.CloseSend()

	members, err := illgwv1.NewMembersClient(cc).List(ctx, &illgwv1.ListMembersRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, m := range members.Members {
		codes = append(codes, m.Code)
	}
	if !slices.Equal(codes, []string{"NORTH", "SOUTH", "EAST"}) {
		t.Errorf("members %v", codes)
	}
	if len(members.Databases) != 1 || members.Databases[0].Name != "consortium" || len(members.Databases[0].Members) != 3 {
		t.Errorf("databases %v", members.Databases)
	}
	// An adapter's call is labelled with its protocol.
	sipCtx := metadata.AppendToOutgoingContext(ctx, illgwv1.ProtocolMetadataKey, "sip2")
	if _, err := illgwv1.NewMembersClient(cc).Health(sipCtx, &illgwv1.HealthRequest{}); err != nil {
		t.Fatal(err)
	}

	code, metrics := get(d.url("/metrics"))
	if code != http.StatusOK {
		t.Fatalf("/metrics = %d", code)
	}
	for _, want := range []string{
		`illgw_build_info{`,
		`illgw_connections{listener="grpc"} 1`,
		`illgw_connections{listener="http"}`,
		`illgw_connections_total{listener="grpc"} 1`,
		`illgw_requests_total{code="OK",operation="/illgw.v1.Members/List",protocol="grpc"} 1`,
		`illgw_requests_total{code="OK",operation="/illgw.v1.Members/Health",protocol="sip2"} 1`,
		`illgw_request_duration_seconds_count{operation="/illgw.v1.Members/List",protocol="grpc"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, line := range strings.Split(metrics, "\n") {
		if line == "" || strings.HasPrefix(line, "# HELP ") || strings.HasPrefix(line, "# TYPE ") {
			if f := strings.Fields(line); len(f) > 2 && !strings.HasPrefix(f[2], "illgw_") {
				t.Errorf("metric %s does not start with illgw_", f[2])
			}
			continue
		}
		if !strings.HasPrefix(line, "illgw_") {
			t.Errorf("metric line %q does not start with illgw_", line)
		}
	}
}

func TestDemoLoanCreateAndGet(t *testing.T) {
	d := startDemo(t)
	cc := dialPlain(t, d.grpcAddr)
	ctx := ctxT(t)
	loans := illgwv1.NewLoansClient(cc)
	l, err := loans.Create(ctx, &illgwv1.CreateLoanRequest{
		Requester: "NORTH", PatronId: "N0001", Bib: &illgwv1.Bib{Isbn: "0839108826"},
		Actor: &illgwv1.Actor{Kind: illgwv1.Actor_KIND_PARTNER, Id: "PARTNER1", Member: "NORTH"},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := loans.Get(ctx, &illgwv1.GetLoanRequest{Id: l.Id})
	if err != nil {
		t.Fatal(err)
	}
	// The loan engine checks the patron at NORTH and asks the first lender
	// that holds the ISBN before Create returns.
	if got.State != illgwv1.LoanState_LOAN_STATE_SENT || got.Version != l.Version || got.Requester != "NORTH" || got.CurrentSupplier == "" ||
		got.CurrentSupplier == "NORTH" || got.Events[0].Kind != "created" || got.Events[0].Actor.GetId() != "PARTNER1" {
		t.Errorf("loan read back: %v", got)
	}
	// Asked for by ISBN alone, the loan takes its title from the record the
	// catalogue matched (sample record 6).
	if title := got.GetBib().GetTitle(); !strings.HasPrefix(strings.ToLower(title), "reconstruction tomography") {
		t.Errorf("loan asked by ISBN has title %q, want the catalogue's", title)
	}
}

// TestSIGTERMFinishesInFlightRequest holds a gRPC stream open (server
// reflection, which lasts until the client closes it), sends SIGTERM, and
// then goes on using the stream: the gateway stops accepting connections but
// serves the call in flight to its end, then exits 0 within 10 s.
func TestSIGTERMFinishesInFlightRequest(t *testing.T) {
	d := startDemo(t)
	cc := dialPlain(t, d.grpcAddr)
	ctx := ctxT(t)
	stream, err := reflectionpb.NewServerReflectionClient(cc).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	list := &reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}
	if err := stream.Send(list); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := d.cmd.Process.Signal(syscallTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	select {
	case <-d.done:
		t.Fatalf("illgw exited with a call in flight:\n%s", d.stderr.String())
	default:
	}
	for _, a := range []string{d.grpcAddr, d.httpAddr} {
		if c, err := net.DialTimeout("tcp", a, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after SIGTERM", a)
		}
	}
	// The call in flight is still served.
	sym := &reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: "illgw.v1.Loans"}}
	if err := stream.Send(sym); err != nil {
		t.Fatalf("send on the in-flight stream: %v", err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatalf("the in-flight stream was cut: %v", err)
	}
	if len(resp.GetFileDescriptorResponse().GetFileDescriptorProto()) == 0 {
		t.Errorf("no descriptor for illgw.v1.Loans: %v", resp)
	}
	stream.CloseSend()
	if _, err := stream.Recv(); err == nil {
		t.Error("stream did not end after CloseSend")
	}
	code, took := d.wait(t, start)
	t.Logf("stopped %v after SIGTERM with a stream in flight", took)
	if code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	if took > 10*time.Second {
		t.Errorf("took %v to stop, want under 10s", took)
	}
	if !strings.Contains(d.stderr.String(), "illgw: stopped") {
		t.Errorf("no clean stop in the log:\n%s", d.stderr.String())
	}
}

// TestSIGTERMBoundsAStuckCall: a stream the client never closes is cut at
// the shutdown budget, and the process still exits 0 within 10 s.
func TestSIGTERMBoundsAStuckCall(t *testing.T) {
	d := startDemo(t)
	cc := dialPlain(t, d.grpcAddr)
	stream, err := reflectionpb.NewServerReflectionClient(cc).ServerReflectionInfo(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
	code, took := d.terminate(t)
	t.Logf("stopped %v after SIGTERM with a stream that never ends", took)
	if code != 0 || took > 10*time.Second {
		t.Errorf("exit %d after %v, want 0 within 10s", code, took)
	}
	if took < shutdownBudget-time.Second {
		t.Errorf("stopped after %v: the open stream was not given its time", took)
	}
}

func TestDemoRefusesBusyPort(t *testing.T) {
	d := startDemo(t)
	code, _, stderr := runIllgw(t, "", "demo", "-http", d.httpAddr, "-grpc", addr(t), "-sip2", addr(t), "-z3950", addr(t))
	if code == 0 || !strings.Contains(stderr, "listen.http") {
		t.Errorf("second demo on a busy port: exit %d, stderr %s", code, stderr)
	}
}

// TestDemoState: without -state the demo's store is temporary and removed
// at exit; with -state PATH a loan survives a restart.
func TestDemoState(t *testing.T) {
	d := startDemo(t)
	out := d.stdout.String()
	_, rest, ok := strings.Cut(out, "State store: embedded, ")
	if !ok {
		t.Fatalf("banner does not name the store:\n%s", out)
	}
	tmp, _, _ := strings.Cut(rest, " ")
	if _, err := os.Stat(tmp); err != nil {
		t.Fatalf("temporary store %s: %v", tmp, err)
	}
	if code, _ := d.terminate(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if _, err := os.Stat(filepath.Dir(tmp)); !os.IsNotExist(err) {
		t.Errorf("temporary store folder %s left behind (%v)", filepath.Dir(tmp), err)
	}

	path := filepath.Join(t.TempDir(), "kept.db")
	first := startDemo(t, "-state", path)
	ctx := ctxT(t)
	l, err := illgwv1.NewLoansClient(dialPlain(t, first.grpcAddr)).Create(ctx, &illgwv1.CreateLoanRequest{Requester: "NORTH", PatronId: "N0001", Bib: &illgwv1.Bib{Title: "t"}})
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := first.terminate(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	second := startDemo(t, "-state", path)
	got, err := illgwv1.NewLoansClient(dialPlain(t, second.grpcAddr)).Get(ctx, &illgwv1.GetLoanRequest{Id: l.Id})
	if err != nil || got.Version != l.Version || got.State != l.State {
		t.Fatalf("loan %s after a restart on the same -state: %v, %v", l.Id, got, err)
	}
}

// TestDemoMembers: the banner lists each simulated member, and each answers
// on the printed addresses: its SIP2 ACS takes the gateway's login, its
// NCIP responder knows its patrons, its catalogue answers SRU.
func TestDemoMembers(t *testing.T) {
	d := startDemo(t)
	ctx := ctxT(t)
	found := 0
	for _, line := range strings.Split(d.stdout.String(), "\n") {
		f := strings.Fields(line)
		if len(f) < 7 || f[1] != "SIP2" || f[3] != "NCIP" || f[5] != "Z39.50/SRU" {
			continue
		}
		code, sipAddr, ncipURL, sruBase := f[0], f[2], f[4], f[6]
		found++
		c, err := net.DialTimeout("tcp", sipAddr, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, "9300CNgw|COgwpass|CP"+code+"|\r")
		resp, err := bufio.NewReader(c).ReadString('\r')
		c.Close()
		if err != nil || resp != "941\r" {
			t.Errorf("%s SIP2 login: %q, %v", code, resp, err)
		}
		cl := &ncip.Client{URL: ncipURL, FromAgency: "ILLGW", ToAgency: code, Timeout: 5 * time.Second}
		patron := code[:1] + "0001"
		u, err := cl.LookupUser(ctx, &ncip.LookupUser{UserID: &ncip.UserID{Value: patron}})
		if err != nil || u.UserID.Value != patron {
			t.Errorf("%s NCIP LookupUser %s: %v, %v", code, patron, u, err)
		}
		code2, body := get("http://" + sruBase + "?version=1.2&operation=searchRetrieve&query=dc.title%3Dcomputer&maximumRecords=0")
		if code2 != http.StatusOK || !strings.Contains(body, "numberOfRecords>") || strings.Contains(body, "numberOfRecords>0<") {
			t.Errorf("%s SRU: %d %.300s", code, code2, body)
		}
	}
	if found != 3 {
		t.Errorf("banner lists %d simulated members, want 3:\n%s", found, d.stdout.String())
	}
}
