package testenv

import (
	"net"
	"sync"
	"testing"
)

// Serve listens on a free loopback port and runs serve in a goroutine of
// its own for each connection it accepts; a nil serve holds every
// connection open and answers nothing. When the test ends the listener and
// every accepted connection are closed and Serve waits for its goroutines,
// so a goroutine-leak check after the tests sees none of them. It returns
// the address, "127.0.0.1:port".
func Serve(t testing.TB, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			if serve != nil {
				wg.Go(func() { serve(c) })
			}
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// BlackHole listens on a free loopback port, accepts connections and never
// answers: a peer whose host is up but whose server hangs. Clients must
// give up at their own deadline. Everything is closed when the test ends.
func BlackHole(t testing.TB) string { return Serve(t, nil) }
