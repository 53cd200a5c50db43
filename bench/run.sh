#!/usr/bin/env bash
# bench/run.sh BUILD_DIR — runs the benchmarks section by section.
#
# Sections:
#   engine    BUILD_DIR/orderd_bench: LMDB limit vs group commit, naive commits,
#             nested-txn cost, timer insert/cancel, memory and start-to-ready
#             with 1M/10M pending timers (see bench/engine_bench.cpp)
#   recharge  BUILD_DIR/recharge_bench: end-to-end recharge orders/s against a
#             real `orderd serve` (sim latency 0, fsync on), create p50/p99
#   purchase  BUILD_DIR/purchase_bench: create -> pay -> completed orders/s with
#             20,000 unpaid orders' 30-minute timers pending
#   rabbitmq  BUILD_DIR/mq_bench: seed 001's flow on RabbitMQ (durable queues,
#             persistent messages, confirms, manual acks) and a 1M-message
#             per-message-TTL + dead-letter delay queue (rate, memory)
#   redis     the same flow on Redis lists (appendfsync always) and a 1M
#             sorted-set delay queue (rate, memory)
#   rounds    ORDERD_BENCH_ROUNDS (default 2) more runs of the three flows
#             back to back (orderd, RabbitMQ, Redis; ORDERD_BENCH_ROUND_S
#             seconds each, default 5), with the servers above still up. This
#             machine's speed drifts by up to 2x within minutes, so one run
#             per flow minutes apart can make either side look better: the
#             summary's ratios come from the medians over every run of each
#             flow, and it lists each round's own ratios.
# Each section prints its table and ends with one line of key=value figures.
# Knobs: ORDERD_BENCH_SECONDS (per measurement, default 2),
#        ORDERD_BENCH_TIMERS (default 10000000), ORDERD_BENCH_TIMER_INSERT_S (300),
#        BENCH_SECTIONS (default "engine recharge rabbitmq redis").
set -euo pipefail

BUILD_DIR=${1:-build}
SECTIONS=${BENCH_SECTIONS-"engine recharge purchase rabbitmq redis rounds"}

section() { printf '\n== %s ==\n' "$1"; }

run_engine() {
  section "engine: orderd_bench"
  if [[ ! -x "$BUILD_DIR/orderd_bench" ]]; then
    echo "missing $BUILD_DIR/orderd_bench: build it with 'cmake --build $BUILD_DIR --target orderd_bench'" >&2
    return 1
  fi
  "$BUILD_DIR/orderd_bench"
}

run_recharge() {
  section "recharge: end to end through orderd serve"
  "$BUILD_DIR/recharge_bench" "$BUILD_DIR/orderd" "${ORDERD_BENCH_RECHARGE_S:-10}" 64
}

run_purchase() {
  section "purchase: end to end through orderd serve"
  "$BUILD_DIR/purchase_bench" "$BUILD_DIR/orderd" "${ORDERD_BENCH_PURCHASE_S:-10}" 64 "${ORDERD_BENCH_UNPAID:-20000}"
}

# Sections run in subshells (piped to tee): everything they start is found
# again by these fixed names, and stopped by the EXIT trap of this shell.
MQ_TMP=$(mktemp -d /tmp/orderd-mq-XXXXXX)
cleanup() {
  set +e
  [[ -f "$MQ_TMP/redis.pid" ]] && kill "$(cat "$MQ_TMP/redis.pid")" 2>/dev/null
  if [[ -d "$MQ_TMP/rmq" ]]; then
    rmq_env timeout 60 rabbitmqctl -n "$RMQ_NODE" shutdown >/dev/null 2>&1
    [[ -f "$MQ_TMP/rmq.pid" ]] && pkill -P "$(cat "$MQ_TMP/rmq.pid")" 2>/dev/null
  fi
  rm -rf "$MQ_TMP"
  return 0
}
trap cleanup EXIT
mq_tmp() { :; }

RMQ_NODE="orderdbench$$@localhost"
RMQ_PORT=${RMQ_PORT:-5679}
rmq_env() {
  env RABBITMQ_NODENAME="$RMQ_NODE" RABBITMQ_NODE_PORT="$RMQ_PORT" RABBITMQ_DIST_PORT=$((RMQ_PORT + 20000)) \
      RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_MNESIA_BASE="$MQ_TMP/rmq/mnesia" RABBITMQ_LOG_BASE="$MQ_TMP/rmq/log" \
      RABBITMQ_ENABLED_PLUGINS_FILE="$MQ_TMP/rmq/enabled_plugins" "$@"
}

# RabbitMQ on loopback with its data under a temp dir (the server drops to the
# rabbitmq user, so the dir is theirs); stopped by the EXIT trap.
start_rabbitmq() {
  mq_tmp
  mkdir -p "$MQ_TMP/rmq/mnesia" "$MQ_TMP/rmq/log"
  echo "[]." > "$MQ_TMP/rmq/enabled_plugins"
  chown -R rabbitmq:rabbitmq "$MQ_TMP/rmq" 2>/dev/null || true
  chmod 755 "$MQ_TMP"
  rmq_env rabbitmq-server > "$MQ_TMP/rmq/out.log" 2>&1 &
  echo $! > "$MQ_TMP/rmq.pid"
  for _ in $(seq 1 60); do
    rmq_env rabbitmqctl -n "$RMQ_NODE" await_startup >/dev/null 2>&1 && return 0
    sleep 1
  done
  echo "rabbitmq did not start:"; tail -5 "$MQ_TMP/rmq/out.log"; return 1
}

run_rabbitmq() {
  section "rabbitmq: seed 001's flow (durable queues, persistent, confirms, manual acks), 64 in flight"
  if ! command -v rabbitmq-server >/dev/null || [[ ! -x "$BUILD_DIR/mq_bench" ]]; then
    echo "skipped: rabbitmq-server or mq_bench missing (make bench installs rabbitmq-server librabbitmq-dev)"; return 0
  fi
  start_rabbitmq || return 1
  "$BUILD_DIR/mq_bench" rabbitmq "$RMQ_PORT" "${ORDERD_BENCH_MQ_S:-10}" 64
  "$BUILD_DIR/mq_bench" rabbitmq-delay "$RMQ_PORT" "${ORDERD_BENCH_DELAY_N:-1000000}"
  local qmem
  qmem=$(rmq_env rabbitmqctl -n "$RMQ_NODE" list_queues name memory 2>/dev/null | awk '$1 == "delay" {print $2}' || true)
  echo "rabbitmq_delay_queue_bytes=${qmem:-0}"
  # Measured: drop the 1M messages, so the later sections and rounds do not
  # run beside a broker holding ~900 MB.
  rmq_env timeout 120 rabbitmqctl -n "$RMQ_NODE" delete_queue delay >/dev/null 2>&1 || true
}

run_redis() {
  section "redis: lists LPUSH/BRPOP with appendfsync always, 64 in flight; sorted-set delay queue"
  if ! command -v redis-server >/dev/null || [[ ! -x "$BUILD_DIR/mq_bench" ]]; then
    echo "skipped: redis-server or mq_bench missing (make bench installs redis-server libhiredis-dev)"; return 0
  fi
  mq_tmp
  local port=${REDIS_PORT:-6399}
  mkdir -p "$MQ_TMP/redis"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$MQ_TMP/redis" --appendonly yes --appendfsync always \
      --save "" --pidfile "$MQ_TMP/redis.pid" --daemonize yes >/dev/null
  for _ in $(seq 1 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  "$BUILD_DIR/mq_bench" redis "$port" "${ORDERD_BENCH_MQ_S:-10}" 64
  "$BUILD_DIR/mq_bench" redis-delay "$port" "${ORDERD_BENCH_DELAY_N:-1000000}"
  echo "redis_used_memory_bytes=$(redis-cli -p "$port" info memory | awk -F: '/^used_memory:/ {print $2}' | tr -d '\r')"
  redis-cli -p "$port" del delay >/dev/null 2>&1 || true  # measured: free the 1M-member set before the rounds
}

# Interleaved runs of the three flows; each prints round_<flow>_orders_per_s=.
run_rounds() {
  local rounds=${ORDERD_BENCH_ROUNDS:-2} secs=${ORDERD_BENCH_ROUND_S:-5} r o q d
  section "rounds: the three flows back to back, $rounds more times"
  for r in $(seq 1 "$rounds"); do
    o=$("$BUILD_DIR/recharge_bench" "$BUILD_DIR/orderd" "$secs" 64 | grep -o 'recharge_orders_per_s=[0-9.]*' | cut -d= -f2) || true
    q=""; d=""
    if [[ -d "$MQ_TMP/rmq" ]]; then
      q=$("$BUILD_DIR/mq_bench" rabbitmq "$RMQ_PORT" "$secs" 64 | grep -o 'rabbitmq_orders_per_s=[0-9.]*' | cut -d= -f2) || true
    fi
    if [[ -f "$MQ_TMP/redis.pid" ]]; then
      d=$("$BUILD_DIR/mq_bench" redis "${REDIS_PORT:-6399}" "$secs" 64 | grep -o 'redis_orders_per_s=[0-9.]*' | cut -d= -f2) || true
    fi
    echo "round $r: round_orderd_orders_per_s=${o:-} round_rabbitmq_orders_per_s=${q:-} round_redis_orders_per_s=${d:-}" \
         "(vs RabbitMQ $(ratio "$o" "$q"), vs Redis $(ratio "$o" "$d"))"
  done
}

fig() { { grep -o "\b$1=[0-9.e+-]*" "$OUT" || true; } | tail -1 | cut -d= -f2; }
ratio() { if [[ -n "$1" && -n "$2" ]]; then awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b }'; fi; }
# The median of every value printed for key $1 and for round_$2 (the first
# run of a flow and its rounds).
median() {
  { grep -oE "\b($1|round_$2)=[0-9.]+" "$OUT" || true; } | cut -d= -f2 | sort -n |
    awk '{ v[NR] = $1 } END { if (NR) printf "%.0f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
all_values() { { grep -oE "\b($1|round_$2)=[0-9.]+" "$OUT" || true; } | cut -d= -f2 | paste -sd' ' -; }

OUT=$(mktemp /tmp/orderd-bench-out-XXXXXX)
for s in $SECTIONS; do
  case "$s" in
    engine) run_engine ;;
    recharge) run_recharge ;;
    purchase) run_purchase ;;
    rabbitmq) run_rabbitmq ;;
    redis) run_redis ;;
    rounds) run_rounds ;;
    *) echo "unknown section: $s" >&2; exit 2 ;;
  esac 2>&1 | tee -a "$OUT"
done

# The summary: every key=value figure printed above, and the ratios.
kib() { local v; v=$(fig "$1"); echo $(( ${v:-0} / 1024 )); }
ORDERD=$(median recharge_orders_per_s orderd_orders_per_s); RMQ=$(median rabbitmq_orders_per_s rabbitmq_orders_per_s)
RDS=$(median redis_orders_per_s redis_orders_per_s)
printf '\n== summary ==\n'
printf '%-58s %s\n' "recharge flow orders/s, median: orderd / RabbitMQ / Redis" "${ORDERD:-?} / ${RMQ:-?} / ${RDS:-?}"
printf '%-58s %s\n' "  every run: orderd" "$(all_values recharge_orders_per_s orderd_orders_per_s)"
printf '%-58s %s\n' "  every run: RabbitMQ" "$(all_values rabbitmq_orders_per_s rabbitmq_orders_per_s)"
printf '%-58s %s\n' "  every run: Redis" "$(all_values redis_orders_per_s redis_orders_per_s)"
printf '%-58s %s\n' "purchase flow orders/s (create -> pay -> completed)" "$(fig purchase_orders_per_s)"
printf '%-58s %s / %s / %s\n' "delay queue 1M: insert/s orderd timers / RabbitMQ TTL+DLX / Redis ZSET" \
  "$(fig timer_insert_per_s)" "$(fig rabbitmq_delay_publish_per_s)" "$(fig redis_delay_insert_per_s)"
printf '%-58s %s / %s / %s\n' "delay queue 1M: memory KiB orderd RssAnon / RabbitMQ queue / Redis" \
  "$(fig timers_1M_rss_anon_kb)" "$(kib rabbitmq_delay_queue_bytes)" "$(kib redis_used_memory_bytes)"
echo "ratio_vs_rabbitmq=$(ratio "$ORDERD" "$RMQ") ratio_vs_redis=$(ratio "$ORDERD" "$RDS") group_commit_vs_lmdb_limit=$(fig group_commit_vs_lmdb_limit) group_commit_saturated_vs_lmdb_limit=$(fig group_commit_saturated_vs_lmdb_limit) timer_burst_p99_ms=$(fig timer_burst_p99_ms) timers_10M_ready_ms=$(fig timers_10M_ready_ms)"
rm -f "$OUT"
