// Package adapter implements the z3950 Backend over the broker's Catalog gRPC service.
package adapter
