// Package dlq is Freshet's dead-letter product: writing dead letters
// (NewRecord, used by the worker), and draining them: listing queues with
// their depth and why records failed, inspecting and filtering records,
// replaying them to their source topic or straight into the connector's
// sink, and skipping them on the record. `freshet dlq` and the REST
// endpoints (Handler) are thin layers over a Drainer. The package is
// internal to Freshet and carries no compatibility promise; the header
// names it writes are the contract with tooling.
//
// # Dead letters
//
// A dead letter is the original record byte for byte (key, value, headers,
// timestamp) with headers appended: Kafka Connect's __connect.errors.*
// (when errors.deadletterqueue.context.headers.enable is set) and always
// Freshet's __freshet.* (error class, attempt, first and last failure,
// worker, connector name and version, and the origin, stage and exception,
// so that a queue written without context headers can still be filtered
// and replayed). Readers take the Kafka Connect header when both exist, so
// queues written by Kafka Connect itself are read too (without a failure
// time: the record timestamp stands in for it).
//
// # Which queues exist
//
// Connector configs are the source of truth: every
// errors.deadletterqueue.topic.name names a queue and its connector. A
// listing can also scan the cluster: any other topic whose latest record
// carries __connect.errors.* or __freshet.error.class headers is a queue
// too (one of a deleted connector, or of a Kafka Connect cluster). A
// TARGET is a connector name or a queue's topic.
//
// # What is drained
//
// Each queue has a drain consumer group, freshet-dlq-drain-<topic>, and an
// audit topic (freshet-dlq-audit) holds a journal of every replay and
// skip: who, when, why, with which filter, and exactly which dead-letter
// offsets it drained. The journal is the source of truth; the group's
// committed offset is its low-water mark (every offset below is drained),
// so Kafka tooling shows a sensible lag, and its commit metadata says where
// in the journal the entries that still matter start. A filtered replay
// drains the records it selected and leaves holes for the others: the
// cursor stops at the first hole, and the journal remembers what was
// drained above it, so the same replay run again selects nothing. Depth
// is the number of records present and not drained.
//
// A replay is committed only after its records are acknowledged: it
// produces (idempotent producer, acks=all) or hands records to the sink,
// waits for all of them, then journals the batch and commits the cursor.
// Interrupted by its context it journals what was acknowledged. Killed, it
// leaves records in the source topic that its journal does not mention; so
// before producing to a source topic a run journals where that topic ends,
// and the next run on the queue, finding the killed run open in the
// journal, reads the source partitions from there for records carrying the
// killed run's id and counts them as drained. Each dead letter therefore
// reaches the source topic once, whichever consumers read it (no reliance
// on read_committed). Replays into the sink are at least once across a
// crash of the worker: records handed to the sink after the last journal
// entry may be handed again.
//
// Journal entries are written in transactions whose transactional id is
// the queue's drain group: a replay or skip fences any earlier one still
// running on the same queue, which stops with ErrFenced at its next entry.
// Records the earlier one delivered between the later one's start and its
// own next entry (at most one batch) may be delivered twice: run one drain
// of a queue at a time. Read-only calls (List, Summarize, Inspect, dry
// runs) write nothing; a replay or skip that selects nothing writes
// nothing either.
//
// Replayed records keep the original key, value, headers and timestamp,
// lose the dead-letter headers, and gain __freshet.replay.* headers (run
// id, time, dead-letter topic, partition and offset, attempts so far, first
// failure). They go to the partition they failed at when it still exists,
// else where Kafka's default partitioner puts their key. Because the
// original timestamp is kept, records older than a time-retained source
// topic's retention.ms may be deleted before the connector reads them
// again: replay those with --topic to a topic with longer retention, or
// raise the retention first.
//
// # Goroutines
//
// The package starts none of its own. franz-go runs goroutines per client;
// a Drainer owns one long-lived client (closed by Close) and each call
// creates and closes its own consuming and producing clients. Produce
// callbacks run on franz-go goroutines and touch only the per-record
// outcome and a map guarded by sourceDest.mu, the package's only mutex.
// Progress callbacks run on the calling goroutine.
package dlq
