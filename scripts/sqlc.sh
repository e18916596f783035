#!/usr/bin/env bash
# Runs the pinned sqlc from its own module (tools/sqlc) so that sqlc's
# dependencies never enter the main go.mod. Run from anywhere:
#   scripts/sqlc.sh generate   # rewrite the generated code
#   scripts/sqlc.sh diff       # fail when generated code is stale
#   scripts/sqlc.sh vet
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
exec go tool -modfile=tools/sqlc/go.mod sqlc -f sqlc.yaml "$@"
