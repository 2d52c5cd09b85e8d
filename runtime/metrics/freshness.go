package metrics

import (
	"encoding/json"
	"math"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// freshnessBounds are the upper bounds of freshet_freshness_seconds'
// buckets, in microseconds: from 1 ms (a sink on the same host) to an hour
// (a backlog being replayed).
var freshnessBounds = freshnessBoundsArr[:]

var freshnessBoundsArr = [...]uint64{
	1e3, 2.5e3, 5e3, 1e4, 2.5e4, 5e4, 1e5, 2.5e5, 5e5,
	1e6, 2.5e6, 5e6, 1e7, 3e7, 6e7, 1.2e8, 3e8, 6e8, 1.8e9, 3.6e9,
}

// coarseOf maps a fine bucket to the first Prometheus bucket whose bound is
// at least the fine bucket's lower edge. A fine bucket is never wider than
// the gap between two bounds, so one comparison settles a value whose fine
// bucket straddles a bound. It is computed once and only read.
var coarseOf = func() []uint8 {
	t := make([]uint8, numBuckets)
	c := 0
	for i := range t {
		lo, _ := bucketBounds(i)
		for c < len(freshnessBounds) && freshnessBounds[c] < lo {
			c++
		}
		t[i] = uint8(c)
	}
	return t
}()

// freshness tracks one connector's delivery latencies: cumulative counts for
// Prometheus and a sliding window for the status endpoint's quantiles. Every
// task of the connector observes into it, once per batch, under mu.
type freshness struct {
	mu           sync.Mutex
	budget       uint64 // µs; 0: none
	win          *window
	buckets      []uint64 // per Prometheus bucket, not cumulative; the last is +Inf
	count, sum   uint64   // records and µs since start
	within       uint64   // records delivered within the budget, since start
	newest       int64    // Unix µs of the newest Kafka timestamp delivered; 0: none
	lastDelivery time.Time
}

func newFreshness(window time.Duration, slots int) *freshness {
	return &freshness{win: newWindow(window, slots), buckets: make([]uint64, len(freshnessBounds)+1)}
}

func (f *freshness) setBudget(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.budget = uint64(max(d, 0) / time.Microsecond)
}

// observe records that the sink acknowledged records with these Kafka
// timestamps at time at. Records without a timestamp (Kafka's -1) are skipped;
// a timestamp after at (a producer's clock ahead of ours) counts as zero.
func (f *freshness) observe(timestamps []time.Time, at time.Time) {
	atµ := at.UnixMicro()
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.win.at(at)
	counts := s.counts
	budget := f.budget
	bounds := (*[len(freshnessBoundsArr)]uint64)(freshnessBounds)
	var coarse [len(freshnessBoundsArr) + 1]uint64
	var n, within, sum uint64
	newest := f.newest
	for i := range timestamps {
		ts := timestamps[i].UnixMicro()
		if ts <= 0 {
			continue
		}
		d := uint64(max(atµ-ts, 0))
		b := bucketOf(d)
		counts[b]++
		c := coarseOf[b]
		if c < uint8(len(bounds)) && d > bounds[c] {
			c++
		}
		coarse[c]++
		sum += d
		n++
		if d <= budget {
			within++
		}
		newest = max(newest, ts)
	}
	for i, x := range coarse {
		f.buckets[i] += x
	}
	if n == 0 {
		return
	}
	if budget == 0 {
		within = 0
	}
	s.n += n
	s.within += within
	f.count += n
	f.sum += sum
	f.within += within
	f.newest = newest
	f.lastDelivery = at
}

// Freshness is a connector's freshness over the recent window (see
// WithFreshnessWindow): how long its records took from their Kafka timestamp
// to the moment the sink acknowledged them.
type Freshness struct {
	P50, P99 time.Duration
	// Records is how many records the window holds.
	Records uint64
	// Budget is the connector's freshness.budget.ms; 0 means none.
	Budget time.Duration
	// WithinRatio is the share of the window's records delivered within
	// Budget (1 when the window is empty, 0 without a budget).
	WithinRatio float64
	// Stalled is true when records wait in Kafka (consumer lag) and nothing
	// was delivered for longer than Budget: the sink is stuck or paused.
	Stalled bool
	// WithinBudget is false when P99 exceeds Budget or the connector is
	// Stalled. It is true when there is no budget.
	WithinBudget bool
	// NewestAge is how old the newest record delivered is (now minus its
	// Kafka timestamp); 0 before the first delivery.
	NewestAge time.Duration
}

// MarshalJSON writes the status endpoint's freshness object:
// {"p50_ms":12,"p99_ms":80,"budget_ms":500,"within_budget":true,...}.
// budget_ms and within_budget are left out when there is no budget.
func (f Freshness) MarshalJSON() ([]byte, error) {
	type view struct {
		P50          int64    `json:"p50_ms"`
		P99          int64    `json:"p99_ms"`
		Budget       *int64   `json:"budget_ms,omitempty"`
		WithinBudget *bool    `json:"within_budget,omitempty"`
		WithinRatio  *float64 `json:"within_budget_ratio,omitempty"`
		Records      uint64   `json:"window_records"`
		NewestAge    int64    `json:"newest_record_age_ms"`
	}
	v := view{
		P50: ms(f.P50), P99: ms(f.P99), Records: f.Records, NewestAge: ms(f.NewestAge),
	}
	if f.Budget > 0 {
		b, w, r := ms(f.Budget), f.WithinBudget, math.Round(f.WithinRatio*1e4)/1e4
		v.Budget, v.WithinBudget, v.WithinRatio = &b, &w, &r
	}
	return json.Marshal(v)
}

func ms(d time.Duration) int64 { return (d + time.Millisecond/2).Milliseconds() }

// read summarises the window at now. lagged says whether any of the
// connector's partitions has records waiting.
func (f *freshness) read(now time.Time, lagged bool) Freshness {
	f.mu.Lock()
	sum := f.win.summary(now)
	budget, newest, last := f.budget, f.newest, f.lastDelivery
	f.mu.Unlock()
	out := Freshness{
		P50:     time.Duration(sum.quantile(0.5)) * time.Microsecond,
		P99:     time.Duration(sum.quantile(0.99)) * time.Microsecond,
		Records: sum.n,
		Budget:  time.Duration(budget) * time.Microsecond,
	}
	if newest > 0 {
		out.NewestAge = max(now.Sub(time.UnixMicro(newest)), 0)
	}
	if budget == 0 {
		out.WithinBudget = true
		return out
	}
	out.WithinRatio = 1
	if sum.n > 0 {
		out.WithinRatio = float64(sum.within) / float64(sum.n)
	}
	// Waiting since the last delivery, or since the task started delivering
	// nothing at all: either way longer than the budget allows.
	out.Stalled = lagged && (last.IsZero() || now.Sub(last) > out.Budget)
	out.WithinBudget = out.P99 <= out.Budget && !out.Stalled
	return out
}

// freshnessDescs are the connector-level series the collector exports from
// its trackers at scrape time.
type freshnessDescs struct {
	seconds, within, budget, ratio, newestTS, newestAge *prometheus.Desc
}

func newFreshnessDescs() freshnessDescs {
	l := []string{"connector"}
	return freshnessDescs{
		seconds: prometheus.NewDesc("freshet_freshness_seconds",
			"Time from a record's Kafka timestamp to the moment the sink acknowledged it, per connector.", l, nil),
		within: prometheus.NewDesc("freshet_freshness_within_budget_records_total",
			"Records the sink acknowledged within the connector's freshness.budget.ms.", l, nil),
		budget: prometheus.NewDesc("freshet_freshness_budget_seconds",
			"The connector's freshness.budget.ms, in seconds (only connectors with a budget).", l, nil),
		ratio: prometheus.NewDesc("freshet_freshness_within_budget_ratio",
			"Share of the records acknowledged in the recent window that were within the budget.", l, nil),
		newestTS: prometheus.NewDesc("freshet_sink_newest_record_timestamp_seconds",
			"Kafka timestamp of the newest record the sink acknowledged (Unix seconds).", l, nil),
		newestAge: prometheus.NewDesc("freshet_sink_newest_record_age_seconds",
			"Age of the newest data in the sink: now minus the newest acknowledged record's Kafka timestamp.", l, nil),
	}
}

func (d freshnessDescs) describe(ch chan<- *prometheus.Desc) {
	for _, x := range []*prometheus.Desc{d.seconds, d.within, d.budget, d.ratio, d.newestTS, d.newestAge} {
		ch <- x
	}
}

// collect writes connector's series.
func (d freshnessDescs) collect(ch chan<- prometheus.Metric, connector string, f *freshness, now time.Time) {
	f.mu.Lock()
	buckets := make(map[float64]uint64, len(freshnessBounds))
	var cum uint64
	for i, b := range freshnessBounds {
		cum += f.buckets[i]
		buckets[float64(b)/1e6] = cum
	}
	count, sum, within, budget, newest := f.count, f.sum, f.within, f.budget, f.newest
	winN, winWithin := f.win.totals(now)
	f.mu.Unlock()

	if count == 0 && budget == 0 {
		return // a source connector, or a sink that has delivered nothing yet
	}
	ch <- prometheus.MustNewConstHistogram(d.seconds, count, float64(sum)/1e6, buckets, connector)
	if budget > 0 {
		ch <- prometheus.MustNewConstMetric(d.within, prometheus.CounterValue, float64(within), connector)
		ch <- prometheus.MustNewConstMetric(d.budget, prometheus.GaugeValue, float64(budget)/1e6, connector)
		ratio := 1.0
		if winN > 0 {
			ratio = float64(winWithin) / float64(winN)
		}
		ch <- prometheus.MustNewConstMetric(d.ratio, prometheus.GaugeValue, ratio, connector)
	}
	if newest > 0 {
		ch <- prometheus.MustNewConstMetric(d.newestTS, prometheus.GaugeValue, float64(newest)/1e6, connector)
		age := max(now.Sub(time.UnixMicro(newest)), 0)
		ch <- prometheus.MustNewConstMetric(d.newestAge, prometheus.GaugeValue, age.Seconds(), connector)
	}
}
