package ber

import (
	"errors"
	"strconv"
	"strings"
)

// Value is one element of a parsed Tree. The zero Value is "absent": Valid reports false and
// every accessor returns an error or zero.
type Value struct {
	t *Tree
	i int32
}

// ErrType reports an element of the wrong tag or form for what the caller expected.
var ErrType = errors.New("ber: unexpected element")

// Valid reports whether v is an element (not the end of a child list).
func (v Value) Valid() bool { return v.t != nil && v.i >= 0 }

// Tag returns the element's tag.
func (v Value) Tag() Tag {
	if !v.Valid() {
		return Tag{}
	}
	return v.t.nodes[v.i].tag
}

// Is reports whether v is present and has tag t.
func (v Value) Is(t Tag) bool { return v.Valid() && v.t.nodes[v.i].tag == t }

// Depth returns the nesting depth (0 for the PDU itself).
func (v Value) Depth() int { return int(v.t.nodes[v.i].depth) }

// Bytes returns the content octets of a primitive element, sharing the PDU's memory.
func (v Value) Bytes() []byte {
	if !v.Valid() {
		return nil
	}
	n := v.t.nodes[v.i]
	return v.t.buf[n.start:n.end:n.end]
}

// First returns the first child of a constructed element, or an invalid Value.
func (v Value) First() Value {
	if !v.Valid() {
		return Value{}
	}
	return Value{t: v.t, i: v.t.nodes[v.i].first}
}

// Next returns the following sibling, or an invalid Value.
func (v Value) Next() Value {
	if !v.Valid() {
		return Value{}
	}
	return Value{t: v.t, i: v.t.nodes[v.i].next}
}

// Children returns every child in order.
func (v Value) Children() []Value {
	var out []Value
	for c := v.First(); c.Valid(); c = c.Next() {
		out = append(out, c)
	}
	return out
}

// Child returns the first child with tag t, or an invalid Value.
func (v Value) Child(t Tag) Value {
	for c := v.First(); c.Valid(); c = c.Next() {
		if c.Tag() == t {
			return c
		}
	}
	return Value{}
}

// Int decodes an INTEGER or ENUMERATED content (X.690 §8.3). Values wider than 64 bits are errors.
func (v Value) Int() (int64, error) {
	b := v.Bytes()
	if !v.Valid() || v.Tag().Constructed || len(b) == 0 || len(b) > 8 {
		return 0, ErrType
	}
	n := int64(int8(b[0]))
	for _, c := range b[1:] {
		n = n<<8 | int64(c)
	}
	return n, nil
}

// Bool decodes a BOOLEAN (X.690 §8.2): any non-zero octet is true.
func (v Value) Bool() (bool, error) {
	b := v.Bytes()
	if !v.Valid() || v.Tag().Constructed || len(b) != 1 {
		return false, ErrType
	}
	return b[0] != 0, nil
}

// String returns the content of a primitive string type as Go string. Constructed
// (segmented) strings are concatenated.
func (v Value) String() string {
	if !v.Valid() {
		return ""
	}
	if !v.Tag().Constructed {
		return string(v.Bytes())
	}
	var sb strings.Builder
	for c := v.First(); c.Valid(); c = c.Next() {
		sb.WriteString(c.String())
	}
	return sb.String()
}

// OctetString returns the content of an OCTET STRING, concatenating constructed segments.
func (v Value) OctetString() []byte {
	if !v.Tag().Constructed {
		return v.Bytes()
	}
	return []byte(v.String())
}

// OID is an OBJECT IDENTIFIER as its arcs.
type OID []uint32

// String prints dotted decimal.
func (o OID) String() string {
	var sb strings.Builder
	for i, a := range o {
		if i > 0 {
			sb.WriteByte('.')
		}
		sb.WriteString(strconv.FormatUint(uint64(a), 10))
	}
	return sb.String()
}

// Equal reports whether o and p are the same OID.
func (o OID) Equal(p OID) bool {
	if len(o) != len(p) {
		return false
	}
	for i := range o {
		if o[i] != p[i] {
			return false
		}
	}
	return true
}

// ParseOID parses dotted decimal.
func ParseOID(s string) (OID, error) {
	parts := strings.Split(s, ".")
	if len(parts) < 2 {
		return nil, ErrMalformed
	}
	o := make(OID, len(parts))
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return nil, ErrMalformed
		}
		o[i] = uint32(n)
	}
	return o, nil
}

// MustOID is ParseOID for constants; it panics on a malformed literal.
func MustOID(s string) OID {
	o, err := ParseOID(s)
	if err != nil {
		panic("ber: bad OID literal " + s)
	}
	return o
}

// OID decodes an OBJECT IDENTIFIER (X.690 §8.19). At most 128 arcs.
func (v Value) OID() (OID, error) {
	b := v.Bytes()
	if !v.Valid() || v.Tag().Constructed || len(b) == 0 || len(b) > 512 {
		return nil, ErrType
	}
	o := make(OID, 0, 8)
	var n uint32
	for i, c := range b {
		if n == 0 && c == 0x80 {
			return nil, ErrMalformed
		}
		if n > 1<<25 {
			return nil, ErrMalformed
		}
		n = n<<7 | uint32(c&0x7f)
		if c&0x80 != 0 {
			if i == len(b)-1 {
				return nil, ErrMalformed
			}
			continue
		}
		if len(o) == 0 {
			switch {
			case n < 40:
				o = append(o, 0, n)
			case n < 80:
				o = append(o, 1, n-40)
			default:
				o = append(o, 2, n-80)
			}
		} else {
			o = append(o, n)
		}
		if len(o) > 128 {
			return nil, ErrMalformed
		}
		n = 0
	}
	return o, nil
}

// BitString decodes a BIT STRING (X.690 §8.6) into a bit slice: bits[i] is bit i counting from
// the most significant bit of the first octet, as ASN.1 numbers named bits.
func (v Value) BitString() ([]bool, error) {
	b := v.Bytes()
	if !v.Valid() || v.Tag().Constructed || len(b) == 0 || b[0] > 7 || (len(b) == 1 && b[0] != 0) {
		return nil, ErrType
	}
	nbits := (len(b)-1)*8 - int(b[0])
	bits := make([]bool, nbits)
	for i := range nbits {
		bits[i] = b[1+i/8]&(0x80>>(i%8)) != 0
	}
	return bits, nil
}
