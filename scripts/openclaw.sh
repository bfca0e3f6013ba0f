#!/usr/bin/env bash
# Installs the pinned OpenClaw gateway (npm `openclaw`, the oracle the differential suite and the end-to-end
# tests ask) into .cache/ and prints the path of its `openclaw.mjs`; a no-op when already there. The gateway
# runs on Node 24 (scripts/node24.sh). Bump OPENCLAW_VERSION here only: everything else reads it from this file.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="${OPENCLAW_VERSION:-2026.9.6}"
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
