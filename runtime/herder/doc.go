// Package herder turns desired state (connector configs and target states
// STARTED, PAUSED, STOPPED) into running connectors and tasks, and reports
// their statuses the way Kafka Connect's status API does. It is internal to
// Freshet and carries no compatibility promise.
//
// Goroutines: Herder has none of its own; tasks run on the worker.
// Distributed (distributed mode) runs one goroutine that owns what runs on
// this worker, fed by membership callbacks, config-topic events and
// restarts over a channel, and runs the cluster membership loop.
//
// Lock order: Herder.ops (serialises lifecycle operations, may be held while
// tasks stop), then Herder.mu (guards statuses; never held across I/O).
package herder
