// Package rest holds the end-to-end tests of Freshet's REST API against the
// real Apache Kafka Connect and against a real Freshet worker.
//
// TestRecordKafkaConnect replays runtime/rest/testdata/kafka-connect/
// script.json against Kafka Connect (tests/services/connect.sh) and, with
// FRESHET_RECORD=1, rewrites the committed recording that runtime/rest's
// unit tests compare Freshet with. Without FRESHET_RECORD it checks that the
// live server still answers as recorded, so a new Kafka Connect version
// that changes shapes is noticed.
//
// The tests run only when FRESHET_E2E=1; then a missing server fails them.
//
// Goroutines: none beyond the HTTP client's.
package rest
