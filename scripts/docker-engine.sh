#!/usr/bin/env bash
# Makes sure a Docker engine answers: installs Debian's docker.io when dockerd
# is missing and starts dockerd when nothing answers. Needs root for both;
# does nothing when an engine already answers (Docker Desktop, systemd, ...).
set -euo pipefail
log() { printf 'docker-engine: %s\n' "$*" >&2; }

if docker info >/dev/null 2>&1; then
  log "an engine answers"; exit 0
fi
if ! command -v dockerd >/dev/null; then
  log "installing Debian's docker.io"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq docker.io debootstrap >/dev/null
fi
if command -v systemctl >/dev/null && systemctl start docker 2>/dev/null && docker info >/dev/null 2>&1; then
  log "started docker with systemd"; exit 0
fi
log "starting dockerd (log: /var/log/coach-dockerd.log)"
nohup dockerd >/var/log/coach-dockerd.log 2>&1 &
for _ in $(seq 1 60); do
  docker info >/dev/null 2>&1 && { log "engine up"; exit 0; }
  sleep 1
done
log "dockerd did not answer within 60s:"; tail -20 /var/log/coach-dockerd.log >&2
exit 1
