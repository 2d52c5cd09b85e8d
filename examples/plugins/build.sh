#!/usr/bin/env bash
# Builds an example plugin and prints the path of its executable:
#   examples/plugins/build.sh go       the Go example, built into the cache
#   examples/plugins/build.sh python   a launcher running the Python example
#                                      in a virtual environment with its
#                                      requirements (made once, then reused)
# Everything goes under ${FRESHET_CACHE:-~/.cache/freshet}/examples. Tests
# (runtime/plugin/host) call this, so `make test` builds and tests both.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${FRESHET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/freshet}/examples
mkdir -p "$cache"

case "${1:-}" in
go)
	out="$cache/go/freshet-example-go"
	mkdir -p "$cache/go"
	(cd "$here/go" && GOFLAGS=-mod=mod go build -o "$out" .) >&2
	echo "$out"
	;;
python)
	py=${PYTHON:-python3}
	command -v "$py" >/dev/null || { echo "build.sh: $py is not installed" >&2; exit 3; }
	req="$here/python/requirements.txt"
	key=$( ("$py" --version; cat "$req") | sha256sum | cut -c1-12)
	venv="$cache/python/venv-$key"
	if [ ! -x "$venv/bin/python" ] || [ ! -e "$venv/.complete" ]; then
		rm -rf "$venv"
		"$py" -m venv "$venv" >&2
		"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2
		touch "$venv/.complete"
	fi
	out="$cache/python/freshet-example-python"
	printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$venv/bin/python" "$here/python/plugin.py" >"$out.tmp"
	chmod +x "$out.tmp"
	mv "$out.tmp" "$out"
	echo "$out"
	;;
*)
	echo "usage: $0 go|python" >&2
	exit 2
	;;
esac
