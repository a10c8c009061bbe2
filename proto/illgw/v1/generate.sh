#!/bin/sh
# generate.sh regenerates the Go code for illgw/v1 from its .proto files.
# With an argument OUT it writes OUT/illgw/v1/*.pb.go instead (the
# reproducibility test compares that with the committed files).
# protoc comes from Debian's protobuf-compiler; protoc-gen-go and
# protoc-gen-go-grpc are built from the versions pinned in go.mod, so the
# output is the same byte for byte on every machine with the same protoc.
set -eu
cd "$(dirname "$0")"
out=${1:-}
if ! command -v protoc >/dev/null 2>&1; then
	echo "generate.sh: protoc not found; install the Debian package protobuf-compiler" >&2
	exit 1
fi
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go
go build -o "$bin/protoc-gen-go-grpc" google.golang.org/grpc/cmd/protoc-gen-go-grpc
cd ../..
if [ -z "$out" ]; then
	out=.
fi
protoc -I . \
	--plugin=protoc-gen-go="$bin/protoc-gen-go" \
	--plugin=protoc-gen-go-grpc="$bin/protoc-gen-go-grpc" \
	--go_out="$out" --go_opt=paths=source_relative \
	--go-grpc_out="$out" --go-grpc_opt=paths=source_relative \
	illgw/v1/*.proto
