package ber

import (
	"bufio"
	"errors"
	"io"
)

// chunk is how much ReadFrame grows its buffer at a time, so that a peer that announces a large
// length must actually send the bytes before they are allocated.
const chunk = 64 << 10

// ReadFrame reads exactly one complete BER element (a PDU) from r and returns its bytes. It
// accepts definite and indefinite lengths. Limits are enforced as headers arrive: a length
// over lim.MaxSize, nesting over lim.MaxDepth or an oversized tag fails at once, before the
// content is read. The returned bytes are then ready for Parse with the same limits.
func ReadFrame(r *bufio.Reader, lim Limits) ([]byte, error) {
	lim = lim.norm()
	buf := make([]byte, 0, 512)
	// fill ensures len(buf) >= n, reading from r; never beyond MaxSize.
	fill := func(n int) error {
		if n > lim.MaxSize {
			return errAt(len(buf), ErrTooLarge)
		}
		for len(buf) < n {
			want := min(n-len(buf), chunk)
			if cap(buf)-len(buf) < want {
				nb := make([]byte, len(buf), min(max(2*cap(buf), len(buf)+want), lim.MaxSize))
				copy(nb, buf)
				buf = nb
			}
			m, err := io.ReadFull(r, buf[len(buf):len(buf)+want])
			buf = buf[:len(buf)+m]
			if err != nil {
				if errors.Is(err, io.EOF) && len(buf) > 0 {
					return io.ErrUnexpectedEOF
				}
				return err
			}
		}
		return nil
	}
	// header reads one header at off and returns tag, length, header size.
	header := func(off int) (Tag, int, int, error) {
		for {
			tag, length, hdr, need, err := parseHeader(buf[off:])
			if err != nil {
				return tag, 0, 0, errAt(off, err)
			}
			if need == 0 {
				return tag, length, hdr, nil
			}
			if err := fill(off + need); err != nil {
				return tag, 0, 0, err
			}
		}
	}
	tag, length, hdr, err := header(0)
	if err != nil {
		return nil, err
	}
	if length >= 0 {
		if length > lim.MaxSize-hdr {
			return nil, errAt(0, ErrTooLarge)
		}
		if err := fill(hdr + length); err != nil {
			return nil, err
		}
		return buf, nil
	}
	_ = tag
	// Indefinite outer element: walk headers iteratively, tracking open indefinite elements.
	// Definite elements inside are skipped by length; only indefinite ones need the stack.
	open := 1
	off := hdr
	for open > 0 {
		if err := fill(off + 2); err != nil {
			return nil, err
		}
		if buf[off] == 0 && buf[off+1] == 0 {
			open--
			off += 2
			continue
		}
		t, l, h, err := header(off)
		if err != nil {
			return nil, err
		}
		if t.Class == Universal && t.Num == TagEOC {
			return nil, errAt(off, ErrMalformed)
		}
		if l < 0 {
			open++
			if open > lim.MaxDepth {
				return nil, errAt(off, ErrTooDeep)
			}
			off += h
			continue
		}
		if l > lim.MaxSize-off-h {
			return nil, errAt(off, ErrTooLarge)
		}
		off += h + l
		if err := fill(off); err != nil {
			return nil, err
		}
	}
	return buf[:off], nil
}
