#!/usr/bin/env bash
# pnpm lint            check (type-aware ESLint over packages/ and benchmarks/)
# pnpm lint:fix        apply the safe autofixes (type imports, needless assertions, …), then check
# pnpm lint:baseline   record every finding still left in eslint-suppressions.json (the debt list)
#
# Findings recorded in tools/lint/eslint-suppressions.json (per file and rule, with counts) do not
# fail the check; any new one does. The file is the list of what is left to fix: shrink it, never
# grow it by hand. After fixing some, `pnpm lint:baseline` prunes it.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=tools/lint/node_modules/.bin
if [ ! -x "$bin/eslint" ]; then
  echo "lint: ESLint is not installed in tools/lint; run 'pnpm install' at the repository root" >&2
  exit 2
fi
suppressions=tools/lint/eslint-suppressions.json
args=(--config tools/lint/eslint.config.js --max-warnings 0)
if [ -f "$suppressions" ]; then args+=(--suppressions-location "$suppressions"); fi
case "${1:-check}" in
  check | --fix)
    fix=(); if [ "${1:-}" = --fix ]; then fix=(--fix); fi
    if ! "$bin/eslint" "${args[@]}" "${fix[@]}" --pass-on-unpruned-suppressions packages benchmarks; then
      echo "lint: new findings above. 'pnpm lint:fix' applies the safe autofixes, 'pnpm lint:private-fields'" >&2
      echo "      rewrites 'private' members as '#private'; the rules and why: tools/lint/README.md" >&2
      exit 1
    fi ;;
  --baseline)
    rm -f "$suppressions"
    "$bin/eslint" "${args[@]}" --suppressions-location "$suppressions" --suppress-all packages benchmarks
    node -e '
      const s = require(process.argv[1]); let n = 0;
      for (const rules of Object.values(s)) for (const r of Object.values(rules)) n += r.count;
      console.log(`lint: ${n} finding(s) in ${Object.keys(s).length} file(s) recorded in ${process.argv[1]}`);
    ' "$PWD/$suppressions" ;;
  *) echo "usage: tools/lint/lint.sh [check|--fix|--baseline]" >&2; exit 2 ;;
esac
