package dlq_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/dlq"
)

// t0 is the fixed "now" of the tests.
var t0 = time.Date(2024, 5, 1, 14, 0, 0, 0, time.UTC)

// env is a fresh kfake cluster with a source topic, a dead-letter topic and
// a client to look at them.
type env struct {
	t      *testing.T
	ctx    context.Context
	seeds  []string
	cl     *kgo.Client
	adm    *kadm.Client
	source string // 2 partitions
	queue  string // 1 partition
	conns  map[string]map[string]string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "orders"), kfake.SeedTopics(1, "orders-dlq"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return &env{
		t: t, ctx: ctx, seeds: c.ListenAddrs(), cl: cl, adm: kadm.NewClient(cl),
		source: "orders", queue: "orders-dlq",
		conns: map[string]map[string]string{
			"es-sink":    {"connector.class": "elasticsearch", dlq.KeyDLQTopic: "orders-dlq", "topics": "orders"},
			"pg-sink":    {"connector.class": "postgres", "topics": "orders"},
			"other-sink": {"connector.class": "file", dlq.KeyDLQTopic: "payments-dlq"},
		},
	}
}

func (e *env) drainer(opts ...dlq.Option) *dlq.Drainer {
	e.t.Helper()
	base := []dlq.Option{
		dlq.WithClock(func() time.Time { return t0 }),
		dlq.WithConnectors(dlq.ConnectorsFunc(func(context.Context) (map[string]map[string]string, error) { return e.conns, nil })),
	}
	d, err := dlq.New([]kgo.Opt{kgo.SeedBrokers(e.seeds...)}, append(base, opts...)...)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(d.Close)
	return d
}

// letter describes one dead letter to write.
type letter struct {
	partition int32 // in the source topic
	offset    int64
	class     sdk.Class
	stage     string
	err       error
	failedAt  time.Time
	key       string
	value     string
}

type exceptionA struct{ msg string }

func (e *exceptionA) Error() string { return e.msg }

// deadLetter builds a dead letter as the engine writes it.
func (e *env) deadLetter(l letter, ctxHeaders bool) *kgo.Record {
	if l.err == nil {
		l.err = &exceptionA{"bad record " + strconv.FormatInt(l.offset, 10)}
	}
	if l.stage == "" {
		l.stage = "VALUE_CONVERTER"
	}
	if l.class == sdk.ClassUnknown {
		l.class = sdk.ClassRecord
	}
	if l.failedAt.IsZero() {
		l.failedAt = t0.Add(-time.Hour)
	}
	orig := &kgo.Record{
		Topic: e.source, Partition: l.partition, Offset: l.offset,
		Key: []byte(l.key), Value: []byte(l.value),
		Timestamp: time.UnixMilli(1700000000000 + l.offset),
		Headers:   []kgo.RecordHeader{{Key: "trace-id", Value: []byte("t-" + strconv.FormatInt(l.offset, 10))}},
	}
	if l.key == "" {
		orig.Key = nil
	}
	return dlq.NewRecord(e.queue, orig, dlq.Failure{
		Connector: "es-sink", Task: 0, Stage: l.stage, ExecutingClass: "org.apache.kafka.connect.json.JsonConverter",
		Class: l.class, Err: l.err, WorkerID: "w1", Version: "1.0.0", Time: l.failedAt, ContextHeaders: ctxHeaders,
	})
}

// fill writes n dead letters: source partition i%2, offset i, value
// {"id":i}; every third a retriable TASK_PUT failure, the rest record
// failures in VALUE_CONVERTER.
func (e *env) fill(n int) []*kgo.Record {
	e.t.Helper()
	var recs []*kgo.Record
	for i := range n {
		l := letter{partition: int32(i % 2), offset: int64(i), key: "k" + strconv.Itoa(i), value: fmt.Sprintf(`{"id":%d}`, i)}
		if i%3 == 0 {
			l.class, l.stage, l.err = sdk.ClassRetriable, "TASK_PUT", errors.New("es: 429 too many requests")
		}
		recs = append(recs, e.deadLetter(l, true))
	}
	e.produce(recs...)
	return recs
}

func (e *env) produce(recs ...*kgo.Record) {
	e.t.Helper()
	if err := e.cl.ProduceSync(e.ctx, recs...).FirstErr(); err != nil {
		e.t.Fatal(err)
	}
}

// read returns every record of a topic (committed ones, for the audit
// topic), in partition and offset order.
func (e *env) read(topic string) []*kgo.Record {
	e.t.Helper()
	ends, err := e.adm.ListEndOffsets(e.ctx, topic)
	if err != nil {
		e.t.Fatal(err)
	}
	want := map[int32]kgo.Offset{}
	last := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			want[o.Partition] = kgo.NewOffset().AtStart()
			last[o.Partition] = o.Offset - 1
		}
	})
	if len(want) == 0 {
		return nil
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.seeds...), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: want}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.KeepControlRecords())
	if err != nil {
		e.t.Fatal(err)
	}
	defer cl.Close()
	var out []*kgo.Record
	ctx, cancel := context.WithTimeout(e.ctx, 5*time.Second)
	defer cancel()
	for len(last) > 0 && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			if r.Offset >= last[r.Partition] {
				delete(last, r.Partition)
			}
			if !r.Attrs.IsControl() {
				out = append(out, r)
			}
		})
	}
	if len(last) > 0 {
		e.t.Fatalf("read %s: partitions %v not read to the end", topic, last)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Partition != out[j].Partition {
			return out[i].Partition < out[j].Partition
		}
		return out[i].Offset < out[j].Offset
	})
	return out
}

// cursor returns the drain group's committed offsets of the queue.
func (e *env) cursor() map[int32]int64 {
	e.t.Helper()
	os, err := e.adm.FetchOffsets(e.ctx, dlq.Group(e.queue))
	if errors.Is(err, kerr.GroupIDNotFound) {
		return map[int32]int64{}
	}
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[int32]int64{}
	os.Each(func(o kadm.OffsetResponse) {
		if o.Topic == e.queue {
			out[o.Partition] = o.At
		}
	})
	return out
}

func header(r *kgo.Record, key string) (string, bool) {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value), true
		}
	}
	return "", false
}

// sinkFake is a SinkReplayer that keeps what it is given and fails the
// records whose value contains fail.
type sinkFake struct {
	running bool
	fail    string
	got     []*kgo.Record
}

func (s *sinkFake) Ready(_ context.Context, connector string) error {
	if !s.running {
		return fmt.Errorf("connector %s is PAUSED: %w", connector, dlq.ErrNotRunning)
	}
	return nil
}

func (s *sinkFake) Replay(_ context.Context, _ string, recs []*kgo.Record) (map[int]error, error) {
	failed := map[int]error{}
	for i, r := range recs {
		if s.fail != "" && string(r.Value) == s.fail {
			failed[i] = &dlq.StageError{Stage: "TASK_PUT", ExecutingClass: "es.SinkTask", Err: sdk.RecordErr(errors.New("mapper_parsing_exception"))}
			continue
		}
		s.got = append(s.got, r)
	}
	return failed, nil
}
