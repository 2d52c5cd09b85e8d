package worker

import (
	"errors"
	"time"
)

// Option configures a Worker.
type Option interface{ apply(*options) }

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

type options struct {
	hooks          hooks
	flushInterval  time.Duration
	bufferBytes    int64
	graceful       time.Duration
	maxPollRecords int
	writeGuard     func() error // nil: writes always allowed
	writeDeadline  func() time.Time
}

func defaultOptions() options {
	return options{
		flushInterval:  60 * time.Second, // Kafka Connect's offset.flush.interval.ms
		bufferBytes:    64 << 20,
		graceful:       5 * time.Second, // task.shutdown.graceful.timeout.ms
		maxPollRecords: 10000,
	}
}

func (o options) validate() error {
	var errs []error
	if o.flushInterval <= 0 {
		errs = append(errs, errors.New("offset flush interval must be positive"))
	}
	if o.bufferBytes < 1<<20 {
		errs = append(errs, errors.New("task buffer must be at least 1 MiB"))
	}
	return errors.Join(errs...)
}

// WithHooks adds hooks (see Hook).
func WithHooks(hs ...Hook) Option {
	return optionFunc(func(o *options) { o.hooks = append(o.hooks, hs...) })
}

// WithFlushInterval sets how often sink offsets are committed and source
// positions persisted (offset.flush.interval.ms).
func WithFlushInterval(d time.Duration) Option {
	return optionFunc(func(o *options) { o.flushInterval = d })
}

// WithBufferBytes bounds the bytes a task holds before it flushes and the
// bytes fetched ahead (freshet.task.buffer.bytes).
func WithBufferBytes(n int64) Option { return optionFunc(func(o *options) { o.bufferBytes = n }) }

// WithGracefulTimeout bounds how long a stopping task may take to flush and
// commit (task.shutdown.graceful.timeout.ms).
func WithGracefulTimeout(d time.Duration) Option {
	return optionFunc(func(o *options) { o.graceful = d })
}

// WithMaxPollRecords bounds the records handed to one Put.
func WithMaxPollRecords(n int) Option { return optionFunc(func(o *options) { o.maxPollRecords = n }) }
