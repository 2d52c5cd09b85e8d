package worker

import (
	"reflect"
	"testing"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

func rec(file string, pos int) *sdk.Record {
	return &sdk.Record{
		SourcePartition: map[string]any{"filename": file},
		SourceOffset:    map[string]any{"position": int64(pos)},
	}
}

func offsetsOf(ps []sdk.Position) map[string]int64 {
	out := map[string]int64{}
	for _, p := range ps {
		out[p.Partition["filename"].(string)] = p.Offset["position"].(int64)
	}
	return out
}

func TestPositionsNeverPassAnUnackedRecord(t *testing.T) {
	p := newPositions()
	a1, a2, a3 := p.submit(rec("a", 10)), p.submit(rec("a", 20)), p.submit(rec("a", 30))
	b1 := p.submit(rec("b", 5))

	// Acks out of order: a3 and a2 before a1.
	p.ack(a3)
	p.ack(b1)
	if got, want := offsetsOf(p.committable()), map[string]int64{"b": 5}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after acking a3 and b1: committable = %v, want %v (a1 is still in flight)", got, want)
	}
	p.ack(a2)
	if got := offsetsOf(p.committable()); got["a"] != 0 {
		t.Fatalf("a advanced to %d while a1 is unacked", got["a"])
	}
	p.ack(a1)
	ps := p.committable()
	if got, want := offsetsOf(ps), map[string]int64{"a": 30, "b": 5}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after all acks: committable = %v, want %v", got, want)
	}
	if n := p.pending(); n != 0 {
		t.Fatalf("pending = %d, want 0", n)
	}
	p.markCommitted(ps)
	if got := p.committable(); len(got) != 0 {
		t.Fatalf("after markCommitted: committable = %v, want nothing", got)
	}
}

func TestPositionsAckAfterMarkKeepsNewerPosition(t *testing.T) {
	p := newPositions()
	t1, t2 := p.submit(rec("a", 1)), p.submit(rec("a", 2))
	p.ack(t1)
	ps := p.committable()
	p.ack(t2) // arrives between reading and persisting
	p.markCommitted(ps)
	if got := offsetsOf(p.committable()); got["a"] != 2 {
		t.Fatalf("committable = %v, want a at 2 still to persist", got)
	}
}

func TestPositionsUntrackedRecords(t *testing.T) {
	p := newPositions()
	tk := p.submit(&sdk.Record{})
	p.ack(tk) // must not panic
	if got := p.committable(); len(got) != 0 {
		t.Fatalf("committable = %v for records without source partitions", got)
	}
}

func TestBackoff(t *testing.T) {
	b := newBackoff(2000 * 1e6) // 2 s
	want := []int64{300, 600, 1200}
	for _, w := range want {
		if d := b.delay().Milliseconds(); d != w {
			t.Fatalf("delay = %d ms, want %d", d, w)
		}
	}
	for range 5 {
		if d := b.delay(); d < 0 || d >= 2000*1e6 {
			t.Fatalf("jittered delay %v outside [0, 2s)", d)
		}
	}
}

func TestClassifyDefaults(t *testing.T) {
	plain := errTest("boom")
	for _, tc := range []struct {
		stage string
		err   error
		want  sdk.Class
	}{
		{StageValueConverter, plain, sdk.ClassRecord},
		{StageTransformation, plain, sdk.ClassRecord},
		{StageTaskPut, plain, sdk.ClassFatal},
		{StageTaskPoll, plain, sdk.ClassFatal},
		{StageTaskPut, sdk.Retriable(plain), sdk.ClassRetriable},
		{StageValueConverter, sdk.Fatal(plain), sdk.ClassFatal},
	} {
		if got := classify(tc.err, tc.stage); got != tc.want {
			t.Errorf("classify(%v, %s) = %v, want %v", tc.err, tc.stage, got, tc.want)
		}
	}
}

type errTest string

func (e errTest) Error() string { return string(e) }
