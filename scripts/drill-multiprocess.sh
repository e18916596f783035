#!/usr/bin/env bash
# Fault drills of the production shape on one machine: several StocKing
# processes on one PostgreSQL database and one Temporal server.
#
#   scripts/drill-multiprocess.sh            # the process drill, 60 s of load
#   scripts/drill-multiprocess.sh --short    # the same in about a minute in all (CI)
#   scripts/drill-multiprocess.sh --outage   # the database outage drill
#
# The process drill runs `stocking temporal`, 3 `serve`, 2 `worker` and 2
# `feed` processes on a fresh database, drives market and limit orders
# through the three APIs (`stocking drill load`), kills one API, one worker
# and one feed with SIGKILL a third of the way in, restarts them, and at
# the end checks (`stocking drill check`): no order a client saw accepted
# is missing, every open limit order has a running workflow, every final
# one's workflow completed, the outbox is empty, the audit is clean; and it
# prints how many deliveries each outbox message took.
#
# The outage drill puts a TCP proxy (`stocking tcpproxy`) between one API
# and PostgreSQL, kills the proxy for 10 s under load, and checks that
# requests fail fast with 503, /readyz fails, the API recovers by itself,
# and nothing is lost.
#
# Each run works in a database of its own, created and dropped by the
# script however it ends. Settings (environment): PGHOST, PGPORT, PGUSER
# (127.0.0.1, 5432, postgres; the user must be allowed to create
# databases), DRILL_DURATION (load time), DRILL_PORT_BASE (15100: the
# processes listen on the next 20 ports).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

mode=process
short=0
duration=${DRILL_DURATION:-60s}
case "${1:-}" in
--short) short=1; duration=${DRILL_DURATION:-30s} ;;
--outage) mode=outage; duration=${DRILL_DURATION:-30s} ;;
"") ;;
*) echo "usage: $0 [--short|--outage]" >&2; exit 2 ;;
esac
secs=${duration%s}

host=${PGHOST:-127.0.0.1}
port=${PGPORT:-5432}
user=${PGUSER:-postgres}
base=${DRILL_PORT_BASE:-15100}
db="stocking_drill_$(date +%s)_$$"
work="$(mktemp -d)"
declare -A pids=()

psql_admin() { psql -X -q -v ON_ERROR_STOP=1 -h "$host" -p "$port" -U "$user" -d postgres "$@"; }

stop() { # stop NAME: SIGTERM, then wait for it
	local pid=${pids[$1]:-}
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	unset "pids[$1]"
}
cleanup() {
	local name
	for name in "${!pids[@]}"; do
		[ "$name" = temporal ] || stop "$name"
	done
	stop temporal
	psql_admin -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
	if [ -n "${DRILL_KEEP_LOGS:-}" ]; then echo "logs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT INT TERM

start() { # start NAME ENV=... -- stocking args
	local name=$1; shift
	env "$@" >>"$work/$name.log" 2>&1 &
	pids[$name]=$!
}
wait_http() { # wait_http URL SECONDS
	for _ in $(seq 1 $(($2 * 5))); do
		curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
		sleep 0.2
	done
	echo "no answer from $1 within $2 s" >&2
	return 1
}
kill9() { # kill9 NAME: as a crash would
	kill -9 "${pids[$1]}" 2>/dev/null || true
	wait "${pids[$1]}" 2>/dev/null || true
	unset "pids[$1]"
}

echo "== build"
go build -o "$work/stocking" ./cmd/stocking
bin="$work/stocking"

echo "== database $db"
psql_admin -c "CREATE DATABASE \"$db\""
direct="postgres://${user}@${host}:${port}/${db}?sslmode=disable"
temporal_addr="127.0.0.1:$((base + 1))"
export DATABASE_URI="$direct" MARKET_HOURS=always STOCKING_ENV=development LOG_LEVEL=warn
export JWT_SECRET_KEY="drill-secret-drill-secret-drill-secret-0123" BCRYPT_COST=4
# The load generator signs its traders up from one address.
export AUTH_RATE_LIMIT=off
export TEMPORAL_ADDRESS="$temporal_addr" FEED_INTERVAL=500ms RECONCILE_INTERVAL="${DRILL_RECONCILE_INTERVAL:-15s}"
"$bin" db migrate >/dev/null
"$bin" db seed

echo "== stocking temporal on $temporal_addr"
start temporal TEMPORAL_EMBED_ADDRESS="$temporal_addr" TEMPORAL_UI_ADDRESS="127.0.0.1:$((base + 2))" "$bin" temporal --db :memory:
for _ in $(seq 1 300); do
	(exec 3<>"/dev/tcp/127.0.0.1/$((base + 1))") 2>/dev/null && break
	sleep 0.2
done

api_url() { echo "http://127.0.0.1:$((base + 10 + $1))"; }
# Each serve and worker process serves /metrics on a port of its own.
declare -A metrics_port=()
start_api() { # start_api N [ENV=...]
	local n=$1; shift
	metrics_port[api$n]=$((base + 30 + n))
	start "api$n" PORT=$((base + 10 + n)) LISTEN_HOST=127.0.0.1 METRICS_ADDRESS="127.0.0.1:$((base + 30 + n))" "$@" "$bin" serve
}
start_worker() { # start_worker N
	metrics_port[worker$1]=$((base + 40 + $1))
	start "worker$1" METRICS_ADDRESS="127.0.0.1:$((base + 40 + $1))" "$bin" worker
}

# scrape NAME: keeps the relay counters of process NAME (an API or a
# worker), one file per process id, so that a restarted process's counters
# add to its predecessor's.
scrape() {
	curl -fsS "http://127.0.0.1:${metrics_port[$1]}/metrics" 2>/dev/null | grep '^stocking_outbox_' >"$work/metrics.$1.${pids[$1]}" || true
}
scrape_all() {
	local name
	for name in "${!metrics_port[@]}"; do
		if [ -n "${pids[$name]:-}" ]; then scrape "$name"; fi
	done
}
deliveries() {
	cat "$work"/metrics.* 2>/dev/null | awk '
		/^stocking_outbox_deliveries_total/ { d += $2 }
		/^stocking_outbox_removed_total/ { r += $2 }
		END { if (r > 0) printf "outbox: %d deliveries of %d messages by the relays of the API and worker processes: %.4f deliveries per message\n", d, r, d / r; else print "outbox: no deliveries recorded" }'
}

# repairs: how often the workers' reconcilers found a row and its workflow
# disagreeing and mended it (a close that a killed process never told its
# workflow, an open row whose run ended).
repairs() {
	local closes starts
	closes=$(cat "$work"/worker*.log 2>/dev/null | grep -c 'delivered the close of a final order' || true)
	starts=$(cat "$work"/worker*.log 2>/dev/null | grep -c 'restarted the workflow of an open row' || true)
	echo "reconciler: $closes closes delivered again to running workflows of final orders (a close still on its way when a pass looks, as for the tasks of a killed worker, counts too), $starts workflows of open rows restarted"
}

if [ "$mode" = process ]; then
	echo "== 3 serve, 2 worker, 2 feed"
	for n in 1 2 3; do start_api "$n"; done
	start_worker 1
	start_worker 2
	start feed1 "$bin" feed
	start feed2 "$bin" feed
	for n in 1 2 3; do wait_http "$(api_url "$n")/readyz" 120; done

	echo "== load for $duration through the three APIs"
	"$bin" drill load -apis "$(api_url 1),$(api_url 2),$(api_url 3)" -duration "$duration" -record "$work/orders.txt" >"$work/load.out" 2>&1 &
	load=$!
	sleep $((secs / 3))
	echo "== kill -9: api2, worker1, feed1"
	scrape api2
	scrape worker1
	kill9 api2
	kill9 worker1
	kill9 feed1
	sleep 5
	echo "== restart them"
	start_api 2
	start_worker 1
	start feed1 "$bin" feed
	wait "$load" || { cat "$work/load.out"; exit 1; }
	cat "$work/load.out"
	scrape_all

	echo "== check"
	"$bin" drill check -record "$work/orders.txt"
	repairs
	scrape_all
	deliveries
	exit 0
fi

echo "== outage drill: one API reaches PostgreSQL through a proxy"
proxy_addr="127.0.0.1:$((base + 3))"
start proxy "$bin" tcpproxy -listen "$proxy_addr" -target "$host:$port"
start_api 1 DATABASE_URI="postgres://${user}@${proxy_addr}/${db}?sslmode=disable"
start_worker 1
start feed1 "$bin" feed
wait_http "$(api_url 1)/readyz" 120

# A request that meets the outage must fail within the store's deadline
# (5 s) plus a margin, not hang.
"$bin" drill load -apis "$(api_url 1)" -duration "$duration" -max-failure-latency 6s -record "$work/orders.txt" >"$work/load.out" 2>&1 &
load=$!
sleep $((secs / 4))
echo "== kill the proxy for 10 s"
kill9 proxy
sleep 2
ready=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "$(api_url 1)/readyz" || true)
echo "/readyz during the outage: HTTP ${ready% *} in ${ready#* } s"
sleep 8
start proxy "$bin" tcpproxy -listen "$proxy_addr" -target "$host:$port"
t0=$(date +%s.%N)
wait_http "$(api_url 1)/readyz" 60
t1=$(date +%s.%N)
echo "/readyz answered 200 again $(echo "$t1 - $t0" | bc) s after the proxy came back"
wait "$load" || { cat "$work/load.out"; exit 1; }
cat "$work/load.out"
"$bin" drill check -record "$work/orders.txt"
case "${ready% *}" in
503) ;;
*) echo "VIOLATION /readyz answered ${ready% *} during the outage, want 503"; exit 1 ;;
esac
