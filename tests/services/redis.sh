#!/usr/bin/env bash
# Redis from Debian's redis-server on 127.0.0.1:26379 (a port clear of a system redis on 6379).
# No persistence: tests create what they need. Usage: redis.sh up|down|env|status
set -euo pipefail
source "$(dirname "$0")/lib.sh"

PORT=${FRESHET_REDIS_PORT:-26379} # below the ephemeral port range, see postgres.sh
DIR=$SERVICES_DIR/redis
PIDFILE=$SERVICES_DIR/redis.pid
LOG=$SERVICES_DIR/redis.log

ping() { [[ $(redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null) == PONG ]]; }

up() {
  apt_install /usr/bin/redis-server redis-server
  if pid_alive "$PIDFILE" redis-server; then
    say "redis: already running (pid $(cat "$PIDFILE"))"
  else
    port_open "$PORT" && die "127.0.0.1:$PORT is taken by a process that is not ours ($PIDFILE)"
    mkdir -p "$DIR"
    say "redis: starting on 127.0.0.1:$PORT, log $LOG"
    # --save "" and appendonly off: no RDB/AOF writes; --daemonize writes the pid file for us.
    redis-server --bind 127.0.0.1 --port "$PORT" --daemonize yes --pidfile "$PIDFILE" \
      --logfile "$LOG" --dir "$DIR" --save "" --appendonly no >&2
  fi
  wait_for 30 redis "$LOG" ping
  echo "redis 127.0.0.1:$PORT"
}

case ${1:-} in
up) up ;;
down) stop_pid "$PIDFILE" redis-server redis ;;
env) echo "export FRESHET_REDIS_ADDR=127.0.0.1:$PORT" ;;
status) pid_alive "$PIDFILE" redis-server ;;
*) die "usage: $0 up|down|env|status" ;;
esac
