package dlq

import (
	"errors"
	"fmt"
)

var (
	// ErrUnknownQueue: the target names neither a connector nor a
	// dead-letter topic.
	ErrUnknownQueue = errors.New("unknown dead-letter queue")
	// ErrNoQueue: the connector exists but has no dead-letter queue.
	ErrNoQueue = errors.New("no dead-letter queue")
	// ErrNotRunning: a replay into the sink needs the connector running on
	// this worker.
	ErrNotRunning = errors.New("connector is not running")
	// ErrFenced: another replay or skip of the same dead-letter queue
	// started, and this one stopped so that the two do not both drain it.
	ErrFenced = errors.New("another drain of this dead-letter queue started")
	// ErrInvalid: a request that cannot be carried out as given (a missing
	// reason, an unknown destination, a missing source topic).
	ErrInvalid = errors.New("invalid request")
)

// FilterError is one problem with a filter; ParseFilter joins them.
type FilterError struct {
	Name   string // since, until, match, …
	Value  string
	Reason string
}

func (e *FilterError) Error() string {
	return fmt.Sprintf("%s %q: %s", e.Name, e.Value, e.Reason)
}
