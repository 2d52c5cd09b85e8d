// Package worker runs connector tasks in this process: the sink task loop
// (consume, convert, transform, put, flush, commit) and the source task loop
// (poll, transform, convert, produce, persist positions, commit). It is
// internal to Freshet and carries no compatibility promise.
//
// Goroutines: each running task owns one goroutine, started by Worker.Start*
// and waited for by Worker.Stop and Worker.Shutdown. franz-go runs its own
// goroutines per client; the sink loop uses BlockRebalanceOnPoll, so group
// callbacks (open, flush, commit, close) never run concurrently with put.
// Source produce callbacks run on franz-go goroutines and touch only the
// position tracker, which has its own mutex.
//
// Lock order: Worker.mu, then nothing else. The position tracker's mutex is
// a leaf.
package worker
