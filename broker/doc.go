// Package broker implements the gateway's gRPC services: catalogue fan-out, circulation routing and interlibrary loans.
package broker
