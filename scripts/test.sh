#!/usr/bin/env bash
# The whole test suite, as `npm test` runs it: typecheck, build the binary, run every test under
# test/ (unit, integration, and the compiled binary), then print one line: "N passed, N failed".
# Needs only Node.js and `npm ci`: Bun and TypeScript come from node_modules.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# `npm test` already puts node_modules/.bin first; running this script directly should work too.
export PATH="$root/node_modules/.bin:$PATH"

for tool in bun tsc; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "test.sh: $tool not found in node_modules/.bin; run 'npm ci' first" >&2
    exit 1
  fi
done

# The browser test drives Debian's chromium. Install it when missing and allowed to; otherwise say
# why it is missing (the browser test then fails and names it).
ensure_chromium() {
  if [[ -x /usr/bin/chromium ]]; then
    return 0
  fi
  if [[ "$(id -u)" -ne 0 ]]; then
    echo "test.sh: /usr/bin/chromium is missing and this is not root, so it cannot be installed here;" >&2
    echo "test.sh: install it with: sudo apt-get install -y chromium   (the browser test needs it)" >&2
    return 0
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: /usr/bin/chromium is missing and apt-get is not available; install chromium (the browser test needs it)" >&2
    return 0
  fi
  echo "test.sh: installing chromium (apt-get) for the browser test" >&2
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; } >&2; then
    echo "test.sh: could not install chromium with apt-get; the browser test will fail" >&2
  fi
}

echo "test.sh: typecheck" >&2
if ! tsc --noEmit -p .; then
  echo "test.sh: the typecheck failed; no test was run" >&2
  exit 1
fi
echo "test.sh: build dist/sfu-gateway" >&2
if ! bun run build; then
  echo "test.sh: the build of dist/sfu-gateway failed; no test was run" >&2
  exit 1
fi
ensure_chromium

log="$(mktemp)"
trap 'rm -f "$log"' EXIT

# Bun prints its report on stderr; keep it visible and keep a copy to read the counts from.
# The per-test timeout is given here: bun test does not read one from bunfig.toml.
set +e
bun test --timeout=30000 ./test 2>&1 | tee "$log"
status="${PIPESTATUS[0]}"
set -e

# Bun's own summary lines: " 246 pass" and " 0 fail" (the last ones, in case a test prints alike).
passed="$(grep -E '^ *[0-9]+ pass$' "$log" | tail -n 1 | tr -dc '0-9' || true)"
failed="$(grep -E '^ *[0-9]+ fail$' "$log" | tail -n 1 | tr -dc '0-9' || true)"
if [[ -z "$passed" || -z "$failed" ]]; then
  echo "test.sh: could not read the pass/fail counts from bun test (exit status $status)" >&2
  exit 1
fi
# Errors thrown outside any test (" 1 error") count as failures too.
errors="$(grep -E '^ *[0-9]+ errors?$' "$log" | tail -n 1 | tr -dc '0-9' || true)"
failed=$((failed + ${errors:-0}))
if [[ "$status" -ne 0 && "$failed" -eq 0 ]]; then
  echo "test.sh: bun test exited with status $status although it counted no failed test" >&2
fi
echo "$passed passed, $failed failed"
if [[ "$status" -ne 0 || "$failed" -ne 0 ]]; then
  exit 1
fi
