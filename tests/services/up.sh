#!/usr/bin/env bash
# Start real servers for tests: tests/services/up.sh NAME...  (NAME: kafka postgres redis)
# Prints "NAME ADDRESS" per server on stdout and writes exports to $FRESHET_SERVICES_DIR/env
# (default /tmp/freshet-services/env). Safe to run again: a running server is reused.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

(($# > 0)) || die "usage: $0 NAME... (one of: $(service_names | xargs))"
for name in "$@"; do check_service "$name"; done

for name in "$@"; do
  (
    # The lock stays with this subshell; `9>&-` keeps it out of the server script, whose
    # daemons would otherwise inherit fd 9 and hold the lock for as long as they run.
    lock_service "$name"
    take_lease "$name" # before starting: a concurrent down.sh must see it
    "$SERVICES_HOME/$name.sh" up 9>&-
    "$SERVICES_HOME/$name.sh" env >"$SERVICES_DIR/$name.env" 9>&-
  )
done
"$SERVICES_HOME/down.sh" --write-env
