package member

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

// Concurrent calls to one member reuse their connections: after a warm-up
// burst, a second burst of the same size dials nothing new. With Go's
// default of two idle connections per host it would dial again for all but
// two of them.
func TestTransportKeepsConnectionsPerMember(t *testing.T) {
	const n = 16
	var dials atomic.Int64
	release := make(chan struct{})
	var arrived sync.WaitGroup
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived.Done()
		<-release
		w.Write([]byte("ok"))
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			dials.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	client := &http.Client{Transport: newTransport(n)}
	burst := func() {
		arrived.Add(n)
		var done sync.WaitGroup
		for range n {
			done.Add(1)
			go func() {
				defer done.Done()
				resp, err := client.Get(srv.URL)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}()
		}
		arrived.Wait() // all n requests in flight at once: n connections
		release <- struct{}{}
		for range n - 1 {
			release <- struct{}{}
		}
		done.Wait()
	}
	burst()
	first := dials.Load()
	burst()
	if first != n {
		t.Fatalf("first burst dialled %d connections, want %d", first, n)
	}
	if again := dials.Load() - first; again != 0 {
		t.Fatalf("second burst dialled %d new connections, want 0 (idle ones reused)", again)
	}
}
