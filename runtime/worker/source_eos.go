package worker

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// Exactly-once source keys (KIP-618).
const (
	// KeyExactlyOnceSourceSupport is the worker key; "enabled" turns
	// exactly-once delivery on for every source task of the worker.
	KeyExactlyOnceSourceSupport = "exactly.once.source.support"
	// KeyTransactionBoundary is the connector key: poll (the default) commits
	// a transaction per poll, interval one per
	// transaction.boundary.interval.ms.
	KeyTransactionBoundary = "transaction.boundary"
	// KeyTransactionBoundaryInterval is the connector key bounding an
	// interval transaction; offset.flush.interval.ms when unset.
	KeyTransactionBoundaryInterval = "transaction.boundary.interval.ms"
)

// TxOffsetStore is an OffsetStore whose positions a task's own transactional
// producer can write, so that a source task's records and positions commit
// together. store.KafkaOffsets satisfies it.
type TxOffsetStore interface {
	OffsetStore
	// Records returns the records storing positions, addressed to the
	// store's topic.
	Records(connector string, positions []sdk.Position) ([]*kgo.Record, error)
	// Sync reads the store to its current end.
	Sync(ctx context.Context) error
}

// ErrFenced is returned by a source task whose transactional producer was
// fenced by a newer instance of the same task.
var ErrFenced = errors.New("fenced by a newer instance of the task")

// eosSource is an exactly-once source task's transaction state; only the
// task goroutine touches it, but for failed, which produce callbacks set
// under the task's mu.
type eosSource struct {
	store    TxOffsetStore
	interval time.Duration // 0: a transaction per poll
	txID     string
	open     time.Time // when the open transaction began; zero: none
	failed   error     // first record of the open transaction that failed
}

// eosSettings returns the exactly-once settings of a source task, nil when
// the worker does not enable them.
func (w *Worker) eosSettings(id TaskID, connCfg map[string]string) (*eosSource, error) {
	if !strings.EqualFold(w.props[KeyExactlyOnceSourceSupport], "enabled") {
		return nil, nil
	}
	st, ok := w.offsets.(TxOffsetStore)
	group := w.props["group.id"]
	if !ok || group == "" {
		return nil, fmt.Errorf("%s=enabled needs distributed mode (group.id and a Kafka offsets topic)", KeyExactlyOnceSourceSupport)
	}
	e := &eosSource{store: st, txID: fmt.Sprintf("%s-%s-%d", group, id.Connector, id.Task)}
	switch b := strings.ToLower(connCfg[KeyTransactionBoundary]); b {
	case "", "poll":
	case "interval":
		e.interval = w.opts.flushInterval
		if s := connCfg[KeyTransactionBoundaryInterval]; s != "" {
			ms, err := strconv.ParseInt(s, 10, 64)
			if err != nil || ms <= 0 {
				return nil, &sdk.ConfigError{Key: KeyTransactionBoundaryInterval, Message: "must be a positive number of milliseconds"}
			}
			e.interval = time.Duration(ms) * time.Millisecond
		}
	case "connector":
		return nil, &sdk.ConfigError{Key: KeyTransactionBoundary, Message: "connector-defined transactions are not supported: use poll or interval"}
	default:
		return nil, &sdk.ConfigError{Key: KeyTransactionBoundary, Message: fmt.Sprintf("%q is not one of poll, interval", b)}
	}
	return e, nil
}

// startEOS fences older instances of the task (InitProducerID aborts their
// open transaction) and then reads the offsets topic to its end, so that the
// task starts from the last committed position.
func (t *sourceTask) startEOS(ctx context.Context) error {
	if _, _, err := t.client.ProducerID(ctx); err != nil {
		return fmt.Errorf("init transactional producer %s: %w", t.eos.txID, err)
	}
	if err := t.eos.store.Sync(ctx); err != nil {
		return fmt.Errorf("read offsets before start: %w", err)
	}
	return nil
}

// runEOS is run for exactly-once tasks: each poll's records (or an
// interval's) are produced in one transaction together with the positions
// they reach, which commit together or not at all.
func (t *sourceTask) runEOS(ctx context.Context) error {
	lastFlush := time.Now()
	bo := newBackoff(t.policy.retryDelayMax)
	attempt := 0
	for {
		deadline := lastFlush.Add(t.flushEvery)
		if !t.eos.open.IsZero() {
			deadline = t.eos.open.Add(t.eos.interval)
		}
		pctx, cancel := context.WithDeadline(ctx, deadline)
		recs, err := t.poll(pctx)
		expired := pctx.Err() != nil
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil && expired {
			err = nil
		}
		if err != nil {
			if classify(err, StageTaskPoll) != sdk.ClassRetriable {
				return errors.Join(fmt.Errorf("poll: %w", err), t.abortTxn(ctx))
			}
			t.log.Warn("poll failed; retrying", zap.Error(err))
			if err := sleep(ctx, bo.delay(), time.Time{}); err != nil {
				return nil
			}
			attempt++
			t.hooks.retry(t.id, StageTaskPoll, attempt)
			continue
		}
		bo, attempt = newBackoff(t.policy.retryDelayMax), 0
		if len(recs) > 0 && t.eos.open.IsZero() {
			if err := t.client.BeginTransaction(); err != nil {
				return fmt.Errorf("begin transaction: %w", err)
			}
			t.eos.open = time.Now()
		}
		var bytes int64
		for i := range recs {
			n, err := t.send(ctx, &recs[i])
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return errors.Join(err, t.abortTxn(ctx))
			}
			bytes += n
		}
		t.hooks.recordsOut(t.id, len(recs), bytes)
		if err := t.policy.guard.processed(len(recs)); err != nil {
			return errors.Join(err, t.abortTxn(ctx))
		}
		if !t.eos.open.IsZero() && (t.eos.interval == 0 || time.Since(t.eos.open) >= t.eos.interval) {
			if err := t.awaitWritable(ctx); err != nil {
				return nil // stopped: stopEOS commits only if the guard passes
			}
			if err := t.commitTxn(ctx); err != nil {
				if errors.Is(err, ErrFenced) {
					// A newer instance runs elsewhere: this one is a zombie
					// and stops without reporting a failure over the
					// newer one's status.
					t.log.Error("task stops", zap.Error(err))
					return nil
				}
				return err
			}
		}
		lastFlush = time.Now()
	}
}

// eosProduced is the produce callback's verdict on a record of the open
// transaction: any failure, cancellation included, dooms the transaction.
func (t *sourceTask) eosProduced(kr *kgo.Record, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.eos.failed == nil {
		t.eos.failed = fmt.Errorf("produce to %s: %w", kr.Topic, err)
	}
}

func (t *sourceTask) txnFailure() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.eos.failed
}

// commitTxn flushes the open transaction's records, adds the positions they
// reach and commits. A record that failed aborts the transaction instead,
// and the task fails: its records are polled again from the committed
// position when it restarts.
func (t *sourceTask) commitTxn(ctx context.Context) error {
	if err := t.client.Flush(ctx); err != nil {
		return errors.Join(fmt.Errorf("flush transaction: %w", err), t.abortTxn(ctx))
	}
	if err := t.txnFailure(); err != nil {
		return errors.Join(fenced(err), t.abortTxn(ctx))
	}
	ps := t.pos.committable()
	if len(ps) > 0 {
		recs, err := t.eos.store.Records(t.id.Connector, ps)
		if err != nil {
			return errors.Join(err, t.abortTxn(ctx))
		}
		for _, r := range recs {
			t.client.Produce(context.WithoutCancel(ctx), r, func(kr *kgo.Record, err error) {
				if err != nil {
					t.eosProduced(kr, err)
				}
			})
		}
		if err := t.client.Flush(ctx); err != nil {
			return errors.Join(fmt.Errorf("flush transaction: %w", err), t.abortTxn(ctx))
		}
		if err := t.txnFailure(); err != nil {
			return errors.Join(fenced(err), t.abortTxn(ctx))
		}
	}
	start := time.Now()
	err := t.client.EndTransaction(ctx, kgo.TryCommit)
	t.hooks.committed(t.id, time.Since(start), err)
	t.eos.open = time.Time{}
	if err != nil {
		return fmt.Errorf("commit transaction of %s: %w", t.eos.txID, fenced(err))
	}
	t.pos.markCommitted(ps)
	if len(ps) > 0 {
		if err := t.commitTask(ctx, ps); err != nil {
			t.log.Warn("source task commit failed", zap.Error(err))
		}
	}
	return nil
}

// abortTxn aborts the open transaction, if any; its records never become
// visible to read_committed consumers.
func (t *sourceTask) abortTxn(ctx context.Context) error {
	if t.eos.open.IsZero() {
		return nil
	}
	t.eos.open = time.Time{}
	t.mu.Lock()
	t.eos.failed = nil
	t.mu.Unlock()
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := t.client.AbortBufferedRecords(actx); err != nil {
		return fmt.Errorf("abort transaction: %w", err)
	}
	if err := t.client.EndTransaction(actx, kgo.TryAbort); err != nil && !isFenced(err) {
		return fmt.Errorf("abort transaction: %w", err)
	}
	return nil
}

// stopEOS commits what the stopping task produced, within ctx (aborting it
// when that fails), and closes the producer.
func (t *sourceTask) stopEOS(ctx context.Context) error {
	var err error
	if !t.eos.open.IsZero() {
		if werr := t.writable(); werr != nil {
			// This worker may have lost the task: commit nothing. The
			// records are polled again from the last committed position by
			// whichever instance runs next.
			t.log.Warn("the stopping task's last transaction is aborted, not committed", zap.Error(werr))
			if aerr := t.abortTxn(ctx); aerr != nil {
				t.log.Warn("aborting the stopping task's transaction", zap.Error(aerr))
			}
			t.client.Close()
			return nil
		}
		if err = t.commitTxn(ctx); err != nil {
			t.log.Warn("the stopping task's last transaction was aborted; its records will be polled again", zap.Error(err))
			if errors.Is(err, ErrFenced) {
				err = nil // a newer instance runs: nothing to report
			}
		}
	}
	t.client.Close()
	return err
}

func isFenced(err error) bool {
	return errors.Is(err, kerr.ProducerFenced) || errors.Is(err, kerr.InvalidProducerEpoch)
}

// fenced marks err with ErrFenced when Kafka fenced the producer.
func fenced(err error) error {
	if isFenced(err) {
		return fmt.Errorf("%w: %w", ErrFenced, err)
	}
	return err
}
