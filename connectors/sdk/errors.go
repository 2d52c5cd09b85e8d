package sdk

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Class says what the runtime should do with an error.
type Class uint8

const (
	// ClassUnknown is the zero Class: the error was not classified. The runtime
	// treats it as a record error in the convert and transform stages and as
	// fatal from Put and Poll, as Kafka Connect does.
	ClassUnknown Class = iota
	// ClassRetriable errors (timeouts, 429, 5xx, lost connections) are retried
	// with backoff up to errors.retry.timeout.
	ClassRetriable
	// ClassRecord errors mean this record can never succeed (bad bytes, mapping
	// conflict, constraint violation): it goes to the dead-letter queue when
	// tolerated, else the task fails.
	ClassRecord
	// ClassFatal errors (bad credentials, missing table) fail the task at once.
	ClassFatal
)

// String returns the class name used in headers, metrics and statuses.
func (c Class) String() string {
	switch c {
	case ClassRetriable:
		return "retriable"
	case ClassRecord:
		return "record"
	case ClassFatal:
		return "fatal"
	default:
		return "unknown"
	}
}

// ParseClass is the inverse of Class.String.
func ParseClass(s string) (Class, error) {
	for c := ClassUnknown; c <= ClassFatal; c++ {
		if c.String() == s {
			return c, nil
		}
	}
	return ClassUnknown, fmt.Errorf("unknown error class %q (want retriable, record or fatal)", s)
}

// ErrTaskReset reports that a task lost state it had not yet made durable,
// typically because the plugin process behind it crashed and was restarted.
// Return it (wrapped, classified retriable) from Put, Flush or Poll: the
// runtime then rewinds a sink task to the last committed offsets and
// re-opens its partitions, and a source task goes on from its persisted
// positions, so nothing the lost state held is lost.
var ErrTaskReset = errors.New("task state was reset")

// Error attaches a Class to a cause.
type Error struct {
	Class Class
	Err   error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Retriable marks err as worth retrying. It returns nil for a nil err.
func Retriable(err error) error { return classify(ClassRetriable, err) }

// RecordErr marks err as a failure of one record that can never succeed.
func RecordErr(err error) error { return classify(ClassRecord, err) }

// Fatal marks err as one that must stop the task.
func Fatal(err error) error { return classify(ClassFatal, err) }

func classify(c Class, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Class: c, Err: err}
}

// ClassOf returns the class of the outermost classified error in err's chain,
// and false when no error in the chain carries a class.
func ClassOf(err error) (Class, bool) {
	var e *Error
	if !errors.As(err, &e) {
		return ClassUnknown, false
	}
	return e.Class, true
}

// BatchError reports per-record outcomes of a Put. Records whose index is not
// in Failed were written. A Put that returns any other non-nil error failed as
// a whole.
type BatchError struct {
	// Failed maps an index in the batch to that record's error.
	Failed map[int]error
}

// NewBatchError returns an empty BatchError; add failures with Fail.
func NewBatchError() *BatchError { return &BatchError{Failed: map[int]error{}} }

// Fail records that the record at index i failed with err.
func (b *BatchError) Fail(i int, err error) { b.Failed[i] = err }

// Err returns b, or nil when nothing failed, so that a Put can end with
// `return berr.Err()`.
func (b *BatchError) Err() error {
	if b == nil || len(b.Failed) == 0 {
		return nil
	}
	return b
}

func (b *BatchError) Error() string {
	idx := make([]int, 0, len(b.Failed))
	for i := range b.Failed {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d record(s) failed", len(idx))
	for n, i := range idx {
		if n == 3 {
			fmt.Fprintf(&sb, "; and %d more", len(idx)-n)
			break
		}
		fmt.Fprintf(&sb, "; record %d: %v", i, b.Failed[i])
	}
	return sb.String()
}
