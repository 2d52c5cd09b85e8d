package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"
)

// guardRetry is how often a task whose write guard refused re-checks it.
const guardRetry = 50 * time.Millisecond

// ErrNotMember is a write refused by the write guard: this worker may not
// hold its tasks any more (its cluster membership lapsed).
var ErrNotMember = errors.New("worker not a current member of its cluster")

// WithWriteGuard sets a check made before every write a task makes for its
// connector: a sink's Put and its Flush and offset commit, a source's
// produce, offset write and transaction commit. While guard returns an
// error the task writes nothing; it re-checks every 50ms until guard passes
// or the task is stopped. A distributed worker passes its membership's
// lease (cluster.Member.Guard), so that a worker that was cut off from the
// group (paused by SIGSTOP, say) writes nothing in the moment after it
// resumes and before it learns that its tasks were reassigned.
func WithWriteGuard(guard func() error) Option {
	return optionFunc(func(o *options) { o.writeGuard = guard })
}

// writable reports, without waiting, whether the task may write now.
func (e *taskEnv) writable() error {
	if e.writeGuard == nil {
		return nil
	}
	if err := e.writeGuard(); err != nil {
		return fmt.Errorf("%w: %w", ErrNotMember, err)
	}
	return nil
}

// awaitWritable waits until the task may write, or ctx ends (the task is
// stopped), when it returns ctx's error.
func (e *taskEnv) awaitWritable(ctx context.Context) error {
	err := e.writable()
	if err == nil {
		return nil
	}
	e.log.Warn("write guard refused; holding writes until this worker's membership is confirmed")
	t := time.NewTicker(guardRetry)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		if e.writable() == nil {
			e.log.Info("write guard passes again; writes resume")
			return nil
		}
	}
}

// WithWriteDeadline sets when the write lease ends (see WithWriteGuard), as
// of now; a distributed worker passes cluster.Member.LeaseEnd. Records a
// source task hands its (non-transactional) producer carry it as their
// deadline, so that the producer drops, rather than sends, a record still
// buffered when the lease ends: a worker resumed after a pause does not
// flush what it buffered before it. Such records are sent again once the
// guard passes, unless the task is stopped first (then the source polls
// them again from its last persisted position, wherever it runs next).
// Transactional sources need no deadline: a newer instance fences them.
func WithWriteDeadline(end func() time.Time) Option {
	return optionFunc(func(o *options) { o.writeDeadline = end })
}

// leaseCtx shares one produce context among the records produced under the
// same lease end, rather than a timer per record.
type leaseCtx struct {
	end time.Time
	c   context.Context
	// cancel is never called early: that would drop records still under
	// the lease. The context ends at its deadline.
	cancel context.CancelFunc
}

func (l *leaseCtx) ctx(parent context.Context, end time.Time) context.Context {
	if l.c == nil || !end.Equal(l.end) {
		l.end = end
		l.c, l.cancel = context.WithDeadline(parent, end)
	}
	return l.c
}

// resendExpired produces again, once the guard passes, the records the
// producer dropped when the lease ended; it returns ctx's error when the
// task is stopped first.
func (t *sourceTask) resendExpired(ctx context.Context) error {
	t.mu.Lock()
	fs := t.expired
	t.expired = nil
	t.mu.Unlock()
	if len(fs) == 0 {
		return nil
	}
	if err := t.awaitWritable(ctx); err != nil {
		return err
	}
	t.log.Warn("sending again records the producer dropped when the write lease ended", zap.Int("records", len(fs)))
	for _, f := range fs {
		// A fresh record: the producer set the old one's Context to the
		// expired lease.
		r := f.rec
		t.produce(ctx, &kgo.Record{Topic: r.Topic, Key: r.Key, Value: r.Value, Headers: r.Headers, Timestamp: r.Timestamp}, f.tk)
	}
	return nil
}
