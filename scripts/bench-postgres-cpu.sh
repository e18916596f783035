#!/usr/bin/env bash
# Measures the CPU one market order costs on PostgreSQL: the `stocking
# serve` process's and that of the server's backends serving its database,
# over a 12-second window in the middle of a 25-second `stocking bench` run
# (16 clients), divided by the orders the database gained in that window.
# CPU per order is steadier than orders per second on a shared machine.
# Each run works in a fresh database of its own and drops it when it ends.
#
#   scripts/bench-postgres-cpu.sh off on 4 2     # one run per DB_GROUP_COMMIT value, in turns
#
# Settings (environment): PGHOST, PGPORT, PGUSER (127.0.0.1, 5432,
# postgres; the server runs on this machine, whose /proc the script reads).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
host=${PGHOST:-127.0.0.1}
port=${PGPORT:-5432}
user=${PGUSER:-postgres}
work="$(mktemp -d)"
db=""
spid=""
psql_admin() { psql -X -q -At -v ON_ERROR_STOP=1 -h "$host" -p "$port" -U "$user" -d postgres "$@"; }
stop() {
	if [ -n "$spid" ] && kill -0 "$spid" 2>/dev/null; then
		kill "$spid" 2>/dev/null || true
		wait "$spid" 2>/dev/null || true
	fi
	spid=""
	if [ -n "$db" ]; then
		psql_admin -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" || true
	fi
	db=""
}
trap 'stop; rm -rf "$work"' EXIT INT TERM
http_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
go build -o "$work/stocking" ./cmd/stocking
bin="$work/stocking"

ticks() { awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# sample prints the serve process's CPU ticks, its backends' and the orders.
sample() {
	local s=0 p
	for p in $(psql_admin -c "SELECT pid FROM pg_stat_activity WHERE datname = '$db'"); do
		s=$((s + $(ticks "$p")))
	done
	echo "$(ticks "$spid") $s $(psql -X -q -At -h "$host" -p "$port" -U "$user" -d "$db" -c 'SELECT count(*) FROM orders')"
}

for mode in "${@:-on}"; do
	db="stocking_cpu_$(date +%s)_$$"
	psql_admin -c "CREATE DATABASE \"$db\""
	export DATABASE_URI="postgres://${user}@${host}:${port}/${db}?sslmode=disable" DB_GROUP_COMMIT="$mode"
	export MARKET_HOURS=always PORT="$http_port" STOCKING_ENV=development ACCESS_LOG=off
	export JWT_SECRET_KEY="bench-secret-bench-secret-bench-secret-0123" BCRYPT_COST=4 AUTH_RATE_LIMIT=off
	unset TEMPORAL_ADDRESS
	"$bin" db migrate >/dev/null 2>&1
	"$bin" db seed >/dev/null 2>&1
	"$bin" serve >"$work/server.log" 2>&1 &
	spid=$!
	for _ in $(seq 1 100); do
		curl -fsS "http://127.0.0.1:${http_port}/healthz" >/dev/null 2>&1 && break
		sleep 0.1
	done
	"$bin" bench -url "http://127.0.0.1:${http_port}" -clients 16 -duration 25s -json >"$work/bench.json" &
	bpid=$!
	sleep 8
	read -r a1 b1 o1 <<<"$(sample)"
	l1=$(cut -d' ' -f1 /proc/loadavg)
	sleep 12
	read -r a2 b2 o2 <<<"$(sample)"
	l2=$(cut -d' ' -f1 /proc/loadavg)
	wait "$bpid"
	hz=$(getconf CLK_TCK)
	python3 -c "
n = $o2 - $o1
print(f'DB_GROUP_COMMIT=$mode: {n/12:.0f} orders/s; CPU per order: serve {($a2 - $a1) * 1e6 / $hz / n:.0f} µs, backends {($b2 - $b1) * 1e6 / $hz / n:.0f} µs (load average $l1 -> $l2)')"
	stop
done
