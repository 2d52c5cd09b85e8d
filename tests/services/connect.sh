#!/usr/bin/env bash
# Apache Kafka Connect, standalone mode, from the same Maven Central lib dir as kafka.sh
# (connect-runtime, connect-json, connect-file): the reference implementation Freshet's REST
# API is compared with, and the Java baseline for benchmarks.
#   http://127.0.0.1:8183   REST API (not 8083, which a Freshet worker uses by default)
# Needs Kafka: `connect.sh up` starts it through up.sh when it is not running.
# Usage: connect.sh up|down|env|status
set -euo pipefail
source "$(dirname "$0")/lib.sh"

PORT=${FRESHET_CONNECT_PORT:-8183}
DIR=$SERVICES_DIR/connect
PIDFILE=$SERVICES_DIR/connect.pid
LOG=$SERVICES_DIR/connect.log
MAIN=org.apache.kafka.connect.cli.ConnectStandalone
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
HEAP=${FRESHET_CONNECT_HEAP_OPTS:--Xms256m -Xmx768m}

write_configs() {
  # Standalone keeps connectors created over REST in memory; offsets go to a file that is
  # wiped on every start, so each run begins from the same empty worker.
  cat >"$DIR/worker.properties" <<EOF
bootstrap.servers=127.0.0.1:${FRESHET_KAFKA_PORT:-9092}
listeners=http://127.0.0.1:$PORT
rest.advertised.host.name=127.0.0.1
rest.advertised.port=$PORT
key.converter=org.apache.kafka.connect.storage.StringConverter
value.converter=org.apache.kafka.connect.storage.StringConverter
offset.storage.file.filename=$DIR/offsets
offset.flush.interval.ms=1000
plugin.discovery=hybrid_warn
EOF
  cat >"$DIR/log4j2.properties" <<'EOF'
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.reflections.name = org.reflections
logger.reflections.level = ERROR
EOF
}

ready() {
  started "$PIDFILE" || { tail -n 40 "$LOG" >&2; die "connect exited during startup; see $LOG"; }
  curl -fsS "http://127.0.0.1:$PORT/health" 2>/dev/null | grep -q healthy
}

up() {
  if pid_alive "$PIDFILE" "$MAIN"; then
    say "connect: already running (pid $(cat "$PIDFILE"))"
  else
    port_open "$PORT" && die "127.0.0.1:$PORT is taken by a process that is not ours ($PIDFILE)"
    # Kafka first, under its own lock as up.sh takes it; a running broker is used as it is.
    "$SERVICES_HOME/kafka.sh" status || "$SERVICES_HOME/up.sh" kafka >/dev/null
    local lib
    lib=$("$SERVICES_HOME/kafka.sh" lib)
    [[ -f $(echo "$lib"/connect-runtime-*.jar) ]] || die "no connect-runtime jar in $lib (see kafka/pom.xml)"
    rm -rf "$DIR"
    mkdir -p "$DIR"
    write_configs
    say "connect: starting on 127.0.0.1:$PORT, log $LOG"
    # shellcheck disable=SC2086
    (cd "$DIR" && exec setsid "$JAVA" $HEAP -XX:+UseG1GC -Djava.awt.headless=true \
      -Dlog4j2.configurationFile="$DIR/log4j2.properties" \
      -cp "$lib/*" "$MAIN" "$DIR/worker.properties" >"$LOG" 2>&1 </dev/null) &
    echo $! >"$PIDFILE"
  fi
  wait_for 120 connect "$LOG" ready
  echo "connect http://127.0.0.1:$PORT"
}

env_exports() {
  printf 'export FRESHET_CONNECT_URL=%q\n' "http://127.0.0.1:$PORT"
}

case ${1:-} in
up) up ;;
down) stop_pid "$PIDFILE" "$MAIN" connect ;;
env) env_exports ;;
status) pid_alive "$PIDFILE" "$MAIN" ;;
*) die "usage: $0 up|down|env|status" ;;
esac
