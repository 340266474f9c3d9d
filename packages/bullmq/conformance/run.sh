#!/usr/bin/env bash
# Runs BullMQ's own test suite (the BullMQ 6.2.0 backend-agnostic files vendored in
# conformance/vendor: harness, suite, LICENSE and NOTICE; see vendor/VENDORED.md) against
# @seglog/bullmq. Extra arguments go to the harness (test names such as `queue worker`,
# --json FILE, ...). Needs `pnpm build` first (backend.mjs loads dist/). BULLMQ_CONFORMANCE_SUITE
# points at another copy of the harness (a folder holding run.sh) instead of the vendored one.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SUITE="${BULLMQ_CONFORMANCE_SUITE:-$HERE/vendor}"
[[ -f "$SUITE/run.sh" ]] || { echo "conformance harness not found: $SUITE/run.sh" >&2; exit 2; }
[[ -f "$HERE/../dist/index.js" ]] || { echo "conformance: @seglog/bullmq is not built; run 'pnpm build' first" >&2; exit 2; }
# `pnpm ... conformance -- queue worker` hands the script a leading `--`: it is pnpm's, not the
# harness's (whose own `--` starts vitest's arguments).
if [[ "${1:-}" == "--" ]]; then shift; fi
exec bash "$SUITE/run.sh" "$HERE/backend.mjs" "$@"
