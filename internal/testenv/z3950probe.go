package testenv

import (
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// z3950InitRequest is a fixed Z39.50 InitializeRequest (Z39.50-2003
// §3.2.1.1): [20] { protocolVersion [3] v1..v3, options [4] search present,
// preferredMessageSize [5] 65536, exceptionalRecordSize [6] 65536 }.
var z3950InitRequest = []byte{
	0xb4, 0x12,
	0x83, 0x02, 0x05, 0xe0,
	0x84, 0x02, 0x06, 0xc0,
	0x85, 0x03, 0x01, 0x00, 0x00,
	0x86, 0x03, 0x01, 0x00, 0x00,
}

// maxInitResponse bounds the length an InitializeResponse may declare.
const maxInitResponse = 1 << 20

// z3950Init connects to addr, sends an InitializeRequest and checks that an
// InitializeResponse ([21], Z39.50-2003 §3.2.1.1) with result [12] TRUE comes
// back. It reads only the fields before result, all primitive, and leaves
// the rest of the response unread.
func z3950Init(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write(z3950InitRequest); err != nil {
		return err
	}
	buf := make([]byte, 4096)
	n, err := io.ReadAtLeast(c, buf, 2)
	if err != nil {
		return err
	}
	return checkInitResponse(buf[:n])
}

// checkInitResponse checks that b starts an InitializeResponse whose result
// is TRUE. It reads only the primitive fields that precede result and never
// indexes past b.
func checkInitResponse(b []byte) error {
	if len(b) < 2 {
		return errors.New("short InitializeResponse")
	}
	if b[0] != 0xb5 {
		return fmt.Errorf("not an InitializeResponse: tag %#x", b[0])
	}
	// Skip the outer length: short, indefinite or long form. A long form
	// of more than 3 octets, or over maxInitResponse, is refused: no
	// InitializeResponse is that large.
	i := 1
	switch l := b[i]; {
	case l <= 0x80:
		i++
	default:
		n := int(l & 0x7f)
		if n > 3 || i+1+n > len(b) {
			return fmt.Errorf("InitializeResponse length of %d octets", n)
		}
		size := 0
		for _, o := range b[i+1 : i+1+n] {
			size = size<<8 | int(o)
		}
		if size > maxInitResponse {
			return fmt.Errorf("InitializeResponse of %d bytes exceeds %d", size, maxInitResponse)
		}
		i += 1 + n
	}
	for i+1 < len(b) {
		tag := b[i]
		if tag&0x1f == 0x1f || tag&0x20 != 0 {
			break // a multi-byte or constructed tag: result comes before any of these
		}
		l := int(b[i+1])
		if l >= 0x80 {
			break
		}
		if tag == 0x8c {
			if l != 1 || i+2 >= len(b) {
				return errors.New("malformed result field")
			}
			if b[i+2] == 0 {
				return errors.New("InitializeResponse result is FALSE")
			}
			return nil
		}
		i += 2 + l
	}
	return errors.New("InitializeResponse without a readable result field")
}
