package ber

// Encoder appends BER with definite, minimal lengths (X.690 §8.1.3.5, as DER would) to a
// byte slice. The zero Encoder is ready to use.
type Encoder struct {
	buf []byte
}

// Bytes returns the encoding so far.
func (e *Encoder) Bytes() []byte { return e.buf }

// Reset empties the encoder, keeping its memory.
func (e *Encoder) Reset() { e.buf = e.buf[:0] }

func appendTag(b []byte, t Tag) []byte {
	id := byte(t.Class) << 6
	if t.Constructed {
		id |= 0x20
	}
	if t.Num < 0x1f {
		return append(b, id|byte(t.Num))
	}
	b = append(b, id|0x1f)
	var tmp [5]byte
	i := len(tmp)
	n := t.Num
	for {
		i--
		tmp[i] = byte(n & 0x7f)
		if i != len(tmp)-1 {
			tmp[i] |= 0x80
		}
		n >>= 7
		if n == 0 {
			break
		}
	}
	return append(b, tmp[i:]...)
}

func lenSize(n int) int {
	switch {
	case n < 0x80:
		return 1
	case n < 0x100:
		return 2
	case n < 0x10000:
		return 3
	case n < 0x1000000:
		return 4
	}
	return 5
}

func putLen(b []byte, n int) {
	s := lenSize(n)
	if s == 1 {
		b[0] = byte(n)
		return
	}
	b[0] = 0x80 | byte(s-1)
	for i := s - 1; i >= 1; i-- {
		b[i] = byte(n)
		n >>= 8
	}
}

// Primitive appends a primitive element with the given content.
func (e *Encoder) Primitive(t Tag, content []byte) {
	e.buf = appendTag(e.buf, t)
	s := lenSize(len(content))
	e.buf = append(e.buf, make([]byte, s)...)
	putLen(e.buf[len(e.buf)-s:], len(content))
	e.buf = append(e.buf, content...)
}

// Constructed appends a constructed element whose content fn writes.
func (e *Encoder) Constructed(t Tag, fn func(e *Encoder)) {
	t.Constructed = true
	e.buf = appendTag(e.buf, t)
	at := len(e.buf)
	e.buf = append(e.buf, 0)
	fn(e)
	n := len(e.buf) - at - 1
	s := lenSize(n)
	if s > 1 {
		e.buf = append(e.buf, make([]byte, s-1)...)
		copy(e.buf[at+s:], e.buf[at+1:at+1+n])
	}
	putLen(e.buf[at:at+s], n)
}

// Int appends an INTEGER (or ENUMERATED, by tag) in minimal two's complement.
func (e *Encoder) Int(t Tag, v int64) {
	var tmp [8]byte
	i := 7
	for {
		tmp[i] = byte(v)
		if (v >= -128 && v < 128) || i == 0 {
			break
		}
		v >>= 8
		i--
	}
	e.Primitive(t, tmp[i:])
}

// Bool appends a BOOLEAN; true is 0x01, as YAZ encodes it (X.690 §8.2.2 allows any non-zero).
func (e *Encoder) Bool(t Tag, v bool) {
	if v {
		e.Primitive(t, []byte{1})
	} else {
		e.Primitive(t, []byte{0})
	}
}

// String appends a string type.
func (e *Encoder) String(t Tag, s string) {
	e.buf = appendTag(e.buf, t)
	n := lenSize(len(s))
	e.buf = append(e.buf, make([]byte, n)...)
	putLen(e.buf[len(e.buf)-n:], len(s))
	e.buf = append(e.buf, s...)
}

// Null appends a NULL.
func (e *Encoder) Null(t Tag) { e.Primitive(t, nil) }

// OID appends an OBJECT IDENTIFIER. o must have at least two arcs.
func (e *Encoder) OID(t Tag, o OID) {
	var c []byte
	if len(o) >= 2 {
		c = appendArc(c, o[0]*40+o[1])
		for _, a := range o[2:] {
			c = appendArc(c, a)
		}
	}
	e.Primitive(t, c)
}

func appendArc(b []byte, a uint32) []byte {
	var tmp [5]byte
	i := 4
	tmp[i] = byte(a & 0x7f)
	for a >>= 7; a > 0; a >>= 7 {
		i--
		tmp[i] = byte(a&0x7f) | 0x80
	}
	return append(b, tmp[i:]...)
}

// BitString appends a BIT STRING of the given bits, bit 0 first.
func (e *Encoder) BitString(t Tag, bits []bool) {
	n := (len(bits) + 7) / 8
	c := make([]byte, 1+n)
	c[0] = byte(n*8 - len(bits))
	for i, b := range bits {
		if b {
			c[1+i/8] |= 0x80 >> (i % 8)
		}
	}
	e.Primitive(t, c)
}

// Raw appends already-encoded bytes.
func (e *Encoder) Raw(b []byte) { e.buf = append(e.buf, b...) }
