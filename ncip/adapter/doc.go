// Package adapter implements the ncip Handler over the broker's gRPC services.
package adapter
