package ill

import (
	"errors"
	"fmt"
)

// ErrNotAllowed is matched by every error that refuses an event in the
// state the loan is in (errors.Is).
var ErrNotAllowed = errors.New("ill: event not allowed")

// ErrUnknownName is returned (wrapped) by the Parse functions for a name
// that is not one of the defined ones.
var ErrUnknownName = errors.New("ill: unknown name")

// NotAllowedError refuses a requester event in a state whose row of the
// transition table does not list it.
type NotAllowedError struct {
	State State
	Event EventKind
}

func (e *NotAllowedError) Error() string {
	return fmt.Sprintf("ill: %s not allowed in state %s", e.Event, e.State)
}

// Is makes errors.Is(err, ErrNotAllowed) true.
func (e *NotAllowedError) Is(target error) bool { return target == ErrNotAllowed }

// SupplierNotAllowedError refuses a supplier event in a lender's state.
type SupplierNotAllowedError struct {
	Member string
	State  SupplierState
	Event  SupplierEvent
}

func (e *SupplierNotAllowedError) Error() string {
	return fmt.Sprintf("ill: lender %s: %s not allowed in supplier state %s", e.Member, e.Event, e.State)
}

// Is makes errors.Is(err, ErrNotAllowed) true.
func (e *SupplierNotAllowedError) Is(target error) bool { return target == ErrNotAllowed }

// ActorError refuses an event from an actor kind that may not cause it (a
// kiosk cannot time a lender out; only an operator overrides a refused
// patron).
type ActorError struct {
	Event EventKind
	Actor ActorKind
}

func (e *ActorError) Error() string {
	return fmt.Sprintf("ill: a %s may not report %s", e.Actor, e.Event)
}

// MemberError refuses an event reported by or for the wrong member: a lender
// event from a member that is not the current lender, a requester event
// from a member that is not the requester.
type MemberError struct {
	Event EventKind
	Got   string
	Want  string
}

func (e *MemberError) Error() string {
	return fmt.Sprintf("ill: %s must come from member %q, not %q", e.Event, e.Want, e.Got)
}

// EventError refuses an event that lacks data its kind needs, or carries
// data out of bounds.
type EventError struct {
	Event  EventKind
	Reason string
}

func (e *EventError) Error() string {
	return fmt.Sprintf("ill: bad %s event: %s", e.Event, e.Reason)
}
