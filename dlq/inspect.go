package dlq

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Summary describes a dead-letter queue: how much is left to drain, how
// old it is, and why its records failed.
type Summary struct {
	Queue
	Exists     bool  `json:"exists"`
	Partitions int   `json:"partitions"`
	Records    int64 `json:"records"` // present in the topic, drained or not
	// Depth counts the records not yet drained (replayed or skipped).
	Depth int64 `json:"depth"`
	// Expired counts records deleted by retention before anyone drained
	// them.
	Expired int64 `json:"expired,omitempty"`
	// Oldest and Newest are the failure times of the oldest and newest
	// records not yet drained.
	Oldest *time.Time `json:"oldest,omitempty"`
	Newest *time.Time `json:"newest,omitempty"`
	// Counts of the records not yet drained, by Freshet error class
	// (record, retriable, fatal), exception class, stage and source topic;
	// "unknown" when a dead letter does not say.
	ByErrorClass  map[string]int64 `json:"by_error_class"`
	ByException   map[string]int64 `json:"by_exception"`
	ByStage       map[string]int64 `json:"by_stage"`
	BySourceTopic map[string]int64 `json:"by_source_topic"`
	// Cursor is the drain group's low-water mark per partition: every
	// offset below it is drained.
	Cursor map[int32]int64 `json:"cursor"`
	// Interrupted lists runs killed before they finished and not yet
	// reconciled: until the next replay or skip reconciles them, Depth may
	// count records they replayed after their last journal entry.
	Interrupted []string `json:"interrupted_runs,omitempty"`
}

// List summarizes every dead-letter queue (see Queues for scan).
func (d *Drainer) List(ctx context.Context, scan bool) ([]Summary, error) {
	qs, err := d.Queues(ctx, scan)
	if err != nil {
		return nil, err
	}
	out := make([]Summary, 0, len(qs))
	for _, q := range qs {
		s, err := d.Summarize(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("summarize %s: %w", q.Topic, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// Summarize reads a queue's state and the headers of its records not yet
// drained. It changes nothing.
func (d *Drainer) Summarize(ctx context.Context, q Queue) (Summary, error) {
	sum := Summary{
		Queue:        q,
		ByErrorClass: map[string]int64{}, ByException: map[string]int64{}, ByStage: map[string]int64{}, BySourceTopic: map[string]int64{},
		Cursor: map[int32]int64{},
	}
	st, err := d.load(ctx, q.Topic)
	if err != nil {
		return sum, err
	}
	sum.Exists, sum.Partitions = st.exists, len(st.parts)
	sum.Depth, sum.Expired = st.depth()
	for p, ps := range st.parts {
		sum.Records += ps.end - ps.start
		sum.Cursor[p] = st.lowWater(p)
	}
	for id := range st.open {
		sum.Interrupted = append(sum.Interrupted, id)
	}
	bounds := map[int32]Span{}
	for p := range st.parts {
		bounds[p] = st.undrained(p)
	}
	// Counted through pointers: a map lookup by string(bytes) does not
	// allocate, so a million records cost a handful of allocations.
	var counts [4]map[string]*int64
	fields := [4]field{fErrorClass, fExceptionClass, fStage, fTopic}
	for i := range counts {
		counts[i] = map[string]*int64{}
	}
	var oldest, newest time.Time
	err = d.scan(ctx, q.Topic, bounds, scanOpts{}, func(r *kgo.Record) error {
		if st.isDrained(r.Partition, r.Offset) {
			return nil
		}
		m := indexHeaders(r.Headers)
		for i, f := range fields {
			b, _ := m.bytes(f)
			n := counts[i][string(b)]
			if n == nil {
				n = new(int64)
				counts[i][string(b)] = n
			}
			*n++
		}
		t := m.failureTime(r)
		if oldest.IsZero() || t.Before(oldest) {
			oldest = t
		}
		if newest.IsZero() || t.After(newest) {
			newest = t
		}
		return nil
	})
	for i, out := range []map[string]int64{sum.ByErrorClass, sum.ByException, sum.ByStage, sum.BySourceTopic} {
		for k, n := range counts[i] {
			if k == "" {
				k = "unknown"
			}
			out[k] += *n
		}
	}
	if !oldest.IsZero() {
		sum.Oldest, sum.Newest = &oldest, &newest
	}
	return sum, err
}

// InspectResult tells what an inspection read.
type InspectResult struct {
	Queue   Queue `json:"dlq"`
	Scanned int64 `json:"scanned"` // records read
	Matched int64 `json:"matched"` // records handed to fn
	// Truncated is true when the scan stopped at the filter's limit.
	Truncated bool `json:"truncated"`
}

// Inspect calls fn with every record of the queue that f selects, decoded,
// in offset order within each partition. It filters on headers before it
// decodes anything and stops at f.Limit. It changes nothing.
func (d *Drainer) Inspect(ctx context.Context, target string, f Filter, fn func(Record) error) (InspectResult, error) {
	q, err := d.Resolve(ctx, target)
	if err != nil {
		return InspectResult{}, err
	}
	res := InspectResult{Queue: q}
	st, err := d.load(ctx, q.Topic)
	if err != nil {
		return res, err
	}
	bounds := map[int32]Span{}
	for p, ps := range st.parts {
		from := ps.start
		if !f.IncludeDrained {
			from = st.undrained(p).From
		}
		bounds[p] = Span{max(from, f.FromOffset), ps.end}
	}
	err = d.scan(ctx, q.Topic, bounds, scanOpts{}, func(r *kgo.Record) error {
		res.Scanned++
		drained := st.isDrained(r.Partition, r.Offset)
		if drained && !f.IncludeDrained {
			return nil
		}
		m := indexHeaders(r.Headers)
		if !f.match(&m, r) {
			return nil
		}
		res.Matched++
		if err := fn(decode(r, &m, drained)); err != nil {
			return err
		}
		if f.Limit > 0 && res.Matched >= int64(f.Limit) {
			res.Truncated = true
			return errStop
		}
		return nil
	})
	return res, err
}

// Depth is how many records of a queue are not drained, without reading
// them: cheap enough for a metrics collector to call every scrape.
type Depth struct {
	Queue   Queue `json:"dlq"`
	Depth   int64 `json:"depth"`
	Expired int64 `json:"expired"`
}

// Depths returns the depth of every queue the connector configs name.
func (d *Drainer) Depths(ctx context.Context) ([]Depth, error) {
	qs, err := d.Queues(ctx, false)
	if err != nil {
		return nil, err
	}
	out := make([]Depth, 0, len(qs))
	for _, q := range qs {
		st, err := d.load(ctx, q.Topic)
		if err != nil {
			return nil, fmt.Errorf("depth of %s: %w", q.Topic, err)
		}
		dep, exp := st.depth()
		out = append(out, Depth{Queue: q, Depth: dep, Expired: exp})
	}
	return out, nil
}
