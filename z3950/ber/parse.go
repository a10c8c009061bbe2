package ber

// node is one element in the flat tree built by Parse.
type node struct {
	tag        Tag
	start, end int32 // content bytes [start:end]
	first      int32 // first child, -1 if none
	next       int32 // next sibling, -1 if none
	depth      int32
}

// Tree is a parsed PDU: a flat array of elements over the PDU's bytes. It is immutable and
// holds no pointers into anything but its own byte slice.
type Tree struct {
	buf   []byte
	nodes []node
}

// Root returns the outermost element of the PDU.
func (t *Tree) Root() Value { return Value{t: t, i: 0} }

// Len returns the number of elements in the tree.
func (t *Tree) Len() int { return len(t.nodes) }

// Parse decodes exactly one BER element (a whole PDU) from b, enforcing lim. Nesting is
// handled with an explicit stack no deeper than lim.MaxDepth, and the element count is
// checked before each element is stored. Parse never panics on any input.
func Parse(b []byte, lim Limits) (*Tree, error) {
	lim = lim.norm()
	if len(b) > lim.MaxSize {
		return nil, errAt(0, ErrTooLarge)
	}
	t := &Tree{buf: b, nodes: make([]node, 0, min(64, lim.MaxElements))}
	end, err := t.walk(lim)
	if err != nil {
		return nil, err
	}
	if end != len(b) {
		return nil, errAt(end, ErrMalformed) // trailing bytes after the PDU
	}
	return t, nil
}

// frame is an open constructed element on the parse stack.
type frame struct {
	idx  int32 // node index
	end  int   // content end for definite; -1 for indefinite
	last int32 // last child appended, -1 if none
}

func (t *Tree) walk(lim Limits) (int, error) {
	b := t.buf
	stack := make([]frame, 0, 8)
	off := 0
	for {
		// Close every definite frame whose content is complete.
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			if top.end >= 0 && off == top.end {
				t.nodes[top.idx].end = int32(off)
				stack = stack[:len(stack)-1]
				continue
			}
			if top.end < 0 && off+2 <= len(b) && b[off] == 0 && b[off+1] == 0 {
				t.nodes[top.idx].end = int32(off)
				off += 2
				stack = stack[:len(stack)-1]
				if len(stack) > 0 && stack[len(stack)-1].end >= 0 && off > stack[len(stack)-1].end {
					return 0, errAt(off, ErrLength)
				}
				continue
			}
			break
		}
		if len(stack) == 0 && len(t.nodes) > 0 {
			return off, nil
		}
		tag, length, hdr, need, err := parseHeader(b[off:])
		if err != nil {
			return 0, errAt(off, err)
		}
		if need > 0 {
			return 0, errAt(off, ErrTruncated)
		}
		if tag.Class == Universal && tag.Num == TagEOC {
			return 0, errAt(off, ErrMalformed) // an EOC where no indefinite element is open
		}
		if len(t.nodes) >= lim.MaxElements {
			return 0, errAt(off, ErrTooManyElements)
		}
		limit := len(b)
		if len(stack) > 0 && stack[len(stack)-1].end >= 0 {
			limit = stack[len(stack)-1].end
		}
		cstart := off + hdr
		if cstart > limit || (length >= 0 && length > limit-cstart) {
			if length > lim.MaxSize {
				return 0, errAt(off, ErrTooLarge)
			}
			return 0, errAt(off, ErrTruncated)
		}
		idx := int32(len(t.nodes))
		n := node{tag: tag, start: int32(cstart), first: -1, next: -1, depth: int32(len(stack))}
		if len(stack) > 0 {
			p := &stack[len(stack)-1]
			if p.last < 0 {
				t.nodes[p.idx].first = idx
			} else {
				t.nodes[p.last].next = idx
			}
			p.last = idx
		}
		if !tag.Constructed {
			n.end = int32(cstart + length)
			t.nodes = append(t.nodes, n)
			off = cstart + length
			continue
		}
		if len(stack) >= lim.MaxDepth {
			return 0, errAt(off, ErrTooDeep)
		}
		t.nodes = append(t.nodes, n)
		e := -1
		if length >= 0 {
			e = cstart + length
		}
		stack = append(stack, frame{idx: idx, end: e, last: -1})
		off = cstart
		if off >= len(b) && length != 0 {
			return 0, errAt(off, ErrTruncated)
		}
	}
}
