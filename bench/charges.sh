#!/usr/bin/env bash
# bench/charges.sh: saldo's charges on composite children against a pgbench reference of the
# same SQL (bench/charge.sql), on the local PostgreSQL; the figures into BENCHMARKS.md between
# <!-- charges:begin --> and <!-- charges:end --> (the other scripts' sections are left alone).
#
#   bash bench/charges.sh                             # 10 s per run, 3 runs per point (about 6 minutes)
#   BENCH_SECONDS=2 BENCH_RUNS=1 bash bench/charges.sh  # a quick smoke run
#
# The method is the transfers' of bench/run.sh. One `saldo serve` on PostgreSQL (schema public)
# and, in the same database, the reference's schema ref, both migrated by `saldo migrate`, each
# with a partner with composite balances. saldo's children are made through the API by
# `saldo-load --scenario charges --setup-only` (BENCH_CHILDREN customers, 1000, each with a
# composite parent of BENCH_PARENT_LINE cents, 10^12, and one child of BENCH_CHILD_LINE, 10^9:
# no run comes near either), the reference's by bench/charge_seed.sql in the same state. Then
# for each mode (BENCH_MODES, "random hot") and concurrency (BENCH_CONCURRENCY, "8 16"),
# BENCH_RUNS times, a pgbench run of bench/charge.sql and a saldo-load charges run alternate,
# each for BENCH_SECONDS (pgbench BENCH_PGBENCH_WARMUP, 2, more, not counted). Every charge is
# BENCH_AMOUNT cents (1), posted at once, with an externalTransactionId of its own. Before
# each run the script waits (as bench/run.sh does) for the machine to be at most BENCH_QUIET %
# busy (30) for up to BENCH_QUIET_WAIT s (30), and records the load average (`uptime`).
# Last, the ledger of both schemas is checked in SQL and with `saldo ledger verify`.
#
# PGHOST/PGPORT/PGUSER as for run.sh; BENCH_DB (saldo_cbench) is created afresh and dropped;
# BENCH_MD is the file the section is written into (BENCHMARKS.md); BENCH_RAW_OUT keeps the raw
# measurements (one JSON object a line). BENCH_SERVE_BIN serves with that binary instead of the
# saldo built from this tree (the rest, migrate, partners and ledger verify, uses the tree's);
# BENCH_SERVER_NOTE says in the report what it was. BENCH_DEBUG_ADDR starts the server with
# --debug-addr there, for profiling during the runs. BENCH_DB_PARAMS is appended to saldo's
# database URL (e.g. '&pool_max_conns=16'), not the reference's.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

seconds=${BENCH_SECONDS:-10}
runs=${BENCH_RUNS:-3}
concurrencies=${BENCH_CONCURRENCY:-"8 16"}
modes=${BENCH_MODES:-"random hot"}
children=${BENCH_CHILDREN:-1000}
parent_line=${BENCH_PARENT_LINE:-1000000000000}
child_line=${BENCH_CHILD_LINE:-1000000000}
amount=${BENCH_AMOUNT:-1}
pg_warmup=${BENCH_PGBENCH_WARMUP:-2}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
# No TLS on either side (see bench/run.sh).
export PGSSLMODE=disable
db=${BENCH_DB:-saldo_cbench}
url="postgres://$PGUSER@$PGHOST:$PGPORT/$db?sslmode=disable"
ref_url="$url&search_path=ref"

for tool in go psql pgbench createdb dropdb pg_isready curl getconf uptime; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is not on PATH" >&2; exit 1; }
done
pg_isready -q || { echo "bench: PostgreSQL does not answer on $PGHOST:$PGPORT" >&2; exit 1; }

work=$(mktemp -d)
server_pid=""
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}
cleanup() {
  stop_server
  dropdb --if-exists --force "$db" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "bench: $*" >&2; }

# json_str prints its argument as a JSON string.
json_str() {
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\t'/\\t}
  s=${s//$'\r'/}
  printf '"%s"' "$s"
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
busy_ticks() { awk '$1 == "cpu" {t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t}' /proc/stat; }
clk_tck=$(getconf CLK_TCK)
child_ticks() { awk '{print $16 + $17}' "/proc/$$/stat"; }
# load_avg prints the 1-minute load average, as uptime shows it.
load_avg() { awk '{print $1}' /proc/loadavg; }

# wait_quiet: as in bench/run.sh; it sets quiet_pct, and load_before to `uptime`'s 1-minute
# load average just before the run.
quiet_pct=0
load_before=0
wait_quiet() {
  local limit=${BENCH_QUIET:-30} deadline=$((SECONDS + ${BENCH_QUIET_WAIT:-30})) a b
  while :; do
    a=($(busy_ticks))
    sleep 1
    b=($(busy_ticks))
    quiet_pct=$(( (b[0] - a[0]) * 100 / (b[1] - a[1] > 0 ? b[1] - a[1] : 1) ))
    [ "$quiet_pct" -le "$limit" ] && break
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "the machine is still ${quiet_pct}% busy with other work; running anyway"
      break
    fi
  done
  load_before=$(load_avg)
  log "uptime: $(uptime)"
}

# start_server: saldo serve (or BENCH_SERVE_BIN) on a free port; sets server_pid and server_url.
start_server() {
  local logf="$work/serve.log" bin=${BENCH_SERVE_BIN:-$work/saldo} debug=()
  [ -z "${BENCH_DEBUG_ADDR:-}" ] || debug=(--debug-addr "$BENCH_DEBUG_ADDR")
  "$bin" serve --database-url "$url${BENCH_DB_PARAMS:-}" --addr 127.0.0.1:0 --log-format json "${debug[@]}" >"$work/serve.out" 2>"$logf" &
  server_pid=$!
  local addr=""
  for _ in $(seq 1 100); do
    addr=$(sed -n 's/.*"msg":"listening","addr":"\([^"]*\)".*/\1/p' "$logf" | head -n 1)
    [ -n "$addr" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$logf" >&2; log "saldo serve exited"; exit 1; }
    sleep 0.1
  done
  [ -n "$addr" ] || { log "saldo serve did not listen"; exit 1; }
  server_url="http://$addr"
  for _ in $(seq 1 100); do
    curl -sf "$server_url/readyz" >/dev/null && return 0
    sleep 0.1
  done
  log "saldo serve is not ready at $server_url"
  exit 1
}

token_of() { sed -n 's/.*"token":"\([^"]*\)".*/\1/p'; }
id_of() { sed -n 's/.*"id":\([0-9]*\).*/\1/p'; }

raw="$work/raw.jsonl"
: >"$raw"
mode=""
run_no=0

# ref_run KIND C RUN [ARGS...]: one pgbench run of bench/charge.sql in the current $mode.
ref_run() {
  local kind=$1 c=$2 r=$3
  shift 3
  local out="$work/pgbench.out" b0 b1 g0 g1 status=0
  run_no=$((run_no + 1))
  wait_quiet
  g0=$(child_ticks)
  b0=$(busy_ticks)
  PGOPTIONS='-c search_path=ref' pgbench -n -M prepared -f "$root/bench/charge.sql" "${charge_args[@]}" \
    -D hot="$([ "$mode" = hot ] && echo 1 || echo 0)" -D base="$((run_no * 10000000))" -D k=0 \
    -c "$c" -j "$(( c < 2 ? c : 2 ))" "$@" "$db" >"$out" 2>&1 || status=$?
  b1=$(busy_ticks)
  g1=$(child_ticks)
  local tps failed lat txns
  txns=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$out")
  # The steady state: the mean of the per-second progress lines after the warm-up.
  tps=$(awk -v w="$pg_warmup" '$1 == "progress:" && $2 + 0 > w {s += $4; n++} END {if (n) printf "%.3f", s / n}' "$out")
  [ -n "$tps" ] || tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$out")
  failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$out")
  lat=$(sed -n 's/^latency average = \([0-9.]*\) ms.*/\1/p' "$out")
  if [ -z "$tps" ]; then
    tail -n 3 "$out" >&2
    log "pgbench gave no tps (exit $status); recorded as none"
    tps=0
  fi
  [ "$status" = 0 ] || { log "pgbench exited $status"; tail -n 5 "$out" >&2; }
  printf '{"kind":"%s","mode":"%s","c":%s,"run":%s,"exit":%s,"tps":%s,"transactions":%s,"failed":%s,"latency_avg_ms":%s,"client_ticks":%s,"clk_tck":%s,"quiet_pct":%s,"load_before":%s,"busy":[%s],"busy_end":[%s]}\n' \
    "$kind" "$mode" "$c" "$r" "$status" "$tps" "${txns:-0}" "${failed:-0}" "${lat:-0}" "$((g1 - g0))" "$clk_tck" "$quiet_pct" "$load_before" "${b0/ /,}" "${b1/ /,}" >>"$raw"
  log "$kind $mode c=$c run $r: $tps tps, exit $status"
}

# charge_run KIND C RUN [ARGS...]: one saldo-load charges run in the current $mode.
charge_run() {
  local kind=$1 c=$2 r=$3
  shift 3
  local out="$work/load.json" t0 t1 b0 b1 g0 g1 status=0
  run_no=$((run_no + 1))
  wait_quiet
  g0=$(child_ticks)
  t0=$(cpu_ticks "$server_pid")
  b0=$(busy_ticks)
  "$work/saldo-load" --url "$server_url" --token "$token" --concurrency "$c" --scenario charges --mode "$mode" \
    --children-file "$children_file" --amount "$amount" --prefix "r$run_no." --json --progress=false "$@" >"$out" 2>"$work/load.err" || status=$?
  t1=$(cpu_ticks "$server_pid")
  b1=$(busy_ticks)
  g1=$(child_ticks)
  if ! grep -q '"charges_per_s"' "$out"; then
    cat "$work/load.err" >&2
    log "saldo-load gave no charges report"
    exit 1
  fi
  [ "$status" = 0 ] || log "saldo-load exited $status: $(cat "$work/load.err")"
  printf '{"kind":"%s","mode":"%s","c":%s,"run":%s,"exit":%s,"cpu_ticks":%s,"client_ticks":%s,"clk_tck":%s,"quiet_pct":%s,"load_before":%s,"busy":[%s],"busy_end":[%s],"report":%s}\n' \
    "$kind" "$mode" "$c" "$r" "$status" "$((t1 - t0))" "$((g1 - g0))" "$clk_tck" "$quiet_pct" "$load_before" "${b0/ /,}" "${b1/ /,}" "$(cat "$out")" >>"$raw"
  log "$kind $mode c=$c run $r: $(sed -n 's/.*"charges_per_s":\([0-9.]*\).*/\1/p' "$out") charges/s, exit $status"
}

# ledger_check SCHEMA: the ledger's invariants in SQL (as bench/run.sh checks them), the
# charges counted, and the rule of credit: no child's debt + held above its credit line.
ledger_check() {
  psql -Atq -d "$db" -c "SET search_path = $1" -c "SELECT json_build_object(
    'schema', '$1',
    'transactions', (SELECT count(*) FROM ledger_transactions),
    'charges', (SELECT count(*) FROM ledger_transactions WHERE kind = 'charge'),
    'entries', (SELECT count(*) FROM ledger_entries),
    'unbalanced_transactions', (SELECT count(*) FROM (SELECT transaction_id FROM ledger_entries GROUP BY transaction_id HAVING count(*) < 2 OR sum(amount) <> 0) u)
      + (SELECT count(*) FROM ledger_transactions t WHERE NOT EXISTS (SELECT 1 FROM ledger_entries e WHERE e.transaction_id = t.id)),
    'mismatched_balances', (SELECT count(*) FROM balances b LEFT JOIN (SELECT balance_id, sum(amount) AS total FROM ledger_entries
      WHERE balance_id IS NOT NULL GROUP BY balance_id) s ON s.balance_id = b.id
      WHERE b.amount <> COALESCE(s.total, 0) OR b.held < 0 OR (b.kind = 'wallet' AND b.amount < b.held)),
    'over_credit', (SELECT count(*) FROM composite_children cc JOIN balances b ON b.id = cc.balance_id
      WHERE -b.amount + b.held > cc.credit_line + (SELECT overlimit FROM ecommerces e WHERE e.id = cc.ecommerce_id)),
    'hot_debt', (SELECT -b.amount FROM balances b WHERE b.id = $2),
    'sum_of_entries', (SELECT COALESCE(sum(amount), 0) FROM ledger_entries))"
}

log "database $db, $seconds s per run, $runs runs per point, modes $modes, concurrency $concurrencies"
dropdb --if-exists --force "$db"
createdb "$db"
psql -q -d "$db" -c "CREATE SCHEMA ref"

log "building saldo and saldo-load into $work"
go build -o "$work/saldo" ./cmd/saldo
go build -o "$work/saldo-load" ./cmd/saldo-load

SALDO_SECRET_KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
export SALDO_SECRET_KEY
"$work/saldo" migrate --database-url "$url" >/dev/null
"$work/saldo" migrate --database-url "$ref_url" >/dev/null
ref_id=$("$work/saldo" ecommerce create --name reference --composite-balances --max-credit-line "$parent_line" --database-url "$ref_url" | id_of)
token=$("$work/saldo" ecommerce create --name bench --composite-balances --max-credit-line "$parent_line" --database-url "$url" | token_of)
[ -n "$ref_id" ] && [ -n "$token" ] || { log "could not create the partners"; exit 1; }
ref_hash=$(psql -Atq -d "$db" -c "SELECT encode(token_hash, 'hex') FROM ref.ecommerces WHERE id = $ref_id")

start_server
log "server (pid $server_pid) at $server_url"

read -r ref_first ref_last < <(PGOPTIONS='-c search_path=ref' psql -Atq -d "$db" -v ecommerce_id="$ref_id" -v children="$children" \
  -v parent_line="$parent_line" -v child_line="$child_line" -f "$root/bench/charge_seed.sql")
charge_args=(-D ecommerce_id="$ref_id" -D token_hash="\\x$ref_hash" -D first="$ref_first" -D last="$ref_last" -D amount="$amount")
children_file="$work/children.json"
"$work/saldo-load" --url "$server_url" --token "$token" --concurrency 8 --scenario charges --setup-only \
  --children "$children" --credit-line "$parent_line" --child-credit-line "$child_line" --children-file "$children_file" \
  --prefix "setup." --json --progress=false >"$work/setup.json" 2>"$work/setup.err" || { cat "$work/setup.err" >&2; log "the set-up failed"; exit 1; }
printf '{"kind":"charge_setup","setup":%s}\n' "$(cat "$work/setup.json")" >>"$raw"
hot_child=$(sed -n 's/.*"children":\[{[^}]*"child_id":\([0-9]*\).*/\1/p' "$children_file")

{
  printf '{"kind":"command","what":"server","cmd":%s}\n' "$(json_str "SALDO_SECRET_KEY=… saldo serve --database-url 'postgres://postgres@127.0.0.1:5432/$db?sslmode=disable' --addr 127.0.0.1:0 --log-format json")"
  printf '{"kind":"command","what":"partner","cmd":%s}\n' "$(json_str "saldo ecommerce create --name bench --composite-balances --max-credit-line $parent_line --database-url …")"
  printf '{"kind":"command","what":"reference","cmd":%s}\n' "$(json_str "PGSSLMODE=disable PGOPTIONS='-c search_path=ref' pgbench -n -M prepared -f bench/charge.sql -D ecommerce_id=$ref_id -D token_hash='\\x<the partner's token_hash>' -D first=$ref_first -D last=$ref_last -D amount=$amount -D hot=<0 random, 1 hot> -D base=<run × 10^7> -D k=0 -c C -j min(C,2) -T $((seconds + pg_warmup)) -P 1 $db   # tps: mean of the progress lines after ${pg_warmup} s; on the children of: psql -v ecommerce_id=$ref_id -v children=$children -v parent_line=$parent_line -v child_line=$child_line -f bench/charge_seed.sql")"
  printf '{"kind":"command","what":"setup","cmd":%s}\n' "$(json_str "saldo-load --url http://127.0.0.1:<port> --token ek_… --concurrency 8 --scenario charges --setup-only --children $children --credit-line $parent_line --child-credit-line $child_line --children-file children.json")"
  printf '{"kind":"command","what":"saldo","cmd":%s}\n' "$(json_str "saldo-load --url http://127.0.0.1:<port> --token ek_… --concurrency C --scenario charges --mode <random|hot> --children-file children.json --amount $amount --prefix r<run>. --duration ${seconds}s --json")"
  printf '{"kind":"command","what":"run","cmd":%s}\n' "$(json_str "BENCH_SECONDS=$seconds BENCH_RUNS=$runs bash bench/charges.sh")"
} >>"$raw"

# Warm both up (connections, prepared statements, caches), then statistics for both schemas.
for mode in $modes; do
  charge_run charge_warmup 4 0 --count 200
  ref_run charge_reference_warmup 4 0 -t 50
done
psql -q -d "$db" -c "ANALYZE"

for mode in $modes; do
  for c in $concurrencies; do
    for r in $(seq 1 "$runs"); do
      ref_run charge_reference "$c" "$r" -T "$((seconds + pg_warmup))" -P 1
      charge_run charge_saldo "$c" "$r" --duration "${seconds}s"
    done
  done
done
mode=""

verify_status=0
verify_out=$("$work/saldo" ledger verify --database-url "$url" 2>&1) || verify_status=$?
printf '{"kind":"ledger_verify","exit":%s,"cmd":%s}\n' "$verify_status" "$(json_str "$verify_out")" >>"$raw"
log "saldo ledger verify: exit $verify_status"
ref_verify_status=0
ref_verify_out=$("$work/saldo" ledger verify --database-url "$ref_url" 2>&1) || ref_verify_status=$?
printf '{"kind":"ledger_verify_reference","exit":%s,"cmd":%s}\n' "$ref_verify_status" "$(json_str "$ref_verify_out")" >>"$raw"
printf '{"kind":"ledger","engine":"postgres","ledger":%s}\n' "$(ledger_check public "${hot_child:-0}")" >>"$raw"
printf '{"kind":"ledger","engine":"reference","ledger":%s}\n' "$(ledger_check ref "$ref_first")" >>"$raw"
log "ledger (saldo): $(ledger_check public "${hot_child:-0}")"
stop_server

[ -z "${BENCH_RAW_OUT:-}" ] || cp "$raw" "$BENCH_RAW_OUT"
log "writing ${BENCH_MD:-BENCHMARKS.md}"
go run bench/charges_report.go -raw "$raw" -md "${BENCH_MD:-BENCHMARKS.md}" -seconds "$seconds" -runs "$runs" \
  -pg "$(psql -Atq -d "$db" -c 'SELECT version()')" -server "${BENCH_SERVER_NOTE:-saldo serve, built from this tree}"
log "done"
