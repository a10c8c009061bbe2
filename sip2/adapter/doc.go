// Package adapter implements the sip2 Backend over the broker's Circulation
// gRPC service (issue 6 point 4): each SIP2 request a kiosk sends becomes one
// Circulation call, tagged with the "illgw-protocol: sip2" metadata, and its
// answer becomes the SIP2 response. The broker decides; this package only
// translates. ReplayStore keeps the SIP2 server's replay entries (a keyed
// digest of the request and the response, never a PIN) in the
// broker's state store, so a kiosk's retry is answered from it across
// reconnects and gateway instances.
//
// The adapter imports sip2 and proto only: it may run in the gateway's
// process (over a loopback connection) or in another one against a remote
// broker.
package adapter
