#!/usr/bin/env bash
# Apache Kafka, KRaft mode, one combined broker+controller node, run from Maven Central jars:
#   127.0.0.1:9092 PLAINTEXT (clients and inter-broker)   127.0.0.1:9093 CONTROLLER
#   127.0.0.1:9094 SASL_SSL: SCRAM-SHA-512, SCRAM-SHA-256 or PLAIN over TLS, user freshet
# Usage: kafka.sh up|down|env|status
#        kafka.sh lib               build the lib dir if needed and print its path
#        kafka.sh run CLASS ARGS…   run a Kafka class (e.g. org.apache.kafka.tools.TopicCommand)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

POM=$SERVICES_HOME/kafka/pom.xml
VERSION=$(sed -n 's|.*<kafka.version>\(.*\)</kafka.version>.*|\1|p' "$POM")
LIB=$HOME/.cache/freshet/kafka-$VERSION-lib
DIR=$SERVICES_DIR/kafka
PIDFILE=$SERVICES_DIR/kafka.pid
LOG=$SERVICES_DIR/kafka.log
PLAIN_PORT=${FRESHET_KAFKA_PORT:-9092}
CONTROLLER_PORT=${FRESHET_KAFKA_CONTROLLER_PORT:-9093}
SASL_PORT=${FRESHET_KAFKA_SASL_PORT:-9094}
SASL_USER=freshet SASL_PASSWORD=freshet-secret
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
# Heap kept modest: Elasticsearch, Apicurio and a Connect worker may share the 24 GiB machine.
HEAP=${FRESHET_KAFKA_HEAP_OPTS:--Xms512m -Xmx1g}

# build_lib: copy Kafka's runtime jars from ~/.m2 into $LIB once per pom content.
# A subshell, so the lock (fd 8) is released on return and never inherited by the broker.
build_lib() (
  local stamp tmp mvnlog=$SERVICES_DIR/kafka-mvn.log
  mkdir -p "$(dirname "$LIB")"
  exec 8>"$LIB.lock" # kafka.sh and connect.sh may build the same dir at once
  flock 8
  stamp=$(sha256sum <"$POM" | cut -c1-64)
  [[ $(cat "$LIB/.pom-sha256" 2>/dev/null) == "$stamp" ]] && return 0
  tmp=$LIB.tmp.$$
  rm -rf "$tmp"
  local args=(-B -f "$POM" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp")
  # Offline first: with a warm ~/.m2 nothing is downloaded. Online only when something is missing.
  say "kafka: assembling $LIB (maven log: $mvnlog)"
  if ! mvn -o "${args[@]}" >"$mvnlog" 2>&1; then
    say "kafka: not all in ~/.m2 yet, resolving from Maven Central"
    mvn "${args[@]}" >"$mvnlog" 2>&1 || { tail -n 20 "$mvnlog" >&2; die "maven failed; see $mvnlog"; }
  fi
  echo "$stamp" >"$tmp/.pom-sha256"
  rm -rf "$LIB"
  mv "$tmp" "$LIB"
)

# make_tls: a throwaway CA and a server certificate for 127.0.0.1/localhost, all PEM.
# Kafka reads PEM directly (ssl.keystore.type=PEM), so no keytool/JKS step is needed.
make_tls() {
  [[ -s $DIR/server.pem && -s $DIR/ca.pem ]] && return 0
  say "kafka: generating a test CA and server certificate in $DIR"
  local t=$DIR/tls
  mkdir -p "$t"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Freshet test CA" \
    -keyout "$t/ca.key" -out "$t/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$t/server.key" -out "$t/server.csr" 2>/dev/null
  openssl x509 -req -in "$t/server.csr" -CA "$t/ca.pem" -CAkey "$t/ca.key" -CAcreateserial -days 3650 \
    -extfile <(printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n') \
    -out "$t/server.crt" 2>/dev/null
  # PEM keystore file = unencrypted PKCS#8 key followed by the certificate chain.
  cat "$t/server.key" "$t/server.crt" "$t/ca.pem" >"$DIR/server.pem"
  cp "$t/ca.pem" "$DIR/ca.pem"
}

write_configs() {
  cat >"$DIR/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$PLAIN_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT,SASL_SSL://127.0.0.1:$SASL_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PLAIN_PORT,SASL_SSL://127.0.0.1:$SASL_PORT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL
inter.broker.listener.name=PLAINTEXT
log.dirs=$DIR/data

# SASL_SSL: SCRAM credentials are stored in the cluster metadata (added at format time);
# PLAIN checks the user_<name> entries of its JAAS line.
sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256,PLAIN
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$SASL_USER="$SASL_PASSWORD";
ssl.keystore.type=PEM
ssl.keystore.location=$DIR/server.pem
ssl.truststore.type=PEM
ssl.truststore.location=$DIR/ca.pem

# One node: every internal topic has replication factor 1; tests rely on auto-creation.
num.partitions=1
default.replication.factor=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
  cat >"$DIR/log4j2.properties" <<'EOF'
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.state.name = state.change.logger
logger.state.level = WARN
EOF
  # For CLI tools run with `kafka.sh run`: warnings only, on stderr.
  cat >"$DIR/tools-log4j2.properties" <<'EOF'
status = warn
appender.console.type = Console
appender.console.name = STDERR
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.stderr.ref = STDERR
EOF
  # A ready client config for the SASL_SSL listener (kafka-topics --command-config, etc.).
  cat >"$DIR/client.properties" <<EOF
bootstrap.servers=127.0.0.1:$SASL_PORT
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$SASL_USER" password="$SASL_PASSWORD";
ssl.truststore.type=PEM
ssl.truststore.location=$DIR/ca.pem
EOF
}

# run CLASS ARGS…: a Kafka class on the lib dir's classpath (CLI tools, StorageTool).
run() {
  [[ -f $DIR/tools-log4j2.properties ]] || { mkdir -p "$DIR" && write_configs; }
  "$JAVA" -Xmx512m -Dlog4j2.configurationFile="$DIR/tools-log4j2.properties" -cp "$LIB/*" "$@"
}

ready() {
  started "$PIDFILE" || { tail -n 40 "$LOG" >&2; die "kafka exited during startup; see $LOG"; }
  port_open "$PLAIN_PORT" && port_open "$SASL_PORT" && grep -q "Kafka Server started" "$LOG"
}

up() {
  build_lib
  if pid_alive "$PIDFILE" kafka.Kafka; then
    say "kafka: already running (pid $(cat "$PIDFILE"))"
  else
    for p in $PLAIN_PORT $CONTROLLER_PORT $SASL_PORT; do
      port_open "$p" && die "127.0.0.1:$p is taken by a process that is not ours ($PIDFILE)"
    done
    mkdir -p "$DIR"
    make_tls
    write_configs
    if [[ ! -f $DIR/data/meta.properties ]]; then
      # A random 16-byte id in Kafka's base64url form; saves a JVM start (StorageTool random-uuid).
      local cid
      cid=$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | cut -c1-22)
      say "kafka: formatting $DIR/data (cluster id $cid)"
      run kafka.tools.StorageTool format -t "$cid" -c "$DIR/server.properties" --ignore-formatted \
        --add-scram "SCRAM-SHA-512=[name=$SASL_USER,password=$SASL_PASSWORD]" \
        --add-scram "SCRAM-SHA-256=[name=$SASL_USER,password=$SASL_PASSWORD]" >"$DIR/format.log" 2>&1 ||
        { cat "$DIR/format.log" >&2; die "kafka storage format failed"; }
    fi
    [[ -f $LOG ]] && mv -f "$LOG" "$LOG.1" # readiness greps the log: only this run's lines count
    say "kafka $VERSION: starting, log $LOG"
    # setsid: the broker outlives this script and is not hit by the caller's Ctrl-C.
    # GC flags are the ones bin/kafka-run-class.sh uses.
    # shellcheck disable=SC2086
    (cd "$DIR" && exec setsid "$JAVA" $HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
      -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
      -Dlog4j2.configurationFile="$DIR/log4j2.properties" -Dkafka.logs.dir="$DIR/logs" \
      -cp "$LIB/*" kafka.Kafka "$DIR/server.properties" >"$LOG" 2>&1 </dev/null) &
    echo $! >"$PIDFILE"
  fi
  wait_for 120 kafka "$LOG" ready
  echo "kafka 127.0.0.1:$PLAIN_PORT"
}

env_exports() {
  local k v
  while read -r k v; do printf 'export %s=%q\n' "$k" "$v"; done <<EOF
FRESHET_KAFKA_BOOTSTRAP 127.0.0.1:$PLAIN_PORT
FRESHET_KAFKA_SASL_BOOTSTRAP 127.0.0.1:$SASL_PORT
FRESHET_KAFKA_SASL_MECHANISM SCRAM-SHA-512
FRESHET_KAFKA_SASL_USER $SASL_USER
FRESHET_KAFKA_SASL_PASSWORD $SASL_PASSWORD
FRESHET_KAFKA_CA_FILE $DIR/ca.pem
FRESHET_KAFKA_CLIENT_CONFIG $DIR/client.properties
FRESHET_KAFKA_VERSION $VERSION
FRESHET_KAFKA_LIB_DIR $LIB
EOF
}

case ${1:-} in
up) up ;;
down) stop_pid "$PIDFILE" kafka.Kafka kafka ;;
env) env_exports ;;
status) pid_alive "$PIDFILE" kafka.Kafka ;;
lib) build_lib && echo "$LIB" ;;
run) shift && build_lib && run "$@" ;;
*) die "usage: $0 up|down|env|status|lib|run CLASS ARGS..." ;;
esac
