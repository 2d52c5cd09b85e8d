package sdk

import (
	"reflect"
	"testing"
)

func TestSinkPosition(t *testing.T) {
	p := &SinkPosition{Next: 10, Retry: []int64{3, 7}}
	for off, want := range map[int64]bool{0: true, 3: false, 7: false, 9: true, 10: false, 11: false} {
		if got := p.Applied(off); got != want {
			t.Errorf("Applied(%d) = %v, want %v", off, got, want)
		}
	}
	if p.Resume() != 3 {
		t.Errorf("Resume = %d, want 3", p.Resume())
	}
	if (&SinkPosition{Next: 10}).Resume() != 10 {
		t.Error("Resume without failed records")
	}

	q := p.Clone()
	q.Advance(3, false)  // failed before, written now
	q.Advance(10, true)  // fails
	q.Advance(11, false) // written
	q.Advance(7, true)   // fails again
	if want := (&SinkPosition{Next: 12, Retry: []int64{7, 10}}); !reflect.DeepEqual(q, want) {
		t.Errorf("after Advance: %+v, want %+v", q, want)
	}
	if !reflect.DeepEqual(p, &SinkPosition{Next: 10, Retry: []int64{3, 7}}) {
		t.Errorf("Advance on a clone changed the original: %+v", p)
	}

	if got := q.Trimmed(8); !reflect.DeepEqual(got, &SinkPosition{Next: 12, Retry: []int64{10}}) {
		t.Errorf("Trimmed(8) = %+v", got)
	}
	if got := q.Trimmed(7); got != nil {
		t.Errorf("Trimmed(7) = %+v, want nil (nothing below 7 to forget)", got)
	}
	if got := q.Trimmed(100); !reflect.DeepEqual(got, &SinkPosition{Next: 12, Retry: []int64{}}) {
		t.Errorf("Trimmed(100) = %+v", got)
	}
}

func TestIsReplay(t *testing.T) {
	r := Record{Headers: []Header{{Key: HeaderReplayID, Value: []byte("r1")}}}
	if !r.IsReplay() || (&Record{}).IsReplay() {
		t.Error("IsReplay")
	}
}
