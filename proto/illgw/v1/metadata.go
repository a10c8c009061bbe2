// Package illgwv1 holds the broker's gRPC API: the Catalog, Circulation,
// Loans and Members services generated from the .proto files in this folder,
// and the few constants clients of the broker share.
package illgwv1

// ProtocolMetadataKey is the gRPC metadata key an adapter sets to the
// protocol its request came in by ("sip2", "z3950", "sru", "ncip"). The
// gateway labels its request metrics with it; a request without it counts
// as "grpc".
const ProtocolMetadataKey = "illgw-protocol"
