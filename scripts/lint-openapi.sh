#!/usr/bin/env bash
# Lints the OpenAPI document that `stocking openapi` prints with Redocly's
# recommended rules and Spectral's spectral:oas (configurations in
# scripts/openapi-lint). Both must report 0 errors; warnings are printed
# and allowed. The linters come from the npm registry at pinned versions
# through npx; nothing is installed into the repository.
set -euo pipefail
cd "$(dirname "$0")/.."

REDOCLY_CLI_VERSION=2.77.0
SPECTRAL_CLI_VERSION=6.16.3

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
doc="$tmp/openapi.json"

# The production build: the document does not depend on the embedded
# Temporal server, and this links much faster.
go run -tags nodevserver ./cmd/stocking openapi >"$doc"

echo "-- Redocly @redocly/cli@$REDOCLY_CLI_VERSION (recommended)"
npx --yes "@redocly/cli@$REDOCLY_CLI_VERSION" lint --config scripts/openapi-lint/redocly.yaml --format=stylish "$doc"

echo "-- Spectral @stoplight/spectral-cli@$SPECTRAL_CLI_VERSION (spectral:oas)"
npx --yes "@stoplight/spectral-cli@$SPECTRAL_CLI_VERSION" lint --ruleset scripts/openapi-lint/spectral.yaml --fail-severity=error "$doc"
