package worker_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/runtime/store"
	"github.com/freshet-dev/freshet/runtime/worker"
	"go.uber.org/zap"
)

// listSource emits n records once, positions {"file":"f"}/{"line":i}; every
// record whose i%10==3 carries a value its schema does not allow.
type listSource struct {
	n         int
	mu        sync.Mutex
	committed []sdk.Position
}

func (s *listSource) plugin() sdk.Plugin {
	return sdk.Plugin{Name: "list-source", Kind: sdk.KindSource, New: func() sdk.Connector { return listConn{s} }}
}

type listConn struct{ s *listSource }

func (c listConn) Start(context.Context, map[string]string) error { return nil }
func (c listConn) TaskConfigs(int) ([]map[string]string, error) {
	return []map[string]string{{}}, nil
}
func (c listConn) Stop(context.Context) error    { return nil }
func (c listConn) NewSourceTask() sdk.SourceTask { return &listTask{s: c.s} }

type listTask struct {
	s    *listSource
	sent bool
}

func (t *listTask) Start(context.Context, map[string]string, sdk.OffsetReader) error { return nil }
func (t *listTask) Poll(ctx context.Context) ([]sdk.Record, error) {
	if t.sent {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	t.sent = true
	var out []sdk.Record
	for i := range t.s.n {
		r := sdk.Record{Topic: "out", Key: fmt.Sprintf("k%d", i), Value: int32(i), ValueSchema: sdk.Int32Schema,
			SourcePartition: map[string]any{"file": "f"}, SourceOffset: map[string]any{"line": int64(i)}}
		if i%10 == 3 {
			r.Value = "not an int32"
		}
		out = append(out, r)
	}
	return out, nil
}
func (t *listTask) Commit(_ context.Context, ps []sdk.Position) error {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	t.s.committed = append(t.s.committed, ps...)
	return nil
}
func (t *listTask) Stop(context.Context) error { return nil }

func TestSourceDeadLettersConversionFailuresAndPersistsPositions(t *testing.T) {
	c, cl := newCluster(t, "out")
	offsets := store.NewMemoryOffsets()
	props := map[string]string{"bootstrap.servers": c.ListenAddrs()[0],
		"key.converter": "org.apache.kafka.connect.storage.StringConverter", "value.converter": "org.apache.kafka.connect.json.JsonConverter"}
	w, err := worker.New("w", props, offsets, zap.NewNop(), worker.WithFlushInterval(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Shutdown(context.Background())
	src := &listSource{n: 50}
	id := worker.TaskID{Connector: "gen", Task: 0}
	cfg := map[string]string{"name": "gen", "connector.class": "list-source", "errors.tolerance": "all",
		"errors.deadletterqueue.topic.name": "gen.dlq", "errors.deadletterqueue.topic.replication.factor": "1"}
	if err := w.StartTask(context.Background(), id, src.plugin(), cfg, nil); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	waitFor(t, "the last position persisted", 10*time.Second, func() bool {
		off, _ := offsets.Get(ctx, "gen", map[string]any{"file": "f"})
		return off != nil && off["line"] == int64(49)
	})
	w.StopTask(ctx, id)

	// read returns the topic's records once it has want of them, plus any
	// that arrive within a short grace period (so extras are caught).
	read := func(topic string, want int) []*kgo.Record {
		rd, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		if err != nil {
			t.Fatal(err)
		}
		defer rd.Close()
		var out []*kgo.Record
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		for rctx.Err() == nil && len(out) < want {
			rd.PollFetches(rctx).EachRecord(func(r *kgo.Record) { out = append(out, r) })
		}
		gctx, gcancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer gcancel()
		rd.PollFetches(gctx).EachRecord(func(r *kgo.Record) { out = append(out, r) })
		return out
	}
	if good := read("out", 45); len(good) != 45 {
		t.Fatalf("topic has %d records, want the 45 that convert", len(good))
	}
	dead := read("gen.dlq", 5)
	if len(dead) != 5 {
		t.Fatalf("dead-letter topic has %d records, want 5", len(dead))
	}
	for _, r := range dead {
		h := map[string]string{}
		for _, kv := range r.Headers {
			h[kv.Key] = string(kv.Value)
		}
		if string(r.Value) != `"not an int32"` || h["__freshet.payload.encoding"] != "json-fallback" || h["__freshet.stage"] != "VALUE_CONVERTER" {
			t.Errorf("dead letter %q with headers %v", r.Value, h)
		}
	}
	_ = cl
	src.mu.Lock()
	defer src.mu.Unlock()
	if n := len(src.committed); n == 0 || src.committed[n-1].Offset["line"] != int64(49) {
		t.Fatalf("task told of positions %v; want the last to be line 49", src.committed)
	}
}
