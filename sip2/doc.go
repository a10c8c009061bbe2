// Package sip2 implements the 3M Standard Interchange Protocol 2.00: a typed
// message codec, a Server, a Client, and the Backend/Session interfaces a
// circulation system implements.
//
// The layers follow go-imap and go-smtp: types.go and the generated
// zmessages.go hold the messages, codec.go and reader.go the wire format
// (framing, error detection, character sets), server.go and conn.go the
// per-connection state machine, backend.go the interfaces an application
// implements. The codec knows nothing of sessions; sessions know nothing of
// bytes. Package sip2/memory is an in-memory Backend that doubles as the
// reference implementation and the test fixture.
//
// Field layouts follow "3M Standard Interchange Protocol Version 2.00",
// document revision 2.12; the tables live in gen/sip2.txt and are generated
// into zfields.go and zmessages.go by `go generate`.
package sip2

//go:generate go run ./gen
