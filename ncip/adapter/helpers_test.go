package adapter

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
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
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/illgw/illgw/internal/testenv"
	"github.com/illgw/illgw/ncip"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

// fakeBroker is a broker with three members, each with patrons X0001 (PIN
// 1234, good) and X0002 (blocked) and items XI0001..XI0003, and an in-memory
// loan table. It records every Act and the protocol metadata of each call.
type fakeBroker struct {
	illgwv1.UnimplementedCirculationServer
	illgwv1.UnimplementedMembersServer

	mu        sync.Mutex
	loans     map[string]*illgwv1.Loan
	ext       map[string]string // requester + ext id -> loan id
	acts      []*illgwv1.ActRequest
	actKeys   map[string]bool
	protocols []string
	next      int
	noAct     bool       // Act answers UNIMPLEMENTED
	actErr    codes.Code // Act fails with this code
	down      bool       // every patron and item call is UNAVAILABLE
}

func newFakeBroker() *fakeBroker {
	return &fakeBroker{loans: map[string]*illgwv1.Loan{}, ext: map[string]string{}, actKeys: map[string]bool{}}
}

var prefixes = map[string]string{"NORTH": "N", "SOUTH": "S", "EAST": "E"}

func (f *fakeBroker) note(ctx context.Context) {
	md, _ := metadata.FromIncomingContext(ctx)
	f.mu.Lock()
	f.protocols = append(f.protocols, strings.Join(md.Get(illgwv1.ProtocolMetadataKey), ","))
	f.mu.Unlock()
}

func (f *fakeBroker) List(ctx context.Context, _ *illgwv1.ListMembersRequest) (*illgwv1.ListMembersResponse, error) {
	f.note(ctx)
	return &illgwv1.ListMembersResponse{Members: []*illgwv1.Member{{Code: "NORTH"}, {Code: "SOUTH"}, {Code: "EAST"}, {Code: "LOC", CatalogOnly: true}}}, nil
}

func (f *fakeBroker) MemberPatron(ctx context.Context, req *illgwv1.MemberPatronRequest) (*illgwv1.PatronInformationResponse, error) {
	f.note(ctx)
	if f.down {
		return nil, status.Error(codes.Unavailable, "broker: the patron source of X is unavailable")
	}
	p := prefixes[req.GetMember()]
	if p == "" {
		return nil, status.Error(codes.NotFound, "broker: member not configured")
	}
	switch req.GetPatronId() {
	case p + "0001", p + "0002":
	default:
		return nil, status.Error(codes.NotFound, "broker: no patron")
	}
	if req.GetPin() != "" && req.GetPin() != "1234" {
		return nil, status.Error(codes.PermissionDenied, "broker: the PIN is not valid")
	}
	pat := &illgwv1.Patron{PatronId: req.GetPatronId(), PersonalName: "Patron " + req.GetPatronId(), Valid: illgwv1.Tristate_TRISTATE_YES,
		Email: strings.ToLower(req.GetPatronId()) + "@example.org", Restrictions: &illgwv1.PatronRestrictions{}}
	if req.GetPatronId() == p+"0002" {
		pat.Restrictions.ChargePrivilegesDenied = true
	}
	return &illgwv1.PatronInformationResponse{Patron: pat, ChargedItemsCount: 2, HoldItemsCount: -1}, nil
}

func (f *fakeBroker) MemberItem(ctx context.Context, req *illgwv1.MemberItemRequest) (*illgwv1.ItemInformationResponse, error) {
	f.note(ctx)
	if f.down {
		return nil, status.Error(codes.Unavailable, "broker: unavailable")
	}
	p := prefixes[req.GetMember()]
	if !strings.HasPrefix(req.GetItemId(), p+"I000") || len(req.GetItemId()) != len(p)+5 {
		return nil, status.Error(codes.NotFound, "broker: no item")
	}
	return &illgwv1.ItemInformationResponse{Item: &illgwv1.Item{ItemId: req.GetItemId(), Title: "Title of " + req.GetItemId(),
		CirculationStatus: "03", PermanentLocation: "stacks", CallNumber: "QA76 .X1", DueDate: timestamppb.New(time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC))}}, nil
}

func (f *fakeBroker) Create(ctx context.Context, req *illgwv1.CreateLoanRequest) (*illgwv1.Loan, error) {
	f.note(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	if req.GetRequester() == "" || req.GetPatronId() == "" {
		return nil, status.Error(codes.InvalidArgument, "broker: requester and patron_id are required")
	}
	if id, ok := f.ext[req.GetRequester()+"/"+req.GetExternalRequestId()]; ok && req.GetExternalRequestId() != "" {
		return proto.Clone(f.loans[id]).(*illgwv1.Loan), nil
	}
	f.next++
	state := illgwv1.LoanState_LOAN_STATE_NEW
	if strings.HasSuffix(req.GetPatronId(), "0002") {
		state = illgwv1.LoanState_LOAN_STATE_INVALID_PATRON // blocked patrons
	}
	id := "L" + strings.Repeat("0", 6) + string(rune('0'+f.next))
	l := &illgwv1.Loan{Id: id, Version: 1, State: state, Requester: req.GetRequester(), PatronId: req.GetPatronId(),
		Bib: req.GetBib(), ExternalRequestId: req.GetExternalRequestId(), TemporaryItemId: "ILL" + id, CreatedAt: timestamppb.Now(),
		CurrentSupplier: "SOUTH", Rota: []*illgwv1.RotaEntry{{Member: "SOUTH", ItemId: "SI0001", RequestId: "SOUTH-REQ-" + id}}, NeedBefore: req.GetNeedBefore()}
	l.Events = []*illgwv1.LoanEvent{{Kind: "created", Actor: req.GetActor()}}
	f.loans[id] = l
	if req.GetExternalRequestId() != "" {
		f.ext[req.GetRequester()+"/"+req.GetExternalRequestId()] = id
	}
	return proto.Clone(l).(*illgwv1.Loan), nil
}

func (f *fakeBroker) Get(ctx context.Context, req *illgwv1.GetLoanRequest) (*illgwv1.Loan, error) {
	f.note(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.loans[req.GetId()]
	if !ok {
		return nil, status.Error(codes.NotFound, "broker: loan not found")
	}
	return proto.Clone(l).(*illgwv1.Loan), nil
}

func (f *fakeBroker) ListLoans(ctx context.Context, req *illgwv1.ListLoansRequest) (*illgwv1.ListLoansResponse, error) {
	f.note(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &illgwv1.ListLoansResponse{}
	for _, l := range f.loans {
		if req.GetRequester() != "" && l.GetRequester() != req.GetRequester() {
			continue
		}
		if req.GetSupplier() != "" && l.GetCurrentSupplier() != req.GetSupplier() {
			continue
		}
		out.Loans = append(out.Loans, proto.Clone(l).(*illgwv1.Loan))
	}
	return out, nil
}

func (f *fakeBroker) Act(ctx context.Context, req *illgwv1.ActRequest) (*illgwv1.Loan, error) {
	f.note(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.noAct {
		return nil, status.Error(codes.Unimplemented, "broker: Loans.Act is not implemented yet")
	}
	if f.actErr != codes.OK {
		return nil, status.Error(f.actErr, "broker: refused")
	}
	l, ok := f.loans[req.GetId()]
	if !ok {
		return nil, status.Error(codes.NotFound, "broker: loan not found")
	}
	f.acts = append(f.acts, proto.Clone(req).(*illgwv1.ActRequest))
	if f.actKeys[req.GetIdempotencyKey()] {
		return proto.Clone(l).(*illgwv1.Loan), nil
	}
	f.actKeys[req.GetIdempotencyKey()] = true
	l.Version++
	if req.GetDueDate() != nil {
		l.DueDate = req.GetDueDate()
	}
	return proto.Clone(l).(*illgwv1.Loan), nil
}

// loansServer adapts fakeBroker to the Loans service, whose List clashes
// with the Members service's List.
type loansServer struct {
	illgwv1.UnimplementedLoansServer
	f *fakeBroker
}

func (s loansServer) Create(ctx context.Context, r *illgwv1.CreateLoanRequest) (*illgwv1.Loan, error) {
	return s.f.Create(ctx, r)
}
func (s loansServer) Get(ctx context.Context, r *illgwv1.GetLoanRequest) (*illgwv1.Loan, error) {
	return s.f.Get(ctx, r)
}
func (s loansServer) List(ctx context.Context, r *illgwv1.ListLoansRequest) (*illgwv1.ListLoansResponse, error) {
	return s.f.ListLoans(ctx, r)
}
func (s loansServer) Act(ctx context.Context, r *illgwv1.ActRequest) (*illgwv1.Loan, error) {
	return s.f.Act(ctx, r)
}

// env is an NCIP endpoint over the adapter over the fake broker.
type env struct {
	f   *fakeBroker
	a   *Adapter
	url string
	dir string // where responses are kept for xmllint
	n   int
}

// newEnv starts the fake broker on bufconn and an httptest server with the
// ncip Server: PARTNER1 (secret partner1secret) acts for NORTH; the ILSes of
// NORTH and SOUTH send with their inbound secrets.
func newEnv(t testing.TB) *env {
	t.Helper()
	f := newFakeBroker()
	ln := bufconn.Listen(1 << 20)
	gs := grpc.NewServer()
	illgwv1.RegisterCirculationServer(gs, f)
	illgwv1.RegisterLoansServer(gs, loansServer{f: f})
	illgwv1.RegisterMembersServer(gs, f)
	go gs.Serve(ln)
	cc, err := grpc.NewClient("passthrough:///fake",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return ln.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	a := &Adapter{
		Circulation: illgwv1.NewCirculationClient(cc), Loans: illgwv1.NewLoansClient(cc), Members: illgwv1.NewMembersClient(cc),
		Senders: map[string]Sender{"PARTNER1": {Member: "NORTH", Partner: true}, "NORTH": {Member: "NORTH"}, "SOUTH": {Member: "SOUTH"}, "EASTILS": {Member: "EAST"}},
	}
	srv := ncip.NewServer(a)
	srv.Auth = &ncip.Partners{Secrets: map[string]string{"PARTNER1": "partner1secret", "NORTH": "northsecret", "SOUTH": "southsecret", "LOOKER": "lookersecret", "EASTILS": "eastsecret"}}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		hs.Close()
		cc.Close()
		gs.Stop()
	})
	return &env{f: f, a: a, url: hs.URL, dir: t.TempDir()}
}

var secrets = map[string]string{"PARTNER1": "partner1secret", "NORTH": "northsecret", "SOUTH": "southsecret", "LOOKER": "lookersecret", "EASTILS": "eastsecret"}

// header is an InitiationHeader from an agency (with its secret) to a member.
func header(from, to string) string {
	return "<InitiationHeader><FromAgencyId><AgencyId>" + from + "</AgencyId></FromAgencyId><FromAgencyAuthentication>" +
		secrets[from] + "</FromAgencyAuthentication><ToAgencyId><AgencyId>" + to + "</AgencyId></ToAgencyId></InitiationHeader>"
}

// post sends one service element wrapped in an NCIPMessage, keeps the raw
// response for validate, and returns it decoded.
func (e *env) post(t *testing.T, service string) *ncip.Message {
	t.Helper()
	body := `<?xml version="1.0"?><NCIPMessage xmlns="http://www.niso.org/2008/ncip" version="http://www.niso.org/schemas/ncip/v2_02/ncip_v2_02.xsd">` +
		service + `</NCIPMessage>`
	resp, err := http.Post(e.url, "application/xml", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d: %s", resp.StatusCode, buf.String())
	}
	e.n++
	if err := os.WriteFile(filepath.Join(e.dir, "r"+strings.Repeat("0", 4-len(itoa(e.n)))+itoa(e.n)+".xml"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := ncip.Decode(buf.Bytes(), ncip.Limits{})
	if err != nil {
		t.Fatalf("response does not decode: %v\n%s", err, buf.String())
	}
	return m
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// validate runs xmllint --schema ncip_v2_02.xsd over every response kept.
func (e *env) validate(t *testing.T) {
	t.Helper()
	xmllint := testenv.Require(t, "xmllint", "libxml2-utils")
	schema, err := filepath.Abs("testdata/ncip_v2_02.xsd")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(e.dir, "*.xml"))
	if len(files) == 0 {
		t.Fatal("no responses to validate")
	}
	out, err := exec.Command(xmllint, append([]string{"--noout", "--nonet", "--schema", schema}, files...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("xmllint: %v\n%s", err, out)
	}
	for _, f := range files {
		if !bytes.Contains(out, []byte(f+" validates")) {
			t.Errorf("%s does not validate:\n%s", f, out)
		}
	}
}

// problem returns the first problem of a response body (service-level or
// message-level), or nil.
func problem(m *ncip.Message) *ncip.Problem {
	if len(m.Problems) > 0 {
		return &m.Problems[0]
	}
	switch b := m.Body.(type) {
	case *ncip.LookupUserResponse:
		return first(b.Problems)
	case *ncip.LookupItemResponse:
		return first(b.Problems)
	case *ncip.LookupRequestResponse:
		return first(b.Problems)
	case *ncip.RequestItemResponse:
		return first(b.Problems)
	case *ncip.CancelRequestItemResponse:
		return first(b.Problems)
	case *ncip.RenewItemResponse:
		return first(b.Problems)
	case *ncip.ItemShippedResponse:
		return first(b.Problems)
	case *ncip.ItemReceivedResponse:
		return first(b.Problems)
	case *ncip.ItemCheckedInResponse:
		return first(b.Problems)
	case *ncip.ItemRequestCancelledResponse:
		return first(b.Problems)
	case *ncip.ItemRenewedResponse:
		return first(b.Problems)
	}
	return nil
}

func first(ps []ncip.Problem) *ncip.Problem {
	if len(ps) == 0 {
		return nil
	}
	return &ps[0]
}

// wantProblem fails unless m carries a problem of the given type.
func wantProblem(t *testing.T, m *ncip.Message, value string) *ncip.Problem {
	t.Helper()
	p := problem(m)
	if p == nil {
		t.Fatalf("no problem, want %q: %#v", value, m.Body)
	}
	if !ncip.Match(p.Type.Value, value) {
		t.Fatalf("problem %q (%s), want %q", p.Type.Value, p.Detail, value)
	}
	return p
}

// noProblem fails when m carries a problem.
func noProblem(t *testing.T, m *ncip.Message) {
	t.Helper()
	if p := problem(m); p != nil {
		t.Fatalf("unexpected problem %q: %s (%s=%s)", p.Type.Value, p.Detail, p.Element, p.Value)
	}
}
