#!/bin/sh
# Stand-in for the official mariadb image's entrypoint: MARIADB_ROOT_PASSWORD
# (or MARIADB_ALLOW_EMPTY_ROOT_PASSWORD), MARIADB_USER, MARIADB_PASSWORD,
# MARIADB_DATABASE, each also as MYSQL_*. The users and database are made by
# an --init-file, which the server runs before it accepts connections.
set -eu
if [ "${1#-}" != "$1" ]; then set -- mariadbd "$@"; fi
if [ "$1" = mariadbd ] || [ "$1" = mysqld ]; then
  root=${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}
  empty=${MARIADB_ALLOW_EMPTY_ROOT_PASSWORD:-${MYSQL_ALLOW_EMPTY_PASSWORD:-}}
  user=${MARIADB_USER:-${MYSQL_USER:-}}
  pass=${MARIADB_PASSWORD:-${MYSQL_PASSWORD:-}}
  db=${MARIADB_DATABASE:-${MYSQL_DATABASE:-}}
  if [ -z "$root" ] && [ -z "$empty" ]; then
    echo "error: set MARIADB_ROOT_PASSWORD (or MARIADB_ALLOW_EMPTY_ROOT_PASSWORD)" >&2; exit 1
  fi
  if [ ! -d /var/lib/mysql/mysql ]; then
    mariadb-install-db --user="$(id -un)" --datadir=/var/lib/mysql --skip-test-db \
      --auth-root-authentication-method=socket >/dev/null
  fi
  q() { printf "'%s'" "$(printf %s "$1" | sed -e 's/\\/\\\\/g' -e "s/'/''/g")"; }
  init=$(mktemp /tmp/coach-init.XXXXXX)
  {
    echo "CREATE USER IF NOT EXISTS 'root'@'%';"
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY $(q "$root");"
    echo "ALTER USER 'root'@'%' IDENTIFIED BY $(q "$root");"
    echo "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
    [ -z "$db" ] || echo "CREATE DATABASE IF NOT EXISTS \`$db\`;"
    if [ -n "$user" ]; then
      echo "CREATE USER IF NOT EXISTS $(q "$user")@'%';"
      echo "ALTER USER $(q "$user")@'%' IDENTIFIED BY $(q "$pass");"
      [ -z "$db" ] || echo "GRANT ALL ON \`$db\`.* TO $(q "$user")@'%';"
    fi
  } > "$init"
  shift
  set -- mariadbd --init-file="$init" "$@"
fi
exec "$@"
