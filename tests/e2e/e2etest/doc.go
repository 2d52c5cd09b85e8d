// Package e2etest is the harness that the end-to-end tests under tests/e2e
// share: the environment of a run (FRESHET_E2E, FRESHET_BIN and the exports
// of tests/services), a Kafka client with the helpers the tests need, a
// `freshet worker` child process with its REST status, and a TCP proxy that
// cuts a client off from a shared server.
//
// It is internal to Freshet's tests, with no compatibility promise. Every
// helper takes the test it works for, fails that test when something it
// needs is missing, and removes what it created when that test ends.
//
// Goroutines: a started Worker has one goroutine that waits for its process
// to exit; the test's cleanup stops the process, which ends it. A Proxy runs
// an accept loop and two copiers per connection; its cleanup stops them and
// waits for them.
package e2etest
