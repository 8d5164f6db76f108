#!/bin/sh
# Stand-in for the official redis image's entrypoint: redis-server with no
# configuration file, protected mode off, data in /data, port 6379.
set -eu
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then set -- redis-server "$@"; fi
if [ "$1" = redis-server ]; then
  shift
  set -- redis-server --protected-mode no --dir /data "$@"
fi
exec "$@"
