// Package adapter implements the sip2 Backend over the broker's Circulation gRPC service.
package adapter
