// Package sdk is the one public API for Freshet connector authors, and the only
// package of Freshet with a compatibility promise.
//
// A connector is a value that implements SinkConnector or SourceConnector and is
// described by a Plugin (name, version, kind, config definition). Its tasks
// implement SinkTask or SourceTask. Records carry Kafka Connect's data model
// (Schema, Struct, the logical types Decimal, Date, Time and Timestamp), and
// errors carry a Class (retriable, record, fatal) that the runtime reads to
// decide whether to retry, dead-letter, or fail the task.
//
// The package starts no goroutines and holds no global state.
package sdk
