"""Generated gRPC/protobuf code for the contracts in proto/ (see proto/README.md)."""
