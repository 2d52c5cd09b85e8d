#!/usr/bin/env bash
# Stop servers started by up.sh: tests/services/down.sh [NAME...]  (all of them without a name).
# Never fails because a server is not running. With FRESHET_SERVICES_LEASE set (as `make test`
# sets it), only that run's lease is given back, and a server another live run still holds
# stays up; without it (`make services-down`), the servers stop whoever holds them.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# Rebuild $SERVICES_DIR/env from the per-server fragments (<name>.env) of servers still up.
# Written to a temp file and renamed, so a reader never sees half a file.
write_env() {
  local tmp
  tmp=$(mktemp "$SERVICES_DIR/env.XXXXXX")
  shopt -s nullglob
  cat "$SERVICES_DIR"/*.env >"$tmp"
  chmod 644 "$tmp"
  mv "$tmp" "$SERVICES_DIR/env"
}

if [[ ${1:-} == --write-env ]]; then # used by up.sh
  write_env
  exit 0
fi

if (($# == 0)); then
  mapfile -t names < <(service_names)
  set -- "${names[@]}"
fi
for name in "$@"; do check_service "$name"; done
for name in "$@"; do
  (
    lock_service "$name"
    if [[ -n ${FRESHET_SERVICES_LEASE:-} ]]; then
      rm -f "$LEASES/$name.$LEASE"
      holders=$(other_leases "$name" | xargs)
      if [[ -n $holders ]]; then
        say "$name: left running, still used by: $holders"
        exit 0
      fi
    fi
    # Who stopped what, for when a run finds its server gone: stops.log.
    echo "$(date -u +%FT%T.%N) $name: stopped by lease $LEASE, pid $$, parents: $(ps -o args= -p "$PPID" 2>/dev/null | cut -c1-200)" >>"$SERVICES_DIR/stops.log"
    "$SERVICES_HOME/$name.sh" down 9>&- # see up.sh
    rm -f "$SERVICES_DIR/$name.env" "$LEASES/$name".*
  )
done
write_env
