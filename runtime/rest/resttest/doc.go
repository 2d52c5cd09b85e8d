// Package resttest compares REST responses by shape: status codes, the
// headers that matter and JSON structure (field names, types, nesting and
// order), so recorded Kafka Connect responses can be checked against
// Freshet's. It is a test helper, internal to Freshet. It starts no
// goroutines.
package resttest
