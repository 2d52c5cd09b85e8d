// Package observability holds the end-to-end tests of Freshet's metrics and
// freshness tracking: a worker runs in-process against the real Kafka of
// tests/services, its /metrics is scraped by a real Prometheus (Debian's
// package, started by tests/services/prometheus.sh), and the test checks
// what Prometheus' HTTP API returns against what it produced and measured
// itself.
//
// The tests run only when FRESHET_E2E=1; then a missing server fails them
// instead of skipping. Start the servers with
//
//	tests/services/up.sh kafka prometheus
//
// The addresses come from the environment or from
// $FRESHET_SERVICES_DIR/env. Prometheus finds a test's worker through a
// file_sd target file the test writes in $FRESHET_PROMETHEUS_TARGETS_DIR and
// removes when it ends; each test labels its target with a unique run label.
//
// Goroutines: a test owns the goroutines it starts (the sink file's tailer,
// the producer) and stops and waits for them before it returns; the worker's
// task goroutines end in Worker.Shutdown, and the metrics server in Close.
package observability
