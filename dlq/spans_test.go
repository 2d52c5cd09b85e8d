package dlq

import (
	"fmt"
	"testing"
)

func TestSpans(t *testing.T) {
	for _, tc := range []struct {
		name string
		add  [][2]int64
		want string
	}{
		{"append in order", [][2]int64{{0, 1}, {1, 2}, {2, 3}}, "[{0 3}]"},
		{"gap", [][2]int64{{0, 1}, {2, 3}}, "[{0 1} {2 3}]"},
		{"out of order merges", [][2]int64{{5, 6}, {0, 1}, {1, 5}}, "[{0 6}]"},
		{"overlap", [][2]int64{{0, 10}, {3, 4}, {8, 12}}, "[{0 12}]"},
		{"insert between", [][2]int64{{0, 1}, {10, 11}, {5, 6}}, "[{0 1} {5 6} {10 11}]"},
		{"bridge several", [][2]int64{{0, 1}, {2, 3}, {4, 5}, {6, 7}, {1, 6}}, "[{0 7}]"},
		{"empty span ignored", [][2]int64{{3, 3}}, "[]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s spans
			for _, a := range tc.add {
				s.add(a[0], a[1])
			}
			if got := fmt.Sprint([]Span(s)); got != tc.want {
				t.Errorf("spans = %s, want %s", got, tc.want)
			}
		})
	}
	s := spans{{2, 5}, {7, 8}, {10, 20}}
	for _, c := range []struct {
		o    int64
		want bool
	}{{1, false}, {2, true}, {4, true}, {5, false}, {7, true}, {8, false}, {19, true}, {20, false}} {
		if got := s.contains(c.o); got != c.want {
			t.Errorf("contains(%d) = %v", c.o, got)
		}
	}
	if n := s.count(3, 12); n != 2+1+2 {
		t.Errorf("count(3,12) = %d, want 5", n)
	}
	if a := s.advance(2); a != 5 {
		t.Errorf("advance(2) = %d, want 5", a)
	}
	if a := s.advance(6); a != 6 {
		t.Errorf("advance(6) = %d, want 6", a)
	}
	if got := fmt.Sprint([]Span(s.above(4))); got != "[{4 5} {7 8} {10 20}]" {
		t.Errorf("above(4) = %s", got)
	}
	if c := s.chunks(2); len(c) != 2 || len(c[0]) != 2 || len(c[1]) != 1 {
		t.Errorf("chunks(2) = %v", c)
	}
}

// TestStatePointer: the journal pointer stays at the first entry that
// still drains something above the low-water mark, or at an open run.
func TestStatePointer(t *testing.T) {
	s := newState("q")
	s.parts[0] = &partState{start: 0, end: 100, low: 0}
	s.apply(journaled{at: 10, e: entry{Type: entryStart, Run: "a"}})
	if p := s.pointer(); p != 10 {
		t.Errorf("open run: pointer = %d, want 10", p)
	}
	s.apply(journaled{at: 11, e: entry{Type: entryProgress, Run: "a", Drained: map[int32]spans{0: {{0, 5}}}}})
	s.apply(journaled{at: 12, e: entry{Type: entryProgress, Run: "a", Drained: map[int32]spans{0: {{8, 9}}}}})
	s.apply(journaled{at: 13, e: entry{Type: entryEnd, Run: "a"}})
	if p := s.pointer(); p != 12 {
		t.Errorf("pointer = %d, want 12 (offset 8 is drained above the low-water mark 5)", p)
	}
	if low := s.lowWater(0); low != 5 {
		t.Errorf("low water = %d, want 5", low)
	}
	if d, _ := s.depth(); d != 100-5-1 {
		t.Errorf("depth = %d, want 94", d)
	}
	s.apply(journaled{at: 14, e: entry{Type: entryStart, Run: "b"}})
	s.apply(journaled{at: 15, e: entry{Type: entryProgress, Run: "b", Drained: map[int32]spans{0: {{5, 8}}}}})
	s.apply(journaled{at: 16, e: entry{Type: entryEnd, Run: "b"}})
	if p, low := s.pointer(), s.lowWater(0); p != 17 || low != 9 {
		t.Errorf("pointer, low = %d, %d; want 17 (nothing above the mark), 9", p, low)
	}
	// Entries about another incarnation of the topic are ignored.
	s.topicID = "new"
	s.apply(journaled{at: 17, e: entry{Type: entryProgress, Run: "c", TopicID: "old", Drained: map[int32]spans{0: {{9, 50}}}}})
	if low := s.lowWater(0); low != 9 {
		t.Errorf("an old topic's entry moved the mark to %d", low)
	}
}

func TestExpiredSpans(t *testing.T) {
	s := newState("q")
	s.parts[0] = &partState{start: 10, end: 20, low: 2}
	s.drained[0] = &spans{{4, 6}, {12, 13}}
	if got := fmt.Sprint(s.expiredSpans()); got != "map[0:[{2 4} {6 10}]]" {
		t.Errorf("expired = %s", got)
	}
	if d, exp := s.depth(); d != 9 || exp != 6 {
		t.Errorf("depth, expired = %d, %d; want 9, 6", d, exp)
	}
}
