package metrics

import (
	"math"
	"math/bits"
	"time"
)

// Latencies are kept in microseconds in log-linear buckets, the HDR
// histogram's layout: values below 2^subBits each have a bucket, and every
// power of two above is split into 2^subBits equal buckets. A bucket is at
// most 1/32 (3.1 %) of its lower edge wide, so a quantile read at a bucket's
// midpoint is within 1.6 % of the true value. The index is a few shifts: no
// logarithm on the per-record path.
const (
	subBits    = 5
	subCount   = 1 << subBits
	maxOctave  = 42 // 2^42 µs ≈ 51 days; larger values share the last bucket
	numBuckets = (maxOctave - subBits + 2) * subCount
)

// bucketOf returns the fine bucket of v microseconds.
func bucketOf(v uint64) int {
	if v < subCount {
		return int(v)
	}
	shift := bits.Len64(v) - subBits - 1 // v>>shift is in [subCount, 2*subCount)
	i := (shift+1)*subCount + int(v>>shift) - subCount
	return min(i, numBuckets-1)
}

// bucketBounds returns the smallest and largest value of fine bucket i.
func bucketBounds(i int) (lo, hi uint64) {
	if i < subCount {
		return uint64(i), uint64(i)
	}
	shift := i/subCount - 1
	lo = uint64(subCount+i%subCount) << shift
	return lo, lo + 1<<shift - 1
}

// window is a sliding-window latency distribution: slots of fine-bucket
// counts, each covering slotLen; a quantile merges the slots younger than the
// window. Its memory is fixed: slots × numBuckets counters. Not safe for
// concurrent use; freshness holds its mutex around it.
type window struct {
	slotLen time.Duration
	slots   []slot
}

type slot struct {
	start  time.Time // zero: never used
	counts []uint32  // allocated on first use
	n      uint64
	within uint64 // records within the budget in force when observed
}

func newWindow(length time.Duration, slots int) *window {
	return &window{slotLen: length / time.Duration(slots), slots: make([]slot, slots)}
}

// at returns the slot for time t, recycling the one it replaces.
func (w *window) at(t time.Time) *slot {
	start := t.Truncate(w.slotLen)
	s := &w.slots[int(start.UnixNano()/int64(w.slotLen))%len(w.slots)]
	if !s.start.Equal(start) {
		if s.counts == nil {
			s.counts = make([]uint32, numBuckets)
		} else {
			clear(s.counts)
		}
		s.start, s.n, s.within = start, 0, 0
	}
	return s
}

// live reports whether s holds observations from the window ending at now.
func (w *window) live(s *slot, now time.Time) bool {
	return !s.start.IsZero() && now.Sub(s.start) < w.slotLen*time.Duration(len(w.slots)) && !s.start.After(now)
}

// summary is what a window holds at one moment.
type summary struct {
	n, within uint64
	counts    []uint64 // merged fine buckets; nil when n == 0
}

func (w *window) summary(now time.Time) summary {
	var sum summary
	for i := range w.slots {
		s := &w.slots[i]
		if !w.live(s, now) || s.n == 0 {
			continue
		}
		if sum.counts == nil {
			sum.counts = make([]uint64, numBuckets)
		}
		for j, c := range s.counts {
			sum.counts[j] += uint64(c)
		}
		sum.n += s.n
		sum.within += s.within
	}
	return sum
}

// totals returns how many observations the window holds, and how many of
// them were within the budget, without merging the buckets.
func (w *window) totals(now time.Time) (n, within uint64) {
	for i := range w.slots {
		if s := &w.slots[i]; w.live(s, now) {
			n += s.n
			within += s.within
		}
	}
	return n, within
}

// quantile returns the q-quantile (0 < q ≤ 1) in microseconds: the midpoint
// of the bucket holding the ⌈q·n⌉-th smallest value.
func (s summary) quantile(q float64) uint64 {
	if s.n == 0 {
		return 0
	}
	rank := max(1, min(uint64(math.Ceil(q*float64(s.n))), s.n))
	var seen uint64
	for i, c := range s.counts {
		seen += c
		if seen >= rank {
			lo, hi := bucketBounds(i)
			return lo + (hi-lo)/2
		}
	}
	return 0 // unreachable: the counts add up to n
}
