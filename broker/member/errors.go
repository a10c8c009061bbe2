package member

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/illgw/illgw/ncip"
	"github.com/illgw/illgw/z3950"
	"github.com/illgw/illgw/z3950/sru"
)

// Sentinel errors; test them with errors.Is.
var (
	// ErrOpen: the call was refused without reaching the member because its
	// breaker is open here, is probing (half-open with all probes in
	// flight), or is flagged open by another instance. The error is an
	// *OpenError naming the member and protocol.
	ErrOpen = errors.New("member: breaker open")
	// ErrUnknownMember: no member has that code.
	ErrUnknownMember = errors.New("member: unknown member")
	// ErrNoProtocol: the member exists but has no such protocol configured
	// (a catalogue-only target has no NCIP).
	ErrNoProtocol = errors.New("member: protocol not configured")
	// ErrBusy: MaxConcurrent calls to that member and protocol are in
	// flight; the call was refused at once (CoreDNS forward's max_concurrent).
	ErrBusy = errors.New("member: too many calls in flight")
	// ErrClosed: the Registry has been closed.
	ErrClosed = errors.New("member: registry closed")
)

// OpenError is the error of a call refused by an open breaker.
type OpenError struct {
	Member   string
	Protocol Protocol
	// Flagged is true when another instance flagged the breaker open in
	// the state store while this instance's own breaker is not open.
	Flagged bool
	// Until is when the flag expires (zero for a local open breaker).
	Until time.Time
}

func (e *OpenError) Error() string {
	if e.Flagged {
		return fmt.Sprintf("member: breaker open for %s/%s (flagged by another instance)", e.Member, e.Protocol)
	}
	return fmt.Sprintf("member: breaker open for %s/%s", e.Member, e.Protocol)
}

// Is makes errors.Is(err, ErrOpen) true.
func (e *OpenError) Is(target error) bool { return target == ErrOpen }

// IsFailure is the default rule for what counts against a breaker
// (reference/reliability-security.md §2.1 "IsSuccessful: protocol-level
// no hits/diagnostics count as success"). Protocol-level answers are not
// failures: an NCIP *ncip.Problem, a Z39.50 *z3950.Diagnostic, an SRU
// *sru.Diagnostic — the member answered. Everything else is: transport
// errors, timeouts (context.DeadlineExceeded), undecodable or unexpected
// responses, refused logins.
func IsFailure(err error) bool {
	if err == nil {
		return false
	}
	var (
		np *ncip.Problem
		zd *z3950.Diagnostic
		sd *sru.Diagnostic
	)
	switch {
	case errors.As(err, &np), errors.As(err, &zd), errors.As(err, &sd):
		return false
	}
	return true
}

// outcome is how one call ended, for the breaker and the metrics.
type outcome int

const (
	outcomeOK       outcome = iota // nil error
	outcomeAnswer                  // a protocol-level error answer: success for the breaker
	outcomeFailure                 // counts against the breaker
	outcomeCanceled                // the caller gave up: counts as neither
)

var outcomeLabels = [...]string{"ok", "answer", "failure", "canceled"}

func (o outcome) String() string { return outcomeLabels[o] }

// classify decides the outcome of a call that ran under parent.
func classify(parent context.Context, err error, isFailure func(error) bool) outcome {
	switch {
	case err == nil:
		return outcomeOK
	case errors.Is(parent.Err(), context.Canceled):
		return outcomeCanceled
	case isFailure(err):
		return outcomeFailure
	}
	return outcomeAnswer
}
