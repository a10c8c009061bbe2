package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/illgw/illgw/internal/testenv"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

// serveOnRedis starts `illgw serve` with the redis driver on addr.
func serveOnRedis(t *testing.T, redisAddr, name string) *daemon {
	t.Helper()
	dir := t.TempDir()
	httpAddr, grpcAddr := addr(t), addr(t)
	cfg := "listen: {http: " + httpAddr + ", grpc: " + grpcAddr + ", sip2: '', z3950: ''}\n" +
		"state: {driver: redis, addrs: [" + redisAddr + "], read_timeout: 1s, write_timeout: 1s}\n" +
		"members:\n" +
		"  - {code: NORTH, name: North, ncip: {url: 'http://127.0.0.1:1/ncip'}}\n" +
		"  - {code: SOUTH, name: South, ncip: {url: 'http://127.0.0.1:2/ncip'}}\n" +
		"log: {format: json}\n"
	d := startIllgw(t, httpAddr, grpcAddr, "serve", "-config", writeFile(t, dir, name+".yaml", []byte(cfg)))
	d.waitHealthy(t)
	return d
}

// TestTwoInstancesShareRedis runs two gateways on one redis-server: a loan
// created through one is read and listed through the other.
func TestTwoInstancesShareRedis(t *testing.T) {
	r := testenv.Redis(t)
	a := serveOnRedis(t, r.Addr, "a")
	b := serveOnRedis(t, r.Addr, "b")
	ctx := ctxT(t)
	la := illgwv1.NewLoansClient(dialPlain(t, a.grpcAddr))
	lb := illgwv1.NewLoansClient(dialPlain(t, b.grpcAddr))

	created, err := la.Create(ctx, &illgwv1.CreateLoanRequest{
		Requester: "NORTH", PatronId: "N0001", Bib: &illgwv1.Bib{Title: "Computer networks", Isbn: "0839108826"},
		ExternalRequestId: "PARTNER1-77",
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := lb.Get(ctx, &illgwv1.GetLoanRequest{Id: created.Id})
	if err != nil {
		t.Fatalf("instance b cannot read the loan instance a created: %v", err)
	}
	// The loan engine may already have moved the loan on (patron lookup,
	// rota); what matters is that b reads the loan a wrote, from its start.
	if got.Id != created.Id || got.Version < 1 || got.Bib.GetIsbn() != "0839108826" || len(got.Events) < 1 ||
		got.Events[0].GetKind() != "created" || got.Events[0].GetActor().GetKind() != illgwv1.Actor_KIND_OPERATOR {
		t.Errorf("b reads %v", got)
	}
	// A retry through the other instance finds the same loan.
	again, err := lb.Create(ctx, &illgwv1.CreateLoanRequest{
		Requester: "NORTH", PatronId: "N0001", Bib: &illgwv1.Bib{Title: "Computer networks", Isbn: "0839108826"},
		ExternalRequestId: "PARTNER1-77",
	})
	if err != nil || again.Id != created.Id {
		t.Errorf("retry through b: %v, %v; want loan %s", again, err, created.Id)
	}
	list, err := lb.List(ctx, &illgwv1.ListLoansRequest{Requester: "NORTH"})
	if err != nil || len(list.Loans) != 1 || list.Loans[0].Id != created.Id {
		t.Errorf("b lists %v, %v", list, err)
	}
	// log.format: json gives one JSON object per line.
	first, _, _ := strings.Cut(a.stderr.String(), "\n")
	var entry map[string]any
	if err := json.Unmarshal([]byte(first), &entry); err != nil || entry["msg"] == nil || entry["level"] == nil {
		t.Errorf("log line is not slog JSON: %q (%v)", first, err)
	}
	for _, d := range []*daemon{a, b} {
		if code, body := get(d.url("/readyz")); code != 200 {
			t.Errorf("/readyz on redis = %d %s", code, body)
		}
	}
}

// TestReadyzFollowsRedis: /readyz is 503 while Redis is paused past the
// client timeout and 200 again once it answers; /healthz stays 200. A call
// in flight while SIGTERM arrives (a Health that waits on the paused Redis)
// is answered before the process exits 0.
func TestReadyzFollowsRedis(t *testing.T) {
	r := testenv.Redis(t)
	d := serveOnRedis(t, r.Addr, "solo")
	members := illgwv1.NewMembersClient(dialPlain(t, d.grpcAddr))
	ctx := ctxT(t)
	if _, err := members.Health(ctx, &illgwv1.HealthRequest{}); err != nil {
		t.Fatal(err)
	}
	r.Pause(t)
	if code, _ := get(d.url("/readyz")); code != 503 {
		t.Errorf("/readyz with Redis paused = %d, want 503", code)
	}
	if code, _ := get(d.url("/healthz")); code != 200 {
		t.Errorf("/healthz with Redis paused = %d, want 200", code)
	}
	r.Resume(t)
	if code, _ := get(d.url("/readyz")); code != 200 {
		t.Errorf("/readyz once Redis answers again = %d, want 200", code)
	}
	r.Pause(t)
	type result struct {
		h   *illgwv1.HealthResponse
		err error
	}
	done := make(chan result, 1)
	go func() {
		h, err := members.Health(ctx, &illgwv1.HealthRequest{})
		done <- result{h, err}
	}()
	time.Sleep(200 * time.Millisecond) // the call waits on Redis
	start := time.Now()
	if err := d.cmd.Process.Signal(syscallTERM); err != nil {
		t.Fatal(err)
	}
	res := <-done
	if res.err != nil {
		t.Fatalf("in-flight Health cut by SIGTERM: %v", res.err)
	}
	if res.h.Store.GetOk() {
		t.Errorf("Health reports a paused Redis as ok")
	}
	r.Resume(t)
	if code, took := d.wait(t, start); code != 0 || took > 10*time.Second {
		t.Errorf("exit %d after %v, want 0 within 10s", code, took)
	}
}
