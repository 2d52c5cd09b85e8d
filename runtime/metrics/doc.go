// Package metrics observes the worker: Prometheus metrics built from the
// worker's hook events, each sink connector's freshness, and the health
// endpoints. It is internal to Freshet and carries no compatibility promise.
//
// A Collector implements the worker's hook interfaces (worker.HookTaskState,
// HookBatchPut, ...): pass it to worker.WithHooks and serve its Handler at
// /metrics. Every series is named freshet_* and labelled with connector and
// task, and where it applies topic (and partition for consumer lag); label
// values come from configuration, never from record keys or offsets, so the
// number of series is bounded. The Go runtime and process collectors are
// registered too.
//
// # Freshness
//
// A sink record's freshness is the time from its Kafka timestamp to the
// moment the sink acknowledged it: Put returned it as accepted. (Flush makes
// records durable, but its cadence, offset.flush.interval.ms, is a commit
// policy; what a reader of the sink sees changes at Put.) Each connector has
// a cumulative histogram, freshet_freshness_seconds, and a sliding window
// (one minute by default) of log-linear buckets that are at most 3.1 % wide,
// from which Collector.Freshness reads p50 and p99 for the status endpoint.
// Both are fed once per batch, under one mutex per connector; the per-record
// work is a subtraction, a few shifts and two increments.
//
// With freshness.budget.ms set, freshet_freshness_within_budget_records_total
// counts records delivered within it and freshet_freshness_within_budget_ratio
// is the window's share; Freshness.WithinBudget is false when the window's
// p99 exceeds the budget, or when records wait in Kafka while nothing has
// been delivered for longer than the budget (a stuck or paused sink).
//
// # Hooks the worker does not emit yet
//
// Besides the worker's existing hooks, the Collector has methods for events
// the worker is to emit; each becomes an interface in runtime/worker/hooks.go:
//
//	HookTaskStarted  OnTaskStarted(id TaskID, freshnessBudget time.Duration)
//	HookDelivered    OnDelivered(id TaskID, timestamps []time.Time, at time.Time)
//	HookFetched      OnFetched(id TaskID, topic string, partition int32, records int, bytes int64, highWatermark, nextOffset int64)
//	HookPartitions   OnPartitionsAssigned(id TaskID, partitions []sdk.TopicPartition)
//	                 OnPartitionsRevoked(id TaskID, partitions []sdk.TopicPartition, lost bool)
//	HookFlushed      OnFlushed(id TaskID, took time.Duration, err error)
//	HookPolled       OnPolled(id TaskID, records int, took time.Duration, err error)
//	HookRetry        OnRetry(id TaskID, stage string, attempt int)
//
// and OnPluginRestart(plugin string) for the plugin host.
//
// # Health
//
// HealthHandler (GET /health, Kafka Connect 3.9's semantics), ReadyHandler
// (/readyz), LiveHandler (/livez) and PprofHandler (/debug/pprof/, only when
// freshet.pprof.enable is set) ask a Probe, which the herder implements.
//
// # Goroutines and locks
//
// The package starts no goroutines. Hooks run on the worker's task
// goroutines and franz-go's callback goroutines, and scrapes on the HTTP
// server's. Lock order: Collector.mu, then a task's mu; a connector's
// freshness mutex is a leaf.
package metrics
