package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/illgw/illgw/internal/testenv"
)

// BenchmarkNCIPLookupUser measures NCIP LookupUser requests per second
// through the whole gateway (HTTP, NCIP decode and authentication, the
// adapter, gRPC, the broker, the member's SIP2 client and breaker, the
// simulated ILS) and, in the same run with the same clients, against a
// trivial Go HTTP handler that reads the body and writes a fixed NCIP
// response (issue 7 point 7). It reports both rates and their ratio:
// "gateway-%" is the gateway's rate as a percentage of the trivial one.
// scripts/bench-ncip.sh runs it.
func BenchmarkNCIPLookupUser(b *testing.B) {
	log := slog.New(slog.DiscardHandler)
	cfg, err := demoConfig(filepath.Join(b.TempDir(), "illgw.db"), benchAddr(b), benchAddr(b), benchAddr(b), benchAddr(b))
	if err != nil {
		b.Fatal(err)
	}
	members, err := startMembers(cfg, log)
	if err != nil {
		b.Fatal(err)
	}
	defer members.Close()
	g, err := start(context.Background(), cfg, log)
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownBudget)
		defer cancel()
		g.shutdown(ctx)
	}()
	body := []byte(ncipOpen + "<LookupUser>" + p1("NORTH") + barcodePIN("N0001", "1234") +
		"<UserElementType>Name Information</UserElementType></LookupUser></NCIPMessage>")
	gatewayURL := "http://" + g.addrs["http"] + "/ncip"

	// The anchor answers what the gateway answers, without doing anything.
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	want, err := lookupOnce(client, gatewayURL, body)
	if err != nil || !bytes.Contains(want, []byte("Good Standing, NORTH")) {
		b.Fatalf("gateway LookupUser: %v %s", err, want)
	}
	trivial := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		w.Write(want)
	}))
	defer trivial.Close()

	const clients = 8
	b.SetParallelism(clients)
	var failed atomic.Int64
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if out, err := lookupOnce(client, gatewayURL, body); err != nil || !bytes.Contains(out, []byte("Good Standing, NORTH")) {
				failed.Add(1)
			}
		}
	})
	gw := float64(b.N) / time.Since(start).Seconds()
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d gateway requests failed", n, b.N)
	}
	anchor := rateOf(b, client, trivial.URL, body, b.N, runtime.GOMAXPROCS(0)*clients)
	b.ReportMetric(gw, "gateway-req/s")
	b.ReportMetric(anchor, "trivial-req/s")
	b.ReportMetric(100*gw/anchor, "gateway-%")
	b.Logf("NCIP LookupUser: gateway %.0f req/s, trivial handler %.0f req/s, ratio %.3f (%d requests each, %d concurrent clients)", gw, anchor, gw/anchor, b.N, runtime.GOMAXPROCS(0)*clients)
}

// benchAddr is a free loopback address.
func benchAddr(b *testing.B) string {
	return "127.0.0.1:" + strconv.Itoa(testenv.FreePort(b))
}

// rateOf sends n requests from conc goroutines and returns requests per second.
func rateOf(b *testing.B, client *http.Client, url string, body []byte, n, conc int) float64 {
	var next, failed atomic.Int64
	done := make(chan struct{})
	conc = max(conc, 1)
	start := time.Now()
	for range conc {
		go func() {
			defer func() { done <- struct{}{} }()
			for next.Add(1) <= int64(n) {
				if _, err := lookupOnce(client, url, body); err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	for range conc {
		<-done
	}
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d of %d anchor requests failed", f, n)
	}
	return float64(n) / time.Since(start).Seconds()
}

func lookupOnce(client *http.Client, url string, body []byte) ([]byte, error) {
	resp, err := client.Post(url, "application/xml", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}
