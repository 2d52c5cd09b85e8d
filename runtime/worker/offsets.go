package worker

import (
	"encoding/json"
	"sync"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// positions tracks the source positions of records handed to the producer and
// yields, per source partition, the position of the longest prefix of records
// that are all acknowledged (or deliberately dropped). Out-of-order acks never
// advance a partition past an unacknowledged record (DESIGN invariant 2: only
// positions of durable records are persisted).
type positions struct {
	mu    sync.Mutex
	parts map[string]*partQueue
}

type partQueue struct {
	partition map[string]any
	base      int        // absolute sequence number of entries[0]
	entries   []posEntry // pending, in submission order
	done      map[string]any
	changed   bool
}

type posEntry struct {
	offset map[string]any
	acked  bool
}

// ticket identifies one submitted record by its partition queue and its
// absolute sequence number in that queue.
type ticket struct {
	q   *partQueue
	seq int
}

func newPositions() *positions { return &positions{parts: map[string]*partQueue{}} }

// partitionKey canonicalises a source partition map (encoding/json sorts keys).
func partitionKey(p map[string]any) string {
	b, err := json.Marshal(p)
	if err != nil {
		// A partition map must be JSON-encodable to be stored; the store
		// reports that. Here a key that still separates partitions will do.
		return "!" + err.Error()
	}
	return string(b)
}

// submit registers a record about to be produced. Records without a source
// partition are not tracked (zero ticket).
func (p *positions) submit(r *sdk.Record) ticket {
	if r.SourcePartition == nil {
		return ticket{}
	}
	key := partitionKey(r.SourcePartition)
	p.mu.Lock()
	defer p.mu.Unlock()
	q := p.parts[key]
	if q == nil {
		q = &partQueue{partition: r.SourcePartition}
		p.parts[key] = q
	}
	q.entries = append(q.entries, posEntry{offset: r.SourceOffset})
	return ticket{q: q, seq: q.base + len(q.entries) - 1}
}

// ack marks the record of t as durable (or deliberately dropped).
func (p *positions) ack(t ticket) {
	if t.q == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	q := t.q
	q.entries[t.seq-q.base].acked = true
	n := 0
	for n < len(q.entries) && q.entries[n].acked {
		q.done = q.entries[n].offset
		q.changed = true
		n++
	}
	q.entries = q.entries[n:]
	q.base += n
}

// committable returns the newest fully acknowledged position of every source
// partition that advanced since the last call to markCommitted.
func (p *positions) committable() []sdk.Position {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []sdk.Position
	for _, q := range p.parts {
		if q.changed {
			out = append(out, sdk.Position{Partition: q.partition, Offset: q.done})
		}
	}
	return out
}

// markCommitted records that positions were persisted.
func (p *positions) markCommitted(ps []sdk.Position) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pos := range ps {
		if q := p.parts[partitionKey(pos.Partition)]; q != nil && sameOffset(q.done, pos.Offset) {
			q.changed = false
		}
	}
}

// pending reports how many records are submitted but not yet acknowledged.
func (p *positions) pending() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, q := range p.parts {
		n += len(q.entries)
	}
	return n
}

func sameOffset(a, b map[string]any) bool { return partitionKey(a) == partitionKey(b) }
