package metrics

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBucketsTileTheLine(t *testing.T) {
	var next uint64
	for i := range numBuckets - 1 {
		lo, hi := bucketBounds(i)
		if lo != next || hi < lo {
			t.Fatalf("bucket %d is [%d,%d], want it to start at %d", i, lo, hi, next)
		}
		if i >= subCount && float64(hi-lo+1) > float64(lo)/subCount+1e-9 {
			t.Fatalf("bucket %d [%d,%d] is wider than 1/%d of its lower edge", i, lo, hi, subCount)
		}
		for _, v := range []uint64{lo, hi, lo + (hi-lo)/2} {
			if got := bucketOf(v); got != i {
				t.Fatalf("bucketOf(%d) = %d, want %d", v, got, i)
			}
		}
		next = hi + 1
	}
	if got := bucketOf(1 << 62); got != numBuckets-1 {
		t.Errorf("bucketOf(2^62) = %d, want the last bucket %d", got, numBuckets-1)
	}
}

func TestCoarseOfIsFirstBoundAtOrAboveBucket(t *testing.T) {
	for i := range numBuckets {
		lo, hi := bucketBounds(i)
		c := int(coarseOf[i])
		// Every value in the bucket lands in c or c+1 after one comparison.
		for _, v := range []uint64{lo, hi} {
			want := len(freshnessBounds)
			for j, b := range freshnessBounds {
				if v <= b {
					want = j
					break
				}
			}
			got := c
			if got < len(freshnessBounds) && v > freshnessBounds[got] {
				got++
			}
			if got != want {
				t.Fatalf("value %d (fine bucket %d): coarse bucket %d, want %d", v, i, got, want)
			}
		}
	}
}

func TestWindowQuantilesMatchExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name string
		gen  func() uint64
	}{
		{"uniform 0-100ms", func() uint64 { return rng.Uint64N(100_000) }},
		{"lognormal around 40ms", func() uint64 { return uint64(40_000 * (1 + rng.ExpFloat64()*rng.ExpFloat64())) }},
		{"bimodal 2ms and 3s", func() uint64 {
			if rng.IntN(10) == 0 {
				return 3_000_000 + rng.Uint64N(500_000)
			}
			return 2_000 + rng.Uint64N(300)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWindow(time.Minute, 6)
			now := time.Unix(1_700_000_000, 0)
			vals := make([]uint64, 50_000)
			for i := range vals {
				vals[i] = tc.gen()
				s := w.at(now)
				s.counts[bucketOf(vals[i])]++
				s.n++
			}
			slices.Sort(vals)
			sum := w.summary(now)
			for _, q := range []float64{0.5, 0.9, 0.99} {
				exact := float64(vals[int(q*float64(len(vals)))-1])
				got := float64(sum.quantile(q))
				if d := (got - exact) / exact; d > 0.02 || d < -0.02 {
					t.Errorf("q%.2f = %.0f µs, exact %.0f µs (%.1f %% off)", q, got, exact, 100*d)
				}
			}
		})
	}
}

func TestWindowForgetsOldSlots(t *testing.T) {
	w := newWindow(time.Minute, 6) // 10 s slots
	t0 := time.Unix(1_700_000_000, 0)
	add := func(at time.Time, v uint64, n int) {
		s := w.at(at)
		s.counts[bucketOf(v)] += uint32(n)
		s.n += uint64(n)
	}
	add(t0, 1_000, 10)                     // 1 ms
	add(t0.Add(30*time.Second), 50_000, 5) // 50 ms
	for _, tc := range []struct {
		after  time.Duration
		wantN  uint64
		wantP0 uint64 // midpoint of the smallest value's bucket (1 ms: [992,1007]); 0 when empty
	}{
		{0, 10, 999},
		{35 * time.Second, 15, 999},
		{65 * time.Second, 5, 49_663}, // the first slot is older than the window
		{95 * time.Second, 0, 0},
	} {
		sum := w.summary(t0.Add(tc.after))
		if sum.n != tc.wantN || sum.quantile(1e-9) != tc.wantP0 {
			t.Errorf("after %s: n=%d min=%d, want n=%d min=%d", tc.after, sum.n, sum.quantile(1e-9), tc.wantN, tc.wantP0)
		}
		if n, _ := w.totals(t0.Add(tc.after)); n != tc.wantN {
			t.Errorf("after %s: totals n=%d, want %d", tc.after, n, tc.wantN)
		}
	}
	// A slot reused after a full turn starts empty.
	add(t0.Add(60*time.Second), 2_000, 1)
	if sum := w.summary(t0.Add(60 * time.Second)); sum.n != 6 {
		t.Errorf("after reuse: n=%d, want 6 (5 at 30 s, 1 now)", sum.n)
	}
}
