// Package sinks holds the end-to-end tests of the PostgreSQL and Redis sinks
// against real servers (tests/services), and the reference computations they
// check against: what a table or a keyspace must hold after a list of records
// is written exactly once. The engine's end-to-end suite (Kafka → worker →
// sink, with SIGKILLs) can reuse them: produce records, run the connector,
// and compare the store with the reference.
//
// Tests run only with FRESHET_E2E=1; they then fail, not skip, when a server
// is missing. Server addresses come from FRESHET_POSTGRES_URL and
// FRESHET_REDIS_ADDR, or from $FRESHET_SERVICES_DIR/env.
package sinks
