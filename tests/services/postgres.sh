#!/usr/bin/env bash
# PostgreSQL 15 from Debian, as a private cluster under the services dir on 127.0.0.1:25432
# (not the system cluster, not systemd). Database and user "freshet", password "freshet".
# Usage: postgres.sh up|down|env|status
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# Service ports sit below the kernel's ephemeral range (32768-60999 here): a
# port in it can be held by any outgoing connection when the server starts.
PORT=${FRESHET_POSTGRES_PORT:-25432}
BIN=/usr/lib/postgresql/15/bin
DIR=$SERVICES_DIR/postgres
DATA=$DIR/data
LOG=$SERVICES_DIR/postgres.log
PG_USER=postgres # initdb and postgres refuse to run as root

as_pg() { (cd / && runuser -u "$PG_USER" -- "$@"); } # cd /: postgres cannot read a root cwd
pg_status() { [[ -x $BIN/pg_ctl ]] && as_pg "$BIN/pg_ctl" status -D "$DATA" >/dev/null 2>&1; }
psql_super() { psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -qAtX -v ON_ERROR_STOP=1 "$@"; }
pg_ready() { psql_super -c 'select 1' >/dev/null 2>&1; }

up() {
  apt_install "$BIN/initdb" postgresql-15 postgresql-client-15
  id "$PG_USER" >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql "$PG_USER"
  # The cluster lives under the services dir, so the postgres user must be able to reach it.
  mkdir -p "$DIR"
  chown "$PG_USER:" "$DIR"
  as_pg test -x "$SERVICES_DIR" || die "user $PG_USER cannot enter $SERVICES_DIR; choose another FRESHET_SERVICES_DIR"

  if [[ ! -s $DATA/PG_VERSION ]]; then
    say "postgres: initdb $DATA"
    # trust auth: loopback only, throwaway test data.
    as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 ||
      { cat "$DIR/initdb.log" >&2; die "initdb failed"; }
    # fsync off etc.: a test server that never has to survive an OS crash, so make it fast.
    # wal_level=logical: source connectors read changes through logical replication slots.
    cat >>"$DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DIR'
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = logical
max_replication_slots = 10
max_wal_senders = 10
max_connections = 200
CONF
  fi

  if pg_status; then
    say "postgres: already running (pid $(head -n1 "$DATA/postmaster.pid"))"
  else
    port_open "$PORT" && die "127.0.0.1:$PORT is taken by a process that is not ours ($DATA)"
    say "postgres: starting on 127.0.0.1:$PORT, log $LOG"
    touch "$LOG" && chown "$PG_USER:" "$LOG"
    # -p wins over the port initdb wrote into postgresql.conf.
    as_pg "$BIN/pg_ctl" start -D "$DATA" -l "$LOG" -o "-p $PORT" -w -t 60 >&2 || die "pg_ctl start failed; see $LOG"
  fi
  wait_for 60 postgres "$LOG" pg_ready

  # Superuser so tests may create publications, slots and roles freely; this is a test server.
  psql_super <<'SQL'
SELECT 'CREATE ROLE freshet LOGIN SUPERUSER PASSWORD ''freshet'''
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'freshet') \gexec
SELECT 'CREATE DATABASE freshet OWNER freshet'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'freshet') \gexec
SQL
  echo "postgres 127.0.0.1:$PORT"
}

down() {
  if pg_status; then
    say "postgres: stopping"
    as_pg "$BIN/pg_ctl" stop -D "$DATA" -m fast -w -t 60 >&2
  else
    say "postgres: not running"
  fi
}

case ${1:-} in
up) up ;;
down) down ;;
env) echo "export FRESHET_POSTGRES_URL='postgres://freshet:freshet@127.0.0.1:$PORT/freshet?sslmode=disable'" ;;
status) pg_status ;;
*) die "usage: $0 up|down|env|status" ;;
esac
