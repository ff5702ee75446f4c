"""slotkv.v1: generated from proto/slotkv/v1/*.proto by `bash proto/generate.sh`; do not edit."""
