package metrics

import (
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/runtime/worker"
)

// Collector turns worker hook events into Prometheus metrics and tracks each
// connector's freshness. Pass it to worker.WithHooks; serve Handler at
// /metrics. It is safe for concurrent use.
type Collector struct {
	reg  *prometheus.Registry
	opts options
	vecs vecs
	fd   freshnessDescs

	mu    sync.RWMutex // guards tasks and conns (the maps, not what they point to)
	tasks map[worker.TaskID]*taskMetrics
	conns map[string]*freshness
}

// vecs are the labelled metric families. Per-task children are resolved once
// per task (taskMetrics), so the per-batch path does no label hashing.
type vecs struct {
	state *prometheus.GaugeVec

	recordsIn, bytesIn, recordsOut, bytesOut *prometheus.CounterVec
	fetchedRecords, fetchedBytes             *prometheus.CounterVec
	written                                  *prometheus.CounterVec
	lag                                      *prometheus.GaugeVec
	assigned                                 *prometheus.GaugeVec
	rebalances                               *prometheus.CounterVec

	putSeconds, putRecords *prometheus.HistogramVec
	putFailures            *prometheus.CounterVec
	flushSeconds           *prometheus.HistogramVec
	flushFailures          *prometheus.CounterVec
	commitSeconds          *prometheus.HistogramVec
	commitFailures         *prometheus.CounterVec
	pollSeconds            *prometheus.HistogramVec
	pollRecords            *prometheus.HistogramVec
	pollFailures           *prometheus.CounterVec

	recordErrors *prometheus.CounterVec
	deadLetters  *prometheus.CounterVec
	retries      *prometheus.CounterVec

	pluginRestarts *prometheus.CounterVec
}

// The label names. Cardinality is bounded by configuration: connectors,
// tasks, topics and partitions, stages and classes. Never a key or an offset.
var (
	taskLabels      = []string{"connector", "task"}
	topicLabels     = []string{"connector", "task", "topic"}
	partitionLabels = []string{"connector", "task", "topic", "partition"}
)

// States a task can be in, one freshet_task_state series each.
var taskStates = []worker.State{
	worker.StateUnassigned, worker.StateRunning, worker.StatePaused,
	worker.StateStopped, worker.StateFailed, worker.StateRestarting,
}

// New returns a collector with its own registry, holding the Go runtime and
// process collectors besides Freshet's metrics.
func New(opts ...Option) (*Collector, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt.apply(&o)
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	c := &Collector{
		reg: o.registry, opts: o, fd: newFreshnessDescs(),
		tasks: map[worker.TaskID]*taskMetrics{}, conns: map[string]*freshness{},
	}
	if c.reg == nil {
		c.reg = prometheus.NewRegistry()
	}
	c.vecs = newVecs()
	cs := append(c.vecs.all(), freshnessCollector{c})
	if o.processMetrics {
		cs = append(cs, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	var errs []error
	for _, x := range cs {
		if err := c.reg.Register(x); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

func newVecs() vecs {
	counter := func(name, help string, labels []string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	gauge := func(name, help string, labels []string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	}
	hist := func(name, help string, buckets []float64) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, taskLabels)
	}
	latency := prometheus.ExponentialBuckets(0.0005, 2, 16) // 0.5 ms .. 16 s
	sizes := prometheus.ExponentialBuckets(1, 4, 9)         // 1 .. 65536 records
	with := func(extra ...string) []string { return append(append([]string(nil), taskLabels...), extra...) }
	return vecs{
		state: gauge("freshet_task_state", "1 for the state the task is in, 0 for the others.", with("state")),

		recordsIn:      counter("freshet_sink_records_in_total", "Records a sink task consumed and handed to Put (after converters and transforms; filtered and failed records excluded).", taskLabels),
		bytesIn:        counter("freshet_sink_bytes_in_total", "Key and value bytes a sink task consumed.", taskLabels),
		recordsOut:     counter("freshet_source_records_out_total", "Records a source task handed to the producer.", taskLabels),
		bytesOut:       counter("freshet_source_bytes_out_total", "Serialized key and value bytes a source task handed to the producer.", taskLabels),
		fetchedRecords: counter("freshet_sink_read_records_total", "Records read from Kafka by a sink task, per topic.", topicLabels),
		fetchedBytes:   counter("freshet_sink_read_bytes_total", "Key and value bytes read from Kafka by a sink task, per topic.", topicLabels),
		written:        counter("freshet_sink_records_written_total", "Records the sink acknowledged (Put returned them as accepted).", taskLabels),
		lag:            gauge("freshet_consumer_lag_records", "High watermark minus the next offset to read, per partition, at the last poll that returned records.", partitionLabels),
		assigned:       gauge("freshet_sink_assigned_partitions", "Partitions assigned to a sink task.", taskLabels),
		rebalances:     counter("freshet_sink_rebalances_total", "Rebalances that changed a sink task's partitions.", taskLabels),

		putSeconds:     hist("freshet_sink_put_seconds", "Duration of SinkTask.Put calls; the count is the number of batches.", latency),
		putRecords:     hist("freshet_sink_put_batch_records", "Records per Put call.", sizes),
		putFailures:    counter("freshet_sink_put_failures_total", "Put calls that returned an error, by class of the error (a batch error counts once).", with("class")),
		flushSeconds:   hist("freshet_sink_flush_seconds", "Duration of SinkTask.Flush calls.", latency),
		flushFailures:  counter("freshet_sink_flush_failures_total", "Flush calls that returned an error.", taskLabels),
		commitSeconds:  hist("freshet_offset_commit_seconds", "Duration of offset commits (sink: Flush and the group commit; source: persisting positions).", latency),
		commitFailures: counter("freshet_offset_commit_failures_total", "Offset commits that failed.", taskLabels),
		pollSeconds:    hist("freshet_source_poll_seconds", "Duration of SourceTask.Poll calls.", latency),
		pollRecords:    hist("freshet_source_poll_batch_records", "Records per Poll call.", sizes),
		pollFailures:   counter("freshet_source_poll_failures_total", "Poll calls that returned an error, by class.", with("class")),

		recordErrors: counter("freshet_record_errors_total", "Records that failed, by stage (KEY_CONVERTER, TRANSFORMATION, TASK_PUT, KAFKA_PRODUCE, ...) and class (retriable, record, fatal).", with("stage", "class")),
		deadLetters:  counter("freshet_dead_letter_records_total", "Records written to the connector's dead-letter topic, by stage and error class.", with("stage", "class")),
		retries:      counter("freshet_retries_total", "Operations retried after a retriable error, by stage.", with("stage")),

		pluginRestarts: counter("freshet_plugin_restarts_total", "Times an isolated plugin process was restarted.", []string{"plugin"}),
	}
}

func (v vecs) all() []prometheus.Collector {
	return []prometheus.Collector{
		v.state, v.recordsIn, v.bytesIn, v.recordsOut, v.bytesOut, v.fetchedRecords, v.fetchedBytes,
		v.written, v.lag, v.assigned, v.rebalances, v.putSeconds, v.putRecords, v.putFailures,
		v.flushSeconds, v.flushFailures, v.commitSeconds, v.commitFailures, v.pollSeconds,
		v.pollRecords, v.pollFailures, v.recordErrors, v.deadLetters, v.retries, v.pluginRestarts,
	}
}

// taskMetrics holds one task's resolved children. The counters and
// histograms are lock-free; mu guards only the per-topic and per-partition
// maps, which change with assignments.
type taskMetrics struct {
	id    worker.TaskID
	label string // id.Task as a label value
	fresh *freshness

	state                                    map[worker.State]prometheus.Gauge
	recordsIn, bytesIn, recordsOut, bytesOut prometheus.Counter
	written, rebalances                      prometheus.Counter
	assigned                                 prometheus.Gauge
	putSeconds, putRecords                   prometheus.Observer
	flushSeconds, commitSeconds              prometheus.Observer
	pollSeconds, pollRecords                 prometheus.Observer
	flushFailures, commitFailures            prometheus.Counter

	mu     sync.Mutex
	topics map[string]topicMetrics
	lag    map[sdk.TopicPartition]lagGauge
}

type topicMetrics struct{ records, bytes prometheus.Counter }

type lagGauge struct {
	g   prometheus.Gauge
	lag int64
}

// Registry returns the registry the collector registered with, for other
// collectors (a Kafka client's, a plugin host's) to join.
func (c *Collector) Registry() *prometheus.Registry { return c.reg }

// Handler serves the registry in the Prometheus exposition formats, for
// /metrics.
func (c *Collector) Handler() http.Handler {
	return promhttp.HandlerFor(c.reg, promhttp.HandlerOpts{Registry: c.reg, EnableOpenMetrics: true})
}

// task returns id's metrics, creating them on first use.
func (c *Collector) task(id worker.TaskID) *taskMetrics {
	c.mu.RLock()
	t := c.tasks[id]
	c.mu.RUnlock()
	if t != nil {
		return t
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.tasks[id]; t != nil {
		return t
	}
	t = c.newTask(id)
	c.tasks[id] = t
	return t
}

// connectorLocked returns name's freshness tracker, creating it; c.mu must be
// held for writing.
func (c *Collector) connectorLocked(name string) *freshness {
	f := c.conns[name]
	if f == nil {
		f = newFreshness(c.opts.window, c.opts.windowSlots)
		c.conns[name] = f
	}
	return f
}

func (c *Collector) newTask(id worker.TaskID) *taskMetrics {
	v := c.vecs
	l := []string{id.Connector, strconv.Itoa(id.Task)}
	t := &taskMetrics{
		id: id, label: l[1], fresh: c.connectorLocked(id.Connector),
		state:     make(map[worker.State]prometheus.Gauge, len(taskStates)),
		recordsIn: v.recordsIn.WithLabelValues(l...), bytesIn: v.bytesIn.WithLabelValues(l...),
		recordsOut: v.recordsOut.WithLabelValues(l...), bytesOut: v.bytesOut.WithLabelValues(l...),
		written: v.written.WithLabelValues(l...), rebalances: v.rebalances.WithLabelValues(l...),
		assigned:   v.assigned.WithLabelValues(l...),
		putSeconds: v.putSeconds.WithLabelValues(l...), putRecords: v.putRecords.WithLabelValues(l...),
		flushSeconds: v.flushSeconds.WithLabelValues(l...), commitSeconds: v.commitSeconds.WithLabelValues(l...),
		pollSeconds: v.pollSeconds.WithLabelValues(l...), pollRecords: v.pollRecords.WithLabelValues(l...),
		flushFailures: v.flushFailures.WithLabelValues(l...), commitFailures: v.commitFailures.WithLabelValues(l...),
		topics: map[string]topicMetrics{}, lag: map[sdk.TopicPartition]lagGauge{},
	}
	for _, s := range taskStates {
		t.state[s] = v.state.WithLabelValues(id.Connector, l[1], string(s))
	}
	return t
}

// topicLocked returns the task's per-topic counters; t.mu must be held.
func (c *Collector) topicLocked(t *taskMetrics, topic string) topicMetrics {
	m, ok := t.topics[topic]
	if !ok {
		m = topicMetrics{
			records: c.vecs.fetchedRecords.WithLabelValues(t.id.Connector, t.label, topic),
			bytes:   c.vecs.fetchedBytes.WithLabelValues(t.id.Connector, t.label, topic),
		}
		t.topics[topic] = m
	}
	return m
}

// dropLagLocked removes the lag series of partitions a task no longer reads
// (all of them when tps is nil); t.mu must be held.
func (c *Collector) dropLagLocked(t *taskMetrics, tps []sdk.TopicPartition) {
	drop := func(tp sdk.TopicPartition) {
		c.vecs.lag.DeleteLabelValues(t.id.Connector, t.label, tp.Topic, strconv.Itoa(int(tp.Partition)))
		delete(t.lag, tp)
	}
	if tps == nil {
		for tp := range t.lag {
			drop(tp)
		}
		return
	}
	for _, tp := range tps {
		drop(tp)
	}
}

// lagged reports whether any partition of connector has records waiting.
func (c *Collector) lagged(connector string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for id, t := range c.tasks {
		if id.Connector != connector {
			continue
		}
		t.mu.Lock()
		for _, l := range t.lag {
			if l.lag > 0 {
				t.mu.Unlock()
				return true
			}
		}
		t.mu.Unlock()
	}
	return false
}

// SetFreshnessBudget sets a connector's freshness.budget.ms; 0 removes it.
// OnTaskStarted calls it for the worker.
func (c *Collector) SetFreshnessBudget(connector string, budget time.Duration) {
	c.mu.Lock()
	f := c.connectorLocked(connector)
	c.mu.Unlock()
	f.setBudget(budget)
}

// Freshness returns a connector's freshness over the recent window, and
// false when the collector knows nothing of the connector (no task of it
// ran here, and no budget was set). The REST status endpoint shows it.
func (c *Collector) Freshness(connector string) (Freshness, bool) {
	c.mu.RLock()
	f := c.conns[connector]
	c.mu.RUnlock()
	if f == nil {
		return Freshness{}, false
	}
	return f.read(c.opts.now(), c.lagged(connector)), true
}

// Forget drops every series and the freshness state of a connector, for
// when it is deleted, so that label sets do not accumulate.
func (c *Collector) Forget(connector string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id := range c.tasks {
		if id.Connector == connector {
			delete(c.tasks, id)
		}
	}
	delete(c.conns, connector)
	match := prometheus.Labels{"connector": connector}
	for _, x := range c.vecs.all() {
		if v, ok := x.(interface {
			DeletePartialMatch(prometheus.Labels) int
		}); ok {
			v.DeletePartialMatch(match)
		}
	}
}

// freshnessCollector exports the connectors' freshness at scrape time.
type freshnessCollector struct{ c *Collector }

func (f freshnessCollector) Describe(ch chan<- *prometheus.Desc) { f.c.fd.describe(ch) }

func (f freshnessCollector) Collect(ch chan<- prometheus.Metric) {
	f.c.mu.RLock()
	conns := make(map[string]*freshness, len(f.c.conns))
	for name, x := range f.c.conns {
		conns[name] = x
	}
	f.c.mu.RUnlock()
	now := f.c.opts.now()
	for name, x := range conns {
		f.c.fd.collect(ch, name, x, now)
	}
}
