#!/usr/bin/env bash
# bench/webhooks.sh: what webhook delivery costs the API, and how fast it delivers, on the
# local PostgreSQL; the figures into BENCHMARKS.md between <!-- webhooks:begin --> and
# <!-- webhooks:end --> (bench/run.sh's own section is left alone).
#
#   bash bench/webhooks.sh                                   # about 15 minutes
#   BENCH_SECONDS=3 BENCH_RUNS=1 BENCH_BURST="1:200 10:100 100:20" bash bench/webhooks.sh   # smoke
#
# One `saldo serve --webhooks-allow-insecure` on PostgreSQL, four partners with composite
# balances with 0, 1, 10 and 100 endpoints registered (POST /webhooks/v1/endpoints, events
# ["*"]), every endpoint a path of its own on one local receiver (bench/receiver.go: 204 at
# once, counts webhook-id × path).
#
# Creates: for each concurrency (BENCH_CONCURRENCY, "8 16"), BENCH_RUNS (3) rounds; each round
# runs saldo-load --composite for BENCH_SECONDS (10) against each of the four partners, in an
# order that rotates round to round. Before every run the delivery backlog the previous run
# left is purged (SQL: pending retries marked failed, every endpoint's cursor moved to the end
# of its partner's events) and
# the script waits 1 s, so that every run starts with an idle deliverer: the figure is the
# API's while the deliverer works on what the run itself makes, yielding to the busy API
# (serve's --webhooks-busy-rate, 100 attempts a second by default). A composite create
# records 2 events, so with N endpoints it makes 2N deliveries.
#
# Bursts (BENCH_BURST, "1:2000 10:2000 100:200": endpoints:creates): after a purge and a
# receiver reset, saldo-load sends that many creates at concurrency 8 to the partner with
# that many endpoints; then the script waits (up to BENCH_DRAIN_TIMEOUT, 600 s) until every
# delivery of those events has reached the receiver and none is owed (no event past a cursor,
# no retry pending), and checks that nothing was lost or sent twice (receiver: distinct
# webhook-id × path; database: attempts, and event × endpoint pairs with a 2xx attempt).
#
# Every run starts from the same state (purge, below): the backlog given up, the database
# vacuumed and checkpointed (BENCH_SETTLE=0 skips those two), the machine quiet.
#
# Profile (BENCH_PROFILE=1, the default): one more 10 s run at concurrency 8 with 0 and with
# 100 endpoints while `go tool pprof -top` samples the server (--debug-addr) and
# pg_stat_activity is sampled every 0.2 s; the outputs go to BENCH_PROFILE_DIR (bench/profile).
#
# CPU: the server's, saldo-load's, the receiver's and the whole machine's, per run.
# The pool's waits (saldo_db_acquire_wait_seconds_total) are read around every run, into the
# raw output (BENCH_RAW_OUT: keep it there) and the log lines.
# PGHOST/PGPORT/PGUSER as for run.sh; BENCH_DB (saldo_hbench) is created afresh and dropped;
# BENCH_DB_PARAMS is appended to the database URL (e.g. '&pool_max_conns=16'); BENCH_MD is
# the file the section is written into (BENCHMARKS.md). BENCH_BURST=" " runs no burst.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

seconds=${BENCH_SECONDS:-10}
runs=${BENCH_RUNS:-3}
concurrencies=${BENCH_CONCURRENCY:-"8 16"}
bursts=${BENCH_BURST:-"1:2000 10:2000 100:200"}
drain_timeout=${BENCH_DRAIN_TIMEOUT:-600}
profile=${BENCH_PROFILE:-1}
settle=${BENCH_SETTLE:-1}
profile_dir=${BENCH_PROFILE_DIR:-$root/bench/profile}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
export PGSSLMODE=disable
db=${BENCH_DB:-saldo_hbench}
url="postgres://$PGUSER@$PGHOST:$PGPORT/$db?sslmode=disable${BENCH_DB_PARAMS:-}"  # BENCH_DB_PARAMS: e.g. &pool_max_conns=16
endpoint_counts="0 1 10 100"

for tool in go psql createdb dropdb pg_isready curl getconf jq; do
  command -v "$tool" >/dev/null || { echo "webhooks bench: $tool is not on PATH" >&2; exit 1; }
done
pg_isready -q || { echo "webhooks bench: PostgreSQL does not answer on $PGHOST:$PGPORT" >&2; exit 1; }

work=$(mktemp -d)
server_pid="" receiver_pid=""
stop_pid() {
  if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
    kill -TERM "$1"
    wait "$1" 2>/dev/null || true
  fi
}
cleanup() {
  stop_pid "$server_pid"
  stop_pid "$receiver_pid"
  dropdb --if-exists --force "$db" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "webhooks bench: $*" >&2; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
busy_ticks() { awk '$1 == "cpu" {t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t}' /proc/stat; }
child_ticks() { awk '{print $16 + $17}' "/proc/$$/stat"; }
clk_tck=$(getconf CLK_TCK)
sql() { psql -Atq -d "$db" -c "$1"; }

# wait_quiet: up to 30 s for the machine to be at most 30 % busy over a second.
quiet_pct=0
wait_quiet() {
  local deadline=$((SECONDS + 30)) a b
  while :; do
    a=($(busy_ticks)); sleep 1; b=($(busy_ticks))
    quiet_pct=$(( (b[0] - a[0]) * 100 / (b[1] - a[1] > 0 ? b[1] - a[1] : 1) ))
    [ "$quiet_pct" -le 30 ] && return 0
    [ "$SECONDS" -ge "$deadline" ] && { log "the machine is still ${quiet_pct}% busy; running anyway"; return 0; }
  done
}

# purge: the backlog of earlier runs given up, so the next run starts with an idle deliverer.
# The lease is taken from a batch still out, so that its record moves no cursor back. Then
# VACUUM and CHECKPOINT (BENCH_SETTLE=1, the default), so that every run starts in the same
# state: no autovacuum of what the previous run inserted comes due during it, and each pays
# the same full-page writes after a checkpoint, instead of a checkpoint landing in one run
# and not another.
purge() {
  sql "UPDATE webhook_cursors c SET after_event_id = e.id, lease_until = now()
    FROM (SELECT DISTINCT ON (ecommerce_id) ecommerce_id, id FROM events ORDER BY ecommerce_id, xid DESC, id DESC) e
    WHERE e.ecommerce_id = c.ecommerce_id" >/dev/null
  sql "UPDATE webhook_deliveries SET status = 'failed', lease_until = NULL WHERE status = 'pending'" >/dev/null
  if [ "$settle" = 1 ]; then
    sql "VACUUM" >/dev/null
    sql "CHECKPOINT" >/dev/null
  fi
  sleep 1
}
# owed: the deliveries not made yet: event × endpoint pairs past the cursors (test sends left
# out), and retries pending.
owed_sql="SELECT count(*) FROM webhook_cursors c JOIN events e ON e.ecommerce_id = c.ecommerce_id AND e.type <> 'webhook.test'
  AND (c.after_event_id = 0 OR (e.xid, e.id) > (SELECT x.xid, x.id FROM events x WHERE x.id = c.after_event_id))"
# backlog: "deliveries owed, of which retries pending".
backlog() { sql "SELECT ($owed_sql) + (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending') || ' ' || (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending')"; }
rstats() { curl -sf "$receiver_url/stats"; }
# pool_wait: seconds the server's requests and deliveries have spent waiting for a pooled connection.
pool_wait() { curl -sf "$server_url/metrics" | awk '$1 == "saldo_db_acquire_wait_seconds_total" {print $2}'; }

log "database $db, $seconds s per run, $runs runs, concurrency $concurrencies, bursts $bursts"
dropdb --if-exists --force "$db"
createdb "$db"
go build -o "$work/saldo" ./cmd/saldo
go build -o "$work/saldo-load" ./cmd/saldo-load
go build -o "$work/receiver" bench/receiver.go
SALDO_SECRET_KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
export SALDO_SECRET_KEY
"$work/saldo" migrate --database-url "$url" >/dev/null

"$work/receiver" -addr 127.0.0.1:0 >"$work/receiver.out" 2>"$work/receiver.err" &
receiver_pid=$!
for _ in $(seq 1 100); do grep -q listening "$work/receiver.out" 2>/dev/null && break; sleep 0.1; done
receiver_url="http://$(awk '/listening/ {print $2}' "$work/receiver.out")"

debug_addr=127.0.0.1:$((20000 + RANDOM % 20000))
"$work/saldo" serve --database-url "$url" --addr 127.0.0.1:0 --log-format json --webhooks-allow-insecure \
  --debug-addr "$debug_addr" >"$work/serve.out" 2>"$work/serve.log" &
server_pid=$!
addr=""
for _ in $(seq 1 100); do
  addr=$(sed -n 's/.*"msg":"listening","addr":"\([^"]*\)".*/\1/p' "$work/serve.log" | head -n 1)
  [ -n "$addr" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  sleep 0.1
done
server_url="http://$addr"
for _ in $(seq 1 100); do curl -sf "$server_url/readyz" >/dev/null && break; sleep 0.1; done
log "saldo serve (pid $server_pid) at $server_url, receiver (pid $receiver_pid) at $receiver_url"

declare -A token pid_of
for n in $endpoint_counts; do
  out=$("$work/saldo" ecommerce create --name "hooks$n" --composite-balances --database-url "$url")
  token[$n]=$(jq -r .token <<<"$out")
  pid_of[$n]=$(jq -r .id <<<"$out")
  for i in $(seq 1 "$n"); do
    curl -sf -o /dev/null -X POST "$server_url/webhooks/v1/endpoints" -H "Authorization-ecommerce: ${token[$n]}" \
      -H 'content-type: application/json' \
      -d "{\"url\":\"$receiver_url/p$n/e$i\",\"events\":[\"*\"],\"description\":\"bench $n/$i\"}" ||
      { log "registering endpoint $i of partner hooks$n failed"; exit 1; }
  done
done
log "endpoints: $(sql "SELECT string_agg(ecommerce_id || ':' || c, ' ') FROM (SELECT ecommerce_id, count(*) c FROM webhook_endpoints GROUP BY 1) s")"

raw="$work/raw.jsonl"
: >"$raw"
seq_offset=0

# load N C RUN KIND [ARGS...]: one saldo-load run against the partner with N endpoints.
load() {
  local n=$1 c=$2 r=$3 kind=$4
  shift 4
  local out="$work/load.json" t0 t1 l0 l1 g0 g1 b0 b1 d0 d1 status=0
  d0=$(rstats | jq .distinct)
  w0=$(pool_wait || true)
  g0=$(child_ticks); t0=$(cpu_ticks "$server_pid"); l0=$(cpu_ticks "$receiver_pid"); b0=$(busy_ticks)
  "$work/saldo-load" --url "$server_url" --token "${token[$n]}" --concurrency "$c" --composite --json \
    --prefix "h$RANDOM.n$n.c$c.r$r." --seq-offset "$seq_offset" --progress=false "$@" >"$out" 2>"$work/load.err" || status=$?
  g1=$(child_ticks); t1=$(cpu_ticks "$server_pid"); l1=$(cpu_ticks "$receiver_pid"); b1=$(busy_ticks)
  d1=$(rstats | jq .distinct)
  w1=$(pool_wait || true)
  grep -q '"seq_end"' "$out" || { cat "$work/load.err" >&2; log "saldo-load gave no report"; exit 1; }
  seq_offset=$(jq .seq_end "$out")
  local bl
  bl=($(backlog))
  printf '{"kind":"%s","endpoints":%s,"c":%s,"run":%s,"exit":%s,"server_ticks":%s,"load_ticks":%s,"receiver_ticks":%s,"clk_tck":%s,"quiet_pct":%s,"busy":[%s],"busy_end":[%s],"delivered":%s,"pending_after":%s,"retries_pending_after":%s,"pool_wait_s":%s,"report":%s}\n' \
    "$kind" "$n" "$c" "$r" "$status" "$((t1 - t0))" "$((g1 - g0))" "$((l1 - l0))" "$clk_tck" "$quiet_pct" \
    "${b0/ /,}" "${b1/ /,}" "$((d1 - d0))" "${bl[0]}" "${bl[1]}" "$(awk -v a="${w0:-0}" -v b="${w1:-0}" 'BEGIN {printf "%.3f", b - a}')" "$(cat "$out")" >>"$raw"
  log "$kind n=$n c=$c run $r: $(jq .creates_per_s "$out") creates/s, p99 $(jq .latency_ms.p99 "$out") ms, $((d1 - d0)) delivered, ${bl[0]} pending after, pool wait $(awk -v a="${w0:-0}" -v b="${w1:-0}" 'BEGIN {printf "%.2f", b - a}') s"
}

# Warm-up, not recorded.
for n in $endpoint_counts; do load "$n" 4 0 warmup --count 200; done
purge
psql -q -d "$db" -c "ANALYZE"

for c in $concurrencies; do
  for r in $(seq 1 "$runs"); do
    set -- $endpoint_counts
    order=("$@")
    k=$(( (r - 1) % 4 ))
    for i in 0 1 2 3; do
      n=${order[$(( (i + k) % 4 ))]}
      purge
      wait_quiet
      load "$n" "$c" "$r" create --duration "${seconds}s"
    done
  done
done

# Bursts: delivery throughput and completeness.
for b in $bursts; do
  n=${b%%:*} count=${b#*:}
  purge
  sleep 1
  curl -sf -X POST "$receiver_url/reset" >/dev/null
  wait_quiet
  marker=$(sql "SELECT COALESCE(max(id), 0) FROM events")
  g0=$(child_ticks); t0=$(cpu_ticks "$server_pid"); l0=$(cpu_ticks "$receiver_pid"); b0=$(busy_ticks)
  start_ns=$(date +%s%N)
  load "$n" 8 0 burst --count "$count"
  created_ns=$(date +%s%N)
  events=$(sql "SELECT count(*) FROM events WHERE id > $marker AND ecommerce_id = ${pid_of[$n]}")
  expected=$((events * n))
  deadline=$((SECONDS + drain_timeout))
  while :; do
    st=$(rstats)
    bl=($(backlog))
    [ "$(jq .distinct <<<"$st")" -ge "$expected" ] && [ "${bl[0]}" = 0 ] && [ "${bl[1]}" = 0 ] && break
    [ "$SECONDS" -ge "$deadline" ] && { log "burst n=$n: not drained after ${drain_timeout}s"; break; }
    sleep 0.2
  done
  end_ns=$(date +%s%N)
  t1=$(cpu_ticks "$server_pid"); l1=$(cpu_ticks "$receiver_pid"); b1=$(busy_ticks); g1=$(child_ticks)
  sleep 2 # anything sent twice late would show now
  st=$(rstats)
  # Deliveries that succeeded at the first try have no row: succeeded counts the event ×
  # endpoint pairs with a 2xx attempt; deliveries, pending and failed are the retry queue's rows.
  db_counts=$(sql "SELECT json_build_object(
    'deliveries', (SELECT count(*) FROM webhook_deliveries WHERE event_id > $marker),
    'succeeded', count(DISTINCT (event_id, endpoint_id)) FILTER (WHERE status_code BETWEEN 200 AND 299),
    'pending', (SELECT count(*) FROM webhook_deliveries WHERE event_id > $marker AND status = 'pending'),
    'failed', (SELECT count(*) FROM webhook_deliveries WHERE event_id > $marker AND status = 'failed'),
    'attempts', count(*),
    'attempts_not_2xx', count(*) FILTER (WHERE status_code NOT BETWEEN 200 AND 299),
    'distinct_pairs', count(DISTINCT (event_id, endpoint_id))) FROM webhook_attempts WHERE event_id > $marker")
  printf '{"kind":"drain","endpoints":%s,"creates":%s,"events":%s,"expected":%s,"start_ns":%s,"created_ns":%s,"end_ns":%s,"server_ticks":%s,"load_ticks":%s,"receiver_ticks":%s,"clk_tck":%s,"busy":[%s],"busy_end":[%s],"receiver":%s,"db":%s}\n' \
    "$n" "$count" "$events" "$expected" "$start_ns" "$created_ns" "$end_ns" "$((t1 - t0))" "$((g1 - g0))" "$((l1 - l0))" "$clk_tck" \
    "${b0/ /,}" "${b1/ /,}" "$st" "$db_counts" >>"$raw"
  log "burst n=$n: $count creates, $expected deliveries expected, receiver $st, drained in $(( (end_ns - start_ns) / 1000000 )) ms"
done

if [ "$profile" = 1 ]; then
  mkdir -p "$profile_dir"
  for n in 0 100; do
    purge
    wait_quiet
    ( sleep 1; go tool pprof -top -nodecount=45 "http://$debug_addr/debug/pprof/profile?seconds=8" >"$profile_dir/cpu-$n-endpoints.txt" 2>/dev/null ) &
    pp=$!
    ( end=$((SECONDS + seconds)); while [ "$SECONDS" -lt "$end" ]; do
        psql -Atq -d "$db" -c "SELECT state || ' | ' || COALESCE(wait_event_type || ':' || wait_event, 'cpu') || ' | ' || left(regexp_replace(query, '\s+', ' ', 'g'), 70)
          FROM pg_stat_activity WHERE datname = '$db' AND pid <> pg_backend_pid() AND state <> 'idle'"; sleep 0.2; done ) >"$work/activity-$n.txt" &
    ap=$!
    load "$n" 8 0 profile --duration "${seconds}s"
    wait "$pp" "$ap" || true
    sort "$work/activity-$n.txt" | uniq -c | sort -rn | head -25 >"$profile_dir/pg-activity-$n-endpoints.txt"
  done
fi

[ -z "${BENCH_RAW_OUT:-}" ] || cp "$raw" "$BENCH_RAW_OUT"
pg_version=$(sql 'SELECT version()')
stop_pid "$server_pid"; server_pid=""
stop_pid "$receiver_pid"; receiver_pid=""
go run bench/webhooks_report.go -raw "$raw" -md "${BENCH_MD:-BENCHMARKS.md}" -seconds "$seconds" -runs "$runs" -pg "$pg_version" \
  -profile "$( [ "$profile" = 1 ] && echo "${profile_dir#"$root"/}" )"
log "done"
