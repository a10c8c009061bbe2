package adapter

import (
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

// maxPrefetch bounds the records a Z39.50 search asks the broker for in
// its own call, ahead of the client's present.
const maxPrefetch = 10

// shape is what a client presents after a search: the record syntax,
// element set and charset of its last present from the first record, and
// how many records it took.
type shape struct {
	syntax, elementSet, charset string
	count                       int
}

// prefetched are the first records of the session's last search, asked
// of the broker in the Search call itself (illgw.v1.SearchRequest.count)
// in the shape of the client's last present, so that the present that
// follows a search (Z39.50-2003 §3.2.3) costs no second call to the
// broker. They are the records the broker's Present would return: the
// same set, syntax, element set and charset.
type prefetched struct {
	set   string
	shape shape
	recs  []*illgwv1.Record
}

func setName(name string) string {
	if name == "" {
		return "default"
	}
	return name
}

// prefetchShape is what the next search asks for ahead: the shape of the
// last present (one USMARC record, as yaz-client and most clients ask
// after a search, until the client has presented).
func (s *Session) prefetchShape() shape {
	sh := s.last
	if sh.count == 0 {
		sh.count = 1
		if s.marc8 {
			sh.charset = "marc-8"
		}
	}
	return sh
}

// fromPrefetch answers a present from the records of the last search when
// the present asks for records it holds, in the same shape.
func (s *Session) fromPrefetch(req *illgwv1.PresentRequest) ([]*illgwv1.Record, bool) {
	p := s.pre
	if p == nil || p.set != setName(req.ResultSetId) || req.Start < 1 || req.Count < 1 ||
		req.RecordSyntax != p.shape.syntax || req.ElementSet != p.shape.elementSet || req.Charset != p.shape.charset ||
		req.Start+req.Count-1 > int64(len(p.recs)) {
		return nil, false
	}
	return p.recs[req.Start-1 : req.Start+req.Count-1], true
}

// remember notes the shape of a present from the first record for the
// next search's prefetch.
func (s *Session) remember(req *illgwv1.PresentRequest) {
	if req.Start != 1 || req.Count < 1 {
		return
	}
	s.last = shape{syntax: req.RecordSyntax, elementSet: req.ElementSet, charset: req.Charset, count: int(min(req.Count, maxPrefetch))}
}

// forget drops the prefetched records of the named sets (all when names
// is empty): the set was deleted or replaced.
func (s *Session) forget(names ...string) {
	if s.pre == nil {
		return
	}
	if len(names) == 0 {
		s.pre = nil
		return
	}
	for _, n := range names {
		if setName(n) == s.pre.set {
			s.pre = nil
			return
		}
	}
}
