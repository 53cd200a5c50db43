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
#   rabbitmq  (later) the same closed-loop durable enqueue against RabbitMQ
#   redis     (later) the same against Redis with appendfsync always
# Each section prints its table and ends with one line of key=value figures.
# Knobs: ORDERD_BENCH_SECONDS (per measurement, default 2),
#        ORDERD_BENCH_TIMERS (default 10000000), ORDERD_BENCH_TIMER_INSERT_S (300),
#        BENCH_SECTIONS (default "engine recharge rabbitmq redis").
set -euo pipefail

BUILD_DIR=${1:-build}
SECTIONS=${BENCH_SECTIONS:-"engine recharge purchase rabbitmq redis"}

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

run_rabbitmq() {
  section "rabbitmq: durable publish with confirms"
  echo "skipped: not yet implemented"
}

run_redis() {
  section "redis: LPUSH with appendfsync always"
  echo "skipped: not yet implemented"
}

for s in $SECTIONS; do
  case "$s" in
    engine) run_engine ;;
    recharge) run_recharge ;;
    purchase) run_purchase ;;
    rabbitmq) run_rabbitmq ;;
    redis) run_redis ;;
    *) echo "unknown section: $s" >&2; exit 2 ;;
  esac
done
