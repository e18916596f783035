#!/usr/bin/env bash
# Runs the pinned sqlc from its own module (tools/sqlc) so that sqlc's
# dependencies never enter the main go.mod, and after it tools/sqlc/bridge,
# which writes the shared row types and the per-engine bridges from what
# sqlc generated. Run from anywhere:
#   scripts/sqlc.sh generate   # rewrite the generated code
#   scripts/sqlc.sh diff       # fail when generated code is stale
#   scripts/sqlc.sh vet
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

sqlc() { go tool -modfile=tools/sqlc/go.mod sqlc -f sqlc.yaml "$@"; }
bridge() {
	local bin
	bin="$(mktemp -d)/bridge"
	(cd tools/sqlc && go build -o "$bin" ./bridge)
	"$bin" "$@" adapters/sqlstore/internal/sqldb \
		adapters/sqlstore/sqlite/internal/sqlitedb \
		adapters/sqlstore/postgres/internal/pgdb \
		adapters/sqlstore/mysql/internal/mydb
	rm -rf "$(dirname "$bin")"
}

case "${1:-}" in
generate)
	sqlc generate
	bridge
	;;
diff)
	sqlc diff
	bridge -check
	;;
*)
	sqlc "$@"
	;;
esac
