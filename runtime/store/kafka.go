package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Topic describes an internal topic of distributed mode.
type Topic struct {
	Name string
	// Partitions and ReplicationFactor are used when the topic is created;
	// -1 means the broker default.
	Partitions        int32
	ReplicationFactor int16
	// SinglePartition refuses an existing topic with more than one
	// partition (the config topic).
	SinglePartition bool
}

// EnsureTopic creates t, compacted, when it is missing, and refuses an
// existing one whose settings would break the store: a cleanup.policy other
// than compact, or several partitions where one is needed.
func EnsureTopic(ctx context.Context, adm *kadm.Client, t Topic) error {
	resp, err := adm.CreateTopic(ctx, t.Partitions, t.ReplicationFactor,
		map[string]*string{"cleanup.policy": kadm.StringPtr("compact")}, t.Name)
	if err == nil {
		err = resp.Err
	}
	switch {
	case err == nil:
		return nil
	case !errors.Is(err, kerr.TopicAlreadyExists):
		return fmt.Errorf("create internal topic %s: %w", t.Name, err)
	}
	// Another worker may have just created it: its metadata can lag.
	var d kadm.TopicDetail
	for attempt := 0; ; attempt++ {
		details, err := adm.ListTopics(ctx, t.Name)
		if err != nil {
			return fmt.Errorf("describe internal topic %s: %w", t.Name, err)
		}
		d = details[t.Name]
		if d.Err == nil && len(d.Partitions) > 0 {
			break
		}
		if attempt == 50 || !errors.Is(d.Err, kerr.UnknownTopicOrPartition) && d.Err != nil {
			return fmt.Errorf("describe internal topic %s: %v", t.Name, d.Err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("describe internal topic %s: %w", t.Name, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
	if t.SinglePartition && len(d.Partitions) != 1 {
		return fmt.Errorf("internal topic %s has %d partitions; it must have exactly 1, or connector configs "+
			"could be read out of order (delete it, or point the worker at a topic with one partition)", t.Name, len(d.Partitions))
	}
	rcs, err := adm.DescribeTopicConfigs(ctx, t.Name)
	if err != nil {
		return fmt.Errorf("describe configs of internal topic %s: %w", t.Name, err)
	}
	for _, rc := range rcs {
		if rc.Err != nil {
			return fmt.Errorf("describe configs of internal topic %s: %w", t.Name, rc.Err)
		}
		for _, c := range rc.Configs {
			if c.Key == "cleanup.policy" && c.MaybeValue() != "compact" {
				return fmt.Errorf("internal topic %s has cleanup.policy=%s; it must be compact, or old configs and offsets "+
					"would be deleted (kafka-configs.sh --alter --entity-type topics --entity-name %s --add-config cleanup.policy=compact)",
					t.Name, c.MaybeValue(), t.Name)
			}
		}
	}
	return nil
}

// tail reads a topic from its start for as long as the store is open, and
// applies every record, in order per partition, under mu. It is the only
// path by which a Kafka store's view changes, for others' writes and ours
// alike: a write waits until the tail has read it back (read your writes).
type tail struct {
	topic string
	cl    *kgo.Client
	apply func(r *kgo.Record) // called with mu held

	mu     sync.Mutex
	cond   *sync.Cond
	next   map[int32]int64 // offset after the last record read, per partition
	err    error           // fatal read error
	closed bool

	cancel context.CancelFunc
	done   chan struct{}
}

// newTail starts reading topic with a client made from opts.
func newTail(topic string, opts []kgo.Opt, apply func(*kgo.Record)) (*tail, error) {
	opts = append(append([]kgo.Opt{}, opts...),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords(), // they count towards the end offset
		kgo.ProducerLinger(0),
	)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka client for %s: %w", topic, err)
	}
	t := &tail{topic: topic, cl: cl, apply: apply, next: map[int32]int64{}, done: make(chan struct{})}
	t.cond = sync.NewCond(&t.mu)
	ctx, cancel := context.WithCancel(context.Background())
	t.cancel = cancel
	go t.run(ctx)
	return t, nil
}

func (t *tail) run(ctx context.Context) {
	defer close(t.done)
	for {
		fs := t.cl.PollFetches(ctx)
		if ctx.Err() != nil || fs.IsClientClosed() {
			return
		}
		t.mu.Lock()
		fs.EachError(func(topic string, p int32, err error) {
			if !errors.Is(err, context.Canceled) {
				t.err = fmt.Errorf("read %s[%d]: %w", topic, p, err)
			}
		})
		fs.EachRecord(func(r *kgo.Record) {
			if !r.Attrs.IsControl() {
				t.apply(r)
			}
			t.next[r.Partition] = r.Offset + 1
		})
		t.cond.Broadcast()
		t.mu.Unlock()
	}
}

// waitFor blocks until the tail has read past every offset in want
// (partition → end offset).
func (t *tail) waitFor(ctx context.Context, want map[int32]int64) error {
	stop := context.AfterFunc(ctx, func() {
		t.mu.Lock()
		t.cond.Broadcast()
		t.mu.Unlock()
	})
	defer stop()
	t.mu.Lock()
	defer t.mu.Unlock()
	for {
		if t.closed {
			return ErrClosed
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		behind := false
		for p, end := range want {
			if t.next[p] < end {
				behind = true
				break
			}
		}
		if !behind {
			return nil
		}
		if t.err != nil {
			return t.err
		}
		t.cond.Wait()
	}
}

// sync reads to the topic's end as of now.
func (t *tail) sync(ctx context.Context) error {
	ends, err := kadm.NewClient(t.cl).ListEndOffsets(ctx, t.topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return fmt.Errorf("end offsets of %s: %w", t.topic, err)
	}
	want := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) { want[o.Partition] = o.Offset })
	return t.waitFor(ctx, want)
}

// write produces records synchronously and waits until the tail read them.
func (t *tail) write(ctx context.Context, recs ...*kgo.Record) error {
	t.mu.Lock()
	closed := t.closed
	t.mu.Unlock()
	if closed {
		return ErrClosed
	}
	for _, r := range recs {
		r.Topic = t.topic
	}
	res := t.cl.ProduceSync(ctx, recs...)
	if err := res.FirstErr(); err != nil {
		return fmt.Errorf("write to %s: %w", t.topic, err)
	}
	want := map[int32]int64{}
	for _, r := range res {
		want[r.Record.Partition] = max(want[r.Record.Partition], r.Record.Offset+1)
	}
	return t.waitFor(ctx, want)
}

// writeAsync produces records without waiting, for statuses.
func (t *tail) writeAsync(recs ...*kgo.Record) {
	for _, r := range recs {
		r.Topic = t.topic
		t.cl.Produce(context.Background(), r, nil)
	}
}

func (t *tail) close() {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return
	}
	t.closed = true
	t.cond.Broadcast()
	t.mu.Unlock()
	t.cancel()
	<-t.done
	t.cl.Close()
}
