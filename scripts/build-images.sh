#!/usr/bin/env bash
# Builds local stand-ins for coach's default runtime images on a machine with
# no container registry (CI, air-gapped labs), and tags them with the official
# names so coach's real code path (use the image if present) is exercised.
#
#   node:22-bookworm-slim, python:3.13-slim-bookworm  <- Debian bookworm (debootstrap)
#                                                        with nodejs, npm, python3, pip
#   golang:1.25-bookworm                              <- that base + the host's GOROOT
#
# The stand-ins are functionally equivalent for coach (same commands on PATH),
# not byte-identical: Debian ships Node 18 and Python 3.11. Idempotent: images
# that exist are kept; FORCE=1 rebuilds.
set -euo pipefail

NODE_IMAGE=${COACH_NODE_IMAGE:-node:22-bookworm-slim}
PYTHON_IMAGE=${COACH_PYTHON_IMAGE:-python:3.13-slim-bookworm}
GO_IMAGE=${COACH_GO_IMAGE:-golang:1.25-bookworm}
BASE_IMAGE=coach-standin/bookworm:1
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
GOROOT_HOST=${GOROOT_HOST:-$(go env GOROOT 2>/dev/null || echo /usr/local/go)}

have() { [ "${FORCE:-0}" != 1 ] && docker image inspect "$1" >/dev/null 2>&1; }
log() { printf 'build-images: %s\n' "$*" >&2; }

command -v docker >/dev/null || { log "the docker CLI is missing"; exit 1; }
docker info >/dev/null 2>&1 || { log "no Docker engine answers (start dockerd first)"; exit 1; }

if have "$BASE_IMAGE"; then
  log "$BASE_IMAGE present"
else
  command -v debootstrap >/dev/null || { log "installing debootstrap"; apt-get install -y -qq debootstrap >/dev/null; }
  root=$(mktemp -d /tmp/coach-rootfs.XXXXXX)
  trap 'umount -l "$root/proc" 2>/dev/null || true; rm -rf "$root"' EXIT
  log "debootstrap bookworm into $root (about a minute)"
  debootstrap --variant=minbase --include=nodejs,python3,ca-certificates bookworm "$root" "$MIRROR" >/tmp/coach-debootstrap.log 2>&1 \
    || { tail -20 /tmp/coach-debootstrap.log >&2; exit 1; }
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  mount -t proc proc "$root/proc"
  log "installing npm and pip in the chroot"
  chroot "$root" /bin/sh -c 'export DEBIAN_FRONTEND=noninteractive;
    apt-get update -qq && apt-get install -y -qq --no-install-recommends npm python3-pip >/dev/null &&
    apt-get clean && rm -rf /var/lib/apt/lists/* &&
    rm -f /usr/lib/python3*/EXTERNALLY-MANAGED &&
    ln -sf /usr/bin/python3 /usr/local/bin/python &&
    : > /etc/resolv.conf'
  umount -l "$root/proc"
  tar -C "$root" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["bash"]' \
    - "$BASE_IMAGE" >/dev/null
  log "built $BASE_IMAGE"
fi

for img in "$NODE_IMAGE" "$PYTHON_IMAGE"; do
  if have "$img"; then log "$img present"; else docker tag "$BASE_IMAGE" "$img"; log "tagged $img"; fi
done

if have "$GO_IMAGE"; then
  log "$GO_IMAGE present"
else
  ctx=$(mktemp -d /tmp/coach-goctx.XXXXXX)
  cp -a "$GOROOT_HOST" "$ctx/go"
  rm -rf "$ctx/go/pkg/obj" "$ctx/go/test" "$ctx/go/doc" 2>/dev/null || true
  cat > "$ctx/Dockerfile" <<DOCKERFILE
FROM $BASE_IMAGE
COPY go /usr/local/go
ENV GOTOOLCHAIN=local GOPATH=/go PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
WORKDIR /go
DOCKERFILE
  DOCKER_BUILDKIT=0 docker build -q -t "$GO_IMAGE" "$ctx" >/dev/null
  rm -rf "$ctx"
  log "built $GO_IMAGE from $GOROOT_HOST"
fi
docker images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E "^($NODE_IMAGE|$PYTHON_IMAGE|$GO_IMAGE|$BASE_IMAGE) " >&2 || true
