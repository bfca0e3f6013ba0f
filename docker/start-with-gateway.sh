#!/bin/sh
# Runs the skill-sync receiver next to the gateway in one container; if either exits, the container exits.
# The gateway never sees the receiver's variables; as root the receiver drops to its own user, and so does the
# gateway when SKILL_SYNC_GATEWAY_USER names one: only then can it not read the receiver's /proc (docs/security.md).
set -eu
DATA_DIR="${DATA_DIR:-/data}"
RECEIVER_USER="${SKILL_SYNC_RECEIVER_USER:-skill-sync}"
# Unset: the gateway runs as the container's user, as it always has (docs/railway.md).
GATEWAY_USER="${SKILL_SYNC_GATEWAY_USER:-}"
# The receiver's settings. Agent tools run inside the gateway; with SKILL_SYNC_HMAC_SECRETS one could sign
# bundles, with MANUAL_SYNC_API_KEY roll back, with the tokens and passwords reach GitHub and Neo4j.
# OPENCLAW_GATEWAY_TOKEN and OPENCLAW_GATEWAY_URL stay: they are the gateway's own.
RECEIVER_VARS="MANUAL_SYNC_API_KEY GITHUB_TOKEN GITHUB_OWNER GITHUB_REPO GITHUB_API_URL GITHUB_TIMEOUT_MS
  NEO4J_URI NEO4J_USER NEO4J_USERNAME NEO4J_PASSWORD NEO4J_DATABASE ALERT_WEBHOOK_URL HEALTHCHECK_URL
  HEALTHCHECK_TIMEOUT_MS HEALTHCHECK_RETRIES HEALTHCHECK_INTERVAL_MS RELOAD_URL RELOAD_FILE DEPLOY_STRATEGY
  KEEP_RELEASES MAX_BUNDLE_BYTES MAX_ENVELOPE_BYTES MAX_FILE_SIZE VALIDATION_PROFILE POLLING_INTERVAL_MIN
  POLL_DOWNLOAD_DEADLINE_MS SYNC_DATA_ROOT GATEWAY_CHECK GATEWAY_SETTLE_TIMEOUT_MS RATE_LIMIT_DEPLOYMENTS_PER_MIN
  RATE_LIMIT_AUTH_FAILURES_PER_MIN CLIENT_IP_HEADER"

root=false
[ "$(id -u)" = "0" ] && root=true
# As root (the image's default) the receiver drops to its own user; so does the gateway when
# SKILL_SYNC_GATEWAY_USER names one, and then it can neither read the receiver's environment through /proc
# nor write its state. Anyone else runs both as themselves.
as() {
  user="$1"
  shift
  if $root && [ -n "$user" ] && id "$user" >/dev/null 2>&1; then exec gosu "$user" "$@"; fi
  exec "$@"
}

# The live folder itself is made by the receiver; only its parent must exist (docs/railway.md).
SKILLS_PARENT="$(dirname "${SKILLS_DIR:-$DATA_DIR/skills}")"
mkdir -p "$DATA_DIR/skill-sync" "$SKILLS_PARENT"
if $root && id "$RECEIVER_USER" >/dev/null 2>&1; then
  # Railway mounts the volume root-owned, and earlier versions wrote as root: the receiver owns its folder and
  # the live skills (readable by all), including what is already there.
  chown -R "$RECEIVER_USER" "$DATA_DIR/skill-sync"
  if [ -e "${SKILLS_DIR:-$DATA_DIR/skills}" ]; then chown -R "$RECEIVER_USER" "${SKILLS_DIR:-$DATA_DIR/skills}"; fi
  # The parent is shared with the gateway (its managed skills folder): the receiver only needs to create in it.
  chown "$RECEIVER_USER" "$SKILLS_PARENT"
  chmod 0755 "$DATA_DIR/skill-sync" "$SKILLS_PARENT"
  # A separate gateway user keeps the seed-004 state store in a folder of its own (STATE_DB).
  if [ -n "$GATEWAY_USER" ] && id "$GATEWAY_USER" >/dev/null 2>&1; then
    mkdir -p "$DATA_DIR/state"
    chown "$GATEWAY_USER" "$DATA_DIR/state"
  fi
fi

# Both see the same STATE_DB, so the receiver protects the store the gateway's generators use (SYNC.json outputs).
if [ -n "$GATEWAY_USER" ]; then export STATE_DB="${STATE_DB:-$DATA_DIR/state/state.db}"; fi

# Railway's PORT belongs to the gateway; the receiver gets its own.
(
  export PORT="${SKILL_SYNC_PORT:-8787}"
  # The receiver's garbage budget collects by hand only when Node starts with --expose-gc (docs/decisions.md).
  export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--expose-gc"
  as "$RECEIVER_USER" skill-sync receiver
) &
receiver=$!
(
  for v in $RECEIVER_VARS $(env | sed -n 's/^\(SKILL_SYNC_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
  as "$GATEWAY_USER" "$@"
) &
gateway=$!
trap 'kill -TERM "$receiver" "$gateway" 2>/dev/null' TERM INT
# Whichever ends first ends the container, so Railway restarts both together.
while kill -0 "$receiver" 2>/dev/null && kill -0 "$gateway" 2>/dev/null; do sleep 2; done
kill -TERM "$receiver" "$gateway" 2>/dev/null || true
wait
