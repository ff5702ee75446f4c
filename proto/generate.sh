#!/usr/bin/env bash
# Regenerate the Python code for every contract in proto/ (checked in under slotkv/):
#   bash proto/generate.sh            (needs grpcio-tools: pip install -e '.[test]')
# tests/test_proto.py fails when the checked-in code differs from what this produces.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-.}"
python3 -m grpc_tools.protoc -I proto --python_out="$out" --pyi_out="$out" \
  --grpc_python_out="$out" proto/slotkv/v1/*.proto
