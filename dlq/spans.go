package dlq

import (
	"encoding/json"
	"fmt"
	"sort"
)

// Span is a half-open range of offsets [From, To).
type Span struct {
	From, To int64
}

// MarshalJSON writes a span as [from, to).
func (s Span) MarshalJSON() ([]byte, error) {
	return json.Marshal([2]int64{s.From, s.To})
}

// UnmarshalJSON reads a [from, to) pair.
func (s *Span) UnmarshalJSON(b []byte) error {
	var p [2]int64
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	if p[1] < p[0] {
		return fmt.Errorf("span [%d, %d): end before start", p[0], p[1])
	}
	s.From, s.To = p[0], p[1]
	return nil
}

// spans is a set of offsets kept as sorted, disjoint, non-adjacent spans.
type spans []Span

// add inserts [from, to). Appending at or after the end, the common case
// while a run walks a partition in order, costs O(1).
func (s *spans) add(from, to int64) {
	if from >= to {
		return
	}
	ss := *s
	n := len(ss)
	if n == 0 || from > ss[n-1].To {
		*s = append(ss, Span{from, to})
		return
	}
	if from >= ss[n-1].From {
		ss[n-1].To = max(ss[n-1].To, to)
		return
	}
	// First span that ends at or after from: it may merge with the new one.
	i := sort.Search(len(ss), func(i int) bool { return ss[i].To >= from })
	j := i
	for j < len(ss) && ss[j].From <= to {
		from = min(from, ss[j].From)
		to = max(to, ss[j].To)
		j++
	}
	out := append(ss[:i:i], Span{from, to})
	*s = append(out, ss[j:]...)
}

// contains reports whether o is in the set.
func (s spans) contains(o int64) bool {
	i := sort.Search(len(s), func(i int) bool { return s[i].To > o })
	return i < len(s) && s[i].From <= o
}

// count returns how many offsets of [from, to) are in the set.
func (s spans) count(from, to int64) int64 {
	var n int64
	i := sort.Search(len(s), func(i int) bool { return s[i].To > from })
	for ; i < len(s) && s[i].From < to; i++ {
		n += min(s[i].To, to) - max(s[i].From, from)
	}
	return n
}

// advance returns the first offset at or after low that is not in the set.
func (s spans) advance(low int64) int64 {
	i := sort.Search(len(s), func(i int) bool { return s[i].To > low })
	if i < len(s) && s[i].From <= low {
		return s[i].To
	}
	return low
}

// above returns the part of the set at or above low.
func (s spans) above(low int64) spans {
	i := sort.Search(len(s), func(i int) bool { return s[i].To > low })
	out := append(spans(nil), s[i:]...)
	if len(out) > 0 && out[0].From < low {
		out[0].From = low
	}
	return out
}

// total is the number of offsets in the set.
func (s spans) total() int64 {
	var n int64
	for _, sp := range s {
		n += sp.To - sp.From
	}
	return n
}

// chunks splits the set into pieces of at most n spans, so a journal entry
// stays far below Kafka's message size limit however scattered it is.
func (s spans) chunks(n int) []spans {
	var out []spans
	for len(s) > n {
		out = append(out, s[:n:n])
		s = s[n:]
	}
	if len(s) > 0 {
		out = append(out, s)
	}
	return out
}
