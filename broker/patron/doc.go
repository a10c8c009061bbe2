// Package patron authenticates a member library's patrons against its LDAP
// directory (RFC 4511, RFC 4513), for the broker's circulation service: a
// SIP2 Patron Status (23) or Patron Information (63) with a PIN, or an NCIP
// LookupUser with AuthenticationInput, is answered from here when the member
// is configured with `patrons: {ldap: {...}}`.
//
// An LDAP authenticator searches the directory with a service account for
// exactly one entry matching the barcode (escaped into a filter template),
// maps its attributes onto a Patron, and verifies a PIN either by binding as
// that entry on a connection kept apart from the searching ones, or by an
// LDAP Compare on a configured attribute. Every directory call has a
// deadline and goes through a circuit breaker; when the directory cannot be
// reached, authentication fails closed with ErrUnavailable.
//
// Failed PINs are counted in a shared Store (broker/state satisfies it), so
// that the limit (by default 5 failures in 15 minutes) holds across gateway
// instances and restarts. Store keys carry a keyed hash of the member and the
// directory entry, never a barcode in the clear.
//
// PINs and the service bind password are never logged, cached or put into
// an error; barcodes appear in logs only as keyed hashes.
package patron
