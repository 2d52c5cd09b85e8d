package dlq

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"golang.org/x/time/rate"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// flushTimeout bounds how long a flush waits for records already sent,
// even after the caller's context is canceled: records in flight finish
// (and are journaled) rather than being abandoned in an unknown state.
const flushTimeout = 30 * time.Second

// waitRate takes n tokens from lim, at most a burst at a time.
func waitRate(ctx context.Context, lim *rate.Limiter, n int) error {
	if lim == nil {
		return nil
	}
	for n > 0 {
		k := min(n, lim.Burst())
		if err := lim.WaitN(ctx, k); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// pacer holds a replay into the sink to a rate. Records go in batches, and
// a batch takes a while to deliver, so a token bucket would add that time to
// every wait; the pacer instead schedules each batch at start + sent/rate.
type pacer struct {
	rate  float64 // records per second
	start time.Time
	sent  int
}

// wait blocks until n more records may go.
func (p *pacer) wait(ctx context.Context, n int) error {
	if p == nil {
		return nil
	}
	if p.start.IsZero() {
		p.start = time.Now()
	}
	at := p.start.Add(time.Duration(float64(p.sent) / p.rate * float64(time.Second)))
	p.sent += n
	t := time.NewTimer(time.Until(at))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// sourceDest re-produces records to their source topics with an
// idempotent producer (acks=all), each to the partition it failed at when
// that still exists.
type sourceDest struct {
	r     *run
	cl    *kgo.Client
	lim   *rate.Limiter
	parts map[string]int32 // partitions of each source topic, journaled
	rr    uint32

	items []*item // sent since the last flush

	mu    sync.Mutex                 // guards acked: written by produce callbacks
	acked map[string]map[int32]int64 // per source partition, the offset after the last acked record
}

func (d *Drainer) newSourceDest(r *run, lim *rate.Limiter) (*sourceDest, error) {
	cl, err := d.newClient(
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(5*time.Millisecond),
		kgo.MaxBufferedRecords(d.o.batchRecords+1024),
		kgo.UnknownTopicRetries(2),
	)
	if err != nil {
		return nil, err
	}
	return &sourceDest{r: r, cl: cl, lim: lim, parts: map[string]int32{}, acked: map[string]map[int32]int64{}}, nil
}

func (s *sourceDest) send(ctx context.Context, it *item) error {
	rec := it.rec
	if rec.Topic == "" {
		return fmt.Errorf("%w: dead letter %s-%d@%d does not say which topic it failed from (it was written without context headers): name one with --topic",
			ErrInvalid, s.r.q.Topic, it.p, it.o)
	}
	n, ok := s.parts[rec.Topic]
	if !ok {
		var err error
		if n, err = s.target(ctx, rec.Topic); err != nil {
			return err
		}
	}
	rec.Partition = partitionFor(rec.Partition, rec.Key, n, &s.rr)
	rec.Offset = 0
	if err := waitRate(ctx, s.lim, 1); err != nil {
		return err
	}
	s.items = append(s.items, it)
	s.cl.Produce(ctx, rec, func(r *kgo.Record, err error) {
		it.err = err
		it.done.Store(true)
		if err != nil {
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		ps := s.acked[r.Topic]
		if ps == nil {
			ps = map[int32]int64{}
			s.acked[r.Topic] = ps
		}
		ps[r.Partition] = max(ps[r.Partition], r.Offset+1)
	})
	return nil
}

// target journals where a source topic ends before the first record is
// produced to it: an interrupted run is reconciled by reading from there.
func (s *sourceDest) target(ctx context.Context, topic string) (int32, error) {
	ends, err := s.r.d.adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return 0, fmt.Errorf("list end offsets of %s: %w", topic, err)
	}
	pos := map[int32]int64{}
	var n int32
	ends.Each(func(o kadm.ListedOffset) {
		if o.Topic == topic && o.Err == nil {
			pos[o.Partition] = o.Offset
			n = max(n, o.Partition+1)
		}
	})
	if n == 0 {
		return 0, fmt.Errorf("%w: source topic %s does not exist", ErrInvalid, topic)
	}
	es := s.r.entries(entryProgress, s.r.id, nil, entry{Targets: map[string]map[int32]int64{topic: pos}})
	if err := s.r.write(ctx, es...); err != nil {
		return 0, err
	}
	s.parts[topic] = n
	return n, nil
}

func (s *sourceDest) flush(ctx context.Context) ([]*item, error) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
	defer cancel()
	ferr := s.cl.Flush(fctx)
	items := s.items
	s.items = nil
	var errs []error
	out := make([]*item, 0, len(items))
	for _, it := range items {
		if !it.done.Load() {
			// Still in flight after the flush timed out: its outcome is
			// unknown, so it is not journaled; the next run finds it in the
			// source topic if it was written.
			continue
		}
		if it.err != nil && len(errs) < 3 {
			errs = append(errs, fmt.Errorf("produce %s-%d@%d to %s: %w", s.r.q.Topic, it.p, it.o, it.rec.Topic, it.err))
		}
		out = append(out, it)
	}
	if ferr != nil {
		errs = append(errs, fmt.Errorf("flush producer: %w", ferr))
	}
	return out, errors.Join(errs...)
}

func (s *sourceDest) targets() map[string]map[int32]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.acked
	s.acked = map[string]map[int32]int64{}
	return out
}

func (s *sourceDest) close() { s.cl.Close() }

// sinkDest hands records to a running sink connector through the
// SinkReplayer, and writes those that fail again back to the dead-letter
// queue.
type sinkDest struct {
	r         *run
	sink      SinkReplayer
	connector string
	pace      *pacer // nil: unthrottled
	batch     int
	workerID  string
	cl        *kgo.Client // writes records that fail again

	pending []*item // not handed to the sink yet
	handed  []*item // handed since the last flush
}

func (d *Drainer) newSinkDest(r *run, connector string, lim *rate.Limiter) (*sinkDest, error) {
	cl, err := d.newClient(kgo.RequiredAcks(kgo.AllISRAcks()), kgo.DefaultProduceTopic(r.q.Topic))
	if err != nil {
		return nil, err
	}
	var pace *pacer
	batch := d.o.sinkBatch
	if lim != nil {
		pace = &pacer{rate: float64(lim.Limit())}
		batch = max(1, min(batch, int(pace.rate/4))) // about four batches a second: an even pace
	}
	return &sinkDest{r: r, sink: d.o.sink, connector: connector, pace: pace, batch: batch, workerID: d.o.workerID, cl: cl}, nil
}

func (s *sinkDest) send(ctx context.Context, it *item) error {
	s.pending = append(s.pending, it)
	if len(s.pending) >= s.batch {
		return s.deliver(ctx)
	}
	return nil
}

func (s *sinkDest) deliver(ctx context.Context) error {
	if len(s.pending) == 0 {
		return nil
	}
	items := s.pending
	s.pending = nil
	s.handed = append(s.handed, items...)
	fail := func(err error) error {
		for _, it := range items {
			it.err = err
		}
		return err
	}
	if err := s.pace.wait(ctx, len(items)); err != nil {
		return fail(err)
	}
	recs := make([]*kgo.Record, len(items))
	for i, it := range items {
		recs[i] = it.rec
	}
	failed, err := s.sink.Replay(ctx, s.connector, recs)
	if err != nil {
		return fail(fmt.Errorf("replay %d records into %s: %w", len(recs), s.connector, err))
	}
	if len(failed) == 0 {
		return nil
	}
	var letters []*kgo.Record
	var again []*item
	for i, ferr := range failed {
		if i < 0 || i >= len(items) || ferr == nil {
			continue
		}
		it := items[i]
		letters = append(letters, NewRecord(s.r.q.Topic, it.rec, s.failure(it, ferr)))
		again = append(again, it)
	}
	res := s.cl.ProduceSync(context.WithoutCancel(ctx), letters...)
	var errs []error
	for i, pr := range res {
		if pr.Err != nil {
			again[i].err = fmt.Errorf("dead-letter again: %w", pr.Err)
			errs = append(errs, again[i].err)
			continue
		}
		again[i].failedAgain = true
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return nil
}

// failure describes a record that failed again in the sink.
func (s *sinkDest) failure(it *item, err error) Failure {
	f := Failure{
		Connector: s.connector, Task: -1, Stage: "TASK_PUT", ExecutingClass: "org.apache.kafka.connect.sink.SinkTask",
		Class: sdk.ClassRecord, Err: err, WorkerID: s.workerID, Version: it.version, ContextHeaders: it.contextHeaders,
		Time: s.r.d.o.now(),
	}
	var se *StageError
	if errors.As(err, &se) {
		f.Stage, f.ExecutingClass, f.Err = se.Stage, se.ExecutingClass, se.Err
	}
	if c, ok := sdk.ClassOf(err); ok && c != sdk.ClassUnknown {
		f.Class = c
	}
	return f
}

func (s *sinkDest) flush(ctx context.Context) ([]*item, error) {
	err := s.deliver(ctx)
	out := s.handed
	s.handed = nil
	return out, err
}

func (s *sinkDest) targets() map[string]map[int32]int64 { return nil }

func (s *sinkDest) close() { s.cl.Close() }
