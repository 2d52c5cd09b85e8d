package observability

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/freshet-dev/freshet/connectors/file"
	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/runtime/metrics"
	"github.com/freshet-dev/freshet/runtime/worker"
	"github.com/freshet-dev/freshet/tests/e2e/e2etest"
)

// TestPrometheusScrapesWorkerUnderLoad runs two sink connectors in a worker
// while records are produced at a steady rate, Prometheus scraping the
// worker every second. Both sinks are the file sink behind a fixed delay per
// Put: "on-budget" (100 ms, budget 2 s) and "over-budget" (400 ms, budget
// 150 ms). It checks that
//   - Prometheus returns the expected series, with counts equal to the
//     records produced;
//   - the freshness the collector reports (p50, and the mean from
//     Prometheus' histogram) agrees within 10 % with the latencies the test
//     measures itself: from each record's Kafka timestamp to the moment a
//     reader tailing the sink's file sees its line;
//   - the slowed connector's status freshness says within_budget false, the
//     other's true.
func TestPrometheusScrapesWorkerUnderLoad(t *testing.T) {
	e := setup(t)
	run := e2etest.UniqueName("obs")
	topic := run
	e.CreateTopic(t, topic, 3)

	c, err := metrics.New()
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", c.Handler())
	srv := httptest.NewServer(mux) // 127.0.0.1 only
	defer srv.Close()
	e.scrape(t, run, strings.TrimPrefix(srv.URL, "http://"))
	sel := fmt.Sprintf(`run=%q`, run)
	e.eventually(t, 30*time.Second, "up{"+sel+"}", func(r []sample) bool { return len(r) == 1 && r[0].Value == 1 })

	log := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	w, err := worker.New("obs-worker", map[string]string{"bootstrap.servers": e.Bootstrap}, nil, log,
		worker.WithHooks(c), worker.WithFlushInterval(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	defer w.Shutdown(ctx)
	type conn struct {
		name          string
		delay, budget time.Duration
		out           string
	}
	on := conn{name: run + "-on-budget", delay: 100 * time.Millisecond, budget: 2 * time.Second}
	over := conn{name: run + "-over-budget", delay: 400 * time.Millisecond, budget: 150 * time.Millisecond}
	for _, cn := range []*conn{&on, &over} {
		cn.out = filepath.Join(t.TempDir(), "out.txt")
		cfg := map[string]string{
			"name": cn.name, "connector.class": "delayed-file-sink", "tasks.max": "1", "topics": topic,
			"key.converter": e2etest.StringConverter, "value.converter": e2etest.StringConverter,
			"freshness.budget.ms": strconv.FormatInt(cn.budget.Milliseconds(), 10),
		}
		if err := w.StartTask(ctx, worker.TaskID{Connector: cn.name}, delayedFileSink(cn.delay), cfg, map[string]string{"file": cn.out}); err != nil {
			t.Fatalf("start %s: %v", cn.name, err)
		}
	}
	tail := startTail(t, on.out)

	const total, perTick = 12_000, 15 // 1500 records/s for 8 s
	produced := produce(t, e, topic, total, perTick, 10*time.Millisecond)

	// The test's own measurement: Kafka timestamp to line seen in the file.
	seen := tail.waitFor(t, total, 60*time.Second)
	lat := make([]time.Duration, 0, total)
	var sum time.Duration
	for id, ts := range produced {
		at, ok := seen[id]
		if !ok {
			t.Fatalf("record %d never reached the sink's file", id)
		}
		lat = append(lat, at.Sub(ts))
		sum += at.Sub(ts)
	}
	slices.Sort(lat)
	p50, p99, mean := lat[len(lat)/2-1], lat[len(lat)*99/100-1], sum/time.Duration(len(lat))
	t.Logf("measured by the test: p50 %s, p99 %s, mean %s over %d records", p50, p99, mean, len(lat))

	// Without the worker's delivery events nothing below can hold: say so.
	if f, _ := c.Freshness(on.name); f.Records == 0 {
		t.Fatalf("the sink wrote every record but the collector saw no delivery: the worker does not " +
			"call OnDelivered (worker.HookDelivered, proposed in runtime/metrics' package doc)")
	}

	// Counts through Prometheus match what was produced.
	n := float64(total)
	all := func(want float64) func([]sample) bool {
		return func(r []sample) bool {
			m := byLabel(r, "connector")
			return len(m) == 2 && m[on.name] == want && m[over.name] == want
		}
	}
	for _, q := range []string{
		"sum by (connector) (freshet_sink_records_written_total{%s})",
		"sum by (connector) (freshet_sink_records_in_total{%s})",
		"sum by (connector) (freshet_sink_put_batch_records_sum{%s})",
		"sum by (connector) (freshet_freshness_seconds_count{%s})",
		`sum by (connector) (freshet_sink_read_records_total{%s,topic="` + topic + `"})`,
	} {
		e.eventually(t, 30*time.Second, fmt.Sprintf(q, sel), all(n))
	}
	for _, tc := range []struct {
		q     string
		check func([]sample) bool
	}{
		{"sum by (connector) (freshet_consumer_lag_records{%s})", all(0)},
		{"count by (connector) (freshet_consumer_lag_records{%s})", all(3)}, // one series per partition
		{`sum by (connector) (freshet_task_state{%s,state="RUNNING"})`, all(1)},
		{`sum by (connector) (freshet_task_state{%s,state="FAILED"})`, all(0)},
		{"freshet_freshness_budget_seconds{%s}", func(r []sample) bool {
			m := byLabel(r, "connector")
			return m[on.name] == 2 && m[over.name] == 0.15
		}},
		{"freshet_freshness_within_budget_ratio{%s}", func(r []sample) bool {
			m := byLabel(r, "connector")
			return len(m) == 2 && m[on.name] == 1 && m[over.name] < 0.05
		}},
		{"sum by (connector) (freshet_sink_put_seconds_count{%s}) > 0", func(r []sample) bool { return len(r) == 2 }},
		{"sum by (connector) (freshet_offset_commit_seconds_count{%s}) > 0", func(r []sample) bool { return len(r) == 2 }},
		{"freshet_sink_newest_record_age_seconds{%s} >= 0", func(r []sample) bool { return len(r) == 2 }},
		{"process_resident_memory_bytes{%s} > 0", func(r []sample) bool { return len(r) == 1 }},
		{"go_goroutines{%s} > 0", func(r []sample) bool { return len(r) == 1 }},
	} {
		e.eventually(t, 30*time.Second, fmt.Sprintf(tc.q, sel), tc.check)
	}

	// Freshness agrees with the test's measurement within 10 %.
	within := func(what string, got, want time.Duration) {
		t.Helper()
		if d := math.Abs(float64(got-want)) / float64(want); d > 0.10 {
			t.Errorf("%s: %s reported, %s measured by the test (%.1f %% apart, more than 10 %%)", what, got, want, 100*d)
		} else {
			t.Logf("%s: %s reported, %s measured (%.1f %% apart)", what, got, want, 100*d)
		}
	}
	meanQ := fmt.Sprintf(`freshet_freshness_seconds_sum{%s,connector=%q} / freshet_freshness_seconds_count{%[1]s,connector=%[2]q}`, sel, on.name)
	res := e.query(t, meanQ)
	if len(res) != 1 {
		t.Fatalf("%s returns %v", meanQ, res)
	}
	within("mean freshness from Prometheus' histogram", time.Duration(res[0].Value*float64(time.Second)), mean)
	f, ok := c.Freshness(on.name)
	if !ok {
		t.Fatalf("no freshness for %s", on.name)
	}
	within("p50 freshness from the status window", f.P50, p50)
	t.Logf("p99: %s reported, %s measured", f.P99, p99)

	// The status endpoint's freshness object.
	for _, tc := range []struct {
		cn   conn
		want bool
	}{{on, true}, {over, false}} {
		f, ok := c.Freshness(tc.cn.name)
		b, _ := json.Marshal(f)
		if !ok || f.WithinBudget != tc.want || !bytes.Contains(b, []byte(fmt.Sprintf(`"within_budget":%t`, tc.want))) {
			t.Errorf("%s (Put delayed %s, budget %s): freshness %s, want within_budget %t", tc.cn.name, tc.cn.delay, tc.cn.budget, b, tc.want)
		} else {
			t.Logf("%s: %s", tc.cn.name, b)
		}
	}
}

// produce sends total records to topic, perTick every tick, each with its
// sequence number as key and value prefix and the current time as its Kafka
// timestamp. It returns each record's timestamp, as Kafka keeps it
// (milliseconds), once every record is acknowledged.
func produce(t *testing.T, e env, topic string, total, perTick int, tick time.Duration) map[int]time.Time {
	t.Helper()
	cl := e.NewClient(t, kgo.DefaultProduceTopic(topic), kgo.ProducerLinger(0))
	out := make(map[int]time.Time, total)
	pad := strings.Repeat("x", 90)
	var mu sync.Mutex
	var perr error
	tk := time.NewTicker(tick)
	defer tk.Stop()
	for i := 0; i < total; {
		<-tk.C
		for j := 0; j < perTick && i < total; j, i = j+1, i+1 {
			ts := time.UnixMilli(time.Now().UnixMilli())
			out[i] = ts
			r := &kgo.Record{Key: []byte(strconv.Itoa(i)), Value: fmt.Appendf(nil, "%08d %s", i, pad), Timestamp: ts}
			cl.Produce(context.Background(), r, func(_ *kgo.Record, err error) {
				if err != nil {
					mu.Lock()
					perr = err
					mu.Unlock()
				}
			})
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.Flush(ctx); err != nil {
		t.Fatalf("flush producer: %v", err)
	}
	if perr != nil {
		t.Fatalf("produce: %v", perr)
	}
	return out
}

// delayedFileSink is the file sink with every Put delayed by d before it
// writes: a sink slower than its budget, on demand.
func delayedFileSink(d time.Duration) sdk.Plugin {
	p := file.SinkPlugin()
	inner := p.New
	p.Name, p.Aliases = "delayed-file-sink", nil
	p.New = func() sdk.Connector { return delayedConn{inner().(sdk.SinkConnector), d} }
	return p
}

type delayedConn struct {
	sdk.SinkConnector
	d time.Duration
}

func (c delayedConn) NewSinkTask() sdk.SinkTask {
	return delayedTask{c.SinkConnector.NewSinkTask(), c.d}
}

type delayedTask struct {
	sdk.SinkTask
	d time.Duration
}

func (t delayedTask) Put(ctx context.Context, batch []sdk.Record) error {
	select {
	case <-time.After(t.d):
	case <-ctx.Done():
		return ctx.Err()
	}
	return t.SinkTask.Put(ctx, batch)
}

// tail follows a sink's output file and notes when each line first appears.
type tail struct {
	mu     sync.Mutex
	seen   map[int]time.Time
	cancel context.CancelFunc
	done   chan struct{}
}

// startTail starts reading path every millisecond; it stops at cleanup.
func startTail(t *testing.T, path string) *tail {
	ctx, cancel := context.WithCancel(context.Background())
	tl := &tail{seen: map[int]time.Time{}, cancel: cancel, done: make(chan struct{})}
	go tl.run(ctx, path)
	t.Cleanup(func() { tl.cancel(); <-tl.done })
	return tl
}

func (tl *tail) run(ctx context.Context, path string) {
	defer close(tl.done)
	var f *os.File
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	var partial []byte
	buf := make([]byte, 1<<20)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if f == nil {
			var err error
			if f, err = os.Open(path); err != nil {
				continue // the sink has not created it yet
			}
		}
		for {
			n, err := f.Read(buf)
			now := time.Now()
			if n > 0 {
				partial = append(partial, buf[:n]...)
				tl.mu.Lock()
				for {
					i := bytes.IndexByte(partial, '\n')
					if i < 0 {
						break
					}
					if id, err := strconv.Atoi(string(partial[:min(8, i)])); err == nil {
						if _, dup := tl.seen[id]; !dup {
							tl.seen[id] = now
						}
					}
					partial = partial[i+1:]
				}
				tl.mu.Unlock()
			}
			if err == io.EOF || n == 0 {
				break
			}
		}
	}
}

// waitFor waits until n distinct records were seen, and returns them.
func (tl *tail) waitFor(t *testing.T, n int, d time.Duration) map[int]time.Time {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		tl.mu.Lock()
		got := len(tl.seen)
		if got >= n {
			out := make(map[int]time.Time, len(tl.seen))
			for k, v := range tl.seen {
				out[k] = v
			}
			tl.mu.Unlock()
			return out
		}
		tl.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("after %s the sink's file has %d of %d records", d, got, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
