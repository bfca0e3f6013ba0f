#!/usr/bin/env bash
# Moves the major tag (v1) to a release tag (v1.2.3) so `uses: kurultai/skill-sync@v1` picks it up.
# usage: scripts/release.sh v1.2.3 [--push]
set -euo pipefail
tag="${1:?usage: scripts/release.sh vX.Y.Z [--push]}"
[[ "$tag" =~ ^v([0-9]+)\.[0-9]+\.[0-9]+$ ]] || { echo "not a semver tag: $tag" >&2; exit 2; }
major="v${BASH_REMATCH[1]}"
git rev-parse -q --verify "refs/tags/$tag" >/dev/null || git tag -a "$tag" -m "$tag"
git tag -fa "$major" -m "$major -> $tag" "$tag^{commit}"
echo "moved $major to $tag ($(git rev-parse --short "$tag^{commit}"))"
if [ "${2:-}" = "--push" ]; then
  git push origin "$tag"
  git push --force origin "$major"
fi
