#!/usr/bin/env bash
# Copies Debezium's JDBC sink connector (Apache License 2.0) and the PostgreSQL JDBC driver from
# Maven Central into ~/.cache/freshet/bench-plugins/debezium-jdbc-VERSION (see pom.xml) and prints
# that directory. The PostgreSQL benchmark runs it in Kafka Connect with plugin.path set to its
# parent. Does nothing when the directory is already filled.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=3.4.3.Final # keep in step with pom.xml
dir=${FRESHET_BENCH_PLUGINS:-$HOME/.cache/freshet/bench-plugins}/debezium-jdbc-$version
if ! compgen -G "$dir/debezium-connector-jdbc-*.jar" >/dev/null; then
  echo "bench: fetching debezium-connector-jdbc $version into $dir" >&2
  mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$dir" >&2
fi
echo "$dir"
