#!/usr/bin/env bash
# Installs the pinned OpenClaw gateway (npm `openclaw`, the oracle the differential suite and the end-to-end
# tests ask) into .cache/ and prints the path of its `openclaw.mjs`; a no-op when already there. The gateway
# runs on Node 24 (scripts/node24.sh). The version is pinned once, in core/gateway/pin.ts.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pinned="$(sed -n "s/^export const OPENCLAW_VERSION = '\(.*\)';$/\1/p" "$here/core/gateway/pin.ts")"
[[ -n "$pinned" ]] || { echo "openclaw: no OPENCLAW_VERSION in core/gateway/pin.ts" >&2; exit 1; }
version="${OPENCLAW_VERSION:-$pinned}"
dir="$here/.cache/openclaw-$version"
entry="$dir/node_modules/openclaw/openclaw.mjs"
if [[ ! -f "$entry" || ! -f "$dir/.installed" ]]; then
  rm -rf "$dir" && mkdir -p "$dir"
  # --ignore-scripts: no install script of the gateway's dependency tree runs on this machine.
  printf '{"name":"openclaw-pin","private":true}\n' >"$dir/package.json"
  (cd "$dir" && npm install --silent --ignore-scripts --no-audit --no-fund --no-save "openclaw@$version" >&2)
  touch "$dir/.installed"
fi
got="$(node -p "require('$dir/node_modules/openclaw/package.json').version")"
[[ "$got" == "$version" ]] || { echo "openclaw: $entry is $got, not $version" >&2; exit 1; }
echo "$entry"
