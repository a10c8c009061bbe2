package testenv

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

// A BlackHole accepts a connection and sends nothing: a read runs into its
// deadline rather than seeing data or the end of the stream.
func TestBlackHoleAcceptsAndNeverAnswers(t *testing.T) {
	c, err := net.DialTimeout("tcp", BlackHole(t), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	n, err := c.Read(make([]byte, 1))
	if n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read = %d, %v; want a timeout", n, err)
	}
}

// Serve runs the handler for each connection, and when the test that
// started it ends, the connections it held are closed.
func TestServeAnswersAndClosesAtCleanup(t *testing.T) {
	var c net.Conn
	t.Run("server", func(t *testing.T) {
		addr := Serve(t, func(c net.Conn) { c.Write([]byte("hello")) })
		var err error
		if c, err = net.DialTimeout("tcp", addr, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 5)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Read(buf); err != nil || string(buf) != "hello" {
			t.Fatalf("read %q, %v", buf, err)
		}
	})
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("after cleanup read = %d, %v; want the connection closed", n, err)
	}
}
