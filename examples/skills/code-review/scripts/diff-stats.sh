#!/usr/bin/env sh
# Print changed files against a base ref with added/removed line counts, largest change first.
set -eu
base="${1:-origin/main}"
git diff --numstat "$base"...HEAD | awk '{ print $1 + $2 "\t+" $1 "\t-" $2 "\t" $3 }' | sort -rn | cut -f2-
