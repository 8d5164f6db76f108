#!/bin/sh
# Stand-in for the official postgres image's entrypoint: POSTGRES_USER,
# POSTGRES_PASSWORD, POSTGRES_DB (defaults: postgres, none, $POSTGRES_USER).
# On first start the role and database are made in single-user mode (no
# socket, no network), so the server accepts connections only once they exist.
set -eu
: "${PGDATA:=/var/lib/postgresql/data}"
user=${POSTGRES_USER:-postgres}
db=${POSTGRES_DB:-$user}
if [ "${1#-}" != "$1" ]; then set -- postgres "$@"; fi
if [ "$1" = postgres ] && [ ! -s "$PGDATA/.coach-setup" ]; then
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    # A bind mount or a volume the engine did not fill: initdb as the official image does.
    initdb --username=postgres --auth-local=trust --auth-host=scram-sha-256 --wal-segsize=1 --encoding=UTF8 -D "$PGDATA" >/dev/null
    echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  fi
  [ -n "${POSTGRES_PASSWORD:-}" ] || [ "${POSTGRES_HOST_AUTH_METHOD:-}" = trust ] || {
    echo "error: POSTGRES_PASSWORD is not set (or POSTGRES_HOST_AUTH_METHOD=trust)" >&2; exit 1; }
  q() { printf "'%s'" "$(printf %s "$1" | sed "s/'/''/g")"; }
  ident() { printf '"%s"' "$(printf %s "$1" | sed 's/"/""/g')"; }
  {
    if [ "$user" = postgres ]; then
      echo "ALTER ROLE postgres PASSWORD $(q "${POSTGRES_PASSWORD:-}");"
    else
      echo "CREATE ROLE $(ident "$user") SUPERUSER LOGIN PASSWORD $(q "${POSTGRES_PASSWORD:-}");"
    fi
    # FILE_COPY: a third of the time of WAL_LOG (the default) for a fresh database.
    [ "$db" = postgres ] || echo "CREATE DATABASE $(ident "$db") OWNER $(ident "$user") STRATEGY = FILE_COPY;"
  } > /tmp/coach-setup.sql
  # One statement per line (no -j): CREATE DATABASE cannot share a command.
  # -F: no fsync; a setup cut short leaves a volume that is thrown away.
  if postgres --single -F -D "$PGDATA" postgres < /tmp/coach-setup.sql 2>&1 | grep -E 'ERROR|FATAL' >&2; then
    exit 1
  fi
  rm -f /tmp/coach-setup.sql
  echo "$user" > "$PGDATA/.coach-setup"
fi
exec "$@"
