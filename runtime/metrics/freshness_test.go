package metrics_test

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/freshet-dev/freshet/runtime/metrics"
)

// deliver reports one batch whose records are the given ages old at the
// clock's now.
func deliver(c *metrics.Collector, clk *clock, ages ...time.Duration) {
	now := clk.Now()
	ts := make([]time.Time, len(ages))
	for i, a := range ages {
		ts[i] = now.Add(-a)
	}
	c.OnDelivered(task0, ts, now)
}

func repeat(d time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}

func near(got, want time.Duration, tol float64) bool {
	return math.Abs(float64(got-want)) <= tol*float64(want)
}

func TestFreshnessQuantilesAndHistogram(t *testing.T) {
	c, clk := newCollector(t)
	c.OnTaskStarted(task0, 0)
	// 90 records 20 ms old and 10 records 2 s old, in two batches.
	deliver(c, clk, repeat(20*time.Millisecond, 90)...)
	clk.Add(time.Second)
	deliver(c, clk, repeat(2*time.Second, 10)...)

	f, ok := c.Freshness("orders-es")
	if !ok {
		t.Fatal("no freshness for a connector that delivered")
	}
	if !near(f.P50, 20*time.Millisecond, 0.02) || !near(f.P99, 2*time.Second, 0.02) || f.Records != 100 {
		t.Errorf("freshness = p50 %s p99 %s over %d records, want 20ms, 2s, 100", f.P50, f.P99, f.Records)
	}
	if !f.WithinBudget || f.Budget != 0 {
		t.Errorf("without a budget: within %t budget %s, want true, 0", f.WithinBudget, f.Budget)
	}
	if f.NewestAge != 1020*time.Millisecond {
		t.Errorf("newest age = %s, want 1.02s (the first batch, 20 ms old a second ago, has the newest records)", f.NewestAge)
	}

	h := histogram(t, c, "freshet_freshness_seconds", "orders-es")
	if h.GetSampleCount() != 100 || math.Abs(h.GetSampleSum()-(90*0.02+10*2)) > 1e-6 {
		t.Errorf("histogram count %d sum %f, want 100 and 21.8", h.GetSampleCount(), h.GetSampleSum())
	}
	for _, b := range h.GetBucket() {
		var want uint64
		switch le := b.GetUpperBound(); {
		case le >= 2:
			want = 100
		case le >= 0.02:
			want = 90
		}
		if b.GetCumulativeCount() != want {
			t.Errorf("bucket le=%g holds %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), want)
		}
	}
	if got, _ := series(t, c, "freshet_sink_records_written_total", map[string]string{"connector": "orders-es"}); got != 100 {
		t.Errorf("records written = %v, want 100", got)
	}
}

func TestFreshnessBudget(t *testing.T) {
	for _, tc := range []struct {
		name       string
		ages       []time.Duration
		lag        int64         // consumer lag at the last poll
		idle       time.Duration // time since the last delivery
		wantWithin bool
		wantRatio  float64
		wantStall  bool
	}{
		{"all fresh", repeat(100*time.Millisecond, 100), 0, 0, true, 1, false},
		{"p99 over budget", append(repeat(100*time.Millisecond, 98), repeat(900*time.Millisecond, 2)...), 0, 0, false, 0.98, false},
		{"one slow record is under p99", append(repeat(100*time.Millisecond, 199), time.Second), 0, 0, true, 0.995, false},
		{"records wait and nothing was delivered for longer than the budget", repeat(100*time.Millisecond, 100), 1000, 2 * time.Second, false, 1, true},
		{"idle with no lag is fresh", repeat(100*time.Millisecond, 100), 0, 20 * time.Second, true, 1, false},
		{"lag but delivering", repeat(100*time.Millisecond, 100), 1000, 100 * time.Millisecond, true, 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, clk := newCollector(t)
			c.OnTaskStarted(task0, 500*time.Millisecond)
			c.OnFetched(task0, "orders", 0, 1, 1, 100+tc.lag, 100)
			deliver(c, clk, tc.ages...)
			clk.Add(tc.idle)
			f, _ := c.Freshness("orders-es")
			if f.WithinBudget != tc.wantWithin || math.Abs(f.WithinRatio-tc.wantRatio) > 1e-9 || f.Stalled != tc.wantStall {
				t.Errorf("within %t ratio %g stalled %t (p99 %s), want %t %g %t",
					f.WithinBudget, f.WithinRatio, f.Stalled, f.P99, tc.wantWithin, tc.wantRatio, tc.wantStall)
			}
			if got, _ := series(t, c, "freshet_freshness_within_budget_ratio", map[string]string{"connector": "orders-es"}); math.Abs(got-tc.wantRatio) > 1e-9 {
				t.Errorf("freshet_freshness_within_budget_ratio = %g, want %g", got, tc.wantRatio)
			}
		})
	}
}

func TestFreshnessWindowExpires(t *testing.T) {
	c, clk := newCollector(t, metrics.WithFreshnessWindow(time.Minute, 6))
	c.OnTaskStarted(task0, time.Second)
	deliver(c, clk, repeat(5*time.Second, 10)...)
	if f, _ := c.Freshness("orders-es"); f.WithinBudget || f.Records != 10 {
		t.Fatalf("right after slow records: within %t records %d, want false, 10", f.WithinBudget, f.Records)
	}
	clk.Add(2 * time.Minute)
	f, _ := c.Freshness("orders-es")
	if !f.WithinBudget || f.Records != 0 || f.P99 != 0 {
		t.Errorf("two minutes later: within %t records %d p99 %s, want true, 0, 0", f.WithinBudget, f.Records, f.P99)
	}
	if f.NewestAge != 2*time.Minute+5*time.Second {
		t.Errorf("newest age = %s, want 2m5s", f.NewestAge)
	}
	// The cumulative histogram keeps everything.
	if h := histogram(t, c, "freshet_freshness_seconds", "orders-es"); h.GetSampleCount() != 10 {
		t.Errorf("histogram count = %d, want 10", h.GetSampleCount())
	}
}

func TestFreshnessSkipsMissingAndFutureTimestamps(t *testing.T) {
	c, clk := newCollector(t)
	now := clk.Now()
	c.OnDelivered(task0, []time.Time{time.UnixMilli(-1), {}, now.Add(time.Second), now.Add(-time.Second)}, now)
	f, _ := c.Freshness("orders-es")
	if f.Records != 2 || f.P50 != 0 || !near(f.P99, time.Second, 0.02) {
		t.Errorf("records %d p50 %s p99 %s, want 2 (no timestamp skipped), 0 (future clamped), 1s", f.Records, f.P50, f.P99)
	}
}

func TestFreshnessJSON(t *testing.T) {
	for _, tc := range []struct {
		f    metrics.Freshness
		want string
	}{
		{metrics.Freshness{P50: 12400 * time.Microsecond, P99: 80 * time.Millisecond, Budget: 500 * time.Millisecond, WithinBudget: true, WithinRatio: 0.99871, Records: 5000, NewestAge: 3 * time.Millisecond},
			`{"p50_ms":12,"p99_ms":80,"budget_ms":500,"within_budget":true,"within_budget_ratio":0.9987,"window_records":5000,"newest_record_age_ms":3}`},
		{metrics.Freshness{P50: time.Second, P99: 3 * time.Second, Budget: 500 * time.Millisecond, WithinRatio: 0.2, Records: 10},
			`{"p50_ms":1000,"p99_ms":3000,"budget_ms":500,"within_budget":false,"within_budget_ratio":0.2,"window_records":10,"newest_record_age_ms":0}`},
		{metrics.Freshness{P50: time.Second, P99: time.Second, WithinBudget: true, Records: 1},
			`{"p50_ms":1000,"p99_ms":1000,"window_records":1,"newest_record_age_ms":0}`},
	} {
		got, err := json.Marshal(tc.f)
		if err != nil || string(got) != tc.want {
			t.Errorf("json = %s (%v), want %s", got, err, tc.want)
		}
	}
}

func TestUnknownConnectorHasNoFreshness(t *testing.T) {
	c, _ := newCollector(t)
	if _, ok := c.Freshness("nope"); ok {
		t.Error("freshness for a connector the collector never saw")
	}
	c.SetFreshnessBudget("later", time.Second)
	if f, ok := c.Freshness("later"); !ok || f.Budget != time.Second || !f.WithinBudget {
		t.Errorf("a connector with a budget and no data: %+v %t, want budget 1s, within", f, ok)
	}
}
