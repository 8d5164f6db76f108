#!/usr/bin/env bash
# Builds local stand-ins for the database images coach runs as services of a
# pod (issue 15), on a machine with no container registry, tagged with the
# official names so coach's real code path (use the image if present) runs:
#
#   postgres:16-bookworm  <- Debian bookworm's postgresql-15 (PostgreSQL 15, not 16)
#   redis:7-bookworm      <- Debian bookworm's redis-server (Redis 7.0)
#   mariadb:11            <- Debian bookworm's mariadb-server (MariaDB 10.11, not 11)
#
# Each is a Dockerfile FROM the stand-in base that scripts/build-images.sh
# debootstraps (coach-standin/bookworm), with apt-get run in the build container
# (Debian's mirror must be reachable from containers), and an entrypoint that
# keeps the official images' contract (service-images/*-entrypoint.sh): the
# same environment variables, port, data directory and default user. The data
# directory is initialised at build time, so a fresh volume starts from a copy
# of it (the engine copies an image's content into an empty named volume)
# instead of running initdb / mariadb-install-db per run.
#
# Idempotent: an image whose coach.standin-services label equals the hash of
# its Dockerfile, entrypoint and base image is kept; FORCE=1 rebuilds.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
POSTGRES_IMAGE=${COACH_POSTGRES_IMAGE:-postgres:16-bookworm}
REDIS_IMAGE=${COACH_REDIS_IMAGE:-redis:7-bookworm}
MARIADB_IMAGE=${COACH_MARIADB_IMAGE:-mariadb:11}

log() { printf 'build-service-images: %s\n' "$*" >&2; }
# hash NAME: what the image is made of (its Dockerfile, entrypoint and base).
hash() { { cat "$here/service-images/$1".Dockerfile "$here/service-images/$1"-entrypoint.sh; docker image inspect -f '{{.Id}}' "$BASE"; } | sha256sum | cut -c1-16; }
have() {
  [ "${FORCE:-0}" != 1 ] &&
    [ "$(docker image inspect -f '{{index .Config.Labels "coach.standin-services"}}' "$1" 2>/dev/null)" = "$2" ]
}

command -v docker >/dev/null || { log "the docker CLI is missing"; exit 1; }
docker info >/dev/null 2>&1 || { log "no Docker engine answers (start dockerd first)"; exit 1; }
BASE=
for b in ${COACH_STANDIN_BASE:-coach-standin/bookworm:2 coach-standin/bookworm:1}; do
  docker image inspect "$b" >/dev/null 2>&1 && { BASE=$b; break; }
done
[ -n "$BASE" ] || { log "no stand-in base image: run scripts/build-images.sh first"; exit 1; }

# build NAME TAG: builds service-images/NAME.Dockerfile with its entrypoint.
build() {
  local name=$1 tag=$2 h ctx start
  h=$(hash "$name")
  if have "$tag" "$h"; then log "$tag present"; return; fi
  start=$(date +%s)
  ctx=$(mktemp -d /tmp/coach-svcctx.XXXXXX)
  cp "$here/service-images/$name-entrypoint.sh" "$ctx/entrypoint.sh"
  sed "s|@BASE@|$BASE|" "$here/service-images/$name.Dockerfile" > "$ctx/Dockerfile"
  if ! DOCKER_BUILDKIT=0 docker build -q --label "coach.standin-services=$h" -t "$tag" "$ctx" >"$ctx/log" 2>&1; then
    tail -20 "$ctx/log" >&2; rm -rf "$ctx"; exit 1
  fi
  rm -rf "$ctx"
  log "built $tag in $(( $(date +%s) - start ))s"
}

build postgres "$POSTGRES_IMAGE"
build redis "$REDIS_IMAGE"
build mariadb "$MARIADB_IMAGE"
docker images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E "^($POSTGRES_IMAGE|$REDIS_IMAGE|$MARIADB_IMAGE) " >&2 || true
