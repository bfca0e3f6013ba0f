#!/bin/sh
# Prepares the data volume (Railway mounts it root-owned), then drops to the unprivileged `node` user.
set -eu
DATA_DIR="${DATA_DIR:-/data}"
if [ "$(id -u)" = "0" ]; then
  mkdir -p "$DATA_DIR/skill-sync"
  chown node:node "$DATA_DIR" "$DATA_DIR/skill-sync"
  exec gosu node "$@"
fi
exec "$@"
