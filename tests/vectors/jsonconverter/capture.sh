#!/usr/bin/env bash
# Regenerates runtime/convert/testdata/jsonconverter.json from Kafka Connect's real
# JsonConverter (org.apache.kafka:connect-json from Maven Central, version in pom.xml).
#
# Needs a JDK (17+) and Maven. Jars stay in the local Maven repository (~/.m2);
# build output goes to target/, which is not committed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out="${1:-$root/runtime/convert/testdata/jsonconverter.json}"

cd "$here"
mvn -q -B -Dstyle.color=never dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
cp="$(cat target/classpath.txt)"
rm -rf target/classes
mkdir -p target/classes "$(dirname "$out")"
javac -encoding UTF-8 --release 17 -d target/classes -cp "$cp" \
	src/main/java/dev/freshet/vectors/Capture.java
java -cp "target/classes:$cp" dev.freshet.vectors.Capture "$out"
