#!/bin/sh
# Runs the skill-sync receiver next to the gateway in one container; if either exits, the container exits.
set -eu
DATA_DIR="${DATA_DIR:-/data}"
# The live folder itself is made by the receiver; only its parent must exist (docs/railway.md).
mkdir -p "$DATA_DIR/skill-sync" "$(dirname "${SKILLS_DIR:-$DATA_DIR/skills}")"
# Railway's PORT belongs to the gateway; the receiver gets its own.
PORT="${SKILL_SYNC_PORT:-8787}" skill-sync receiver &
receiver=$!
"$@" &
gateway=$!
trap 'kill -TERM "$receiver" "$gateway" 2>/dev/null' TERM INT
# Whichever ends first ends the container, so Railway restarts both together.
while kill -0 "$receiver" 2>/dev/null && kill -0 "$gateway" 2>/dev/null; do sleep 2; done
kill -TERM "$receiver" "$gateway" 2>/dev/null || true
wait
