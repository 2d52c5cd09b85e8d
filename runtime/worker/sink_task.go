package worker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.uber.org/zap"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/dlq"
)

// sinkTask runs one sink task: Kafka → converters → transforms → Put, with
// offsets committed only after Flush says the records are durable
// (DESIGN invariant 1). Everything but the franz-go callbacks runs on the
// task goroutine; BlockRebalanceOnPoll keeps the callbacks out of the
// processing section, so no lock guards the fields below.
type sinkTask struct {
	*taskEnv
	task   sdk.SinkTask
	client *kgo.Client

	maxPoll     int     // records per poll, at most
	avgSize     float64 // moving average of record bytes, sizing polls to the buffer
	flushEvery  time.Duration
	bufferBytes int64

	assigned      map[sdk.TopicPartition]bool
	topics        map[string]bool // topics reported active
	stored        sdk.Offsets     // offsets the sink itself stored, from Open
	put           sdk.Offsets     // next offset after the last record handled, per partition
	committed     sdk.Offsets     // last offsets committed to the group
	unflushed     int64           // bytes put since the last flush
	lastFlush     time.Time
	wantDelivered bool               // a hook implements HookDelivered
	ts            []time.Time        // Kafka timestamps of the records a Put accepted, reused
	failed        error              // a failure inside a group callback, returned by the loop
	replays       chan *replayReq    // dead letters to put directly (freshet dlq replay --to sink)
	wakeMu        sync.Mutex         // guards wake
	wake          context.CancelFunc // ends the current poll early, for a replay
	rewinds       *backoff           // consecutive rewinds back off; nil after a clean flush
	recovering    bool               // after a reset: RESTARTING until a flush succeeds
}

// newSinkClient builds the task's consumer. Callbacks are bound to t.
func (t *sinkTask) newClient(opts []kgo.Opt, group string, topics []string, regex bool) (*kgo.Client, error) {
	// Fetch sizes count compressed bytes, and records can inflate several
	// times on decompression: a quarter of the buffer leaves room for that
	// and for the batch being converted and put.
	fetchMax := int32(min(t.bufferBytes/4, 50<<20))
	// Kafka's max.partition.fetch.bytes, smaller for small buffers.
	partMax := int32(min(int64(fetchMax), 1<<20, max(t.bufferBytes/32, 64<<10)))
	opts = append(opts,
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(topics...),
		kgo.Balancers(kgo.CooperativeStickyBalancer()),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		// Invariant 4: franz-go buffers at most one fetch per broker until
		// we poll it, so these bound what sits in memory while the sink stalls.
		kgo.FetchMaxBytes(fetchMax),
		kgo.FetchMaxPartitionBytes(partMax),
		kgo.OnPartitionsAssigned(t.onAssigned),
		kgo.AdjustFetchOffsetsFn(t.adjustOffsets),
		kgo.OnPartitionsRevoked(t.onRevoked),
		kgo.OnPartitionsLost(t.onLost),
	)
	if regex {
		opts = append(opts, kgo.ConsumeRegex())
	}
	return kgo.NewClient(opts...)
}

func toTPs(m map[string][]int32) []sdk.TopicPartition {
	var out []sdk.TopicPartition
	for topic, parts := range m {
		for _, p := range parts {
			out = append(out, sdk.TopicPartition{Topic: topic, Partition: p})
		}
	}
	return out
}

func (t *sinkTask) onAssigned(ctx context.Context, _ *kgo.Client, m map[string][]int32) {
	tps := toTPs(m)
	t.log.Info("partitions assigned", zap.Stringers("partitions", tps))
	t.hooks.partitionsAssigned(t.id, tps)
	stored, err := t.task.Open(ctx, tps)
	if err != nil {
		t.fail(fmt.Errorf("open partitions: %w", err))
		return
	}
	for _, tp := range tps {
		t.assigned[tp] = true
		if off, ok := stored[tp]; ok {
			t.stored[tp] = off
		}
	}
}

// adjustOffsets makes the consumer resume from the offsets the sink stored
// atomically with its data (DESIGN invariant 3), not from the group's.
func (t *sinkTask) adjustOffsets(_ context.Context, m map[string]map[int32]kgo.Offset) (map[string]map[int32]kgo.Offset, error) {
	for topic, parts := range m {
		for p := range parts {
			tp := sdk.TopicPartition{Topic: topic, Partition: p}
			if off, ok := t.stored[tp]; ok {
				parts[p] = kgo.NewOffset().At(off).WithEpoch(-1)
				delete(t.stored, tp)
				t.log.Info("resuming from offset stored by the sink", zap.Stringer("partition", tp), zap.Int64("offset", off))
			}
		}
	}
	return m, nil
}

func (t *sinkTask) onRevoked(ctx context.Context, cl *kgo.Client, m map[string][]int32) {
	tps := toTPs(m)
	if len(tps) == 0 {
		return
	}
	t.log.Info("partitions revoked", zap.Stringers("partitions", tps))
	// Flush and commit what is durable before the partitions move on.
	if err := t.flushCommit(ctx, tps); err != nil {
		if !errors.Is(err, errRewind) {
			t.fail(err)
		} else {
			// The new owner starts from the last commit: redelivered, not lost.
			t.log.Warn("flush failed while partitions were revoked; their uncommitted records will be redelivered", zap.Error(err))
		}
	}
	t.release(ctx, tps)
	t.hooks.partitionsRevoked(t.id, tps, false)
}

func (t *sinkTask) onLost(ctx context.Context, _ *kgo.Client, m map[string][]int32) {
	tps := toTPs(m)
	t.log.Warn("partitions lost; uncommitted records will be redelivered to their new owner", zap.Stringers("partitions", tps))
	t.release(ctx, tps)
	t.hooks.partitionsRevoked(t.id, tps, true)
}

func (t *sinkTask) release(ctx context.Context, tps []sdk.TopicPartition) {
	if err := t.task.Close(ctx, tps); err != nil {
		t.fail(fmt.Errorf("close partitions: %w", err))
	}
	for _, tp := range tps {
		delete(t.assigned, tp)
		delete(t.put, tp)
		delete(t.committed, tp)
	}
}

func (t *sinkTask) fail(err error) {
	if t.failed == nil {
		t.failed = err
	}
}

// run is the task loop. It returns nil when ctx is canceled (a stop), or the
// error that failed the task.
func (t *sinkTask) run(ctx context.Context) error {
	t.lastFlush = time.Now()
	var batch []sdk.Record
	var raws []*kgo.Record
	for {
		if t.failed != nil {
			return t.failed
		}
		wait := max(time.Until(t.lastFlush.Add(t.flushEvery)), time.Millisecond)
		pctx, cancel := context.WithTimeout(ctx, wait)
		t.setWake(cancel) // before looking for replays, so none waits a whole poll
		select {
		case req := <-t.replays:
			req.done <- t.serveReplay(ctx, req.recs)
		default:
		}
		fetches := t.client.PollRecords(pctx, t.pollSize())
		t.setWake(nil)
		cancel()
		if ctx.Err() != nil {
			t.client.AllowRebalance()
			return nil
		}
		if err := fetchError(fetches); err != nil {
			t.client.AllowRebalance()
			return err
		}
		var bytes int64
		var err error
		batch, raws, bytes, err = t.convertFetch(ctx, fetches, batch[:0], raws[:0])
		if err == nil && len(batch) > 0 {
			err = t.putBatch(ctx, batch, raws)
		}
		if err == nil {
			// Every polled record is now written, dead-lettered or dropped.
			fetches.EachPartition(func(p kgo.FetchTopicPartition) {
				if n := len(p.Records); n > 0 {
					t.put[sdk.TopicPartition{Topic: p.Topic, Partition: p.Partition}] = p.Records[n-1].Offset + 1
				}
			})
			t.unflushed += bytes
			err = t.policy.guard.processed(fetches.NumRecords())
			if n := fetches.NumRecords(); n > 0 {
				t.avgSize = 0.8*t.avgSize + 0.2*float64(bytes)/float64(n)
			}
			if err == nil && (t.unflushed >= t.bufferBytes || time.Since(t.lastFlush) >= t.flushEvery) {
				if err = t.awaitWritable(ctx); err == nil {
					err = t.flushCommit(ctx, nil)
				}
			}
		}
		t.hooks.recordsIn(t.id, fetches.NumRecords(), bytes)
		if err != nil && (errors.Is(err, errRewind) || errors.Is(err, sdk.ErrTaskReset)) && ctx.Err() == nil {
			err = t.rewind(ctx, err)
		}
		t.client.AllowRebalance()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}

// pollSize bounds a batch to a quarter of the task buffer (invariant 4): a
// batch is held twice, as Kafka bytes and as converted records.
func (t *sinkTask) pollSize() int {
	if t.avgSize <= 0 {
		return min(t.maxPoll, 500)
	}
	return max(64, min(t.maxPoll, int(float64(t.bufferBytes)/4/t.avgSize)))
}

// convertFetch converts and transforms a poll's records, partition by
// partition, appending what is to be put to batch and raws; it tells hooks
// what each partition returned. One pass over the records: this is the hot
// path.
func (t *sinkTask) convertFetch(ctx context.Context, f kgo.Fetches, batch []sdk.Record, raws []*kgo.Record) ([]sdk.Record, []*kgo.Record, int64, error) {
	var total int64
	var err error
	f.EachPartition(func(p kgo.FetchTopicPartition) {
		n := len(p.Records)
		if n == 0 || err != nil {
			return
		}
		// Everything before the first record of an assignment is done: that
		// is where a rewind goes back to until something is committed.
		tp := sdk.TopicPartition{Topic: p.Topic, Partition: p.Partition}
		if _, ok := t.committed[tp]; !ok {
			t.committed[tp] = p.Records[0].Offset
		}
		if !t.topics[p.Topic] {
			t.topics[p.Topic] = true
			t.hooks.topicActive(t.id, p.Topic)
		}
		var bytes int64
		for _, r := range p.Records {
			bytes += int64(len(r.Key) + len(r.Value))
			rec, keep, cerr := t.toSink(ctx, r)
			if cerr != nil {
				err = cerr
				return
			}
			if keep {
				batch = append(batch, rec)
				raws = append(raws, r)
			}
		}
		total += bytes
		t.hooks.fetched(t.id, p.Topic, p.Partition, n, bytes, p.HighWatermark, p.Records[n-1].Offset+1)
	})
	return batch, raws, total, err
}

// delivered tells hooks the Kafka timestamps of the records Put accepted:
// raws less those failed names.
func (t *sinkTask) delivered(raws []*kgo.Record, failed map[int]error, at time.Time) {
	if !t.wantDelivered {
		return
	}
	t.ts = t.ts[:0]
	for i, r := range raws {
		if _, ok := failed[i]; !ok {
			t.ts = append(t.ts, r.Timestamp)
		}
	}
	if len(t.ts) > 0 {
		t.hooks.delivered(t.id, t.ts, at)
	}
}

func fetchError(f kgo.Fetches) error {
	var errs []error
	f.EachError(func(topic string, p int32, err error) {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return
		}
		var ke interface{ IsRetriable() bool }
		if errors.As(err, &ke) && ke.IsRetriable() {
			return // franz-go retries these itself
		}
		errs = append(errs, fmt.Errorf("fetch %s-%d: %w", topic, p, err))
	})
	if len(errs) == 0 {
		return nil
	}
	return sdk.Fatal(errors.Join(errs...))
}

// toSink converts and transforms one Kafka record. keep=false means the
// record was filtered out or tolerated as a failure (and reported).
func (t *sinkTask) toSink(ctx context.Context, r *kgo.Record) (sdk.Record, bool, error) {
	rec, keep, f := t.convert(r)
	if f != nil {
		return rec, false, t.tolerate(ctx, f.Stage, f.ExecutingClass, r, f.Err)
	}
	return rec, keep, nil
}

// convert runs the converters and transforms on one Kafka record. keep=false
// means a transform dropped it; a failure says at which stage.
func (t *sinkTask) convert(r *kgo.Record) (sdk.Record, bool, *dlq.StageError) {
	rec := sdk.Record{
		Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Timestamp: r.Timestamp,
	}
	if len(r.Headers) > 0 {
		rec.Headers = make([]sdk.Header, len(r.Headers))
		for i, h := range r.Headers {
			rec.Headers[i] = sdk.Header{Key: h.Key, Value: h.Value}
		}
	}
	var err error
	if rec.KeySchema, rec.Key, err = t.keyConv.ToConnect(r.Topic, r.Key); err != nil {
		return rec, false, &dlq.StageError{Stage: StageKeyConverter, ExecutingClass: t.keyConvClass,
			Err: fmt.Errorf("convert key of %s-%d@%d: %w", r.Topic, r.Partition, r.Offset, err)}
	}
	if rec.ValueSchema, rec.Value, err = t.valueConv.ToConnect(r.Topic, r.Value); err != nil {
		return rec, false, &dlq.StageError{Stage: StageValueConverter, ExecutingClass: t.valueConvClass,
			Err: fmt.Errorf("convert value of %s-%d@%d: %w", r.Topic, r.Partition, r.Offset, err)}
	}
	if t.chain != nil && t.chain.Len() > 0 {
		keep, err := t.chain.Apply(&rec)
		if err != nil {
			return rec, false, &dlq.StageError{Stage: StageTransformation, ExecutingClass: transformClass(err),
				Err: fmt.Errorf("transform %s-%d@%d: %w", r.Topic, r.Partition, r.Offset, err)}
		}
		return rec, keep, nil
	}
	return rec, true, nil
}

// putBatch hands the batch to the sink, retrying retriable failures (the
// whole batch, or only the records that failed) and routing record failures
// through the tolerance policy.
func (t *sinkTask) putBatch(ctx context.Context, batch []sdk.Record, raws []*kgo.Record) error {
	bo := newBackoff(t.policy.retryDelayMax)
	deadline := t.putDeadline()
	attempt := 0
	for {
		attempt++
		start := time.Now()
		err := t.callPut(ctx, batch)
		end := time.Now()
		t.hooks.batchPut(t.id, len(batch), end.Sub(start), err)
		if err == nil {
			t.delivered(raws, nil, end)
			return nil
		}
		if errors.Is(err, sdk.ErrTaskReset) {
			return err // retrying this batch alone would skip what the reset lost
		}
		var berr *sdk.BatchError
		if errors.As(err, &berr) {
			t.delivered(raws, berr.Failed, end) // the records not named in Failed are written
		}
		if berr == nil {
			if classify(err, StageTaskPut) != sdk.ClassRetriable || ctx.Err() != nil {
				return fmt.Errorf("put %d records: %w", len(batch), err)
			}
			t.log.Warn("put failed; retrying", zap.Int("attempt", attempt), zap.Error(err))
		} else {
			// Per-record outcomes: tolerate record errors, retry the retriable.
			var retryB []sdk.Record
			var retryR []*kgo.Record
			for i := range batch {
				rerr, failed := berr.Failed[i]
				if !failed {
					continue
				}
				switch classify(rerr, StageTaskPut) {
				case sdk.ClassRetriable:
					retryB = append(retryB, batch[i])
					retryR = append(retryR, raws[i])
				case sdk.ClassRecord:
					if err := t.tolerate(ctx, StageTaskPut, t.sinkClass, raws[i], rerr); err != nil {
						return err
					}
				default:
					return fmt.Errorf("put record %s-%d@%d: %w", raws[i].Topic, raws[i].Partition, raws[i].Offset, rerr)
				}
			}
			if len(retryB) == 0 {
				return nil
			}
			batch, raws = retryB, retryR
			t.log.Warn("put failed for some records; retrying them", zap.Int("records", len(batch)), zap.Int("attempt", attempt), zap.Error(berr))
		}
		if !deadline.IsZero() && time.Now().After(deadline) {
			return t.retriesExhausted(ctx, batch, raws, err)
		}
		if err := sleep(ctx, bo.delay(), deadline); err != nil {
			return err
		}
		t.hooks.retry(t.id, StageTaskPut, attempt)
	}
}

// putDeadline: Kafka Connect redelivers a batch whose put threw a
// RetriableException indefinitely. errors.retry.timeout > 0 bounds that;
// the default 0 and -1 keep retrying (until the task is stopped).
func (t *sinkTask) putDeadline() time.Time {
	if t.policy.retryTimeout > 0 {
		return time.Now().Add(t.policy.retryTimeout)
	}
	return time.Time{}
}

func (t *sinkTask) retriesExhausted(ctx context.Context, batch []sdk.Record, raws []*kgo.Record, err error) error {
	if !t.policy.tolerateAll {
		return fmt.Errorf("put %d records: retries exhausted after %s: %w", len(batch), t.policy.retryTimeout, err)
	}
	for _, r := range raws {
		if err := t.tolerate(ctx, StageTaskPut, t.sinkClass, r, fmt.Errorf("retries exhausted after %s: %w", t.policy.retryTimeout, err)); err != nil {
			return err
		}
	}
	return nil
}

func (t *sinkTask) callPut(ctx context.Context, batch []sdk.Record) (err error) {
	if err := t.awaitWritable(ctx); err != nil {
		return err
	}
	defer recoverPanic(&err, "put")
	return t.task.Put(ctx, batch)
}

// flushCommit asks the sink to make what was put durable and commits the
// offsets it returns. tps limits it to some partitions (nil: all assigned).
func (t *sinkTask) flushCommit(ctx context.Context, tps []sdk.TopicPartition) (err error) {
	defer recoverPanic(&err, "flush")
	offsets := sdk.Offsets{}
	if tps == nil {
		for tp, off := range t.put {
			offsets[tp] = off
		}
	} else {
		for _, tp := range tps {
			if off, ok := t.put[tp]; ok {
				offsets[tp] = off
			}
		}
	}
	t.lastFlush = time.Now()
	t.unflushed = 0
	if len(offsets) == 0 {
		return nil
	}
	// A worker that may have lost its tasks neither flushes nor commits:
	// what was put since the last commit is redelivered to the new owner.
	if err := t.writable(); err != nil {
		return fmt.Errorf("%w: %w", errRewind, err)
	}
	start := time.Now()
	durable, err := t.task.Flush(ctx, offsets)
	t.hooks.flushed(t.id, time.Since(start), err)
	if err == nil {
		t.rewinds = nil
		if t.recovering {
			t.recovering = false
			t.hooks.taskState(t.id, StateRunning, nil)
		}
	}
	if err != nil {
		if classify(err, StageTaskPut) == sdk.ClassRetriable {
			// As Kafka Connect does when preCommit fails: go back to the
			// committed offsets and deliver again.
			return fmt.Errorf("%w: flush: %w", errRewind, err)
		}
		return fmt.Errorf("flush: %w", err)
	}
	if durable == nil {
		durable = offsets
	}
	commit := map[string]map[int32]kgo.EpochOffset{}
	for tp, off := range durable {
		// Never commit past what was handled, nor backwards.
		if put, ok := offsets[tp]; !ok || off > put || off <= t.committed[tp] {
			continue
		}
		if commit[tp.Topic] == nil {
			commit[tp.Topic] = map[int32]kgo.EpochOffset{}
		}
		commit[tp.Topic][tp.Partition] = kgo.EpochOffset{Epoch: -1, Offset: off}
	}
	if len(commit) == 0 {
		return nil
	}
	var cerr error
	t.client.CommitOffsetsSync(ctx, commit, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		if err != nil {
			cerr = err
			return
		}
		for _, topic := range resp.Topics {
			for _, p := range topic.Partitions {
				if perr := kerrOf(p.ErrorCode); perr != nil {
					cerr = errors.Join(cerr, fmt.Errorf("%s-%d: %w", topic.Topic, p.Partition, perr))
					continue
				}
				t.committed[sdk.TopicPartition{Topic: topic.Topic, Partition: p.Partition}] = commit[topic.Topic][p.Partition].Offset
			}
		}
	})
	t.hooks.committed(t.id, time.Since(start), cerr)
	if cerr != nil && ctx.Err() == nil {
		// The records are durable in the sink; they will be redelivered and
		// written again at worst. Not a reason to fail the task.
		t.log.Warn("offset commit failed; records since the last commit may be redelivered", zap.Error(cerr))
	}
	return nil
}

// replayReq asks the task loop to put dead letters into the sink.
type replayReq struct {
	recs []*kgo.Record
	done chan replayResult
}

type replayResult struct {
	failed map[int]error
	err    error
}

func (t *sinkTask) setWake(f context.CancelFunc) {
	t.wakeMu.Lock()
	defer t.wakeMu.Unlock()
	t.wake = f
}

// replay hands recs to the task goroutine and waits for the outcome.
func (t *sinkTask) replay(ctx context.Context, recs []*kgo.Record) (map[int]error, error) {
	req := &replayReq{recs: recs, done: make(chan replayResult, 1)}
	select {
	case t.replays <- req:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	t.wakeMu.Lock()
	if t.wake != nil {
		t.wake()
	}
	t.wakeMu.Unlock()
	// Once handed over, the records are being written: wait for the outcome
	// even if ctx ends (a killed CLI), so the caller can record what was
	// delivered and a rerun does not deliver it twice. The task loop always
	// answers a request it took.
	res := <-req.done
	return res.failed, res.err
}

// serveReplay converts, transforms, puts and flushes dead letters on the
// task goroutine, without the tolerance policy: failures are returned, per
// record, for the drainer to dead-letter again. Their offsets are not the
// consumer's and are never committed.
func (t *sinkTask) serveReplay(ctx context.Context, recs []*kgo.Record) replayResult {
	failed := map[int]error{}
	var batch []sdk.Record
	var idx []int
	for i, r := range recs {
		rec, keep, f := t.convert(r)
		switch {
		case f != nil:
			failed[i] = f
		case keep:
			batch = append(batch, rec)
			idx = append(idx, i)
		}
	}
	bo := newBackoff(t.policy.retryDelayMax)
	deadline := t.putDeadline()
	for len(batch) > 0 {
		err := t.callPut(ctx, batch)
		if err == nil {
			break
		}
		var berr *sdk.BatchError
		if !errors.As(err, &berr) {
			if classify(err, StageTaskPut) != sdk.ClassRetriable || (!deadline.IsZero() && time.Now().After(deadline)) {
				return replayResult{err: fmt.Errorf("put %d replayed records: %w", len(batch), err)}
			}
		} else {
			var retryB []sdk.Record
			var retryI []int
			for j, rerr := range berr.Failed {
				if classify(rerr, StageTaskPut) == sdk.ClassRetriable && (deadline.IsZero() || time.Now().Before(deadline)) {
					retryB, retryI = append(retryB, batch[j]), append(retryI, idx[j])
					continue
				}
				failed[idx[j]] = &dlq.StageError{Stage: StageTaskPut, ExecutingClass: t.sinkClass, Err: rerr}
			}
			batch, idx = retryB, retryI
			if len(batch) == 0 {
				break
			}
		}
		if err := sleep(ctx, bo.delay(), deadline); err != nil {
			return replayResult{err: err}
		}
	}
	// Durable before the drainer moves its cursor. With nothing else put
	// there are no offsets to commit, but the sink must still flush.
	var err error
	if len(t.put) > 0 {
		err = t.flushCommit(ctx, nil)
	} else if _, err = t.task.Flush(ctx, sdk.Offsets{}); err != nil {
		err = fmt.Errorf("flush replayed records: %w", err)
	}
	return replayResult{failed: failed, err: err}
}

// errRewind marks failures after which the task must go back to the last
// committed offsets: a retriable Flush failure, or a task reset.
var errRewind = errors.New("rewind to the last committed offsets")

// rewind recovers from errRewind and sdk.ErrTaskReset: it re-opens the
// assigned partitions (a restarted plugin process has none open) and seeks
// each to the offset the sink stored, else to the last committed offset, so
// every record the sink may have lost is delivered again.
func (t *sinkTask) rewind(ctx context.Context, cause error) error {
	var delay time.Duration
	if !errors.Is(cause, sdk.ErrTaskReset) { // a restarted plugin was already backed off
		if t.rewinds == nil {
			t.rewinds = newBackoff(t.policy.retryDelayMax)
		}
		delay = t.rewinds.delay()
	}
	t.log.Warn("rewinding to the last committed offsets", zap.Duration("duration", delay), zap.Error(cause))
	// A failure that does not clear must not spin: wait before redelivering.
	if err := sleep(ctx, delay, time.Time{}); err != nil {
		return nil // stopping
	}
	tps := make([]sdk.TopicPartition, 0, len(t.assigned))
	for tp := range t.assigned {
		tps = append(tps, tp)
	}
	reset := errors.Is(cause, sdk.ErrTaskReset)
	if reset {
		// While the plugin process comes back (Open restarts it, with
		// backoff), the status says why.
		t.hooks.taskState(t.id, StateRestarting, cause)
	}
	stored, err := t.task.Open(ctx, tps)
	if err != nil {
		return fmt.Errorf("re-open partitions after %v: %w", cause, err)
	}
	if reset {
		t.recovering = true // RUNNING again at the next durable flush
	}
	set := map[string]map[int32]kgo.EpochOffset{}
	for _, tp := range tps {
		off, ok := stored[tp]
		if !ok {
			off, ok = t.committed[tp]
		}
		delete(t.put, tp)
		if !ok {
			continue // nothing consumed yet: the position is still right
		}
		if set[tp.Topic] == nil {
			set[tp.Topic] = map[int32]kgo.EpochOffset{}
		}
		set[tp.Topic][tp.Partition] = kgo.EpochOffset{Epoch: -1, Offset: off}
	}
	t.client.SetOffsets(set)
	t.unflushed = 0
	t.lastFlush = time.Now()
	return nil
}

// stop flushes and commits what it can, then closes the client (leaving the
// group, which revokes and closes the partitions).
func (t *sinkTask) stop(ctx context.Context) error {
	var err error
	if werr := t.writable(); werr != nil {
		// This worker may have lost the task: neither flush nor commit; the
		// next owner starts from the last commit.
		t.log.Warn("stopping without a last flush and commit", zap.Error(werr))
	} else {
		err = t.flushCommit(ctx, nil)
	}
	t.client.CloseAllowingRebalance()
	return errors.Join(err, t.failed)
}
