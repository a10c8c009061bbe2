package patron

import (
	"bytes"
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/illgw/illgw/internal/testenv"
)

// hostileServer accepts connections, reads the client's first request and
// answers it with reply, then keeps the connection open until the test ends.
func hostileServer(t *testing.T, reply []byte) string {
	return testenv.Serve(t, func(c net.Conn) {
		buf := make([]byte, 512)
		if _, err := c.Read(buf); err != nil {
			return
		}
		_, _ = c.Write(reply)
	})
}

// TestHostileDirectory answers the bind with bytes no directory should
// send: each ends in ErrUnavailable within the timeout, without a panic and
// without buffering more than MaxResponseBytes.
func TestHostileDirectory(t *testing.T) {
	for name, reply := range map[string][]byte{
		// SEQUENCE with a 2 GiB length, then silence.
		"length bomb": {0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x02, 0x01, 0x01},
		// 1 MiB of nested indefinite-length SEQUENCEs.
		"depth bomb": bytes.Repeat([]byte{0x30, 0x80}, 1<<19),
		// A definite 1 MiB SEQUENCE actually sent.
		"size bomb": append([]byte{0x30, 0x83, 0x10, 0x00, 0x00}, make([]byte, 1<<20)...),
		"garbage":   []byte("HTTP/1.1 400 Bad Request\r\n\r\n"),
		// A BindResponse for another message id, then nothing.
		"wrong id": {0x30, 0x0c, 0x02, 0x01, 0x63, 0x61, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00},
		// A BindResponse whose result code is a 5-byte ENUMERATED.
		"bad result": {0x30, 0x10, 0x02, 0x01, 0x01, 0x61, 0x0b, 0x0a, 0x05, 0xff, 0xff, 0xff, 0xff, 0xff, 0x04, 0x00, 0x04, 0x00},
	} {
		t.Run(name, func(t *testing.T) {
			addr := hostileServer(t, reply)
			o := LDAPOptions{URL: "ldap://" + addr, BindDN: "cn=svc", BindPassword: "svc-secret",
				BaseDN: "dc=example,dc=org", Filter: "(uid=%s)", Timeout: 500 * time.Millisecond,
				Attempts: AttemptOptions{Max: -1}, MaxResponseBytes: 64 << 10}
			l := newLDAP(t, o)
			start := time.Now()
			_, err := l.Authenticate(context.Background(), "p0001", "1234")
			if !errors.Is(err, ErrUnavailable) {
				t.Fatalf("err %v, want ErrUnavailable", err)
			}
			if el := time.Since(start); el > o.Timeout+3*time.Second {
				t.Fatalf("took %v", el)
			}
		})
	}
}
