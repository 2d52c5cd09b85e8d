// Package cluster is distributed mode's membership: workers that share a
// group.id join one Kafka group with Freshet's own protocol type, the member
// Kafka elects leader assigns connectors and tasks (Assign, a pure function),
// and every member learns the whole assignment. There is no consensus code
// here: membership, leadership and generations are the Kafka group
// coordinator's. It is internal to Freshet, with no compatibility promise.
//
// The assignment is balanced (connectors and tasks counted separately),
// sticky (a member keeps what it runs; a worker that restarts gets its work
// back), incremental (only what moves is revoked, and it is assigned in a
// follow-up rebalance once its old owner stopped it) and delayed (a departed
// worker's work is held for scheduled.rebalance.max.delay.ms before it moves).
//
// Goroutines: Member.Run runs the join/sync/heartbeat loop on the caller's
// goroutine and calls the Handler from it, one call at a time. Member's other
// methods are safe for concurrent use; its mutex is a leaf.
package cluster
