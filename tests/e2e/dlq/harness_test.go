package dlq_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/dlq"
	"github.com/freshet-dev/freshet/tests/e2e/e2etest"
)

// env is one test's world: the binary, Kafka, the test's own topics and a
// fake worker REST API.
type env struct {
	*e2etest.Env
	t   *testing.T
	ctx context.Context
	cl  *kgo.Client // writes the dead letters

	source, queue, audit, connector string

	mu    sync.Mutex
	conns map[string]map[string]string
	sink  *sinkFake
	url   string
}

// setup skips unless FRESHET_E2E=1, and then fails when the binary or Kafka
// is missing.
func setup(t *testing.T) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	id := strconv.FormatInt(time.Now().UnixNano(), 36) + strconv.Itoa(rand.IntN(1000))
	e := &env{
		Env: e2etest.Setup(t), t: t, ctx: ctx,
		source: "orders-" + id, queue: "orders-dlq-" + id, audit: "freshet-dlq-audit-" + id, connector: "es-sink-" + id,
		sink: &sinkFake{running: true},
	}
	e.conns = map[string]map[string]string{
		e.connector:         {"connector.class": "elasticsearch", "topics": e.source, dlq.KeyDLQTopic: e.queue},
		"no-dlq-sink-" + id: {"connector.class": "file", "topics": e.source},
	}
	e.cl = e.NewClient(t, kgo.ProducerLinger(20*time.Millisecond), kgo.MaxBufferedRecords(200000), kgo.ProducerBatchMaxBytes(1<<20))
	e.CreateTopic(t, e.source, 3)
	e.CreateTopic(t, e.queue, 1)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = e.Admin.DeleteTopics(ctx, e.audit)
		_, _ = e.Admin.DeleteGroups(ctx, dlq.Group(e.queue))
	})
	e.serve()
	return e
}

// serve starts the fake worker REST API: connector configs, and the
// dead-letter endpoints backed by a Drainer with the fake sink.
func (e *env) serve() {
	d, err := dlq.New([]kgo.Opt{kgo.SeedBrokers(strings.Split(e.Bootstrap, ",")...)},
		dlq.WithAuditTopic(e.audit, 1),
		dlq.WithConnectors(dlq.ConnectorsFunc(func(context.Context) (map[string]map[string]string, error) {
			e.mu.Lock()
			defer e.mu.Unlock()
			return e.conns, nil
		})),
		dlq.WithSinkReplayer(e.sink), dlq.WithWorkerID("e2e-worker"))
	if err != nil {
		e.t.Fatal(err)
	}
	mux := http.NewServeMux()
	h := dlq.NewHandler(d)
	for _, p := range dlq.Patterns() {
		mux.Handle(p, h)
	}
	mux.HandleFunc("GET /connectors", func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		defer e.mu.Unlock()
		out := map[string]any{}
		for name, cfg := range e.conns {
			out[name] = map[string]any{"info": map[string]any{"name": name, "config": cfg, "tasks": []any{}, "type": "sink"}}
		}
		_ = json.NewEncoder(w).Encode(out)
	})
	srv := httptest.NewServer(mux)
	e.url = srv.URL
	e.t.Cleanup(func() {
		srv.Close()
		d.Close()
	})
}

// fill writes n dead letters as the engine writes them (context headers
// on), for source offsets 0..n-1 over 3 partitions. Every 10,000th is a
// retriable Elasticsearch failure whose message contains "shard 7"; the
// rest are JSON conversion failures.
func (e *env) fill(n int) {
	e.t.Helper()
	start := time.Now()
	failed := time.Now().Add(-time.Hour)
	var perr error
	var mu sync.Mutex
	for i := range n {
		f := dlq.Failure{
			Connector: e.connector, Task: i % 4, Stage: "VALUE_CONVERTER",
			ExecutingClass: "org.apache.kafka.connect.json.JsonConverter", Class: sdk.ClassRecord,
			Err:      fmt.Errorf("convert value: %w", errors.New("invalid character 'x' looking for beginning of value")),
			WorkerID: "w1", Version: "1.2.0", Time: failed, ContextHeaders: true,
		}
		if i%10000 == 5000 {
			f.Stage, f.Class, f.ExecutingClass = "TASK_PUT", sdk.ClassRetriable, "org.apache.kafka.connect.sink.SinkTask"
			f.Err = errors.New("es: 503 Service Unavailable (shard 7 unassigned)")
		}
		orig := &kgo.Record{
			Topic: e.source, Partition: int32(i % 3), Offset: int64(i / 3),
			Key:       []byte("order-" + strconv.Itoa(i)),
			Value:     []byte(`{"order_id":` + strconv.Itoa(i) + `,"customer":"c-42","total":"19.99","items":[1,2,3]}`),
			Timestamp: failed.Add(-time.Minute),
			Headers:   []kgo.RecordHeader{{Key: "trace-id", Value: []byte("t" + strconv.Itoa(i))}},
		}
		e.cl.Produce(e.ctx, dlq.NewRecord(e.queue, orig, f), func(_ *kgo.Record, err error) {
			if err != nil {
				mu.Lock()
				perr = err
				mu.Unlock()
			}
		})
	}
	if err := e.cl.Flush(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	if perr != nil {
		e.t.Fatal(perr)
	}
	e.t.Logf("wrote %d dead letters to %s in %.1fs", n, e.queue, time.Since(start).Seconds())
}

// freshet runs `freshet dlq ARGS… --bootstrap-servers … --url … --audit-topic …`.
func (e *env) freshet(args ...string) (stdout, stderr string, code int) {
	e.t.Helper()
	return e2etest.Run(e.t, e.command(args...))
}

func (e *env) command(args ...string) *exec.Cmd {
	all := append([]string{"dlq"}, args...)
	all = append(all, "--bootstrap-servers", e.Bootstrap, "--url", e.url, "--audit-topic", e.audit)
	return exec.CommandContext(e.ctx, e.Bin, all...)
}

// replayJSON runs a replay with -o json and decodes its result.
func (e *env) replayJSON(args ...string) dlq.ReplayResult {
	e.t.Helper()
	out, errOut, code := e.freshet(append(append([]string{"replay"}, args...), "-o", "json")...)
	if code != 0 {
		e.t.Fatalf("replay %v: exit %d\nstdout: %s\nstderr: %s", args, code, out, errOut)
	}
	var res dlq.ReplayResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		e.t.Fatalf("replay output %q: %v", out, err)
	}
	return res
}

// count returns how many records topic holds.
func (e *env) count(topic string) int64 { return e2etest.Sum(e.EndOffsets(e.t, topic)) }

// cursor returns the drain group's committed offsets.
func (e *env) cursor() map[int32]int64 {
	e.t.Helper()
	return e.CommittedOffsets(e.t, dlq.Group(e.queue), e.queue)
}

// replayedCounts reads the source topic and counts, per dead-letter
// offset, the replayed records that carry it.
func (e *env) replayedCounts(n int) []uint8 {
	e.t.Helper()
	counts := make([]uint8, n)
	ends := e.EndOffsets(e.t, e.source)
	want := map[int32]kgo.Offset{}
	left := 0
	for p, o := range ends {
		if o > 0 {
			want[p] = kgo.NewOffset().AtStart()
			left++
		}
	}
	if left == 0 {
		return counts
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(e.Bootstrap, ",")...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{e.source: want}), kgo.FetchMaxBytes(64<<20), kgo.FetchMaxPartitionBytes(32<<20))
	if err != nil {
		e.t.Fatal(err)
	}
	defer cl.Close()
	done := map[int32]bool{}
	ctx, cancel := context.WithTimeout(e.ctx, 2*time.Minute)
	defer cancel()
	for len(done) < left && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			if r.Offset >= ends[r.Partition]-1 {
				done[r.Partition] = true
			}
			for _, h := range r.Headers {
				if h.Key == dlq.HeaderReplayDLQOffset {
					o, err := strconv.Atoi(string(h.Value))
					if err == nil && o < n && counts[o] < 255 {
						counts[o]++
					}
				}
			}
		})
	}
	if len(done) < left {
		e.t.Fatalf("could not read %s to its end", e.source)
	}
	return counts
}

// assertExactlyOnce checks that every dead letter 0..n-1 arrived in the
// source topic exactly once.
func (e *env) assertExactlyOnce(n int) {
	e.t.Helper()
	counts := e.replayedCounts(n)
	var missing, dup int
	for i, c := range counts {
		switch {
		case c == 0:
			if missing++; missing <= 3 {
				e.t.Errorf("dead letter %d never arrived", i)
			}
		case c > 1:
			if dup++; dup <= 3 {
				e.t.Errorf("dead letter %d arrived %d times", i, c)
			}
		}
	}
	if missing+dup > 0 {
		e.t.Fatalf("%d dead letters missing, %d duplicated", missing, dup)
	}
}

// sinkFake is the SinkReplayer behind the fake REST API: it keeps the
// records and fails those whose value is fail.
type sinkFake struct {
	mu      sync.Mutex
	running bool
	fail    string
	got     []*kgo.Record
}

func (s *sinkFake) Ready(_ context.Context, connector string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		return fmt.Errorf("connector %s is PAUSED: %w", connector, dlq.ErrNotRunning)
	}
	return nil
}

func (s *sinkFake) Replay(_ context.Context, _ string, recs []*kgo.Record) (map[int]error, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	failed := map[int]error{}
	for i, r := range recs {
		if s.fail != "" && strings.Contains(string(r.Value), s.fail) {
			failed[i] = &dlq.StageError{Stage: "TASK_PUT", ExecutingClass: "io.confluent.connect.elasticsearch.ElasticsearchSinkTask",
				Err: sdk.RecordErr(errors.New("mapper_parsing_exception: failed to parse field [total]"))}
			continue
		}
		s.got = append(s.got, r)
	}
	return failed, nil
}
