// Package dlq holds the end-to-end tests of `freshet dlq`: each runs the
// freshet binary against real Kafka (started by tests/services) and checks
// what lands in the source topics, the drain group and the audit topic,
// across SIGKILL and reruns, and measures what the issue asks for: a filter
// over a million dead letters, the unthrottled replay rate, and how well
// --rate holds.
//
// The tests run only when FRESHET_E2E=1; then FRESHET_BIN must name a built
// freshet binary and FRESHET_KAFKA_BOOTSTRAP a running broker
// (`tests/services/up.sh kafka; source /tmp/freshet-services/env`), and a
// missing one fails the test instead of skipping it. Each test creates its
// own topics with unique names. A fake worker REST API (an httptest server
// in the test process) serves connector configs and mounts dlq.Handler with
// a fake sink, for replays into the sink.
//
// Goroutines: the fake REST server's, stopped by each test's cleanup.
package dlq
