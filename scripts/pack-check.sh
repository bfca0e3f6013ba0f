#!/usr/bin/env bash
# Install-from-tarball check: `npm pack`, install the tarball into a temp prefix as a user would, and run the
# installed `skill-sync` (--version, validate examples/skills) from outside the repo, so nothing from the working
# tree (lib/, node_modules/) can stand in for what the tarball lacks.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/skill-sync-pack-check.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# prepack clears lib/ and prepare rebuilds it, so the tarball holds a build of exactly these sources.
tgz="$(npm pack --silent --pack-destination "$tmp" | tail -n 1)"
echo "packed $tgz ($(du -k "$tmp/$tgz" | cut -f1) KiB, $(tar tzf "$tmp/$tgz" | wc -l) files)"
if tar tzf "$tmp/$tgz" | grep -Eq '^package/(test|dist|action|bench|node_modules)/|\.map$|\.test\.'; then
  echo "pack-check: the tarball holds files a user does not need:" >&2
  tar tzf "$tmp/$tgz" | grep -E '^package/(test|dist|action|bench|node_modules)/|\.map$|\.test\.' | head >&2
  exit 1
fi

# A clean global prefix and an empty project folder: only the tarball and the registry's dependencies.
prefix="$tmp/prefix"
npm install --global --prefix "$prefix" --no-audit --no-fund --loglevel=error "$tmp/$tgz"
bin="$prefix/bin/skill-sync"
mkdir "$tmp/elsewhere" && cp -R examples/skills "$tmp/elsewhere/skills"
cd "$tmp/elsewhere"

want="$(node -p 'require(process.argv[1]).version' "$here/package.json")"
got="$("$bin" --version)"
[[ "$got" == "$want" ]] || { echo "pack-check: --version printed '$got', want '$want'" >&2; exit 1; }
echo "skill-sync --version: $got"
"$bin" validate skills
"$bin" validate skills --json | node -e '
  const r = JSON.parse(require("fs").readFileSync(0, "utf8"));
  if (r.v !== 1 || !(r.counts.skills > 0) || r.counts.errors !== 0) throw new Error("unexpected report: " + JSON.stringify(r.counts));'
# The state store's native SQLite binding came from the registry, not from the repo's node_modules.
"$bin" state set check:pack ok --db "$tmp/state.db"
[[ "$("$bin" state get check:pack --db "$tmp/state.db")" == ok ]] || { echo "pack-check: state store failed" >&2; exit 1; }
echo "pack-check: ok"
