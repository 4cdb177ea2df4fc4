#!/bin/bash
# Starts MariaDB like the upstream image: the first start initialises /var/lib/mysql and sets the
# root password from MARIADB_ROOT_PASSWORD (or MYSQL_ROOT_PASSWORD); later starts reuse the data.
set -euo pipefail
if [ "${1:-}" != mariadbd ] && [ "${1:-}" != mysqld ]; then exec "$@"; fi
password=${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}
database=${MARIADB_DATABASE:-${MYSQL_DATABASE:-}}
mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld /var/lib/mysql
if [ ! -d /var/lib/mysql/mysql ]; then
  if [ -z "$password" ] && [ -z "${MARIADB_ALLOW_EMPTY_ROOT_PASSWORD:-}" ]; then
    echo "需要设置 root 密码：docker run -e MARIADB_ROOT_PASSWORD=... mariadb" >&2
    echo "error: database is uninitialized and MARIADB_ROOT_PASSWORD is not set" >&2
    exit 1
  fi
  echo "首次启动：初始化数据目录 /var/lib/mysql / initialising the data directory"
  mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db > /dev/null
  init=$(mktemp)
  {
    echo "CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY '$password';"
    echo "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '$password';"
    [ -n "$database" ] && echo "CREATE DATABASE IF NOT EXISTS \`$database\`;"
    echo "FLUSH PRIVILEGES;"
  } > "$init"
  chown mysql "$init"
  set -- "$@" --init-file="$init"
fi
exec "$@" --user=mysql --bind-address=0.0.0.0 --skip-name-resolve
