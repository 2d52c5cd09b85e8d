package worker

import (
	"fmt"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// dlqGuard fails a task when more than a set share of its records is
// dead-lettered (freshet.errors.dlq.max.ratio over
// freshet.errors.dlq.window.records): after a bad deploy, a whole stream
// going quietly to the dead-letter queue is worse than a failed task. The
// window is tumbling: counts reset each time it fills. The zero value is off.
type dlqGuard struct {
	max    float64 // 0: off
	window int
	seen   int
	dead   int
}

// deadLettered counts one record skipped or dead-lettered.
func (g *dlqGuard) deadLettered() { g.dead++ }

// processed counts n records handled and, when the window is full, checks
// the share that was dead-lettered.
func (g *dlqGuard) processed(n int) error {
	if g.max <= 0 {
		return nil
	}
	g.seen += n
	if g.seen < g.window {
		return nil
	}
	seen, dead := g.seen, g.dead
	g.seen, g.dead = 0, 0
	if ratio := float64(dead) / float64(seen); ratio > g.max {
		return sdk.Fatal(fmt.Errorf("%d of the last %d records (%.1f%%) went to the dead-letter queue, more than %s=%g allows: "+
			"fix the cause (see the dead letters' __connect.errors.exception.message header), then restart the task",
			dead, seen, 100*ratio, KeyDLQMaxRatio, g.max))
	}
	return nil
}
