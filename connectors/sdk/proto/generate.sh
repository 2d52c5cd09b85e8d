#!/usr/bin/env bash
# Regenerates the connector protocol's code from connectorv1/connector.proto:
# the Go messages and gRPC stubs (committed beside the .proto) and the Python
# messages of the example plugin. `make proto` runs it.
#
# protoc comes from Debian (apt-get install protobuf-compiler); the Go code
# generators come from the Go module proxy, at the versions pinned below,
# installed into a cache directory so that nothing global changes.
set -euo pipefail

PROTOC_GEN_GO=google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
PROTOC_GEN_GO_GRPC=google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
bin=${FRESHET_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/freshet/tools}

if ! command -v protoc >/dev/null; then
	echo "generate.sh: protoc is missing; install it with: apt-get install protobuf-compiler" >&2
	exit 1
fi
mkdir -p "$bin"
for tool in "$PROTOC_GEN_GO" "$PROTOC_GEN_GO_GRPC"; do
	(cd "$bin" && GOBIN="$bin" GOFLAGS= go install "$tool")
done

cd "$here/connectorv1"
PATH="$bin:$PATH" protoc -I . \
	--go_out=. --go_opt=paths=source_relative \
	--go-grpc_out=. --go-grpc_opt=paths=source_relative \
	connector.proto

py="$root/examples/plugins/python"
if [ -d "$py" ]; then
	protoc -I . --python_out="$py" connector.proto
fi
echo "generated connectorv1/*.pb.go and examples/plugins/python/connector_pb2.py"
