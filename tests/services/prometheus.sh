#!/usr/bin/env bash
# Prometheus from Debian's prometheus package on 127.0.0.1:29090 (clear of a system one on 9090).
# It scrapes every second whatever targets tests list in file_sd files: a test writes
#   $FRESHET_PROMETHEUS_TARGETS_DIR/NAME.json   [{"targets":["127.0.0.1:PORT"],"labels":{"run":"ID"}}]
# and removes it when done; Prometheus picks such files up within a second (fsnotify, and a
# 1 s refresh as a fallback). The job label is "freshet"; a test tells its series apart by its
# own labels. Usage: prometheus.sh up|down|env|status
set -euo pipefail
source "$(dirname "$0")/lib.sh"

PORT=${FRESHET_PROMETHEUS_PORT:-29090} # below the ephemeral port range, see postgres.sh
DIR=$SERVICES_DIR/prometheus
TARGETS=$DIR/targets
PIDFILE=$SERVICES_DIR/prometheus.pid
LOG=$SERVICES_DIR/prometheus.log
URL=http://127.0.0.1:$PORT

write_config() {
  cat >"$DIR/prometheus.yml" <<EOF
# Written by tests/services/prometheus.sh; rewritten at every start.
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: freshet
    file_sd_configs:
      - files: ['$TARGETS/*.json']
        refresh_interval: 1s
EOF
}

ready() {
  started "$PIDFILE" || { tail -n 40 "$LOG" >&2; die "prometheus exited during startup; see $LOG"; }
  curl -fsS "$URL/-/ready" >/dev/null 2>&1
}

up() {
  apt_install /usr/bin/prometheus prometheus
  if pid_alive "$PIDFILE" "$DIR/prometheus.yml"; then
    say "prometheus: already running (pid $(cat "$PIDFILE"))"
  else
    port_open "$PORT" && die "127.0.0.1:$PORT is taken by a process that is not ours ($PIDFILE)"
    mkdir -p "$DIR/data" "$TARGETS"
    write_config
    [[ -f $LOG ]] && mv -f "$LOG" "$LOG.1"
    say "prometheus $(prometheus --version 2>&1 | awk 'NR==1{print $3}'): starting on $URL, log $LOG"
    # setsid: outlives this script, immune to the caller's Ctrl-C (as kafka.sh does).
    # Short retention: test data only. The console assets are not needed for the HTTP API.
    (exec setsid /usr/bin/prometheus --config.file="$DIR/prometheus.yml" \
      --web.listen-address="127.0.0.1:$PORT" --storage.tsdb.path="$DIR/data" \
      --storage.tsdb.retention.time=1d >"$LOG" 2>&1 </dev/null) &
    echo $! >"$PIDFILE"
  fi
  wait_for 60 prometheus "$LOG" ready
  echo "prometheus $URL"
}

env_exports() {
  printf 'export %s=%q\n' FRESHET_PROMETHEUS_URL "$URL" FRESHET_PROMETHEUS_TARGETS_DIR "$TARGETS"
}

case ${1:-} in
up) up ;;
down) stop_pid "$PIDFILE" "$DIR/prometheus.yml" prometheus ;;
env) env_exports ;;
status) pid_alive "$PIDFILE" "$DIR/prometheus.yml" ;;
*) die "usage: $0 up|down|env|status" ;;
esac
