# shellcheck shell=bash
# Helpers shared by the per-server scripts. Sourced, not run.
# Every server script writes its logs, pid file and data under $SERVICES_DIR.

SERVICES_DIR=${FRESHET_SERVICES_DIR:-/tmp/freshet-services}
SERVICES_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$SERVICES_DIR"

# Progress goes to stderr: stdout is kept for the "NAME ADDRESS" lines that callers parse.
say() { echo "[services] $*" >&2; }
die() { echo "[services] ERROR: $*" >&2; exit 1; }

# pid_alive PIDFILE MARKER: the pid in PIDFILE runs and its command line contains MARKER.
# The marker check guards against a stale pid file whose pid was reused by another process.
pid_alive() {
  local pid
  [[ -s $1 ]] || return 1
  pid=$(head -n1 "$1")
  [[ $pid =~ ^[0-9]+$ ]] && [[ -r /proc/$pid/cmdline ]] && grep -qaF -- "$2" "/proc/$pid/cmdline"
}

# started PIDFILE: the process whose pid this script has just written to PIDFILE still runs (a
# zombie does not count). For readiness checks right after a start, where pid_alive would be
# wrong: until the forked child has exec'd the server (through setsid), its command line is
# still the shell's or setsid's, without the marker, and a loaded machine makes that window long
# enough for a check to fall into it and take a starting server for a dead one.
started() {
  local state
  state=$(ps -o stat= -p "$(head -n1 "$1")" 2>/dev/null) && [[ $state != Z* ]]
}

# stop_pid PIDFILE MARKER NAME: SIGTERM, wait up to 60 s for a clean exit, then SIGKILL.
# Not running is fine: down must be safe to call at any time.
stop_pid() {
  local pidfile=$1 marker=$2 name=$3 pid i
  if ! pid_alive "$pidfile" "$marker"; then
    rm -f "$pidfile"
    say "$name: not running"
    return 0
  fi
  pid=$(head -n1 "$pidfile")
  say "$name: stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 600; i++)); do
    [[ -d /proc/$pid ]] || break
    sleep 0.1
  done
  if [[ -d /proc/$pid ]]; then
    say "$name: still running after 60 s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_for SECONDS WHAT LOGFILE CMD...: poll CMD every 0.5 s; on timeout fail and point at the log.
wait_for() {
  local secs=$1 what=$2 logfile=$3 i
  shift 3
  for ((i = 0; i < secs * 2; i++)); do
    "$@" && return 0
    sleep 0.5
  done
  [[ -f $logfile ]] && tail -n 30 "$logfile" >&2
  die "$what not ready after ${secs}s; see $logfile"
}

# apt_install CHECK_FILE PACKAGE...: install Debian packages unless CHECK_FILE already exists.
# apt-get update runs only when something is missing, so a warm machine makes no network call.
apt_install() {
  local check=$1
  shift
  [[ -e $check ]] && return 0
  [[ $(id -u) == 0 ]] || die "$check is missing; run as root or: apt-get install $*"
  say "installing $* with apt-get"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
  [[ -e $check ]] || die "apt-get install $* did not provide $check"
}

# service_names: every server script in this folder (NAME.sh with up/down/env subcommands).
service_names() {
  local f
  for f in "$SERVICES_HOME"/*.sh; do
    f=${f##*/} f=${f%.sh}
    case $f in up | down | lib) ;; *) echo "$f" ;; esac
  done
}

# check_service NAME: fail unless NAME is one of service_names.
check_service() {
  service_names | grep -qx -- "$1" || die "unknown service '$1' (known: $(service_names | xargs))"
}

# lock_service NAME: take NAME's lock on fd 9 of the calling (sub)shell, so two up.sh/down.sh
# runs never start or stop the same server at once (go test runs packages in parallel).
lock_service() {
  exec 9>"$SERVICES_DIR/$1.lock"
  flock -w 900 9 || die "waited 15 min for $SERVICES_DIR/$1.lock; held by pids: $(fuser "$SERVICES_DIR/$1.lock" 2>/dev/null)"
}

# Leases: every run that brings a server up holds a lease on it, a file named after the run
# ($FRESHET_SERVICES_LEASE, a pid; "manual" when unset, as with `make services`). A run's
# down.sh gives back its own lease and stops the server only when no other live run holds one,
# so two test runs on one machine never stop each other's servers.
LEASE=${FRESHET_SERVICES_LEASE:-manual}
LEASES=$SERVICES_DIR/leases

# take_lease NAME: hold a lease on NAME for this run. Call with NAME's lock held.
take_lease() {
  mkdir -p "$LEASES"
  : >"$LEASES/$1.$LEASE"
}

# other_leases NAME: print the runs other than this one that hold a lease on NAME, dropping
# leases whose run has exited. Call with NAME's lock held.
other_leases() {
  local f holder
  for f in "$LEASES/$1".*; do
    [[ -e $f ]] || continue
    holder=${f##*.}
    [[ $holder == "$LEASE" ]] && continue
    if [[ $holder == manual || -d /proc/$holder ]]; then
      echo "$holder"
    else
      rm -f "$f"
    fi
  done
}
