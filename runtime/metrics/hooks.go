package metrics

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/runtime/worker"
)

// The worker hooks the Collector implements. The methods after these
// (OnTaskStarted, OnDelivered, OnFetched, OnPartitionsAssigned and
// OnPartitionsRevoked, OnFlushed, OnPolled, OnRetry, OnPluginRestart) are
// events the worker does not emit yet; their interfaces are proposed in the
// package documentation.
var (
	_ worker.HookTaskState    = (*Collector)(nil)
	_ worker.HookRecordsIn    = (*Collector)(nil)
	_ worker.HookRecordsOut   = (*Collector)(nil)
	_ worker.HookBatchPut     = (*Collector)(nil)
	_ worker.HookCommitted    = (*Collector)(nil)
	_ worker.HookRecordFailed = (*Collector)(nil)
	_ worker.HookDeadLettered = (*Collector)(nil)
	_ worker.HookTaskStarted  = (*Collector)(nil)
	_ worker.HookDelivered    = (*Collector)(nil)
	_ worker.HookFetched      = (*Collector)(nil)
	_ worker.HookPartitions   = (*Collector)(nil)
	_ worker.HookFlushed      = (*Collector)(nil)
	_ worker.HookPolled       = (*Collector)(nil)
	_ worker.HookRetry        = (*Collector)(nil)
)

// OnTaskState implements worker.HookTaskState: freshet_task_state is 1 for
// state and 0 for the others. A task that leaves this worker (UNASSIGNED,
// STOPPED) drops its per-partition series.
func (c *Collector) OnTaskState(id worker.TaskID, state worker.State, _ error) {
	t := c.task(id)
	for s, g := range t.state {
		if s == state {
			g.Set(1)
		} else {
			g.Set(0)
		}
	}
	if state == worker.StateUnassigned || state == worker.StateStopped {
		t.mu.Lock()
		c.dropLagLocked(t, nil)
		t.mu.Unlock()
		t.assigned.Set(0)
	}
}

// OnRecordsIn implements worker.HookRecordsIn.
func (c *Collector) OnRecordsIn(id worker.TaskID, records int, bytes int64) {
	t := c.task(id)
	t.recordsIn.Add(float64(records))
	t.bytesIn.Add(float64(bytes))
}

// OnRecordsOut implements worker.HookRecordsOut.
func (c *Collector) OnRecordsOut(id worker.TaskID, records int, bytes int64) {
	t := c.task(id)
	t.recordsOut.Add(float64(records))
	t.bytesOut.Add(float64(bytes))
}

// OnBatchPut implements worker.HookBatchPut. Each call is one Put attempt.
func (c *Collector) OnBatchPut(id worker.TaskID, records int, took time.Duration, err error) {
	t := c.task(id)
	t.putSeconds.Observe(took.Seconds())
	t.putRecords.Observe(float64(records))
	if class, ok := failureClass(err); ok {
		c.vecs.putFailures.WithLabelValues(id.Connector, t.label, class).Inc()
	}
}

// failureClass names the class of a failed call for metrics, the way the
// worker classifies it: a *sdk.BatchError is "partial", an unclassified
// error from a task is fatal. Cancellation is a shutdown, not a failure.
func failureClass(err error) (string, bool) {
	if err == nil || errors.Is(err, context.Canceled) {
		return "", false
	}
	var be *sdk.BatchError
	if errors.As(err, &be) {
		return "partial", true
	}
	if c, ok := sdk.ClassOf(err); ok && c != sdk.ClassUnknown {
		return c.String(), true
	}
	return sdk.ClassFatal.String(), true
}

// OnCommitted implements worker.HookCommitted.
func (c *Collector) OnCommitted(id worker.TaskID, took time.Duration, err error) {
	t := c.task(id)
	t.commitSeconds.Observe(took.Seconds())
	if _, failed := failureClass(err); failed {
		t.commitFailures.Inc()
	}
}

// OnRecordFailed implements worker.HookRecordFailed.
func (c *Collector) OnRecordFailed(id worker.TaskID, stage string, class sdk.Class) {
	c.vecs.recordErrors.WithLabelValues(id.Connector, strconv.Itoa(id.Task), stage, class.String()).Inc()
}

// OnDeadLettered implements worker.HookDeadLettered.
func (c *Collector) OnDeadLettered(id worker.TaskID, stage string, class sdk.Class) {
	c.vecs.deadLetters.WithLabelValues(id.Connector, strconv.Itoa(id.Task), stage, class.String()).Inc()
}

// OnTaskStarted is told when a task starts, with its connector's
// freshness.budget.ms (0: none). Proposed worker.HookTaskStarted.
func (c *Collector) OnTaskStarted(id worker.TaskID, freshnessBudget time.Duration) {
	c.task(id) // the task's series exist from its start, at zero
	c.SetFreshnessBudget(id.Connector, freshnessBudget)
}

// OnDelivered is told, once per successful Put (or the successful part of a
// partial one), the Kafka timestamps of the records the sink accepted and
// the moment Put returned. It feeds the freshness histogram, the window and
// freshet_sink_records_written_total. The slice is not kept. Proposed
// worker.HookDelivered.
func (c *Collector) OnDelivered(id worker.TaskID, timestamps []time.Time, at time.Time) {
	t := c.task(id)
	t.written.Add(float64(len(timestamps)))
	t.fresh.observe(timestamps, at)
}

// OnFetched is told, for each partition a poll returned records of, how many
// records and key and value bytes it read, the partition's high watermark and
// the offset after the last record read; lag is their difference. Proposed
// worker.HookFetched.
func (c *Collector) OnFetched(id worker.TaskID, topic string, partition int32, records int, bytes int64, highWatermark, nextOffset int64) {
	t := c.task(id)
	tp := sdk.TopicPartition{Topic: topic, Partition: partition}
	lag := max(highWatermark-nextOffset, 0)
	t.mu.Lock()
	m := c.topicLocked(t, topic)
	g, ok := t.lag[tp]
	if !ok {
		g.g = c.vecs.lag.WithLabelValues(id.Connector, t.label, topic, strconv.Itoa(int(partition)))
	}
	g.lag = lag
	t.lag[tp] = g
	t.mu.Unlock()
	m.records.Add(float64(records))
	m.bytes.Add(float64(bytes))
	g.g.Set(float64(lag))
}

// OnPartitionsAssigned is told which partitions a rebalance gave a sink
// task. Proposed worker.HookPartitions, with OnPartitionsRevoked.
func (c *Collector) OnPartitionsAssigned(id worker.TaskID, partitions []sdk.TopicPartition) {
	if len(partitions) == 0 {
		return
	}
	t := c.task(id)
	t.rebalances.Inc()
	t.assigned.Add(float64(len(partitions)))
}

// OnPartitionsRevoked is told which partitions a sink task gave up (lost:
// without the chance to commit).
func (c *Collector) OnPartitionsRevoked(id worker.TaskID, partitions []sdk.TopicPartition, lost bool) {
	if len(partitions) == 0 {
		return
	}
	t := c.task(id)
	t.rebalances.Inc()
	t.assigned.Sub(float64(len(partitions)))
	t.mu.Lock()
	c.dropLagLocked(t, partitions)
	t.mu.Unlock()
}

// OnFlushed is told about each SinkTask.Flush call. Proposed
// worker.HookFlushed.
func (c *Collector) OnFlushed(id worker.TaskID, took time.Duration, err error) {
	t := c.task(id)
	t.flushSeconds.Observe(took.Seconds())
	if _, failed := failureClass(err); failed {
		t.flushFailures.Inc()
	}
}

// OnPolled is told about each SourceTask.Poll call. Proposed
// worker.HookPolled.
func (c *Collector) OnPolled(id worker.TaskID, records int, took time.Duration, err error) {
	t := c.task(id)
	t.pollSeconds.Observe(took.Seconds())
	if class, failed := failureClass(err); failed {
		c.vecs.pollFailures.WithLabelValues(id.Connector, t.label, class).Inc()
		return
	}
	t.pollRecords.Observe(float64(records))
}

// OnRetry is told each time the worker retries an operation (stage
// TASK_PUT, TASK_POLL, ...) after a retriable error. Proposed
// worker.HookRetry.
func (c *Collector) OnRetry(id worker.TaskID, stage string, _ int) {
	c.vecs.retries.WithLabelValues(id.Connector, strconv.Itoa(id.Task), stage).Inc()
}

// OnPluginRestart is told when an isolated plugin process is restarted.
// Proposed plugin.HookRestart, for the plugin host.
func (c *Collector) OnPluginRestart(plugin string) {
	c.vecs.pluginRestarts.WithLabelValues(plugin).Inc()
}
