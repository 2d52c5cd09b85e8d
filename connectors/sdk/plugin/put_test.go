package plugin

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// recordingSink records the offsets of each Put and answers the i-th Put
// with answers[i] (nil past the end); a panic answer panics.
type recordingSink struct {
	sdk.SinkTask // only Put is called
	puts         [][]int64
	answers      []error
	entered      chan struct{}
}

var errPanic = errors.New("panic")

func (s *recordingSink) Put(_ context.Context, recs []sdk.Record) error {
	var offs []int64
	for _, r := range recs {
		offs = append(offs, r.Offset)
	}
	s.puts = append(s.puts, offs)
	var err error
	if i := len(s.puts) - 1; i < len(s.answers) {
		err = s.answers[i]
	}
	s.entered <- struct{}{}
	if err == errPanic {
		panic("boom")
	}
	return err
}

// putInParts runs a putter over a batch of 3 parts of 4 records (offsets
// 0–11), each part sent once the task's Put has taken the one before, so
// that each part is one Put. stopAfter is the number of Puts the task takes.
func putInParts(t *testing.T, answers []error, stopAfter int) (*putter, *recordingSink) {
	t.Helper()
	sink := &recordingSink{answers: answers, entered: make(chan struct{}, 8)}
	p := startPutter(context.Background(), sink)
	recs := make([]sdk.Record, 0, 12)
	for part := range 3 {
		for i := range 4 {
			recs = append(recs, sdk.Record{Offset: int64(part*4 + i)})
		}
		p.decoded <- recs
		if part < stopAfter {
			<-sink.entered
		}
	}
	close(p.decoded)
	<-p.done
	return p, sink
}

func failedIndexes(p *putter) []int {
	var out []int
	for _, f := range p.failed {
		out = append(out, f.index)
	}
	return out
}

func TestPutterPutsPartsInOrder(t *testing.T) {
	p, sink := putInParts(t, nil, 3)
	want := [][]int64{{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9, 10, 11}}
	if !reflect.DeepEqual(sink.puts, want) || p.err != nil || len(p.failed) != 0 {
		t.Fatalf("puts %v, err %v, failed %v; want %v and no failures", sink.puts, p.err, p.failed, want)
	}
}

func TestPutterIndexesRecordFailuresInTheBatch(t *testing.T) {
	berr := sdk.NewBatchError()
	berr.Fail(1, sdk.RecordErr(errors.New("bad record")))
	p, _ := putInParts(t, []error{nil, berr}, 3)
	if got := failedIndexes(p); !reflect.DeepEqual(got, []int{5}) || p.err != nil {
		t.Fatalf("failed %v, err %v; want record 5 (index 1 of the second part) only", got, p.err)
	}
	if c, _ := sdk.ClassOf(p.failed[0].err); c != sdk.ClassRecord {
		t.Fatalf("class %v, want record", c)
	}
}

func TestPutterRetriableFailurePartWayFailsTheRest(t *testing.T) {
	p, sink := putInParts(t, []error{nil, sdk.Retriable(errors.New("connection reset"))}, 2)
	if len(sink.puts) != 2 {
		t.Fatalf("%d Puts after a retriable failure in the second, want 2: %v", len(sink.puts), sink.puts)
	}
	want := []int{4, 5, 6, 7, 8, 9, 10, 11} // the second part on; the first is written
	if got := failedIndexes(p); !reflect.DeepEqual(got, want) || p.err != nil {
		t.Fatalf("failed %v, err %v; want %v", got, p.err, want)
	}
	for _, f := range p.failed {
		if c, _ := sdk.ClassOf(f.err); c != sdk.ClassRetriable {
			t.Fatalf("record %d: class %v, want retriable", f.index, c)
		}
	}
}

func TestPutterWholeBatchErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		answers []error
		puts    int
		class   sdk.Class
	}{
		{"retriable on the first part", []error{sdk.Retriable(errors.New("down"))}, 1, sdk.ClassRetriable},
		{"fatal part-way", []error{nil, sdk.Fatal(errors.New("bad config"))}, 2, sdk.ClassFatal},
		{"reset part-way", []error{nil, sdk.Retriable(sdk.ErrTaskReset)}, 2, sdk.ClassRetriable},
		{"panic", []error{errPanic}, 1, sdk.ClassFatal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, sink := putInParts(t, tc.answers, tc.puts)
			if p.err == nil || len(p.failed) != 0 {
				t.Fatalf("err %v, failed %v; want the batch failed as a whole", p.err, failedIndexes(p))
			}
			if c, _ := sdk.ClassOf(p.err); c != tc.class {
				t.Fatalf("class %v of %v, want %v", c, p.err, tc.class)
			}
			if len(sink.puts) != tc.puts {
				t.Fatalf("%d Puts, want %d", len(sink.puts), tc.puts)
			}
		})
	}
}
