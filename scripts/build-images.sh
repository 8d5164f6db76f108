#!/usr/bin/env bash
# Builds local stand-ins for coach's default runtime images on a machine with
# no container registry (CI, air-gapped labs), and tags them with the official
# names so coach's real code path (use the image if present) is exercised.
#
#   coach-standin/bookworm  <- Debian bookworm minbase (debootstrap) + python3, ca-certificates
#   python:3.13-slim-bookworm <- that base + pip
#   node:22-bookworm-slim   <- that base + Node 22 from npm's node-linux-<arch>@22 package,
#                              npm 10 from npm's npm@10 package, and a `node` user
#                              (uid/gid 1000, home /home/node) as in the official image
#   golang:1.25-bookworm    <- that base + Go 1.25 from the Go proxy's golang.org/toolchain
#                              module (GOTOOLCHAIN=go1.25.N go version fetches it), or the
#                              host's GOROOT when the proxy does not serve it
#
# Where the stand-ins still differ from the official images: Python is Debian's
# 3.11, not 3.13, and lives in /usr/bin (python -> python3 in /usr/local/bin); every
# stand-in has python3 (the official node and golang images' extras differ: no yarn
# or corepack here, no git, gcc or make in the Go image, so cgo is off); sizes differ.
#
# Idempotent: images carrying this script's stand-in label are kept; FORCE=1
# rebuilds. Needs root (debootstrap), the docker CLI, and npm and go on the host
# (their registries: npm's and the Go module proxy).
set -euo pipefail

NODE_IMAGE=${COACH_NODE_IMAGE:-node:22-bookworm-slim}
PYTHON_IMAGE=${COACH_PYTHON_IMAGE:-python:3.13-slim-bookworm}
GO_IMAGE=${COACH_GO_IMAGE:-golang:1.25-bookworm}
NODE_MAJOR=22
NPM_MAJOR=10
GO_MINOR=1.25
# Bumped when what the stand-ins contain changes, so older ones are rebuilt.
STANDIN=2
BASE_IMAGE=coach-standin/bookworm:$STANDIN
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

have() {
  [ "${FORCE:-0}" != 1 ] &&
    [ "$(docker image inspect -f '{{index .Config.Labels "coach.standin"}}' "$1" 2>/dev/null)" = "$STANDIN" ]
}
log() { printf 'build-images: %s\n' "$*" >&2; }
# build TAG DIR: a classic-builder build (the engine may be Debian's 20.10).
build() { DOCKER_BUILDKIT=0 docker build -q --label "coach.standin=$STANDIN" -t "$1" "$2" >/dev/null; }

command -v docker >/dev/null || { log "the docker CLI is missing"; exit 1; }
docker info >/dev/null 2>&1 || { log "no Docker engine answers (start dockerd first)"; exit 1; }
tmp=$(mktemp -d /tmp/coach-standin.XXXXXX)
trap 'umount -l "$tmp/root/proc" 2>/dev/null || true; rm -rf "$tmp"' EXIT

case "$(uname -m)" in
  x86_64) NODE_ARCH=x64 GO_ARCH=amd64 ;;
  aarch64|arm64) NODE_ARCH=arm64 GO_ARCH=arm64 ;;
  *) log "unsupported architecture $(uname -m)"; exit 1 ;;
esac

if have "$BASE_IMAGE"; then
  log "$BASE_IMAGE present"
else
  command -v debootstrap >/dev/null || { log "installing debootstrap"; apt-get install -y -qq debootstrap >/dev/null; }
  root=$tmp/root
  log "debootstrap bookworm into $root (about a minute)"
  debootstrap --variant=minbase --include=python3,ca-certificates bookworm "$root" "$MIRROR" >/tmp/coach-debootstrap.log 2>&1 \
    || { tail -20 /tmp/coach-debootstrap.log >&2; exit 1; }
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  mount -t proc proc "$root/proc"
  log "installing pip in the chroot"
  chroot "$root" /bin/sh -c 'export DEBIAN_FRONTEND=noninteractive;
    apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-pip >/dev/null &&
    apt-get clean && rm -rf /var/lib/apt/lists/* &&
    rm -f /usr/lib/python3*/EXTERNALLY-MANAGED &&
    ln -sf /usr/bin/python3 /usr/local/bin/python &&
    : > /etc/resolv.conf'
  umount -l "$root/proc"
  tar -C "$root" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change "LABEL coach.standin=$STANDIN" \
    --change 'CMD ["bash"]' \
    - "$BASE_IMAGE" >/dev/null
  rm -rf "$root"
  log "built $BASE_IMAGE"
fi

if have "$PYTHON_IMAGE"; then
  log "$PYTHON_IMAGE present"
else
  mkdir -p "$tmp/python"
  printf 'FROM %s\nCMD ["python3"]\n' "$BASE_IMAGE" > "$tmp/python/Dockerfile"
  build "$PYTHON_IMAGE" "$tmp/python"
  log "built $PYTHON_IMAGE (Debian's Python $(docker run --rm "$PYTHON_IMAGE" python3 -c 'import platform; print(platform.python_version())'))"
fi

if have "$NODE_IMAGE"; then
  log "$NODE_IMAGE present"
else
  ctx=$tmp/node
  mkdir -p "$ctx/npm"
  log "fetching node-linux-$NODE_ARCH@$NODE_MAJOR and npm@$NPM_MAJOR from the npm registry"
  (cd "$ctx" && npm pack --silent "node-linux-$NODE_ARCH@$NODE_MAJOR" "npm@$NPM_MAJOR" >/dev/null)
  tar -xzf "$ctx"/node-linux-*.tgz -C "$ctx" package/bin/node
  mv "$ctx/package/bin/node" "$ctx/node"
  tar -xzf "$ctx"/npm-*.tgz -C "$ctx/npm" --strip-components=1
  rm -rf "$ctx/package" "$ctx"/*.tgz
  # The official image's entrypoint: a first argument that is a flag or not a
  # command runs under node.
  cat > "$ctx/docker-entrypoint.sh" <<'ENTRYPOINT'
#!/bin/sh
set -e
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
ENTRYPOINT
  cat > "$ctx/Dockerfile" <<DOCKERFILE
FROM $BASE_IMAGE
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN chmod 0755 /usr/local/bin/node /usr/local/bin/docker-entrypoint.sh \
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version && npm --version
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["node"]
DOCKERFILE
  build "$NODE_IMAGE" "$ctx"
  log "built $NODE_IMAGE (Node $(docker run --rm "$NODE_IMAGE" node --version), npm $(docker run --rm "$NODE_IMAGE" npm --version), user $(docker run --rm "$NODE_IMAGE" id node))"
fi

if have "$GO_IMAGE"; then
  log "$GO_IMAGE present"
else
  ctx=$tmp/go
  mkdir -p "$ctx"
  # The newest go1.25.N the proxy serves for this architecture.
  gover=$(cd "$tmp" && go list -m -versions golang.org/toolchain 2>/dev/null | tr ' ' '\n' |
    sed -n "s/^v0\.0\.1-\(go$GO_MINOR\.[0-9]*\)\.linux-$GO_ARCH\$/\1/p" | sort -V | tail -1 || true)
  goroot=""
  if [ -n "$gover" ]; then
    log "fetching $gover from the Go module proxy (golang.org/toolchain)"
    goroot=$(cd "$tmp" && GOTOOLCHAIN=$gover go env GOROOT 2>/dev/null || true)
  fi
  if [ -z "$goroot" ] || [ ! -x "$goroot/bin/go" ]; then
    goroot=$(GOTOOLCHAIN=local go env GOROOT)
    log "the Go proxy serves no go$GO_MINOR toolchain: using the host's $($goroot/bin/go version)"
  fi
  cp -a "$goroot" "$ctx/go"
  chmod -R u+w "$ctx/go"
  rm -rf "$ctx/go/pkg/obj" "$ctx/go/test" "$ctx/go/doc" 2>/dev/null || true
  cat > "$ctx/Dockerfile" <<DOCKERFILE
FROM $BASE_IMAGE
COPY go /usr/local/go
ENV GOTOOLCHAIN=local GOPATH=/go PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN mkdir -p /go/src /go/bin && chmod -R 1777 /go && go version
WORKDIR /go
DOCKERFILE
  build "$GO_IMAGE" "$ctx"
  log "built $GO_IMAGE ($(docker run --rm "$GO_IMAGE" go version))"
fi
docker images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E "^($NODE_IMAGE|$PYTHON_IMAGE|$GO_IMAGE|$BASE_IMAGE) " >&2 || true
