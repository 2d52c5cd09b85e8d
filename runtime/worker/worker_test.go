package worker_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/goleak"
	"go.uber.org/zap"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/runtime/store"
	"github.com/freshet-dev/freshet/runtime/worker"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// kfake's own goroutines end in Close, which tests defer; franz-go
		// may leave a short-lived connection reaper for a moment.
		goleak.IgnoreAnyFunction("github.com/twmb/franz-go/pkg/kgo.(*brokerCxn).discard"),
	)
}

// memSink is a sink plugin that keeps what it is given.
type memSink struct {
	mu      sync.Mutex
	records []sdk.Record
	flushed sdk.Offsets
	failOn  func(r sdk.Record) error // per-record failure, nil = none
}

func (s *memSink) plugin() sdk.Plugin {
	return sdk.Plugin{Name: "mem-sink", Kind: sdk.KindSink, Version: "test", New: func() sdk.Connector { return &memSinkConn{s} }}
}

type memSinkConn struct{ s *memSink }

func (c *memSinkConn) Start(context.Context, map[string]string) error { return nil }
func (c *memSinkConn) TaskConfigs(n int) ([]map[string]string, error) {
	return []map[string]string{{}}, nil
}
func (c *memSinkConn) Stop(context.Context) error { return nil }
func (c *memSinkConn) NewSinkTask() sdk.SinkTask  { return &memSinkTask{c.s} }

type memSinkTask struct{ s *memSink }

func (t *memSinkTask) Start(context.Context, map[string]string) error { return nil }
func (t *memSinkTask) Open(context.Context, []sdk.TopicPartition) (sdk.Offsets, error) {
	return nil, nil
}
func (t *memSinkTask) Put(_ context.Context, batch []sdk.Record) error {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	berr := sdk.NewBatchError()
	for i, r := range batch {
		if t.s.failOn != nil {
			if err := t.s.failOn(r); err != nil {
				berr.Fail(i, err)
				continue
			}
		}
		t.s.records = append(t.s.records, r)
	}
	return berr.Err()
}
func (t *memSinkTask) Flush(_ context.Context, o sdk.Offsets) (sdk.Offsets, error) {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	t.s.flushed = o
	return o, nil
}
func (t *memSinkTask) Close(context.Context, []sdk.TopicPartition) error { return nil }
func (t *memSinkTask) Stop(context.Context) error                        { return nil }

func (s *memSink) snapshot() []sdk.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sdk.Record(nil), s.records...)
}

// states records task state changes.
type states struct {
	mu   sync.Mutex
	last map[worker.TaskID]worker.State
	err  map[worker.TaskID]error
}

func (s *states) OnTaskState(id worker.TaskID, st worker.State, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last[id], s.err[id] = st, err
}

func (s *states) get(id worker.TaskID) (worker.State, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last[id], s.err[id]
}

func newStates() *states {
	return &states{last: map[worker.TaskID]worker.State{}, err: map[worker.TaskID]error{}}
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func newCluster(t *testing.T, topics ...string) (*kfake.Cluster, *kgo.Client) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, topics...), kfake.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return c, cl
}

func produceJSON(t *testing.T, cl *kgo.Client, topic string, n int, value func(i int) []byte) []*kgo.Record {
	t.Helper()
	var recs []*kgo.Record
	for i := range n {
		recs = append(recs, &kgo.Record{Topic: topic, Key: []byte(fmt.Sprintf("k%d", i%17)), Value: value(i)})
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	return recs
}

func newWorker(t *testing.T, bootstrap string, hooks ...worker.Hook) *worker.Worker {
	t.Helper()
	return newWorkerOpts(t, bootstrap, worker.WithHooks(hooks...))
}

func newWorkerOpts(t *testing.T, bootstrap string, opts ...worker.Option) *worker.Worker {
	t.Helper()
	props := map[string]string{
		"bootstrap.servers":              bootstrap,
		"key.converter":                  "org.apache.kafka.connect.storage.StringConverter",
		"value.converter":                "org.apache.kafka.connect.json.JsonConverter",
		"value.converter.schemas.enable": "false",
	}
	w, err := worker.New("test-worker", props, store.NewMemoryOffsets(), zap.NewNop(),
		append([]worker.Option{worker.WithFlushInterval(50 * time.Millisecond)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Shutdown(context.Background()) })
	return w
}

func committed(t *testing.T, cl *kgo.Client, group string) map[int32]int64 {
	t.Helper()
	resp, err := kadm.NewClient(cl).FetchOffsets(context.Background(), group)
	if errors.Is(err, kerr.GroupIDNotFound) {
		return map[int32]int64{} // nothing committed yet
	}
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	resp.Each(func(o kadm.OffsetResponse) { out[o.Partition] = o.At })
	return out
}

func endOffsets(t *testing.T, cl *kgo.Client, topic string) map[int32]int64 {
	t.Helper()
	ends, err := kadm.NewClient(cl).ListEndOffsets(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) { out[o.Partition] = o.Offset })
	return out
}

func TestSinkDeliversEveryRecordInOrderAndCommits(t *testing.T) {
	c, cl := newCluster(t, "in")
	const n = 3000
	produceJSON(t, cl, "in", n, func(i int) []byte { return []byte(fmt.Sprintf(`{"i":%d}`, i)) })
	sink := &memSink{}
	w := newWorker(t, c.ListenAddrs()[0])
	id := worker.TaskID{Connector: "orders", Task: 0}
	cfg := map[string]string{"name": "orders", "connector.class": "mem-sink", "topics": "in"}
	if err := w.StartTask(context.Background(), id, sink.plugin(), cfg, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "all records in the sink", 20*time.Second, func() bool { return len(sink.snapshot()) >= n })
	ends := endOffsets(t, cl, "in")
	waitFor(t, "offsets committed to the end", 20*time.Second, func() bool {
		got := committed(t, cl, "connect-orders")
		for p, end := range ends {
			if got[p] != end {
				return false
			}
		}
		return true
	})
	w.StopTask(context.Background(), id)

	recs := sink.snapshot()
	if len(recs) != n {
		t.Fatalf("sink got %d records, want %d", len(recs), n)
	}
	next := map[int32]int64{}
	for _, r := range recs {
		if r.Offset != next[r.Partition] {
			t.Fatalf("partition %d: got offset %d, want %d (order or completeness broken)", r.Partition, r.Offset, next[r.Partition])
		}
		next[r.Partition]++
		m, ok := r.Value.(map[string]any)
		if !ok || m["i"] == nil {
			t.Fatalf("value %#v is not the converted JSON object", r.Value)
		}
	}
}

func TestSinkMalformedRecordFailsTaskWithoutTolerance(t *testing.T) {
	c, cl := newCluster(t, "in")
	recs := produceJSON(t, cl, "in", 5, func(i int) []byte {
		if i == 3 {
			return []byte(`{"i": 3,`)
		}
		return []byte(fmt.Sprintf(`{"i":%d}`, i))
	})
	st := newStates()
	w := newWorker(t, c.ListenAddrs()[0], st)
	id := worker.TaskID{Connector: "strict", Task: 0}
	cfg := map[string]string{"name": "strict", "connector.class": "mem-sink", "topics": "in"}
	if err := w.StartTask(context.Background(), id, (&memSink{}).plugin(), cfg, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "task to fail", 20*time.Second, func() bool { s, _ := st.get(id); return s == worker.StateFailed })
	_, err := st.get(id)
	trace := worker.Trace(err)
	for _, want := range []string{"tolerance exceeded", "VALUE_CONVERTER", "convert value"} {
		if !strings.Contains(trace, want) {
			t.Errorf("status trace %q does not mention %q", trace, want)
		}
	}
	// Nothing at or past the bad record may be committed.
	bad := recs[3]
	if off, ok := committed(t, cl, "connect-strict")[bad.Partition]; ok && off > bad.Offset {
		t.Errorf("partition %d committed at %d, past the failed record at %d", bad.Partition, off, bad.Offset)
	}
}

func TestSinkToleratedFailuresGoToDeadLetterTopic(t *testing.T) {
	c, cl := newCluster(t, "in")
	const n = 200
	produceJSON(t, cl, "in", n, func(i int) []byte {
		switch {
		case i%50 == 7:
			return []byte(`not json`)
		default:
			return []byte(fmt.Sprintf(`{"i":%d}`, i))
		}
	})
	// The sink rejects records whose i is a multiple of 40.
	sink := &memSink{failOn: func(r sdk.Record) error {
		if m, ok := r.Value.(map[string]any); ok && m["i"].(int64)%40 == 0 {
			return sdk.RecordErr(fmt.Errorf("constraint violated by i=%v", m["i"]))
		}
		return nil
	}}
	w := newWorker(t, c.ListenAddrs()[0])
	id := worker.TaskID{Connector: "lenient", Task: 0}
	cfg := map[string]string{
		"name": "lenient", "connector.class": "mem-sink", "topics": "in",
		"errors.tolerance": "all", "errors.deadletterqueue.topic.name": "in.dlq",
		"errors.deadletterqueue.topic.replication.factor": "1",
		"errors.deadletterqueue.context.headers.enable":   "true",
	}
	if err := w.StartTask(context.Background(), id, sink.plugin(), cfg, nil); err != nil {
		t.Fatal(err)
	}
	const bad, rejected = 4, 5 // i%50==7 for 0..199; i%40==0 for 0..199
	waitFor(t, "good records in the sink", 20*time.Second, func() bool { return len(sink.snapshot()) == n-bad-rejected })
	ends := endOffsets(t, cl, "in")
	waitFor(t, "offsets committed past the failures", 20*time.Second, func() bool {
		got := committed(t, cl, "connect-lenient")
		for p, end := range ends {
			if got[p] != end {
				return false
			}
		}
		return true
	})
	w.StopTask(context.Background(), id)

	// Read the dead letters back.
	rd, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics("in.dlq"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var dls []*kgo.Record
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for len(dls) < bad+rejected && ctx.Err() == nil {
		rd.PollFetches(ctx).EachRecord(func(r *kgo.Record) { dls = append(dls, r) })
	}
	if len(dls) != bad+rejected {
		t.Fatalf("dead-letter topic has %d records, want %d", len(dls), bad+rejected)
	}
	stages := map[string]int{}
	for _, r := range dls {
		h := map[string]string{}
		for _, kv := range r.Headers {
			h[kv.Key] = string(kv.Value)
		}
		stages[h["__connect.errors.stage"]]++
		if h["__connect.errors.topic"] != "in" || h["__connect.errors.connector.name"] != "lenient" || h["__connect.errors.task.id"] != "0" {
			t.Errorf("context headers wrong: %v", h)
		}
		if h["__connect.errors.exception.message"] == "" || h["__freshet.error.class"] != "record" {
			t.Errorf("error headers missing: %v", h)
		}
		switch h["__connect.errors.stage"] {
		case "VALUE_CONVERTER":
			if string(r.Value) != "not json" {
				t.Errorf("dead letter value %q, want the original bytes", r.Value)
			}
		case "TASK_PUT":
			var v map[string]int
			if err := json.Unmarshal(r.Value, &v); err != nil || v["i"]%40 != 0 {
				t.Errorf("TASK_PUT dead letter %q is not an original rejected record", r.Value)
			}
		}
	}
	if stages["VALUE_CONVERTER"] != bad || stages["TASK_PUT"] != rejected {
		t.Errorf("dead letters by stage = %v, want %d VALUE_CONVERTER and %d TASK_PUT", stages, bad, rejected)
	}
}
