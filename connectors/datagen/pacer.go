package datagen

import (
	"math"
	"time"
)

// batchWindow is roughly how much time one rate-limited batch covers: Poll
// returns what the rate allows per 50 ms rather than one record at a time.
const batchWindow = 50 * time.Millisecond

// pacer spreads records over time at a fixed rate, in batches. It is a pure
// function of the times it is given, so tests drive it with a fake clock.
//
// The rate is a ceiling, not a promise: when the consumer of the records is
// slower, the pacer forgives a backlog of more than a second instead of
// bursting to catch up.
type pacer struct {
	rate     float64 // records per second, > 0
	minBatch int64   // records worth batchWindow, at least 1
	maxBatch int64
	start    time.Time
	sent     int64 // records handed out since start
}

func newPacer(rate float64, maxBatch int, start time.Time) *pacer {
	minBatch := int64(math.Ceil(rate * batchWindow.Seconds()))
	minBatch = min(max(minBatch, 1), int64(maxBatch))
	return &pacer{rate: rate, minBatch: minBatch, maxBatch: int64(maxBatch), start: start}
}

// take returns how many records may be emitted at now, between minBatch and
// maxBatch, and counts them as sent. When none may be, it returns 0 and how
// long to wait until a batch is due.
func (p *pacer) take(now time.Time) (n int, wait time.Duration) {
	due := int64(now.Sub(p.start).Seconds() * p.rate)
	if backlog := max(p.maxBatch, int64(p.rate)); due-p.sent > backlog {
		p.sent = due - backlog
	}
	if avail := due - p.sent; avail >= p.minBatch {
		n := min(avail, p.maxBatch)
		p.sent += n
		return int(n), 0
	}
	at := p.start.Add(time.Duration(math.Ceil(float64(p.sent+p.minBatch) / p.rate * float64(time.Second))))
	// A microsecond more absorbs float rounding at the boundary.
	return 0, max(at.Sub(now), 0) + time.Microsecond
}
