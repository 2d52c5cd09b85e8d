// Package lineage is the end-to-end test of freshet.lineage.enable: a real
// worker runs the file, PostgreSQL and Redis sinks with lineage on, and the
// test takes one line, row and hash from them, reads the Kafka record their
// lineage names (topic, partition, offset), and checks that it is the
// record they came from.
//
// It runs only with FRESHET_E2E=1, against servers started by
// `tests/services/up.sh kafka postgres redis` (FRESHET_KAFKA_BOOTSTRAP,
// FRESHET_POSTGRES_URL, FRESHET_REDIS_ADDR, read from the environment or
// from $FRESHET_SERVICES_DIR/env) and the binary in FRESHET_BIN; a missing
// one fails the test. The test runs the worker as a child process and waits
// for it; it starts no other goroutines of its own.
package lineage
