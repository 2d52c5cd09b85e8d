package metrics

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Option configures a Collector.
type Option interface{ apply(*options) }

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

type options struct {
	registry       *prometheus.Registry
	processMetrics bool
	window         time.Duration
	windowSlots    int
	now            func() time.Time
}

func defaultOptions() options {
	return options{processMetrics: true, window: time.Minute, windowSlots: 12, now: time.Now}
}

func (o options) validate() error {
	var errs []error
	if o.window <= 0 {
		errs = append(errs, errors.New("freshness window must be positive"))
	}
	if o.windowSlots < 1 || o.windowSlots > 600 {
		errs = append(errs, errors.New("freshness window slots must be between 1 and 600"))
	} else if o.window > 0 && o.window/time.Duration(o.windowSlots) < time.Millisecond {
		errs = append(errs, errors.New("freshness window slots must be at least 1 ms long"))
	}
	if o.now == nil {
		errs = append(errs, errors.New("clock must not be nil"))
	}
	return errors.Join(errs...)
}

// WithRegistry registers the metrics with r instead of a new registry.
func WithRegistry(r *prometheus.Registry) Option {
	return optionFunc(func(o *options) { o.registry = r })
}

// WithoutProcessMetrics leaves out the Go runtime and process collectors
// (for a registry that has them already).
func WithoutProcessMetrics() Option {
	return optionFunc(func(o *options) { o.processMetrics = false })
}

// WithFreshnessWindow sets how much recent history the freshness quantiles
// and the within-budget ratio cover (1 minute by default), kept in slots
// buckets that expire one at a time (12 by default).
func WithFreshnessWindow(d time.Duration, slots int) Option {
	return optionFunc(func(o *options) { o.window, o.windowSlots = d, slots })
}

// WithClock sets the clock the freshness window and ages read (time.Now by
// default); for tests.
func WithClock(now func() time.Time) Option {
	return optionFunc(func(o *options) { o.now = now })
}
