package e2etest

import (
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"
)

// WaitFor polls cond every 200ms until it holds, and fails t with cond's
// last explanation when timeout passes.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last: %s", timeout, what, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// NewRand returns a generator for a random schedule, seeded from the clock
// or from FRESHET_E2E_SEED; it logs the seed, so that a failing schedule can
// be replayed.
func NewRand(t testing.TB) *rand.Rand {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("FRESHET_E2E_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("FRESHET_E2E_SEED: %v", err)
		}
		seed = v
	}
	t.Logf("random schedule seed %d (FRESHET_E2E_SEED=%d replays it)", seed, seed)
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// RandomDuration is uniform in [lo, hi).
func RandomDuration(r *rand.Rand, lo, hi time.Duration) time.Duration {
	return lo + time.Duration(r.Int64N(int64(hi-lo)))
}
