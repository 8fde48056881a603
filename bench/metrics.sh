#!/usr/bin/env bash
# bench/metrics.sh — what the Prometheus metrics cost on the request path: the compiled binary with
# metrics (the default) and with SFU_GATEWAY_METRICS=false, side by side in one run of the shared
# benchmark (../shared/bench/run-bench.sh), with rust-gateway and bun-raw as yardsticks.
#
#   bench/metrics.sh                  # from anywhere; extra arguments go to run-bench.sh (--duration 20 ...)
#   bench/metrics.sh --distinct       # every request distinct (see below)
#
# The harness sends one and the same request (one token, so one issuer) on every connection, and
# the gateway coalesces identical requests in flight (same issuer and caller share one SFU call):
# most answers then cost no SFU call and no upstream histogram update, and run-bench.sh's check "one
# SFU call per answer" fails for both sfu-gateway rows. --distinct runs a copy of the harness (in a
# temporary folder; the shared one is left alone) whose wrk script cycles through 256 tokens of
# distinct issuers (minted with the run's gateway key): with 32 connections no two requests in
# flight are identical, every answer is forwarded, as with real Odoo traffic, and the check passes.
#
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="$root/node_modules/.bin:$PATH"
# The harness may be read-only: its builds (mock SFUs, rust-gateway) and results live here.
export BENCH_BUILD="${BENCH_BUILD:-/tmp/sfu-bench-build}"
harness="${BENCH_HARNESS:-$root/../shared/bench}"
[[ -x "$harness/run-bench.sh" ]] || { echo "metrics.sh: $harness/run-bench.sh not found (set BENCH_HARNESS)" >&2; exit 1; }

distinct=0
args=()
for arg in "$@"; do
  if [[ "$arg" == --distinct ]]; then distinct=1; else args+=("$arg"); fi
done
label=metrics
if ((distinct)); then
  label=metrics-distinct
  copy="$(mktemp -d "${TMPDIR:-/tmp}/sfu-bench-harness.XXXXXX")"
  trap 'rm -rf "$copy"' EXIT
  cp -r "$harness/run-bench.sh" "$harness/lib" "$harness/bun-raw-gateway" "$copy/"
  cat >>"$copy/lib/common.sh" <<'SH'

# Added by sfu-gateway's bench/metrics.sh --distinct: 256 tokens of distinct issuers for wrk.
eval "harness_$(declare -f setup_keys)"
setup_keys() {
  harness_setup_keys
  local i
  for i in $(seq 1 256); do
    "$BIN/jwt-mint" --key "$GW_KEY" --ttl $((30 * 24 * 3600)) --iss "bench-$i" --claim-key bench-recording-key
  done >"$WORK/tokens.txt"
  export BENCH_TOKENS_FILE="$WORK/tokens.txt"
}
SH
  cat >>"$copy/lib/wrk-channel.lua" <<'LUA'

-- Added by sfu-gateway's bench/metrics.sh --distinct: each request carries the next of the tokens
-- in $BENCH_TOKENS_FILE (distinct issuers), so no gateway can coalesce requests in flight.
local requests = nil
local next_index = 0
function request()
  if requests == nil then
    requests = {}
    for line in io.lines(os.getenv("BENCH_TOKENS_FILE")) do
      requests[#requests + 1] = wrk.format(nil, nil, { Authorization = "Bearer " .. line })
    end
  end
  next_index = next_index % #requests + 1
  return requests[next_index]
end
LUA
  harness="$copy"
fi

# Test suites, and other benchmarks (they would share the cores); `[b]un test` does not match the grep itself.
tests_running() { ps -eo args= | grep -cE '[b]un test|[r]un-bench\.sh|[b]reakdown\.sh|^[w]rk |[b]un (run )?bench/' || true; }
# Whole-machine busy time over 3 s, in percent (catches load that is no test suite).
busy_percent() {
  local a b
  a=$(awk '$1=="cpu"{t=0; for(i=2;i<=9;i++) t+=$i; print t-$5-$6, t}' /proc/stat)
  sleep 3
  b=$(awk '$1=="cpu"{t=0; for(i=2;i<=9;i++) t+=$i; print t-$5-$6, t}' /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN{split(a, x, " "); split(b, y, " "); d = y[2] - x[2]; if (d <= 0) d = 1; printf "%d", 100 * (y[1] - x[1]) / d}'
}
busy() { (( $(tests_running) > 0 )) || (( $(busy_percent) > ${BENCH_MAX_BUSY:-20} )); }
waited=0
while busy; do
  if (( waited >= 600 )); then
    if [[ "${BENCH_FORCE:-}" == 1 ]]; then echo "metrics.sh: tests still running after 10 minutes; BENCH_FORCE=1: going on" >&2; break; fi
    echo "metrics.sh: tests still running after 10 minutes; not benchmarking on a busy machine (BENCH_FORCE=1 to insist)" >&2
    exit 1
  fi
  echo "metrics.sh: $(tests_running) bun test / benchmark process(es) running, or the CPUs are busy; waiting 30 s" >&2
  sleep 30
  waited=$((waited + 30))
done

bun run build >&2
out="$BENCH_BUILD/results/$label-$(date +%Y%m%d-%H%M%S)"
status=0
"$harness/run-bench.sh" \
  --gateway "gw-metrics:./dist/sfu-gateway:8071" \
  --gateway "gw-nometrics:env SFU_GATEWAY_METRICS=false ./dist/sfu-gateway:8072" \
  --gateway rust-gateway \
  --gateway bun-raw \
  --out "$out" "${args[@]}" || status=$?

# results.psv: name|rps|p50|p90|p99|non2xx|errors|rss_mib|cold_ms|gw_cpu|cpu_us_req|...
if [[ -f "$out/results.psv" ]]; then
  awk -F'|' '
    $1 == "gw-metrics" { rps1 = $2; us1 = $11; p991 = $5 }
    $1 == "gw-nometrics" { rps0 = $2; us0 = $11; p990 = $5 }
    END {
      if (rps0 > 0 && us0 > 0 && rps1 != "" && us1 != "")
        printf "\nmetrics cost: %+.1f %% req/s, %+.1f us CPU per request (%+.1f %%), p99 %s ms vs %s ms (with vs without)\n",
          100 * (rps1 - rps0) / rps0, us1 - us0, 100 * (us1 - us0) / us0, p991, p990
    }' "$out/results.psv" | tee -a "$out/table.txt"
fi

# The same cost without the harness's noise: the metric updates one channel request makes
# (http_requests_total, channel_requests_total, one upstream histogram observation), in process,
# pinned to one core, metrics on and off; median of 5 rounds of 1 000 000.
micro="$(mktemp "${TMPDIR:-/tmp}/sfu-metrics-micro.XXXXXX.ts")"
cat >"$micro" <<TS
import { Metrics } from "$root/src/observability/metrics.ts";
const source = { sfus: () => [], generation: () => 1, pins: () => new Map<string, number>(), ready: () => true, inflight: () => 0 };
const SFU = "http://127.0.0.1:19001";
const median = (values: number[]) => values.sort((a, b) => a - b)[values.length >> 1]!;
for (const enabled of [true, false]) {
  const metrics = new Metrics(source, enabled);
  const rounds: number[] = [];
  for (let round = 0; round < 6; round++) {
    const started = performance.now();
    for (let i = 0; i < 1_000_000; i++) {
      metrics.httpRequest("/v1/channel", 200);
      metrics.channelRequest("eu-west", SFU, 200);
      metrics.upstream(SFU, "ok", 0.0002 + (i % 13) * 0.0004);
    }
    // Milliseconds for a million requests: nanoseconds per request. The first round warms up.
    if (round > 0) rounds.push(performance.now() - started);
  }
  console.log(\`metric updates per channel request, metrics \${enabled ? "on: " : "off:"} \${median(rounds).toFixed(0)} ns\`);
}
TS
taskset -c 1 bun "$micro" | tee -a "$out/table.txt" || true
rm -f "$micro"
exit "$status"
