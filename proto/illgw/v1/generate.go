package illgwv1

// The .pb.go files beside this one are generated from the .proto files by
// protoc (Debian package protobuf-compiler) with the plugins pinned as tools
// in go.mod. `make generate` runs this; running it twice leaves git clean.
//go:generate sh generate.sh
