package worker

import (
	"time"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// Hook is any value implementing one or more of the Hook* interfaces below.
// The worker calls each implemented method at the event it names. Hooks must
// be fast and safe for concurrent use; new hook interfaces never break old
// hooks.
type Hook any

// HookTaskState is told when a task changes state. err is set for FAILED.
type HookTaskState interface {
	OnTaskState(id TaskID, state State, err error)
}

// HookRecordsIn is told how many records and bytes a sink task consumed.
type HookRecordsIn interface {
	OnRecordsIn(id TaskID, records int, bytes int64)
}

// HookRecordsOut is told how many records and bytes a source task produced.
type HookRecordsOut interface {
	OnRecordsOut(id TaskID, records int, bytes int64)
}

// HookBatchPut is told about each Put call.
type HookBatchPut interface {
	OnBatchPut(id TaskID, records int, took time.Duration, err error)
}

// HookCommitted is told about each offset commit.
type HookCommitted interface {
	OnCommitted(id TaskID, took time.Duration, err error)
}

// HookRecordFailed is told about each record that failed at a stage.
type HookRecordFailed interface {
	OnRecordFailed(id TaskID, stage string, class sdk.Class)
}

// HookDeadLettered is told about each record written to a dead-letter topic.
type HookDeadLettered interface {
	OnDeadLettered(id TaskID, stage string, class sdk.Class)
}

// HookTaskStarted is told when a task starts, before its first record, with
// its connector's freshness.budget.ms (0: none).
type HookTaskStarted interface {
	OnTaskStarted(id TaskID, freshnessBudget time.Duration)
}

// HookDelivered is told, after each Put that accepted records, the Kafka
// timestamps of the records the sink accepted and when Put returned. The
// slice is reused after the call.
type HookDelivered interface {
	OnDelivered(id TaskID, timestamps []time.Time, at time.Time)
}

// HookFetched is told, per poll, about each partition that returned records:
// how many records and key and value bytes, the partition's high watermark
// and the offset after the last record polled.
type HookFetched interface {
	OnFetched(id TaskID, topic string, partition int32, records int, bytes int64, highWatermark, nextOffset int64)
}

// HookPartitions is told when a rebalance changes a sink task's partitions.
// lost means the partitions were taken away without the chance to commit.
type HookPartitions interface {
	OnPartitionsAssigned(id TaskID, partitions []sdk.TopicPartition)
	OnPartitionsRevoked(id TaskID, partitions []sdk.TopicPartition, lost bool)
}

// HookFlushed is told about each SinkTask.Flush call.
type HookFlushed interface {
	OnFlushed(id TaskID, took time.Duration, err error)
}

// HookPolled is told about each SourceTask.Poll call.
type HookPolled interface {
	OnPolled(id TaskID, records int, took time.Duration, err error)
}

// HookRetry is told each time the worker retries an operation after a
// retriable error, at the stage it failed in.
type HookRetry interface {
	OnRetry(id TaskID, stage string, attempt int)
}

// HookTopicActive is told the first time a task reads from or writes to a
// topic (GET /connectors/{name}/topics).
type HookTopicActive interface {
	OnTopicActive(id TaskID, topic string)
}

type hooks []Hook

func (hs hooks) topicActive(id TaskID, topic string) {
	for _, h := range hs {
		if h, ok := h.(HookTopicActive); ok {
			h.OnTopicActive(id, topic)
		}
	}
}

func (hs hooks) taskState(id TaskID, s State, err error) {
	for _, h := range hs {
		if h, ok := h.(HookTaskState); ok {
			h.OnTaskState(id, s, err)
		}
	}
}

func (hs hooks) recordsIn(id TaskID, n int, b int64) {
	for _, h := range hs {
		if h, ok := h.(HookRecordsIn); ok {
			h.OnRecordsIn(id, n, b)
		}
	}
}

func (hs hooks) recordsOut(id TaskID, n int, b int64) {
	for _, h := range hs {
		if h, ok := h.(HookRecordsOut); ok {
			h.OnRecordsOut(id, n, b)
		}
	}
}

func (hs hooks) batchPut(id TaskID, n int, took time.Duration, err error) {
	for _, h := range hs {
		if h, ok := h.(HookBatchPut); ok {
			h.OnBatchPut(id, n, took, err)
		}
	}
}

func (hs hooks) committed(id TaskID, took time.Duration, err error) {
	for _, h := range hs {
		if h, ok := h.(HookCommitted); ok {
			h.OnCommitted(id, took, err)
		}
	}
}

func (hs hooks) recordFailed(id TaskID, stage string, c sdk.Class) {
	for _, h := range hs {
		if h, ok := h.(HookRecordFailed); ok {
			h.OnRecordFailed(id, stage, c)
		}
	}
}

func (hs hooks) deadLettered(id TaskID, stage string, class sdk.Class) {
	for _, h := range hs {
		if h, ok := h.(HookDeadLettered); ok {
			h.OnDeadLettered(id, stage, class)
		}
	}
}

func (hs hooks) taskStarted(id TaskID, budget time.Duration) {
	for _, h := range hs {
		if h, ok := h.(HookTaskStarted); ok {
			h.OnTaskStarted(id, budget)
		}
	}
}

func (hs hooks) wantDelivered() bool {
	for _, h := range hs {
		if _, ok := h.(HookDelivered); ok {
			return true
		}
	}
	return false
}

func (hs hooks) delivered(id TaskID, ts []time.Time, at time.Time) {
	for _, h := range hs {
		if h, ok := h.(HookDelivered); ok {
			h.OnDelivered(id, ts, at)
		}
	}
}

func (hs hooks) fetched(id TaskID, topic string, partition int32, records int, bytes, hw, next int64) {
	for _, h := range hs {
		if h, ok := h.(HookFetched); ok {
			h.OnFetched(id, topic, partition, records, bytes, hw, next)
		}
	}
}

func (hs hooks) partitionsAssigned(id TaskID, tps []sdk.TopicPartition) {
	for _, h := range hs {
		if h, ok := h.(HookPartitions); ok {
			h.OnPartitionsAssigned(id, tps)
		}
	}
}

func (hs hooks) partitionsRevoked(id TaskID, tps []sdk.TopicPartition, lost bool) {
	for _, h := range hs {
		if h, ok := h.(HookPartitions); ok {
			h.OnPartitionsRevoked(id, tps, lost)
		}
	}
}

func (hs hooks) flushed(id TaskID, took time.Duration, err error) {
	for _, h := range hs {
		if h, ok := h.(HookFlushed); ok {
			h.OnFlushed(id, took, err)
		}
	}
}

func (hs hooks) polled(id TaskID, n int, took time.Duration, err error) {
	for _, h := range hs {
		if h, ok := h.(HookPolled); ok {
			h.OnPolled(id, n, took, err)
		}
	}
}

func (hs hooks) retry(id TaskID, stage string, attempt int) {
	for _, h := range hs {
		if h, ok := h.(HookRetry); ok {
			h.OnRetry(id, stage, attempt)
		}
	}
}
