package worker_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/runtime/worker"
)

// crashySink buffers records in Put and makes them durable in Flush, like a
// plugin process would; at chosen Put calls it "crashes": the buffer is
// lost and Put reports sdk.ErrTaskReset.
type crashySink struct {
	mu      sync.Mutex
	resetAt map[int]bool // the Put calls that crash
	puts    int
	resets  int
	pending []sdk.Record
	durable []sdk.Record
}

func (s *crashySink) plugin() sdk.Plugin {
	return sdk.Plugin{Name: "crashy", Kind: sdk.KindSink, New: func() sdk.Connector { return crashyConn{s} }}
}

type crashyConn struct{ s *crashySink }

func (c crashyConn) Start(context.Context, map[string]string) error { return nil }
func (c crashyConn) TaskConfigs(int) ([]map[string]string, error) {
	return []map[string]string{{}}, nil
}
func (c crashyConn) Stop(context.Context) error { return nil }
func (c crashyConn) NewSinkTask() sdk.SinkTask  { return crashyTask(c) }

type crashyTask struct{ s *crashySink }

func (t crashyTask) Start(context.Context, map[string]string) error { return nil }
func (t crashyTask) Open(context.Context, []sdk.TopicPartition) (sdk.Offsets, error) {
	return nil, nil
}
func (t crashyTask) Put(_ context.Context, b []sdk.Record) error {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	t.s.puts++
	if t.s.resetAt[t.s.puts] {
		t.s.pending = nil
		t.s.resets++
		return sdk.Retriable(fmt.Errorf("plugin crashy exited (status 137): %w", sdk.ErrTaskReset))
	}
	t.s.pending = append(t.s.pending, b...)
	return nil
}
func (t crashyTask) Flush(context.Context, sdk.Offsets) (sdk.Offsets, error) {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	t.s.durable = append(t.s.durable, t.s.pending...)
	t.s.pending = nil
	return nil, nil
}
func (t crashyTask) Close(context.Context, []sdk.TopicPartition) error { return nil }
func (t crashyTask) Stop(context.Context) error                        { return nil }

func TestSinkResetRewindsAndLosesNothing(t *testing.T) {
	c, cl := newCluster(t, "in")
	const n = 5000
	for range 10 { // many small produce batches, so the task sees many Puts
		produceJSON(t, cl, "in", n/10, func(i int) []byte { return []byte(fmt.Sprintf(`{"i":%d}`, i)) })
	}
	sink := &crashySink{resetAt: map[int]bool{3: true, 10: true, 25: true, 40: true}}
	w := newWorkerOpts(t, c.ListenAddrs()[0], worker.WithMaxPollRecords(100))
	id := worker.TaskID{Connector: "crashy", Task: 0}
	cfg := map[string]string{"name": "crashy", "connector.class": "crashy", "topics": "in"}
	if err := w.StartTask(context.Background(), id, sink.plugin(), cfg, nil); err != nil {
		t.Fatal(err)
	}
	ends := endOffsets(t, cl, "in")
	waitFor(t, "offsets committed to the end", 30*time.Second, func() bool {
		got := committed(t, cl, "connect-crashy")
		for p, end := range ends {
			if got[p] != end {
				return false
			}
		}
		return true
	})
	w.StopTask(context.Background(), id)

	sink.mu.Lock()
	defer sink.mu.Unlock()
	if sink.resets == 0 {
		t.Fatal("the sink never reset; the test proves nothing")
	}
	seen := map[sdk.TopicPartition]map[int64]bool{}
	for _, r := range sink.durable {
		tp := r.TopicPartition()
		if seen[tp] == nil {
			seen[tp] = map[int64]bool{}
		}
		seen[tp][r.Offset] = true
	}
	for p, end := range ends {
		tp := sdk.TopicPartition{Topic: "in", Partition: p}
		for off := int64(0); off < end; off++ {
			if !seen[tp][off] {
				t.Fatalf("record %s@%d committed but never made durable by the sink (lost in a reset)", tp, off)
			}
		}
	}
	t.Logf("%d resets; %d records durable for %d produced (%d redelivered)", sink.resets, len(sink.durable), n, len(sink.durable)-n)
}
