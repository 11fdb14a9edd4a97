#!/usr/bin/env bash
# bench/run.sh: saldo's account-create throughput against two pgbench references that write the
# same rows (bench/create.sql, a statement at a time in one transaction; bench/create_one.sql,
# one statement in autocommit: one round trip), and its transfers against bench/transfer.sql,
# each with saldo's group commit on and off, on the local PostgreSQL, then the figures into
# BENCHMARKS.md, bench/results.json and bench/chart.svg.
#
#   bash bench/run.sh                             # 10 s per run, 3 runs per point (about 25 minutes)
#   BENCH_SECONDS=2 BENCH_RUNS=1 bash bench/run.sh  # a quick smoke run
#
# Settings (environment): BENCH_SECONDS (10), BENCH_RUNS (3), BENCH_CONCURRENCY ("8 16 64"),
# BENCH_SQLITE (1; 0 skips the SQLite point), BENCH_SQLITE_CONCURRENCY (8),
# BENCH_GROUP_OFF (1; 0 skips the runs with group commit off), BENCH_PGBENCH_WARMUP (2: seconds each pgbench run goes on
# before its steady-state tps is counted), BENCH_QUIET (30) and BENCH_QUIET_WAIT (30: before each run, wait
# up to this many seconds for the machine to be at most BENCH_QUIET % busy), PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres),
# BENCH_DB (saldo_bench: dropped and created afresh, and dropped at the end), BENCH_MD
# (BENCHMARKS.md), BENCH_RESULTS (bench/results.json) and BENCH_CHART (bench/chart.svg): the
# files the figures are written to (point them elsewhere for a smoke run), BENCH_RAW_OUT (unset:
# a file to keep the raw measurements in, one JSON object a line), BENCH_WAL_SETTLE (10.5:
# seconds to wait after each timed saldo run before reading pg_stat_wal; see below),
# BENCH_VACUUM (1: VACUUM and CHECKPOINT before every run; 0 skips them).
#
# Group commit: two servers run on the same database, `saldo serve` with its default group
# commit and `saldo serve --group-commit-members 1` (every write commits alone); each saldo
# point runs on both, one after the other, so the report shows what group commit bought.
# Around every run the script reads `SELECT wal_sync FROM pg_stat_wal` (cluster-wide: the WAL
# fsyncs, at most one a commit, fewer when one flush covers several; run it on a machine whose
# PostgreSQL serves nothing else), the load generator's CPU time (saldo-load's or pgbench's utime+stime, as a reaped
# child of this script) and, around saldo's runs, the server's CPU time and its
# saldo_group_commits_total and saldo_group_writes_total from /metrics (writes per commit).
# A backend reports its WAL counts to pg_stat_wal at most once a second, and an idle one the
# rest up to 10 s later (PostgreSQL 15's PGSTAT_IDLE_INTERVAL): pgbench's backends report at
# exit, but saldo's pooled connections stay open, so after each timed saldo run (and once
# before the timed runs) the script waits BENCH_WAL_SETTLE seconds before its reading, or part
# of the run's flushes would be counted in the next run's. The server with group commit off
# keeps no group counters (every write is its own transaction).
#
# Transfers (after the create points; BENCH_TRANSFERS=0 skips them): BENCH_TRANSFER_CONCURRENCY
# ("8 16"), BENCH_TRANSFER_MODES ("random hot"), BENCH_WALLETS (1000), BENCH_AMOUNT (1 cent).
# A UDI value is loaded into both schemas and the KYC level limits are kept: the wallets are
# level 1, so every credit runs within the balance cap and the monthly deposit upsert, and the
# amounts are small enough that no limit is reached (see BENCHMARKS.md). saldo's wallets are
# made by `saldo-load --scenario transfers --setup-only` through the API (creates and
# top-ups), the reference's by bench/transfer_seed.sql, in the same state; then for each mode
# and concurrency, BENCH_RUNS times, a pgbench run of bench/transfer.sql and saldo-load
# transfers runs against each server alternate. The hot reference (hot=1) runs one transaction
# at a time on the hot wallet's row, whatever the clients: it is the figure group commit is
# meant to multiply. Last, the ledger is checked: every transaction's entries sum to
# zero, every balance is the sum of its entries (`saldo ledger verify` when the binary has it,
# and the same checks in SQL in any case).
#
# It creates the database, builds saldo and saldo-load into a temporary directory, migrates the
# database twice (schema public for saldo, schema ref for the references, so both use the real
# table definitions), registers a partner with composite balances in each, and starts the two
# servers on free ports of 127.0.0.1. It checks that bench/create_one.sql writes the same rows
# as bench/create.sql (the rows each adds per table, over the same number of transactions).
# For each concurrency C it then runs, BENCH_RUNS times and each for BENCH_SECONDS, in turn: a
# pgbench run of bench/create.sql, a saldo-load run of composite creates against the server
# with group commit, a pgbench run of bench/create_one.sql, and a saldo-load run against the
# server without; it samples the server's CPU time (utime+stime) around each saldo run and the
# group-commit server's peak RSS (VmHWM) after each C. Then the transfer points (above; in
# turn the reference, saldo with group commit, saldo without). Last, one point on the embedded
# SQLite default. Every
# process it starts is stopped, and the database dropped, however it ends. All traffic is to
# 127.0.0.1.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

seconds=${BENCH_SECONDS:-10}
runs=${BENCH_RUNS:-3}
concurrencies=${BENCH_CONCURRENCY:-"8 16 64"}
group_off=${BENCH_GROUP_OFF:-1}
md_out=${BENCH_MD:-BENCHMARKS.md}
results_out=${BENCH_RESULTS:-bench/results.json}
chart_out=${BENCH_CHART:-bench/chart.svg}
wal_settle=${BENCH_WAL_SETTLE:-10.5}
vacuum=${BENCH_VACUUM:-1}
pg_warmup=${BENCH_PGBENCH_WARMUP:-2} # seconds of each pgbench run not counted
sqlite_c=${BENCH_SQLITE_CONCURRENCY:-8}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
# No TLS on either side: libpq (pgbench) and pgx both default to sslmode=prefer, which on a
# server with ssl=on encrypts even 127.0.0.1; saldo's URL below says sslmode=disable too.
export PGSSLMODE=disable
db=${BENCH_DB:-saldo_bench}
url="postgres://$PGUSER@$PGHOST:$PGPORT/$db?sslmode=disable"

for tool in go psql pgbench createdb dropdb pg_isready curl getconf; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is not on PATH" >&2; exit 1; }
done
pg_isready -q || { echo "bench: PostgreSQL does not answer on $PGHOST:$PGPORT" >&2; exit 1; }

work=$(mktemp -d)
server_pid="" # the server the runs go to: the one with group commit, or off_pid's while off runs
off_pid=""    # the server with group commit off (--group-commit-members 1)
stop_server() {
  local p
  for p in "$server_pid" "$off_pid"; do
    if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
      kill -TERM "$p"
      wait "$p" 2>/dev/null || true
    fi
  done
  server_pid="" off_pid=""
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

# cpu_ticks prints a process's user+system CPU time in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# status_kb prints a VmXXX line of a process's status in kB.
status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
# busy_ticks prints "busy total" jiffies of the whole machine.
busy_ticks() { awk '$1 == "cpu" {t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t}' /proc/stat; }
clk_tck=$(getconf CLK_TCK)
# child_ticks prints the CPU time of this script's reaped children (saldo-load, pgbench).
child_ticks() { awk '{print $16 + $17}' "/proc/$$/stat"; }

# wait_quiet waits, up to BENCH_QUIET_WAIT seconds (30), until the machine was at most
# BENCH_QUIET percent busy (30) over one second, so that a run does not start on top of other
# work on a shared machine; it sets quiet_pct to the last share measured.
quiet_pct=0
wait_quiet() {
  local limit=${BENCH_QUIET:-30} deadline=$((SECONDS + ${BENCH_QUIET_WAIT:-30})) a b
  while :; do
    a=($(busy_ticks))
    sleep 1
    b=($(busy_ticks))
    quiet_pct=$(( (b[0] - a[0]) * 100 / (b[1] - a[1] > 0 ? b[1] - a[1] : 1) ))
    [ "$quiet_pct" -le "$limit" ] && return 0
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "the machine is still ${quiet_pct}% busy with other work; running anyway"
      return 0
    fi
  done
}

# start_server DATABASE_URL [ARGS...]: runs saldo serve on a free port, waits for /readyz, and
# sets server_pid and server_url.
start_server() {
  local logf="$work/serve-$RANDOM.log" dburl=$1
  shift
  "$work/saldo" serve --database-url "$dburl" --addr 127.0.0.1:0 --log-format json "$@" >>"$work/serve.out" 2>"$logf" &
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

# off CMD [ARGS...]: runs CMD against the server with group commit off.
off() {
  local p=$server_pid u=$server_url
  server_pid=$off_pid server_url=$off_url
  "$@"
  server_pid=$p server_url=$u
}

# settle KIND waits BENCH_WAL_SETTLE seconds after a timed saldo run on PostgreSQL, so that
# its connections have reported their WAL counts to pg_stat_wal (see the header). Warm-ups and
# the verification run report no WAL figure: one wait before the timed runs does for them.
settle() {
  case $1 in
  saldo | saldo_off | transfer_saldo | transfer_saldo_off) sleep "$wal_settle" ;;
  esac
}

# steady runs VACUUM and CHECKPOINT before a timed run (BENCH_VACUUM=1, the default; 0 skips
# them), so that every run starts in the same state: no autovacuum of what the run before
# inserted comes due during it, and each pays the same full-page writes after a checkpoint,
# instead of a checkpoint landing in one run and not another.
steady() {
  [ "$vacuum" = 1 ] || return 0
  psql -q -d "$db" -c "VACUUM" -c "CHECKPOINT" >/dev/null
}

# wal_sync prints the cluster's WAL flushes so far (pg_stat_wal.wal_sync, PostgreSQL 14+).
wal_sync() { psql -Atq -d "$db" -c "SELECT wal_sync FROM pg_stat_wal"; }
# group_stats KIND prints the server's saldo_group_commits_total, saldo_group_writes_total and
# saldo_group_splits_total of KIND (create or movement) as a JSON array, [0,0,0] without them.
group_stats() {
  curl -sf "$server_url/metrics" 2>/dev/null | awk -v k="{kind=\"$1\"}" '
    $1 == "saldo_group_commits_total" k {c = $2} $1 == "saldo_group_writes_total" k {w = $2}
    $1 == "saldo_group_splits_total" k {s = $2}
    END {printf "[%d,%d,%d]", c, w, s}' || echo "[0,0,0]"
}

# token_of prints the token of `saldo ecommerce create`'s JSON; id_of its id.
token_of() { sed -n 's/.*"token":"\([^"]*\)".*/\1/p'; }
id_of() { sed -n 's/.*"id":\([0-9]*\).*/\1/p'; }

raw="$work/raw.jsonl"
: >"$raw"
seq_offset=0 # a fresh database; each run continues from the last one's seq_end
mode=""      # the transfer mode of the runs under way, "" for creates
run_no=0

# saldo_run KIND C RUN [ARGS...]: one saldo-load run of composite creates against the server,
# its report, the server's CPU ticks and the machine's busy share appended to raw.jsonl.
saldo_run() {
  local kind=$1 c=$2 r=$3
  shift 3
  local out="$work/load.json" t0 t1 b0 b1 g0 g1 w0 w1 m0 m1 status=0
  steady
  wait_quiet
  w0=$(wal_sync)
  m0=$(group_stats create)
  g0=$(child_ticks)
  t0=$(cpu_ticks "$server_pid")
  b0=$(busy_ticks)
  "$work/saldo-load" --url "$server_url" --token "$token" --concurrency "$c" --composite --json \
    --prefix "b$RANDOM.c$c.r$r." --seq-offset "$seq_offset" --progress=false "$@" >"$out" 2>"$work/load.err" || status=$?
  t1=$(cpu_ticks "$server_pid")
  b1=$(busy_ticks)
  g1=$(child_ticks)
  m1=$(group_stats create)
  settle "$kind"
  w1=$(wal_sync)
  if ! grep -q '"seq_end"' "$out"; then
    cat "$work/load.err" >&2
    log "saldo-load gave no report"
    exit 1
  fi
  [ "$status" = 0 ] || log "saldo-load exited $status: $(cat "$work/load.err")"
  seq_offset=$(sed -n 's/.*"seq_end":\([0-9]*\).*/\1/p' "$out")
  printf '{"kind":"%s","c":%s,"run":%s,"exit":%s,"cpu_ticks":%s,"client_ticks":%s,"clk_tck":%s,"quiet_pct":%s,"busy":[%s],"busy_end":[%s],"wal_sync":%s,"group":[%s,%s],"report":%s}\n' \
    "$kind" "$c" "$r" "$status" "$((t1 - t0))" "$((g1 - g0))" "$clk_tck" "$quiet_pct" "${b0/ /,}" "${b1/ /,}" "$((w1 - w0))" "$m0" "$m1" "$(cat "$out")" >>"$raw"
  log "$kind c=$c run $r: $(sed -n 's/.*"creates_per_s":\([0-9.]*\).*/\1/p' "$out") creates/s, exit $status, wal_sync +$((w1 - w0)), group commits/writes $m0 → $m1"
}

# ref_run KIND C RUN [ARGS...]: one pgbench run of the reference, appended to raw.jsonl.
ref_run() {
  local kind=$1 c=$2 r=$3
  shift 3
  local out="$work/pgbench.out" b0 b1 g0 g1 w0 w1 status=0
  run_no=$((run_no + 1))
  steady
  wait_quiet
  w0=$(wal_sync)
  g0=$(child_ticks)
  b0=$(busy_ticks)
  local script=(-f "$root/bench/create.sql" -D ecommerce_id="$ref_id" -D base="$((run_no * 10000000))" -D k=0)
  case $kind in
  reference_one*) script=(-f "$root/bench/create_one.sql" -D ecommerce_id="$ref_id" -D base="$((run_no * 10000000))" -D k=0) ;;
  transfer_*) script=(-f "$root/bench/transfer.sql" "${transfer_args[@]}" -D hot="$([ "$mode" = hot ] && echo 1 || echo 0)") ;;
  esac
  PGOPTIONS='-c search_path=ref' pgbench -n -M prepared "${script[@]}" \
    -c "$c" -j "$(( c < 2 ? c : 2 ))" "$@" "$db" >"$out" 2>&1 || status=$?
  b1=$(busy_ticks)
  g1=$(child_ticks)
  w1=$(wal_sync)
  local tps failed lat txns pgbench_tps
  txns=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$out")
  tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$out")
  pgbench_tps=${tps:-0}
  if [ "$kind" = reference ] || [ "$kind" = reference_one ] || [ "$kind" = transfer_reference ]; then
    # The steady state: the mean of the per-second progress figures after the warm-up, so
    # that 64 fresh backends connecting and filling their catalog caches are not counted (saldo's
    # pool is warm). This makes the reference stronger, so the ratio stricter.
    tps=$(awk -v w="$pg_warmup" '$1 == "progress:" && $2 + 0 > w {s += $4; n++} END {if (n) printf "%.3f", s / n}' "$out")
  fi
  failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$out")
  lat=$(sed -n 's/^latency average = \([0-9.]*\) ms.*/\1/p' "$out")
  if [ -z "$tps" ]; then
    # pgbench's -T clock includes connecting, which can take seconds for 64 clients on a busy
    # machine: a short run may end before any transaction. Recorded as 0 (no figure).
    tail -n 3 "$out" >&2
    log "pgbench gave no tps (exit $status); recorded as none"
    tps=0
  fi
  [ "$status" = 0 ] || log "pgbench exited $status"
  printf '{"kind":"%s","mode":"%s","c":%s,"run":%s,"exit":%s,"tps":%s,"pgbench_tps":%s,"transactions":%s,"failed":%s,"latency_avg_ms":%s,"client_ticks":%s,"clk_tck":%s,"quiet_pct":%s,"busy":[%s],"busy_end":[%s],"wal_sync":%s}\n' \
    "$kind" "${mode:-}" "$c" "$r" "$status" "$tps" "$pgbench_tps" "${txns:-0}" "${failed:-0}" "${lat:-0}" "$((g1 - g0))" "$clk_tck" "$quiet_pct" "${b0/ /,}" "${b1/ /,}" "$((w1 - w0))" >>"$raw"
  log "$kind ${mode:-} c=$c run $r: $tps tps, exit $status, ${txns:-0} transactions, wal_sync +$((w1 - w0))"
}

# transfer_run KIND C RUN [ARGS...]: one saldo-load transfers run in the current $mode over the
# wallets set up in $wallets_file, its report, the server's CPU ticks and the machine's busy
# share appended to raw.jsonl.
transfer_run() {
  local kind=$1 c=$2 r=$3
  shift 3
  local out="$work/load.json" t0 t1 b0 b1 g0 g1 w0 w1 m0 m1 status=0
  steady
  wait_quiet
  w0=$(wal_sync)
  m0=$(group_stats movement)
  g0=$(child_ticks)
  t0=$(cpu_ticks "$server_pid")
  b0=$(busy_ticks)
  "$work/saldo-load" --url "$server_url" --token "$token" --concurrency "$c" --scenario transfers --mode "$mode" \
    --wallets-file "$wallets_file" --amount "$amount" --json --progress=false "$@" >"$out" 2>"$work/load.err" || status=$?
  t1=$(cpu_ticks "$server_pid")
  b1=$(busy_ticks)
  g1=$(child_ticks)
  m1=$(group_stats movement)
  settle "$kind"
  w1=$(wal_sync)
  if ! grep -q '"transfers_per_s"' "$out"; then
    cat "$work/load.err" >&2
    log "saldo-load gave no transfers report"
    exit 1
  fi
  [ "$status" = 0 ] || log "saldo-load exited $status: $(cat "$work/load.err")"
  printf '{"kind":"%s","mode":"%s","c":%s,"run":%s,"exit":%s,"cpu_ticks":%s,"client_ticks":%s,"clk_tck":%s,"quiet_pct":%s,"busy":[%s],"busy_end":[%s],"wal_sync":%s,"group":[%s,%s],"report":%s}\n' \
    "$kind" "$mode" "$c" "$r" "$status" "$((t1 - t0))" "$((g1 - g0))" "$clk_tck" "$quiet_pct" "${b0/ /,}" "${b1/ /,}" "$((w1 - w0))" "$m0" "$m1" "$(cat "$out")" >>"$raw"
  log "$kind $mode c=$c run $r: $(sed -n 's/.*"transfers_per_s":\([0-9.]*\).*/\1/p' "$out") transfers/s, exit $status, wal_sync +$((w1 - w0)), group commits/writes $m0 → $m1"
}

# ref_rows prints, as a JSON object, the rows of the ref schema the create references write:
# customers, balances by kind, customer_tokens by kind, composite_parents, events by type.
ref_rows() {
  psql -Atq -d "$db" -c "SET search_path = ref" -c "SELECT json_build_object(
    'customers', (SELECT count(*) FROM customers),
    'balances_wallet', (SELECT count(*) FROM balances WHERE kind = 'wallet'),
    'balances_composite_parent', (SELECT count(*) FROM balances WHERE kind = 'composite_parent'),
    'tokens_oauth', (SELECT count(*) FROM customer_tokens WHERE kind = 'oauth'),
    'tokens_refresh', (SELECT count(*) FROM customer_tokens WHERE kind = 'refresh'),
    'tokens_private_key', (SELECT count(*) FROM customer_tokens WHERE kind = 'private_key'),
    'composite_parents', (SELECT count(*) FROM composite_parents),
    'events_customer_created', (SELECT count(*) FROM events WHERE type = 'customer.created'),
    'events_composite_parent_created', (SELECT count(*) FROM events WHERE type = 'composite_parent.created'))"
}

# same_rows_check: bench/create_one.sql must write the rows bench/create.sql writes. Each runs
# 100 transactions (2 clients × 50); the rows each added, per table and kind, go to raw.jsonl
# as one "ref_rows" line, which the report compares.
same_rows_check() {
  local a b c s
  a=$(ref_rows)
  run_no=$((run_no + 1))
  PGOPTIONS='-c search_path=ref' pgbench -n -M prepared -f "$root/bench/create.sql" -D ecommerce_id="$ref_id" \
    -D base="$((run_no * 10000000))" -D k=0 -c 2 -j 2 -t 50 "$db" >"$work/rows.out" 2>&1 || { cat "$work/rows.out" >&2; log "create.sql failed"; exit 1; }
  b=$(ref_rows)
  run_no=$((run_no + 1))
  PGOPTIONS='-c search_path=ref' pgbench -n -M prepared -f "$root/bench/create_one.sql" -D ecommerce_id="$ref_id" \
    -D base="$((run_no * 10000000))" -D k=0 -c 2 -j 2 -t 50 "$db" >"$work/rows.out" 2>&1 || { cat "$work/rows.out" >&2; log "create_one.sql failed"; exit 1; }
  c=$(ref_rows)
  s=$(psql -Atq -d "$db" -c "SELECT json_build_object(
    'create_sql', (SELECT json_object_agg(k, y.v::bigint - x.v::bigint ORDER BY k) FROM json_each_text('$a') x (k, v) JOIN json_each_text('$b') y (k, v) USING (k)),
    'create_one_sql', (SELECT json_object_agg(k, y.v::bigint - x.v::bigint ORDER BY k) FROM json_each_text('$b') x (k, v) JOIN json_each_text('$c') y (k, v) USING (k)))")
  printf '{"kind":"ref_rows","transactions":100,"ref_rows":%s}\n' "$s" >>"$raw"
  log "rows written by 100 transactions of create.sql and of create_one.sql: $s"
}

# ledger_check SCHEMA: the ledger's invariants in SQL, as `saldo ledger verify` checks them
# (internal/sqlstore/ledger.go), as one JSON object: transactions whose entries are fewer than
# two or do not sum to zero, balances whose amount is not the sum of their entries or is below
# what they hold, and the counts.
ledger_check() {
  psql -Atq -d "$db" -c "SET search_path = $1" -c "SELECT json_build_object(
    'schema', '$1',
    'transactions', (SELECT count(*) FROM ledger_transactions),
    'transfers', (SELECT count(*) FROM ledger_transactions WHERE kind = 'transfer'),
    'top_ups', (SELECT count(*) FROM ledger_transactions WHERE kind = 'top_up'),
    'entries', (SELECT count(*) FROM ledger_entries),
    'unbalanced_transactions', (SELECT count(*) FROM (SELECT transaction_id FROM ledger_entries GROUP BY transaction_id HAVING count(*) < 2 OR sum(amount) <> 0) u)
      + (SELECT count(*) FROM ledger_transactions t WHERE NOT EXISTS (SELECT 1 FROM ledger_entries e WHERE e.transaction_id = t.id)),
    'mismatched_balances', (SELECT count(*) FROM balances b LEFT JOIN (SELECT balance_id, sum(amount) AS total FROM ledger_entries
      WHERE balance_id IS NOT NULL GROUP BY balance_id) s ON s.balance_id = b.id
      WHERE b.amount <> COALESCE(s.total, 0) OR b.held < 0 OR (b.kind = 'wallet' AND b.amount < b.held)),
    'sum_of_entries', (SELECT COALESCE(sum(amount), 0) FROM ledger_entries))"
}

log "database $db, $seconds s per run, $runs runs per point, concurrency $concurrencies"
dropdb --if-exists --force "$db"
createdb "$db"
psql -q -d "$db" -c "CREATE SCHEMA ref"

log "building saldo and saldo-load into $work"
go build -o "$work/saldo" ./cmd/saldo
go build -o "$work/saldo-load" ./cmd/saldo-load

SALDO_SECRET_KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
export SALDO_SECRET_KEY
ref_url="$url&search_path=ref"
"$work/saldo" migrate --database-url "$url" >/dev/null
"$work/saldo" migrate --database-url "$ref_url" >/dev/null
ref_id=$("$work/saldo" ecommerce create --name reference --composite-balances --database-url "$ref_url" | id_of)
token=$("$work/saldo" ecommerce create --name bench --composite-balances --database-url "$url" | token_of)
[ -n "$ref_id" ] && [ -n "$token" ] || { log "could not create the partners"; exit 1; }

# The commands, as the report shows them.
{
  printf '{"kind":"command","what":"reference","cmd":%s}\n' "$(json_str "PGSSLMODE=disable PGOPTIONS='-c search_path=ref' pgbench -n -M prepared -f bench/create.sql -D ecommerce_id=$ref_id -D base=<run × 10^7> -D k=0 -c C -j min(C,2) -T $((seconds + pg_warmup)) -P 1 $db   # tps: mean of the progress lines after ${pg_warmup} s")"
  printf '{"kind":"command","what":"reference_one","cmd":%s}\n' "$(json_str "PGSSLMODE=disable PGOPTIONS='-c search_path=ref' pgbench -n -M prepared -f bench/create_one.sql -D ecommerce_id=$ref_id -D base=<run × 10^7> -D k=0 -c C -j min(C,2) -T $((seconds + pg_warmup)) -P 1 $db   # one statement, autocommit; tps as above")"
  printf '{"kind":"command","what":"saldo","cmd":%s}\n' "$(json_str "saldo-load --url http://127.0.0.1:<port> --token ek_… --concurrency C --duration ${seconds}s --composite --json --prefix <unique> --seq-offset <previous seq_end>")"
  printf '{"kind":"command","what":"server","cmd":%s}\n' "$(json_str "SALDO_SECRET_KEY=… saldo serve --database-url 'postgres://postgres@127.0.0.1:5432/$db?sslmode=disable' --addr 127.0.0.1:0 --log-format json 2>serve.log")"
  printf '{"kind":"command","what":"server_off","cmd":%s}\n' "$(json_str "SALDO_SECRET_KEY=… saldo serve --database-url 'postgres://postgres@127.0.0.1:5432/$db?sslmode=disable' --addr 127.0.0.1:0 --log-format json --group-commit-members 1 2>serve-off.log   # group commit off; on the same database, beside the server above")"
  printf '{"kind":"command","what":"metrics","cmd":%s}\n' "$(json_str "psql -Atc 'SELECT wal_sync FROM pg_stat_wal'; curl -s http://127.0.0.1:<port>/metrics | grep -E 'saldo_group_(commits|writes)_total'   # before and after each run")"
  printf '{"kind":"command","what":"sqlite","cmd":%s}\n' "$(json_str "saldo serve --database-url sqlite:bench.db --addr 127.0.0.1:0 --log-format json; saldo-load … --concurrency $sqlite_c --duration ${seconds}s --composite")"
  printf '{"kind":"command","what":"run","cmd":%s}\n' "$(json_str "BENCH_SECONDS=$seconds BENCH_RUNS=$runs bash bench/run.sh")"
} >>"$raw"

off_url=""
if [ "$group_off" != 0 ]; then
  start_server "$url" --group-commit-members 1
  off_pid=$server_pid off_url=$server_url
  log "saldo serve --group-commit-members 1 (pid $off_pid) at $off_url"
fi
start_server "$url"
log "saldo serve (pid $server_pid) at $server_url"

# Warm all up (connections, prepared statements, caches); not recorded.
saldo_run warmup 4 0 --count 200
[ "$group_off" = 0 ] || off saldo_run warmup_off 4 0 --count 200
ref_run reference_warmup 4 0 -t 50
ref_run reference_one_warmup 4 0 -t 50
same_rows_check
# Statistics for both schemas: on tables never analyzed, PostgreSQL's generic plan for the
# duplicate check scans every customer of the partner (the email branch through the mobile
# index) until autovacuum's first ANALYZE, which would distort the first runs of either side.
psql -q -d "$db" -c "ANALYZE"
sleep "$wal_settle"

for c in $concurrencies; do
  for r in $(seq 1 "$runs"); do
    ref_run reference "$c" "$r" -T "$((seconds + pg_warmup))" -P 1
    saldo_run saldo "$c" "$r" --duration "${seconds}s"
    ref_run reference_one "$c" "$r" -T "$((seconds + pg_warmup))" -P 1
    [ "$group_off" = 0 ] || off saldo_run saldo_off "$c" "$r" --duration "${seconds}s"
  done
  printf '{"kind":"rss","c":%s,"vmhwm_kb":%s,"vmrss_kb":%s}\n' "$c" "$(status_kb "$server_pid" VmHWM)" "$(status_kb "$server_pid" VmRSS)" >>"$raw"
done

# A correctness check after the timed runs: read back every customer of one more run.
saldo_run verify 8 0 --count 500 --verify
printf '{"kind":"rows","engine":"postgres","customers":%s}\n' "$(psql -Atq -d "$db" -c "SELECT count(*) FROM public.customers")" >>"$raw"

if [ "${BENCH_TRANSFERS:-1}" != 0 ]; then
  transfer_cs=${BENCH_TRANSFER_CONCURRENCY:-"8 16"}
  modes=${BENCH_TRANSFER_MODES:-"random hot"}
  wallets=${BENCH_WALLETS:-1000}
  amount=${BENCH_AMOUNT:-1}
  fund=100000      # cents per wallet: $1,000
  hot_fund=600000  # the hot wallet's: within level 1's monthly deposits at 8.5 (637,500) and its cap (850,000)
  wallets_file="$work/wallets.json"
  today=$(TZ=America/Mexico_City date +%F)
  month=${today%-*}
  log "transfers: $wallets wallets, $amount cent(s) each, modes $modes, concurrency $transfer_cs"
  # A UDI value, without which a level-1 wallet takes no credit (503/7004): 8.5 pesos, for
  # saldo with `saldo udi set` (when the binary has it), for the reference in SQL.
  if ! "$work/saldo" udi set --date 2000-01-01 --value 8.5 --database-url "$url" >/dev/null 2>&1; then
    psql -q -d "$db" -c "INSERT INTO public.udi_values (day, value_micros) VALUES ('2000-01-01', 8500000) ON CONFLICT (day) DO NOTHING"
  fi
  psql -q -d "$db" -c "INSERT INTO ref.udi_values (day, value_micros) VALUES ('2000-01-01', 8500000) ON CONFLICT (day) DO NOTHING"
  read -r ref_first ref_last < <(PGOPTIONS='-c search_path=ref' psql -Atq -d "$db" -v ecommerce_id="$ref_id" -v wallets="$wallets" \
    -v fund="$fund" -v hot_fund="$hot_fund" -v month="$month" -f "$root/bench/transfer_seed.sql")
  transfer_args=(-D ecommerce_id="$ref_id" -D first="$ref_first" -D last="$ref_last" -D amount="$amount" -D day="$today" -D month="$month")
  setup_status=0
  "$work/saldo-load" --url "$server_url" --token "$token" --concurrency 8 --composite --scenario transfers --setup-only \
    --wallets "$wallets" --fund "$fund" --hot-fund "$hot_fund" --wallets-file "$wallets_file" --prefix "xfer$RANDOM." \
    --seq-offset "$seq_offset" --json --progress=false >"$work/setup.json" 2>"$work/setup.err" || setup_status=$?
  if [ "$setup_status" != 0 ]; then
    # Before the wallet routes exist, the set-up's first top-up is refused: the create
    # figures stand alone.
    log "transfers skipped: the set-up failed: $(cat "$work/setup.err")"
    printf '{"kind":"transfer_skipped","cmd":%s}\n' "$(json_str "$(cat "$work/setup.err")")" >>"$raw"
  else
    printf '{"kind":"transfer_setup","setup":%s}\n' "$(cat "$work/setup.json")" >>"$raw"
    {
      printf '{"kind":"command","what":"transfer_reference","cmd":%s}\n' "$(json_str "PGSSLMODE=disable PGOPTIONS='-c search_path=ref' pgbench -n -M prepared -f bench/transfer.sql -D ecommerce_id=$ref_id -D first=$ref_first -D last=$ref_last -D amount=$amount -D day=$today -D month=$month -D hot=<0 random, 1 hot> -c C -j min(C,2) -T $((seconds + pg_warmup)) -P 1 $db   # on the wallets of: psql -v ecommerce_id=$ref_id -v wallets=$wallets -v fund=$fund -v hot_fund=$hot_fund -v month=$month -f bench/transfer_seed.sql")"
      printf '{"kind":"command","what":"transfer_setup","cmd":%s}\n' "$(json_str "saldo-load --url http://127.0.0.1:<port> --token ek_… --concurrency 8 --composite --scenario transfers --setup-only --wallets $wallets --fund $fund --hot-fund $hot_fund --wallets-file wallets.json")"
      printf '{"kind":"command","what":"transfer_saldo","cmd":%s}\n' "$(json_str "saldo-load --url http://127.0.0.1:<port> --token ek_… --concurrency C --scenario transfers --mode <random|hot> --wallets-file wallets.json --amount $amount --duration ${seconds}s --json")"
    } >>"$raw"
    psql -q -d "$db" -c "ANALYZE"
    for mode in $modes; do
      transfer_run transfer_warmup 4 0 --count 200
      [ "$group_off" = 0 ] || off transfer_run transfer_warmup_off 4 0 --count 200
      ref_run transfer_reference_warmup 4 0 -t 50
    done
    sleep "$wal_settle"
    for mode in $modes; do
      for c in $transfer_cs; do
        for r in $(seq 1 "$runs"); do
          ref_run transfer_reference "$c" "$r" -T "$((seconds + pg_warmup))" -P 1
          transfer_run transfer_saldo "$c" "$r" --duration "${seconds}s"
          [ "$group_off" = 0 ] || off transfer_run transfer_saldo_off "$c" "$r" --duration "${seconds}s"
        done
      done
    done
    mode=""
    verify_out=""
    verify_status=0
    if "$work/saldo" ledger verify --help >/dev/null 2>&1; then
      verify_out=$("$work/saldo" ledger verify --database-url "$url" 2>&1) || verify_status=$?
      printf '{"kind":"ledger_verify","exit":%s,"cmd":%s}\n' "$verify_status" "$(json_str "$verify_out")" >>"$raw"
      log "saldo ledger verify: exit $verify_status"
    fi
    printf '{"kind":"ledger","engine":"postgres","ledger":%s}\n' "$(ledger_check public)" >>"$raw"
    printf '{"kind":"ledger","engine":"reference","ledger":%s}\n' "$(ledger_check ref)" >>"$raw"
    log "ledger (saldo): $(ledger_check public)"
  fi
fi
stop_server

if [ "${BENCH_SQLITE:-1}" != 0 ]; then
  log "the embedded SQLite default, concurrency $sqlite_c"
  sqlite_url="sqlite:$work/bench.db"
  token=$("$work/saldo" ecommerce create --name bench --composite-balances --database-url "$sqlite_url" | token_of)
  start_server "$sqlite_url"
  saldo_run sqlite_warmup 4 0 --count 100
  for r in $(seq 1 "$runs"); do
    saldo_run sqlite "$sqlite_c" "$r" --duration "${seconds}s"
  done
  printf '{"kind":"rss","engine":"sqlite","c":%s,"vmhwm_kb":%s,"vmrss_kb":%s}\n' "$sqlite_c" "$(status_kb "$server_pid" VmHWM)" "$(status_kb "$server_pid" VmRSS)" >>"$raw"
  stop_server
fi

# BENCH_RAW_OUT: keep the raw measurements (one JSON object a line) there.
[ -z "${BENCH_RAW_OUT:-}" ] || cp "$raw" "$BENCH_RAW_OUT"
log "writing $md_out, $results_out and $chart_out"
go run bench/report.go -raw "$raw" -results "$results_out" -md "$md_out" -seconds "$seconds" -runs "$runs" \
  -pg "$(psql -Atq -d "$db" -c 'SELECT version()')" \
  -pg-settings "$(psql -Atq -d "$db" -c "SELECT string_agg(name || '=' || setting || coalesce(unit, ''), ', ' ORDER BY name) FROM pg_settings WHERE name IN ('shared_buffers', 'synchronous_commit', 'fsync', 'max_connections', 'default_transaction_isolation', 'wal_level')")"
go run bench/chart.go <"$results_out" >"$chart_out"
log "done"
