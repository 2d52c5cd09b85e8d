// Package storetest holds the behaviour suites that every implementation of
// store.Configs and store.Offsets must pass: memory and file now, the Kafka
// stores later. An implementation's test calls TestConfigs and TestOffsets
// with a function that makes a fresh store (and, for a durable store, a way
// to reopen it). The suites start goroutines only inside a test, and wait for
// them before it ends.
package storetest
