// Package pipeline holds the end-to-end proofs of the PostgreSQL and Redis
// sinks and of the dead-letter loop through the real engine path: records are
// produced to a Kafka topic, a `freshet worker` process (FRESHET_BIN) runs the
// sink connector, and the tests read the store, the dead-letter topic and the
// REST status back. Workers are SIGKILLed and restarted to show that tables
// and keys end up exactly as a reference computed from the produced records
// (tests/e2e/sinks), and dead letters are drained with `freshet dlq replay`.
//
// Tests run only with FRESHET_E2E=1; they then fail, not skip, when a server
// or a variable is missing. Servers come from
// `tests/services/up.sh kafka postgres redis`, which writes
// FRESHET_KAFKA_BOOTSTRAP, FRESHET_POSTGRES_URL and FRESHET_REDIS_ADDR into
// $FRESHET_SERVICES_DIR/env (default /tmp/freshet-services/env); the
// environment wins over that file. FRESHET_BIN is built with
// `go build -o bin/freshet ./cmd/freshet`.
//
// Every test uses its own topics, PostgreSQL schema and Redis key prefix, and
// removes them at the end.
package pipeline
