package worker_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/dlq"
	"github.com/freshet-dev/freshet/runtime/worker"
)

func TestReplayPutsDeadLettersIntoTheRunningSink(t *testing.T) {
	c, _ := newCluster(t, "in")
	sink := &memSink{failOn: func(r sdk.Record) error {
		if m, ok := r.Value.(map[string]any); ok && m["bad"] == true {
			return sdk.RecordErr(errors.New("still rejected"))
		}
		return nil
	}}
	w := newWorker(t, c.ListenAddrs()[0])
	ctx := context.Background()
	if err := w.Ready(ctx, "replayed"); !errors.Is(err, dlq.ErrNotRunning) {
		t.Fatalf("Ready before start = %v, want ErrNotRunning", err)
	}
	id := worker.TaskID{Connector: "replayed", Task: 0}
	cfg := map[string]string{"name": "replayed", "connector.class": "mem-sink", "topics": "in"}
	if err := w.StartTask(ctx, id, sink.plugin(), cfg, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the task to run", 10*time.Second, func() bool { return w.Ready(ctx, "replayed") == nil })

	recs := []*kgo.Record{
		{Topic: "in", Partition: 2, Offset: 41, Value: []byte(`{"i":1}`)},
		{Topic: "in", Partition: 2, Offset: 42, Value: []byte(`not json`)},
		{Topic: "in", Partition: 0, Offset: 7, Value: []byte(`{"bad":true}`)},
		{Topic: "in", Partition: 1, Offset: 3, Value: []byte(`{"i":2}`)},
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	failed, err := w.Replay(rctx, "replayed", recs)
	if err != nil {
		t.Fatal(err)
	}
	var se *dlq.StageError
	if len(failed) != 2 || !errors.As(failed[1], &se) || se.Stage != worker.StageValueConverter ||
		!errors.As(failed[2], &se) || se.Stage != worker.StageTaskPut {
		t.Fatalf("failed = %v; want record 1 at VALUE_CONVERTER and record 2 at TASK_PUT", failed)
	}
	got := sink.snapshot()
	if len(got) != 2 || fmt.Sprint(got[0].Value) != "map[i:1]" || got[1].Offset != 3 {
		t.Fatalf("sink holds %v; want the two good replayed records", got)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if sink.flushed == nil {
		t.Error("replay did not flush the sink")
	}
}
