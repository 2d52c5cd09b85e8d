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
	OnDeadLettered(id TaskID, stage string)
}

type hooks []Hook

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

func (hs hooks) deadLettered(id TaskID, stage string) {
	for _, h := range hs {
		if h, ok := h.(HookDeadLettered); ok {
			h.OnDeadLettered(id, stage)
		}
	}
}
