#!/usr/bin/env bash
# Measures StocKing on PostgreSQL against the server's own yardstick: market
# orders per second through the whole stack (HTTP, JWT, service, store) from
# `stocking bench`, next to pgbench's TPC-B-like transactions per second on
# the same server, and prints their ratio. Each run works in fresh databases
# of its own and drops them when it ends, however it ends.
#
#   scripts/bench-postgres.sh
#
# Settings (environment): PGHOST, PGPORT, PGUSER (127.0.0.1, 5432, postgres;
# the server must let that user create databases), CLIENTS (16), DURATION
# (20s), PGBENCH_SCALE (10), BENCH_PORT (a free port), GOAL (1.0: market
# orders per second at least pgbench's tps).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

host=${PGHOST:-127.0.0.1}
port=${PGPORT:-5432}
user=${PGUSER:-postgres}
clients=${CLIENTS:-16}
duration=${DURATION:-20s}
scale=${PGBENCH_SCALE:-10}
threads=2
goal=${GOAL:-1.0}

run_id="$(date +%s)_$$"
app_db="stocking_bench_${run_id}"
pgb_db="pgbench_${run_id}"
work="$(mktemp -d)"
server_pid=""

psql_admin() { psql -X -q -v ON_ERROR_STOP=1 -h "$host" -p "$port" -U "$user" -d postgres "$@"; }

cleanup() {
	if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	psql_admin -c "DROP DATABASE IF EXISTS \"$app_db\" WITH (FORCE)" || true
	psql_admin -c "DROP DATABASE IF EXISTS \"$pgb_db\" WITH (FORCE)" || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
http_port=${BENCH_PORT:-$(free_port)}

echo "== build"
go build -o "$work/stocking" ./cmd/stocking

echo "== StocKing: market orders through the API on database $app_db"
psql_admin -c "CREATE DATABASE \"$app_db\""
export DATABASE_URI="postgres://${user}@${host}:${port}/${app_db}?sslmode=disable"
export MARKET_HOURS=always PORT="$http_port" STOCKING_ENV=development
export JWT_SECRET_KEY="bench-secret-bench-secret-bench-secret-0123"
# Sign-up hashes passwords; the cheapest bcrypt cost keeps the setup short
# and out of the measurement.
export BCRYPT_COST=4
# The load generator signs its traders up from one address.
export AUTH_RATE_LIMIT=off
unset TEMPORAL_ADDRESS
"$work/stocking" db migrate
"$work/stocking" db seed
"$work/stocking" serve >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
	if curl -fsS "http://127.0.0.1:${http_port}/healthz" >/dev/null 2>&1; then
		break
	fi
	if ! kill -0 "$server_pid" 2>/dev/null; then
		echo "stocking serve exited:"; cat "$work/server.log"; exit 1
	fi
	sleep 0.1
done
curl -fsS "http://127.0.0.1:${http_port}/healthz" >/dev/null

# Each measurement starts from a checkpoint, so that neither pays for
# flushing what the other wrote (the checkpoint a busy run triggers would
# otherwise land in the next one).
checkpoint() { psql_admin -c "CHECKPOINT" || echo "(CHECKPOINT refused: $user is not a superuser; measuring without it)"; }
checkpoint
load_app=$(cut -d' ' -f1-3 /proc/loadavg)
"$work/stocking" bench -url "http://127.0.0.1:${http_port}" -clients "$clients" -duration "$duration" -json | tee "$work/bench.json"
orders=$(tail -n 1 "$work/bench.json" | jq -r '.filled_per_second')
failed=$(tail -n 1 "$work/bench.json" | jq -r '.failed')
p50=$(tail -n 1 "$work/bench.json" | jq -r '.p50_ns / 1e6')
p99=$(tail -n 1 "$work/bench.json" | jq -r '.p99_ns / 1e6')
DATABASE_URI="$DATABASE_URI" "$work/stocking" audit >"$work/audit.txt" 2>&1 || { echo "audit after the benchmark failed:"; cat "$work/audit.txt"; exit 1; }
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=""

echo "== pgbench: TPC-B-like on database $pgb_db (scale $scale)"
psql_admin -c "CREATE DATABASE \"$pgb_db\""
pgbench -h "$host" -p "$port" -U "$user" -i -s "$scale" -q "$pgb_db" >"$work/pgbench-init.txt" 2>&1
checkpoint
load_pgb=$(cut -d' ' -f1-3 /proc/loadavg)
pgbench -h "$host" -p "$port" -U "$user" -c "$clients" -j "$threads" -T "${duration%s}" "$pgb_db" | tee "$work/pgbench.txt"
tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$work/pgbench.txt" | tail -n 1)

echo
echo "== result"
# The load averages before each run tell whether other work on the machine
# skewed one measurement against the other.
printf 'market orders/s (stocking bench, %s clients, %s): %.0f  (p50 %.2f ms, p99 %.2f ms, %s failed; load before: %s)\n' "$clients" "$duration" "$orders" "$p50" "$p99" "$failed" "$load_app"
printf 'pgbench tps (tpcb-like, %s clients, %s threads, %s): %.0f  (load before: %s)\n' "$clients" "$threads" "$duration" "$tps" "$load_pgb"
ratio=$(python3 -c "print(f'{$orders / $tps:.2f}')")
echo "ratio: $ratio (goal: at least $goal)"
python3 -c "import sys; sys.exit(0 if $orders >= $goal * $tps else 1)" && echo "goal met" || echo "goal missed"
