package sip2

import "errors"

// Errors the codec and reader return, wrapped with detail; test with errors.Is.
var (
	// ErrTooLarge: a message longer than the configured limit.
	ErrTooLarge = errors.New("sip2: message too large")
	// ErrChecksum: the AZ checksum does not match the bytes, SIP2 §"Error Detection".
	ErrChecksum = errors.New("sip2: bad checksum")
	// ErrUnknownMessage: a message code SIP2 2.00 does not define.
	ErrUnknownMessage = errors.New("sip2: unknown message code")
	// ErrSyntax: a message too short for its fixed fields, or with too many fields.
	ErrSyntax = errors.New("sip2: malformed message")
)
