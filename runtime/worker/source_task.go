package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// OffsetStore persists source positions. store.FileOffsets and the Kafka
// offset store satisfy it.
type OffsetStore interface {
	Get(ctx context.Context, connector string, partition map[string]any) (map[string]any, error)
	Put(ctx context.Context, connector string, positions []sdk.Position) error
}

// sourceTask runs one source task: Poll → transforms → converters → producer.
// A position is persisted only once every record up to it in its source
// partition is acknowledged by Kafka, and the task is told to forget only
// after that (DESIGN invariant 2).
type sourceTask struct {
	*taskEnv
	task       sdk.SourceTask
	client     *kgo.Client
	offsets    OffsetStore
	pos        *positions
	flushEvery time.Duration
	topics     map[string]bool // topics reported active; the task goroutine's
	eos        *eosSource      // nil: at-least-once

	mu            sync.Mutex // guards failed and produceFailed; produce callbacks set them
	failed        error
	produceFailed []produceFailure
	expired       []produceFailure // dropped unsent when the write lease ended; sent again
	lease         leaseCtx         // task goroutine only
}

// produceFailure is a record Kafka refused, waiting for the task goroutine.
type produceFailure struct {
	rec *kgo.Record
	tk  ticket
	err error
}

// deadLetterProduceFailures applies the tolerance policy to records Kafka
// refused (KIP-779: with errors.tolerance=all they are skipped, and here
// dead-lettered when a dead-letter topic is set). Their positions are
// acknowledged only once that is done.
func (t *sourceTask) deadLetterProduceFailures(ctx context.Context) error {
	t.mu.Lock()
	fs := t.produceFailed
	t.produceFailed = nil
	t.mu.Unlock()
	for _, f := range fs {
		orig := &kgo.Record{Topic: f.rec.Topic, Key: f.rec.Key, Value: f.rec.Value, Headers: f.rec.Headers, Timestamp: f.rec.Timestamp, Offset: -1}
		if err := t.tolerate(ctx, StageKafkaProduce, producerClass, orig, fmt.Errorf("produce to %s: %w", f.rec.Topic, f.err)); err != nil {
			return err
		}
		t.pos.ack(f.tk)
	}
	return nil
}

// standIn is the dead letter's "original" for a source record that failed
// before it had bytes of its own: the key and value as far as they were
// converted, the rest as JSON (marked by a header), so a person can read it
// and a replay can produce it.
func (t *sourceTask) standIn(r *sdk.Record, key, value []byte) *kgo.Record {
	kr := &kgo.Record{Topic: r.Topic, Timestamp: r.Timestamp, Offset: -1, Key: key, Value: value}
	for _, h := range r.Headers {
		kr.Headers = append(kr.Headers, kgo.RecordHeader{Key: h.Key, Value: h.Value})
	}
	fallback := false
	if kr.Key == nil && r.Key != nil {
		kr.Key, fallback = jsonFallback(r.Key), true
	}
	if kr.Value == nil && r.Value != nil {
		kr.Value, fallback = jsonFallback(r.Value), true
	}
	if fallback {
		kr.Headers = append(kr.Headers, kgo.RecordHeader{Key: "__freshet.payload.encoding", Value: []byte("json-fallback")})
	}
	return kr
}

func jsonFallback(v any) []byte {
	switch v := v.(type) {
	case sdk.Raw:
		return v
	case []byte:
		return v
	case *sdk.Struct:
		m := make(map[string]any, len(v.Values))
		for _, f := range v.Schema.Fields {
			m[f.Name] = v.Values[f.Index]
		}
		return jsonFallback(m)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return []byte(fmt.Sprint(v))
	}
	return b
}

// offsetReader adapts the store to what a source task reads at start.
type offsetReader struct {
	store     OffsetStore
	connector string
}

func (r offsetReader) Offset(ctx context.Context, partition map[string]any) (map[string]any, error) {
	return r.store.Get(ctx, r.connector, partition)
}

func (t *sourceTask) fail(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.failed == nil {
		t.failed = err
	}
}

func (t *sourceTask) failure() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failed
}

func (t *sourceTask) run(ctx context.Context) error {
	lastFlush := time.Now()
	bo := newBackoff(t.policy.retryDelayMax)
	attempt := 0 // retries of the current poll
	for {
		if err := t.failure(); err != nil {
			return err
		}
		// Poll may block (a quiet source): bound it by the next flush, so
		// positions are persisted on schedule, and treat the deadline as an
		// empty batch. Poll and Commit stay on this one goroutine.
		pctx, cancel := context.WithDeadline(ctx, lastFlush.Add(t.flushEvery))
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
				return fmt.Errorf("poll: %w", err)
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
		var bytes int64
		for i := range recs {
			n, err := t.send(ctx, &recs[i])
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			bytes += n
		}
		t.hooks.recordsOut(t.id, len(recs), bytes)
		if err := t.resendExpired(ctx); err != nil {
			return nil // stopped
		}
		if err := t.deadLetterProduceFailures(ctx); err != nil {
			return err
		}
		if err := t.policy.guard.processed(len(recs)); err != nil {
			return err
		}
		if time.Since(lastFlush) >= t.flushEvery {
			lastFlush = time.Now()
			t.commitPositions(ctx)
		}
	}
}

// poll calls the task's Poll and tells hooks how it went (not when the task
// is stopping: a canceled Poll is not a failure).
func (t *sourceTask) poll(ctx context.Context) ([]sdk.Record, error) {
	start := time.Now()
	recs, err := t.callPoll(ctx)
	if ctx.Err() == nil {
		t.hooks.polled(t.id, len(recs), time.Since(start), err)
	}
	return recs, err
}

func (t *sourceTask) callPoll(ctx context.Context) (recs []sdk.Record, err error) {
	defer recoverPanic(&err, "poll")
	return t.task.Poll(ctx)
}

// send transforms, converts and produces one record asynchronously. It
// returns the bytes handed to the producer.
func (t *sourceTask) send(ctx context.Context, r *sdk.Record) (int64, error) {
	if err := t.awaitWritable(ctx); err != nil {
		return 0, err
	}
	tk := t.pos.submit(r)
	if t.chain != nil && t.chain.Len() > 0 {
		orig := *r // transforms change r in place; the dead letter holds what the task gave
		keep, err := t.chain.Apply(r)
		if err != nil {
			if err := t.tolerate(ctx, StageTransformation, transformClass(err), t.standIn(&orig, nil, nil), err); err != nil {
				return 0, err
			}
			t.pos.ack(tk)
			return 0, nil
		}
		if !keep {
			t.pos.ack(tk)
			return 0, nil
		}
	}
	key, err := t.keyConv.FromConnect(r.Topic, r.KeySchema, r.Key)
	if err != nil {
		if err := t.tolerate(ctx, StageKeyConverter, t.keyConvClass, t.standIn(r, nil, nil), fmt.Errorf("convert key: %w", err)); err != nil {
			return 0, err
		}
		t.pos.ack(tk)
		return 0, nil
	}
	value, err := t.valueConv.FromConnect(r.Topic, r.ValueSchema, r.Value)
	if err != nil {
		if err := t.tolerate(ctx, StageValueConverter, t.valueConvClass, t.standIn(r, key, nil), fmt.Errorf("convert value: %w", err)); err != nil {
			return 0, err
		}
		t.pos.ack(tk)
		return 0, nil
	}
	kr := &kgo.Record{Topic: r.Topic, Key: key, Value: value, Timestamp: r.Timestamp}
	if !t.topics[r.Topic] {
		t.topics[r.Topic] = true
		t.hooks.topicActive(t.id, r.Topic)
	}
	for _, h := range r.Headers {
		kr.Headers = append(kr.Headers, kgo.RecordHeader{Key: h.Key, Value: h.Value})
	}
	t.produce(ctx, kr, tk)
	return int64(len(key) + len(value)), nil
}

// produce hands kr to the producer; its callback acknowledges tk.
func (t *sourceTask) produce(ctx context.Context, kr *kgo.Record, tk ticket) {
	pctx := ctx
	if t.eos != nil {
		pctx = context.WithoutCancel(ctx) // a stopping task commits what it produced
	} else if t.writeDeadline != nil {
		pctx = t.lease.ctx(ctx, t.writeDeadline())
	}
	t.client.Produce(pctx, kr, func(kr *kgo.Record, err error) {
		if err == nil {
			t.pos.ack(tk)
			return
		}
		if t.eos != nil {
			t.eosProduced(kr, err)
			return
		}
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			// The write lease ended before the record was sent (the worker
			// was paused, say): it was not written, and is sent again once
			// the guard passes, unless the task is stopped first.
			t.mu.Lock()
			t.expired = append(t.expired, produceFailure{kr, tk, err})
			t.mu.Unlock()
			return
		}
		if errors.Is(err, context.Canceled) || errors.Is(err, kgo.ErrClientClosed) {
			return // shutting down: the position stays unpersisted, the record is re-polled
		}
		// Handled on the task goroutine: tolerating may mean producing a
		// dead letter, which a produce callback must not block on.
		t.mu.Lock()
		t.produceFailed = append(t.produceFailed, produceFailure{kr, tk, err})
		t.mu.Unlock()
	})
}

// commitPositions persists the positions of acknowledged records, then tells
// the task it may forget them.
func (t *sourceTask) commitPositions(ctx context.Context) {
	ps := t.pos.committable()
	if len(ps) == 0 {
		return
	}
	if err := t.writable(); err != nil {
		t.log.Warn("not persisting source positions", zap.Error(err))
		return
	}
	start := time.Now()
	err := t.offsets.Put(ctx, t.id.Connector, ps)
	t.hooks.committed(t.id, time.Since(start), err)
	if err != nil {
		t.log.Warn("persisting source positions failed; will retry at the next flush", zap.Error(err))
		return
	}
	t.pos.markCommitted(ps)
	if err := t.commitTask(ctx, ps); err != nil {
		t.log.Warn("source task commit failed", zap.Error(err))
	}
}

func (t *sourceTask) commitTask(ctx context.Context, ps []sdk.Position) (err error) {
	defer recoverPanic(&err, "commit")
	return t.task.Commit(ctx, ps)
}

// stop waits for in-flight records within ctx, dead-letters what Kafka
// refused, persists the positions and closes the producer. Records still unacknowledged are re-polled after a
// restart: at least once, never lost.
func (t *sourceTask) stop(ctx context.Context) error {
	if err := t.client.Flush(ctx); err != nil {
		t.log.Warn("records still in flight at shutdown will be produced again after restart", zap.Int("records", t.pos.pending()), zap.Error(err))
	}
	if err := t.deadLetterProduceFailures(ctx); err != nil {
		t.fail(err)
	}
	t.commitPositions(ctx)
	t.client.Close()
	return t.failure()
}
