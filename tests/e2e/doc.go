// Package e2e holds Freshet's end-to-end tests: each starts the freshet
// binary as a separate process against the real servers that tests/services
// starts, and asserts outcomes (lines in a sink's file, records and offsets
// in Kafka, task statuses) across crashes (SIGKILL) and restarts.
//
// The tests run only when FRESHET_E2E=1; `go test ./...` skips them. Then
// FRESHET_BIN must name a built freshet binary and the tests/services
// exports must be set (`source $FRESHET_SERVICES_DIR/env`); a missing server
// or variable fails the test instead of skipping it. `make e2e` does all of
// this.
//
// Every test creates its own topics, with unique names, and its own worker
// directory, so tests do not depend on one another. Each worker's logs go to
// a file in the test's directory; a failing test prints their tail.
//
// Goroutines: a started worker process has one goroutine waiting for it to
// exit, owned by the test that started it and ended by its cleanup.
package e2e
