// Package member holds the member registry and the outbound clients to each
// member library, each behind its own circuit breaker.
//
// Every outbound call to a member goes through Registry.Do: one in-process
// sony/gobreaker v2 breaker per (member, protocol), a deadline on the whole
// call, a cap on concurrent calls, and a consortium-wide "open" flag in the
// state store. When a breaker opens, the instance writes the flag
// breaker-open/<member>/<protocol> with a lifetime of the open period; every
// instance reads it before calling, so a dead member is skipped across the
// consortium without a lock on the call path (gobreaker's own distributed
// breaker holds a lock for each whole call and serialises every call to a
// member across instances; DESIGN.md "The broker" rules it out).
//
// What counts against a breaker (reference/reliability-security.md §2.1):
// transport errors, timeouts and undecodable answers. Protocol-level answers
// — an NCIP Problem (NCIP 2.02 Part 1 §"Problem"), a Z39.50 Bib-1 diagnostic
// (Z39.50-2003 Appendix 3), an SRU diagnostic, a SIP2 response with ok=0 —
// prove the member alive and count as successes. A call the caller itself
// cancelled counts as neither.
//
// The typed clients (NCIP, Catalog for Z39.50 or SRU, SIP2) wrap the
// protocol packages' clients with the member's address, credentials and
// charset, and run each operation through Do.
package member
