package sdk

import "slices"

// HeaderReplayID marks a dead letter that the runtime replays straight into
// its sink (freshet dlq replay --to sink); its value names the replay run
// (dlq.HeaderReplayID is the same header).
const HeaderReplayID = "__freshet.replay.id"

// IsReplay reports whether r is a dead letter replayed straight into the
// sink. Such a record keeps the topic, partition and offset where it first
// failed: they are not a position of the consumer, so a sink that stores its
// offsets neither skips it as already written nor moves a SinkPosition for it.
func (r *Record) IsReplay() bool {
	_, ok := r.Header(HeaderReplayID)
	return ok
}

// SinkPosition is what a sink that stores its offsets with its data (and so
// writes exactly once: see SinkTask) keeps for one partition: the next offset
// to write, and the records below it that failed and whose dead letters the
// runtime may not hold yet. Open returns Resume, Put skips the records
// Applied reports and records each written one with Advance, and Flush calls
// Trim with the offsets it is given, below which the runtime holds every dead
// letter. So a crash delivers again exactly the records that are not in the
// sink: the failed ones whose dead letters may be lost, and those after Next.
type SinkPosition struct {
	Next  int64   // the next offset to write; -1 when nothing is stored
	Retry []int64 // sorted offsets below Next whose records failed, not yet trimmed
}

// Applied reports whether the record at off is in the sink: below Next and
// not one that failed.
func (p *SinkPosition) Applied(off int64) bool {
	if off >= p.Next {
		return false
	}
	_, failed := slices.BinarySearch(p.Retry, off)
	return !failed
}

// Resume is the offset to consume from: the first failed record, else Next.
func (p *SinkPosition) Resume() int64 {
	if len(p.Retry) > 0 && p.Retry[0] < p.Next {
		return p.Retry[0]
	}
	return p.Next
}

// Clone returns a copy that shares nothing with p.
func (p *SinkPosition) Clone() *SinkPosition {
	return &SinkPosition{Next: p.Next, Retry: slices.Clone(p.Retry)}
}

// Advance records the outcome of the record at off: Next moves past it, and
// it is added to Retry if it failed, or taken out if it failed before and is
// now written.
func (p *SinkPosition) Advance(off int64, failed bool) {
	pos, found := slices.BinarySearch(p.Retry, off)
	switch {
	case failed && !found:
		p.Retry = slices.Insert(p.Retry, pos, off)
	case !failed && found:
		p.Retry = slices.Delete(p.Retry, pos, pos+1)
	}
	p.Next = max(p.Next, off+1)
}

// Trimmed returns the position without the failed records below off, or nil
// when it has none (there is nothing to store).
func (p *SinkPosition) Trimmed(off int64) *SinkPosition {
	if len(p.Retry) == 0 || p.Retry[0] >= off {
		return nil
	}
	i, _ := slices.BinarySearch(p.Retry, off)
	return &SinkPosition{Next: p.Next, Retry: p.Retry[i:]}
}
