#!/usr/bin/env bash
# Makes sure Podman's Docker-compatible API answers at $PODMAN_SOCK (default
# /run/podman/podman.sock), beside Docker, and that it holds coach's runtime
# images: installs Debian's podman when missing, starts `podman system
# service` when nothing answers, copies the images from Docker when Podman
# lacks them or has other ones. Needs root; idempotent. Docker is untouched.
#
#   DOCKER_HOST=unix:///run/podman/podman.sock coach check step-1
#
# Settings, and why (docs/decisions.md, "Podman"):
# - catatonit: Podman's --init binary (/usr/libexec/podman/catatonit). Debian's
#   podman only recommends "catatonit | tini | dumb-init", and docker.io's tini
#   satisfies that, so without it every server container fails: "container-init
#   binary not found on the host".
# - --cgroup-manager=cgroupfs: no systemd runs here (Podman would pick
#   cgroupfs itself; saying so keeps it from trying systemd first).
# - --events-backend=file: no journald here.
# - storage: overlay, Podman's default; this machine's ext4 supports it (d_type,
#   native overlay diff), as Docker's overlay2 shows. vfs would copy every layer.
# - networks: netavark (Debian's default backend) with the default "podman"
#   bridge; builds need it (npm, the Go proxy), runs use none.
# - short names: coach's images are short names (node:22-bookworm-slim); the
#   compat API resolves them to docker.io/library/..., so the copies are tagged
#   with those names. No registries.conf change is needed.
# - working directory /run/podman: conmon 2.1.6 drops an empty "oom" marker file
#   in the service's working directory on every out-of-memory kill (where Podman
#   4.3 does not look for it), so the service must not run in a source tree.
set -euo pipefail

SOCK=${PODMAN_SOCK:-/run/podman/podman.sock}
LOG=/var/log/coach-podman.log
IMAGES=(${COACH_NODE_IMAGE:-node:22-bookworm-slim} ${COACH_PYTHON_IMAGE:-python:3.13-slim-bookworm} ${COACH_GO_IMAGE:-golang:1.25-bookworm})
log() { printf 'podman-engine: %s\n' "$*" >&2; }
ping() { curl -fsS --max-time 2 --unix-socket "$SOCK" http://podman/_ping >/dev/null 2>&1; }

missing=()
command -v podman >/dev/null || missing+=(podman)
[ -x /usr/libexec/podman/catatonit ] || missing+=(catatonit)
command -v curl >/dev/null || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian's ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ping; then
  log "the API answers at $SOCK"
else
  log "starting podman system service at $SOCK (log: $LOG)"
  dir=$(dirname "$SOCK")
  mkdir -p "$dir"
  (cd "$dir" && nohup podman --cgroup-manager=cgroupfs --events-backend=file \
    system service --time=0 "unix://$SOCK" >>"$LOG" 2>&1 &)
  for _ in $(seq 1 30); do ping && break; sleep 1; done
  ping || { log "the API did not answer within 30s:"; tail -20 "$LOG" >&2; exit 1; }
  log "API up"
fi

# The runtime images: Podman has its own store. `podman load` names a short
# name localhost/NAME; coach (and a `docker pull` would) means docker.io/library/NAME.
for img in "${IMAGES[@]}"; do
  want=$(docker image inspect --format '{{.Id}}' "$img" 2>/dev/null) || {
    log "$img is not in Docker (run scripts/build-images.sh first)"; exit 1; }
  full=docker.io/library/$img
  have=$(podman image inspect --format '{{.Id}}' "$full" 2>/dev/null || true)
  if [ "sha256:$have" = "$want" ] || [ "$have" = "$want" ]; then
    log "$full present"; continue
  fi
  log "copying $img from Docker to Podman"
  docker save "$img" | podman load -q >/dev/null
  podman tag "localhost/$img" "$full"
  podman untag "localhost/$img" "localhost/$img"
done
