package metrics_test

import (
	"errors"
	"io"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/runtime/metrics"
	"github.com/freshet-dev/freshet/runtime/worker"
)

// clock is a settable clock for the freshness window.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newCollector(t *testing.T, opts ...metrics.Option) (*metrics.Collector, *clock) {
	t.Helper()
	clk := &clock{now: time.Unix(1_700_000_000, 0)}
	c, err := metrics.New(append([]metrics.Option{metrics.WithClock(clk.Now)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c, clk
}

// series returns the value of the series of family name whose labels
// include want: a counter's or gauge's value, a histogram's sample count.
func series(t *testing.T, c *metrics.Collector, name string, want map[string]string) (float64, bool) {
	t.Helper()
	fams, err := c.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if !hasLabels(m, want) {
				continue
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue(), true
			case m.Gauge != nil:
				return m.Gauge.GetValue(), true
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount()), true
			}
		}
	}
	return 0, false
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	n := 0
	for _, l := range m.GetLabel() {
		if v, ok := want[l.GetName()]; ok {
			if v != l.GetValue() {
				return false
			}
			n++
		}
	}
	return n == len(want)
}

func histogram(t *testing.T, c *metrics.Collector, name, connector string) *dto.Histogram {
	t.Helper()
	fams, err := c.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			if f.GetName() == name && hasLabels(m, map[string]string{"connector": connector}) {
				return m.Histogram
			}
		}
	}
	t.Fatalf("no %s{connector=%q}", name, connector)
	return nil
}

var task0 = worker.TaskID{Connector: "orders-es", Task: 0}

func TestHooksUpdateSeries(t *testing.T) {
	c, _ := newCollector(t)
	l := map[string]string{"connector": "orders-es", "task": "0"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{"connector": "orders-es", "task": "0"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	c.OnTaskStarted(task0, 0)
	c.OnTaskState(task0, worker.StateRunning, nil)
	c.OnPartitionsAssigned(task0, []sdk.TopicPartition{{Topic: "orders", Partition: 0}, {Topic: "orders", Partition: 1}})
	c.OnFetched(task0, "orders", 0, 500, 50_000, 1_200, 700)
	c.OnFetched(task0, "orders", 1, 300, 30_000, 300, 300)
	c.OnRecordsIn(task0, 800, 80_000)
	c.OnBatchPut(task0, 800, 20*time.Millisecond, sdk.Retriable(errors.New("429")))
	c.OnRetry(task0, worker.StageTaskPut, 1)
	c.OnBatchPut(task0, 800, 10*time.Millisecond, nil)
	c.OnBatchPut(task0, 10, time.Millisecond, sdk.NewBatchError())
	c.OnBatchPut(task0, 10, time.Millisecond, errors.New("unclassified"))
	c.OnRecordFailed(task0, worker.StageValueConverter, sdk.ClassRecord)
	c.OnRecordFailed(task0, worker.StageValueConverter, sdk.ClassRecord)
	c.OnDeadLettered(task0, worker.StageValueConverter, sdk.ClassRecord)
	c.OnFlushed(task0, 5*time.Millisecond, nil)
	c.OnCommitted(task0, 7*time.Millisecond, errors.New("coordinator moved"))
	c.OnPluginRestart("elasticsearch-sink")
	src := worker.TaskID{Connector: "events", Task: 2}
	c.OnPolled(src, 100, time.Millisecond, nil)
	c.OnPolled(src, 0, time.Millisecond, sdk.Fatal(errors.New("gone")))
	c.OnRecordsOut(src, 100, 9_000)
	c.OnRecordFailed(src, worker.StageKafkaProduce, sdk.ClassRecord)

	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"freshet_task_state", with("state", "RUNNING"), 1},
		{"freshet_task_state", with("state", "FAILED"), 0},
		{"freshet_sink_assigned_partitions", l, 2},
		{"freshet_sink_rebalances_total", l, 1},
		{"freshet_sink_read_records_total", with("topic", "orders"), 800},
		{"freshet_sink_read_bytes_total", with("topic", "orders"), 80_000},
		{"freshet_consumer_lag_records", with("topic", "orders", "partition", "0"), 500},
		{"freshet_consumer_lag_records", with("topic", "orders", "partition", "1"), 0},
		{"freshet_sink_records_in_total", l, 800},
		{"freshet_sink_bytes_in_total", l, 80_000},
		{"freshet_sink_put_seconds", l, 4},
		{"freshet_sink_put_batch_records", l, 4},
		{"freshet_sink_put_failures_total", with("class", "retriable"), 1},
		{"freshet_sink_put_failures_total", with("class", "partial"), 1},
		{"freshet_sink_put_failures_total", with("class", "fatal"), 1},
		{"freshet_retries_total", with("stage", "TASK_PUT"), 1},
		{"freshet_record_errors_total", with("stage", "VALUE_CONVERTER", "class", "record"), 2},
		{"freshet_dead_letter_records_total", with("stage", "VALUE_CONVERTER", "class", "record"), 1},
		{"freshet_sink_flush_seconds", l, 1},
		{"freshet_offset_commit_seconds", l, 1},
		{"freshet_offset_commit_failures_total", l, 1},
		{"freshet_plugin_restarts_total", map[string]string{"plugin": "elasticsearch-sink"}, 1},
		{"freshet_source_poll_seconds", map[string]string{"connector": "events", "task": "2"}, 2},
		{"freshet_source_poll_batch_records", map[string]string{"connector": "events", "task": "2"}, 1},
		{"freshet_source_poll_failures_total", map[string]string{"connector": "events", "task": "2", "class": "fatal"}, 1},
		{"freshet_source_records_out_total", map[string]string{"connector": "events", "task": "2"}, 100},
		{"freshet_source_bytes_out_total", map[string]string{"connector": "events", "task": "2"}, 9_000},
		{"freshet_record_errors_total", map[string]string{"connector": "events", "stage": "KAFKA_PRODUCE"}, 1},
	} {
		got, ok := series(t, c, tc.name, tc.labels)
		if !ok || got != tc.want {
			t.Errorf("%s%v = %v (found %t), want %v", tc.name, tc.labels, got, ok, tc.want)
		}
	}

	// Revoking a partition drops its lag series; stopping drops the rest.
	c.OnPartitionsRevoked(task0, []sdk.TopicPartition{{Topic: "orders", Partition: 0}}, false)
	if _, ok := series(t, c, "freshet_consumer_lag_records", with("partition", "0")); ok {
		t.Error("lag of a revoked partition is still exported")
	}
	if got, _ := series(t, c, "freshet_sink_assigned_partitions", l); got != 1 {
		t.Errorf("assigned partitions after revoking one = %v, want 1", got)
	}
	c.OnTaskState(task0, worker.StateUnassigned, nil)
	if _, ok := series(t, c, "freshet_consumer_lag_records", l); ok {
		t.Error("lag of a stopped task is still exported")
	}

	// Forget drops every series of the connector and leaves the others.
	c.Forget("orders-es")
	if _, ok := series(t, c, "freshet_sink_records_in_total", l); ok {
		t.Error("series of a forgotten connector are still exported")
	}
	if _, ok := c.Freshness("orders-es"); ok {
		t.Error("a forgotten connector still has freshness")
	}
	if _, ok := series(t, c, "freshet_source_records_out_total", map[string]string{"connector": "events"}); !ok {
		t.Error("Forget dropped another connector's series")
	}
}

func TestProcessMetricsAndExposition(t *testing.T) {
	c, _ := newCollector(t)
	c.OnTaskStarted(task0, 500*time.Millisecond)
	srv := httptest.NewServer(c.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		"go_goroutines ", "process_resident_memory_bytes ",
		`freshet_task_state{connector="orders-es",state="RUNNING",task="0"} 0`,
		`freshet_freshness_budget_seconds{connector="orders-es"} 0.5`,
		`freshet_freshness_seconds_count{connector="orders-es"} 0`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestLabelsAreBounded: whatever records flow, the series are per
// connector, task, topic and partition; the labels never include record
// coordinates or keys.
func TestLabelsAreBounded(t *testing.T) {
	c, clk := newCollector(t)
	ts := make([]time.Time, 100)
	for i := range 1000 {
		for j := range ts {
			ts[j] = clk.Now().Add(-time.Duration(i*j) * time.Microsecond)
		}
		c.OnFetched(task0, "orders", int32(i%3), 100, 1000, int64(i*100+500), int64(i*100+100))
		c.OnBatchPut(task0, 100, time.Millisecond, nil)
		c.OnDelivered(task0, ts, clk.Now())
		c.OnRecordsIn(task0, 100, 1000)
	}
	fams, err := c.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	allowed := []string{"connector", "task", "topic", "partition", "state", "le", "class", "stage"}
	for _, f := range fams {
		if !strings.HasPrefix(f.GetName(), "freshet_") {
			continue
		}
		if n := len(f.GetMetric()); n > 6 { // 6 task states; 3 partitions

			t.Errorf("%s has %d series after 1000 batches", f.GetName(), n)
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if !slices.Contains(allowed, l.GetName()) {
					t.Errorf("%s has label %q", f.GetName(), l.GetName())
				}
			}
		}
	}
}

// TestConcurrentHooksAndScrapes: tasks report while scrapes and status reads
// run; nothing is lost (run with -race to check the locking too).
func TestConcurrentHooksAndScrapes(t *testing.T) {
	c, clk := newCollector(t)
	const tasks, batches, size = 4, 200, 50
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := c.Registry().Gather(); err != nil {
				t.Error(err)
				return
			}
			c.Freshness("orders-es")
		}
	}()
	var workers sync.WaitGroup
	for i := range tasks {
		workers.Add(1)
		go func() {
			defer workers.Done()
			id := worker.TaskID{Connector: "orders-es", Task: i}
			ts := make([]time.Time, size)
			for b := range batches {
				now := clk.Now()
				for j := range ts {
					ts[j] = now.Add(-time.Duration(j) * time.Millisecond)
				}
				tp := sdk.TopicPartition{Topic: "orders", Partition: int32(i)}
				c.OnPartitionsAssigned(id, []sdk.TopicPartition{tp})
				c.OnFetched(id, "orders", int32(i), size, size*10, int64(b*size+size), int64(b*size+size))
				c.OnBatchPut(id, size, time.Millisecond, nil)
				c.OnDelivered(id, ts, now)
				c.OnPartitionsRevoked(id, []sdk.TopicPartition{tp}, false)
			}
		}()
	}
	workers.Wait()
	close(stop)
	wg.Wait()
	want := float64(tasks * batches * size)
	if got, _ := series(t, c, "freshet_sink_records_written_total", map[string]string{"connector": "orders-es", "task": "3"}); got != want/tasks {
		t.Errorf("task 3 wrote %v, want %v", got, want/tasks)
	}
	if h := histogram(t, c, "freshet_freshness_seconds", "orders-es"); float64(h.GetSampleCount()) != want {
		t.Errorf("freshness count %d, want %v", h.GetSampleCount(), want)
	}
	if f, _ := c.Freshness("orders-es"); float64(f.Records) != want {
		t.Errorf("window records %d, want %v", f.Records, want)
	}
}
