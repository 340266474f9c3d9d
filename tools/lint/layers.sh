#!/usr/bin/env bash
# pnpm check:layers            imports and package.json files against tools/lint/layers.mjs
# pnpm check:layers:baseline   record the import violations left now as known (the debt list)
#
# Known violations (tools/lint/depcruise-known-violations.json for imports,
# tools/lint/manifest-known-problems.json for package.json files) are the list of what is left to
# fix: they are reported but do not fail the check; new ones do.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=tools/lint/node_modules/.bin
if [ ! -x "$bin/depcruise" ]; then
  echo "check:layers: dependency-cruiser is not installed in tools/lint; run 'pnpm install' at the repository root" >&2
  exit 2
fi
known=tools/lint/depcruise-known-violations.json
config=(--config tools/lint/depcruise.config.mjs)
case "${1:-check}" in
  check)
    status=0
    node tools/lint/check-manifests.mjs || status=1
    if [ -s "$known" ]; then ignore=(--ignore-known "$known"); else ignore=(); fi
    "$bin/depcruise" "${config[@]}" "${ignore[@]}" --output-type err-long packages benchmarks || status=1
    exit $status ;;
  --baseline)
    node tools/lint/check-manifests.mjs --baseline
    "$bin/depcruise" "${config[@]}" --output-type baseline --output-to "$known" packages benchmarks
    node -e 'console.log(`check:layers: ${require(process.argv[1]).length} known import violation(s) recorded in '"$known"'`)' "$PWD/$known" ;;
  *) echo "usage: tools/lint/layers.sh [check|--baseline]" >&2; exit 2 ;;
esac
