#!/usr/bin/env bash
# Registers qemu-user-static with binfmt_misc (fix-binary, so it works inside
# containers), for the test that runs coach's linux/arm64 relay emulated on an
# amd64 engine. Needs root; does nothing when qemu-aarch64 is registered.
set -euo pipefail
log() { printf 'qemu-binfmt: %s\n' "$*" >&2; }
reg=/proc/sys/fs/binfmt_misc
[ -e "$reg/qemu-aarch64" ] && { log "qemu-aarch64 is registered"; exit 0; }
if ! command -v qemu-aarch64-static >/dev/null || ! command -v update-binfmts >/dev/null; then
  log "installing Debian's qemu-user-static and binfmt-support"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user-static binfmt-support >/dev/null
fi
[ -e "$reg/register" ] || mount -t binfmt_misc binfmt_misc "$reg"
update-binfmts --enable qemu-aarch64 2>/dev/null || true
[ -e "$reg/qemu-aarch64" ] || { log "could not register qemu-aarch64"; exit 1; }
log "qemu-aarch64 registered: $(tr '\n' ' ' < "$reg/qemu-aarch64")"
