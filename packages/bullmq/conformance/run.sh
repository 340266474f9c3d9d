#!/usr/bin/env bash
# Runs BullMQ's own test suite (the BullMQ 6.2.0 backend-agnostic files in
# shared/conformance/bullmq) against @seglog/bullmq. Extra arguments go to run.sh
# (test names such as `queue worker`, --json FILE, ...). Needs `pnpm build` first.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shared/ sits beside the repository (CI: beside the fresh clone); a git worktree sits one level deeper.
SUITE="${BULLMQ_CONFORMANCE_SUITE:-}"
if [[ -z "$SUITE" ]]; then
  for candidate in "$HERE/../../../../shared" "$HERE/../../../../../shared"; do
    if [[ -f "$candidate/conformance/bullmq/run.sh" ]]; then SUITE="$(cd "$candidate/conformance/bullmq" && pwd)"; break; fi
  done
fi
[[ -n "$SUITE" && -f "$SUITE/run.sh" ]] || { echo "conformance suite not found (set BULLMQ_CONFORMANCE_SUITE)" >&2; exit 2; }
exec bash "$SUITE/run.sh" "$HERE/backend.mjs" "$@"
