package datagen

import (
	"context"
	"fmt"
	"time"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

const (
	// maxBatch is the most records one Poll returns.
	maxBatch = 500
	// idleWait bounds how long Poll waits for the rate limit before it returns
	// an empty batch, so the runtime regains control at very low rates.
	idleWait = time.Second
)

// task generates the events of one task slot.
type task struct {
	gen   *generator
	pacer *pacer // nil: as fast as possible
	seq   int64  // sequence number of the next record
	limit int64  // stop at this sequence number; -1: never

	// Injected for tests.
	now  func() time.Time
	idle time.Duration
}

func newTask() *task { return &task{now: time.Now, idle: idleWait} }

// Start builds the generator for this task's slot and reads the persisted
// sequence number, from which the task continues.
func (t *task) Start(ctx context.Context, cfg map[string]string, offsets sdk.OffsetReader) error {
	c, err := Parse(cfg)
	if err != nil {
		return sdk.Fatal(err)
	}
	index, count, err := taskSlot(cfg)
	if err != nil {
		return sdk.Fatal(fmt.Errorf("datagen task config: %w", err))
	}
	lo, hi := index*c.Customers/count, (index+1)*c.Customers/count
	if hi <= lo {
		return sdk.Fatal(fmt.Errorf("datagen task %d of %d has no customers (customers=%d)", index, count, c.Customers))
	}
	t.gen = newGenerator(c, index, lo, hi-lo)

	t.seq = 0
	if offsets != nil {
		off, err := offsets.Offset(ctx, t.gen.partition)
		if err != nil {
			return fmt.Errorf("read offset of datagen task %d: %w", index, err)
		}
		if t.seq, err = sdk.OffsetInt(off, seqField); err != nil {
			return sdk.Fatal(fmt.Errorf("read offset of datagen task %d: %w", index, err))
		}
	}
	t.limit = -1
	if c.MaxRecords > 0 {
		t.limit = share(c.MaxRecords, index, count)
	}
	t.pacer = nil
	if c.RatePerSec > 0 {
		t.pacer = newPacer(c.RatePerSec/float64(count), maxBatch, t.now())
	}
	return nil
}

// Poll returns the next batch: up to 500 records, or what the rate allows
// per about 50 ms. After max.records it blocks until ctx is done.
func (t *task) Poll(ctx context.Context) ([]sdk.Record, error) {
	n := int64(maxBatch)
	if t.limit >= 0 {
		left := t.limit - t.seq
		if left <= 0 {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		n = min(n, left)
	}
	now := t.now()
	if t.pacer != nil {
		deadline := now.Add(t.idle)
		for {
			k, wait := t.pacer.take(now)
			if k > 0 {
				n = min(n, int64(k))
				break
			}
			if now.Add(wait).After(deadline) {
				return nil, sleep(ctx, deadline.Sub(now))
			}
			if err := sleep(ctx, wait); err != nil {
				return nil, err
			}
			now = t.now()
		}
	}
	recs := make([]sdk.Record, n)
	for i := range recs {
		recs[i] = t.gen.record(t.seq+int64(i), now)
	}
	t.seq += n
	return recs, nil
}

// Commit has nothing to release: generated events need no acknowledgement.
func (t *task) Commit(context.Context, []sdk.Position) error { return nil }

func (t *task) Stop(context.Context) error { return nil }

// sleep waits for d or until ctx is done, and returns ctx's error then.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}
