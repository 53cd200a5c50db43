#!/usr/bin/env bash
# fuzz.sh — builds the libFuzzer targets (tests/fuzz/CMakeLists.txt, clang-14,
# ASan + UBSan) and runs each of them.
#
#   fuzz.sh build OUT   only builds the targets (`make test` does this before ctest)
#   fuzz.sh smoke OUT   every seed input once, then FUZZ_SMOKE_SECONDS (default 10)
#                       of fuzzing per target; new inputs go to a temp dir (ctest
#                       test fuzz.smoke, part of `make test`)
#   fuzz.sh long OUT    FUZZ_SECONDS (default 120) per target; the corpus grows in
#                       OUT/corpus/<target> and is reused by the next run (`make fuzz`)
#
# OUT is the fuzz build directory (e.g. build/fuzz). A crashing input is kept
# as OUT/artifacts/<target>-crash-<sha1>; replay it with `OUT/fuzz_<target> FILE`.
# Exit: 0 clean; 1 a target failed; 77 clang-14 or libFuzzer is not installed
# (ctest reports the test as skipped; `make test` installs them).
set -euo pipefail

mode=${1:?usage: fuzz.sh build|smoke|long OUT}
out=${2:?usage: fuzz.sh build|smoke|long OUT}
here=$(cd "$(dirname "$0")" && pwd)
targets=(http_request json_bodies signature rows)

if ! command -v clang++-14 >/dev/null; then
  echo "fuzz.sh: clang++-14 is not installed (apt-get install clang-14 libclang-rt-14-dev)"
  exit 77
fi
if [ ! -e "$(clang++-14 --print-runtime-dir)/libclang_rt.fuzzer-x86_64.a" ]; then
  echo "fuzz.sh: libFuzzer is not installed (apt-get install libclang-rt-14-dev)"
  exit 77
fi

case "$mode" in
  smoke) seconds=${FUZZ_SMOKE_SECONDS:-10} ;;
  long) seconds=${FUZZ_SECONDS:-120} ;;
  build) seconds=0 ;;
  *) echo "fuzz.sh: unknown mode $mode (build|smoke|long)"; exit 2 ;;
esac

export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(cd "$here/../.." && pwd)}
if [ ! -f "$out/build.ninja" ]; then
  cmake -S "$here" -B "$out" -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 >/dev/null
fi
cmake --build "$out" -j "${FUZZ_JOBS:-2}"
[ "$mode" = build ] && exit 0

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$out/artifacts"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

declare -A max_len=([http_request]=8192 [json_bodies]=4096 [signature]=5000 [rows]=4096)
declare -A dict=([http_request]=http.dict [json_bodies]=json.dict [signature]=signature.dict [rows]=rows.dict)

failed=0
summary=()
for t in "${targets[@]}"; do
  if [ "$mode" = long ]; then work="$out/corpus/$t"; else work="$scratch/$t"; fi
  mkdir -p "$work"
  log="$out/fuzz_$t.log"
  echo "fuzz: $t for ${seconds}s (seeds: tests/fuzz/corpus/$t, log: $log)"
  set +e
  "$out/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="${max_len[$t]}" \
    -dict="$here/${dict[$t]}" -artifact_prefix="$out/artifacts/$t-" -print_final_stats=1 \
    "$work" "$here/corpus/$t" >"$log" 2>&1
  rc=$?
  set -e
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  if [ "$rc" -ne 0 ]; then
    failed=1
    summary+=("$t: FAILED (exit $rc) after ${runs:-?} executions; see $log")
    grep -E "ERROR: |runtime error|FUZZ_CHECK|Test unit written|SUMMARY" "$log" | head -20 || true
  else
    summary+=("$t: ${runs:-?} executions in ${secs:-$seconds} s, no crash (corpus $(ls "$work" | wc -l) new + $(ls "$here/corpus/$t" | wc -l) seeds)")
  fi
done

echo "fuzz summary ($mode):"
printf '  %s\n' "${summary[@]}"
exit "$failed"
