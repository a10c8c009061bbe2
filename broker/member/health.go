package member

import (
	"context"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sony/gobreaker/v2"
)

// MemberHealth is one member's breakers, as Members.Health reports them.
type MemberHealth struct {
	Code      string
	Name      string
	Protocols []ProtocolHealth
}

// ProtocolHealth is the health of one member's protocol.
type ProtocolHealth struct {
	Protocol Protocol
	// Breaker is this instance's breaker state.
	Breaker gobreaker.State
	// Flagged: another instance has flagged the breaker open in the state
	// store, so this instance refuses calls too, until FlaggedUntil.
	Flagged      bool
	FlaggedUntil time.Time
	FlaggedBy    string
	// Window are gobreaker's counts for the current rolling window (or
	// the current half-open period).
	Window gobreaker.Counts
	// Since this instance started: calls that reached the member, those
	// that failed, those answered with a protocol-level error (NCIP
	// Problem, Z39.50/SRU diagnostic) and calls refused by the breaker.
	Requests, Failures, Answers, Refused uint64
	// LastError is the last failure, sanitised: no secrets, no URL
	// credentials or query strings, at most 200 bytes.
	LastError      string
	LastErrorAt    time.Time
	LastTransition time.Time // zero until the first transition
	// StoreError is set when the last flag read failed; calls then rely
	// on the local breaker alone.
	StoreError string
}

// State is the breaker state as an operator reads it: "closed",
// "half-open", "open", or "open (flagged by another instance)".
func (h ProtocolHealth) State() string {
	if h.Breaker != gobreaker.StateOpen && h.Flagged {
		return "open (flagged by another instance)"
	}
	return h.Breaker.String()
}

// Health reports every member's breakers in configuration order. It reads
// each open flag from the store unless a read is fresher than FlagRecheck,
// each bounded by FlagTimeout.
func (r *Registry) Health(ctx context.Context) []MemberHealth {
	out := make([]MemberHealth, 0, len(r.members))
	for _, m := range r.members {
		mh := MemberHealth{Code: m.code, Name: m.name}
		for _, p := range m.protocols {
			mh.Protocols = append(mh.Protocols, m.guards[p].health(ctx))
		}
		out = append(out, mh)
	}
	return out
}

func (g *guard) health(ctx context.Context) ProtocolHealth {
	// cb first: it may run onStateChange, which takes g.mu.
	st, counts := g.cb.State(), g.cb.Counts()
	g.r.metrics.setState(g.member, g.proto, st)
	v, flagged := g.flagged(ctx)
	g.mu.Lock()
	defer g.mu.Unlock()
	h := ProtocolHealth{Protocol: g.proto, Breaker: st, Window: counts, Flagged: flagged,
		Requests: g.requests, Failures: g.failures, Answers: g.answers, Refused: g.refused,
		LastError: g.lastErr, LastErrorAt: g.lastErrAt, LastTransition: g.lastTransition, StoreError: g.flagErr}
	if flagged {
		h.FlaggedUntil, h.FlaggedBy = v.Until, v.Instance
	}
	return h
}

var (
	urlUserinfo = regexp.MustCompile(`(?i)([a-z][a-z0-9+.-]*://)[^/\s@"]*@`)
	urlQuery    = regexp.MustCompile(`(?i)([a-z][a-z0-9+.-]*://[^\s?"]*)\?[^\s"]*`)
)

// maxErrorText caps LastError.
const maxErrorText = 200

// sanitize turns an error into text fit for Health and logs: URL
// credentials and query strings (where FOLIO-style API keys travel) are
// cut, the member's secrets are replaced, control bytes dropped and the
// length capped. Protocol packages already keep patron identifiers out of
// their error texts (ncip.Problem.Error omits ProblemValue).
func sanitize(err error, secrets []string) string {
	s := err.Error()
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	s = urlUserinfo.ReplaceAllString(s, "$1")
	s = urlQuery.ReplaceAllString(s, "$1")
	var b strings.Builder
	for _, c := range s {
		if c == utf8.RuneError || c < ' ' || c == 0x7f {
			continue
		}
		if b.Len()+utf8.RuneLen(c) > maxErrorText-len("…") {
			b.WriteString("…")
			break
		}
		b.WriteRune(c)
	}
	return b.String()
}
