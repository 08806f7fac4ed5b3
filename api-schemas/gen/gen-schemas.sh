#!/usr/bin/env bash
# npm run gen:schemas -- <proto-root>: regenerates api-schemas/definitions.json and
# api-schemas/protobuf/ from Kubernetes' .proto files in <proto-root> (k8s.io/api, k8s.io/apimachinery).
set -euo pipefail
node dist/api-schemas/gen/gen-api-schemas.js "$@"
node dist/api-schemas/gen/gen-protobuf-descriptors.js "$@"
