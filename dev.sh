#!/usr/bin/env bash
# The Quick start's one entry point: `./dev.sh demo` and `./dev.sh test` work on a fresh clone of a
# fresh machine. It picks pnpm 12.4.2 (the global one if it is that version, else through npx;
# corepack does not work on these machines), points node-gyp at Node's own headers so the sqlite3
# addon compiles offline, installs from the lockfile, then runs the root script of that name.
set -euo pipefail
cd "$(dirname "$0")"

PNPM_VERSION=12.4.2
if command -v pnpm >/dev/null 2>&1 && [[ "$(pnpm --version 2>/dev/null)" == "$PNPM_VERSION" ]]; then
  pnpm=(pnpm)
else
  pnpm=(npx --yes "pnpm@$PNPM_VERSION")
fi

# node-gyp would otherwise try to download headers (no network here); Node's prefix has them.
node_prefix="$(dirname "$(dirname "$(command -v node)")")"
export npm_config_nodedir="${npm_config_nodedir:-$node_prefix}"
export TURBO_TELEMETRY_DISABLED=1

cmd="${1:-demo}"
shift || true
if [[ -f pnpm-lock.yaml && "${CI:-}" == "true" ]]; then
  "${pnpm[@]}" install --frozen-lockfile
else
  "${pnpm[@]}" install
fi
exec "${pnpm[@]}" run "$cmd" "$@"
