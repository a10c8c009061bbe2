// Package member holds the member registry and the outbound clients to each member library, each behind a circuit breaker.
package member
