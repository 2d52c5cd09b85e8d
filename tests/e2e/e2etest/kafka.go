package e2etest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Kafka is a test's view of the Kafka that tests/services started, through
// its PLAINTEXT listener.
type Kafka struct {
	Bootstrap string       // FRESHET_KAFKA_BOOTSTRAP
	Client    *kgo.Client  // closed when the test that made it ends
	Admin     *kadm.Client // of Client
}

// NewKafka skips t unless FRESHET_E2E=1, then fails it unless the broker at
// FRESHET_KAFKA_BOOTSTRAP answers.
func NewKafka(t testing.TB) *Kafka {
	t.Helper()
	k := &Kafka{Bootstrap: Getenv(t, "FRESHET_KAFKA_BOOTSTRAP")}
	k.Client = k.NewClient(t)
	k.Admin = kadm.NewClient(k.Client)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if _, err := k.Admin.BrokerMetadata(ctx); err != nil {
		t.Fatalf("kafka at %s is not reachable (tests/services/up.sh kafka): %v", k.Bootstrap, err)
	}
	return k
}

// NewClient returns another client of the same Kafka, with opts, closed when
// t ends.
func (k *Kafka) NewClient(t testing.TB, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(strings.Split(k.Bootstrap, ",")...)}, opts...)...)
	if err != nil {
		t.Fatalf("kafka client: %v", err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// CreateTopic creates a topic with replication factor 1 and deletes it when
// t ends.
func (k *Kafka) CreateTopic(t testing.TB, name string, partitions int32) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := k.Admin.CreateTopic(ctx, partitions, 1, nil, name); err != nil {
		t.Fatalf("create topic %s: %v", name, err)
	}
	k.DeleteTopicAtCleanup(t, name)
}

// DeleteTopicAtCleanup deletes a topic when t ends, for a topic that the
// system under test creates.
func (k *Kafka) DeleteTopicAtCleanup(t testing.TB, name string) {
	t.Cleanup(func() {
		// A client of its own: the cleanup may run after the test's clients closed.
		cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(k.Bootstrap, ",")...))
		if err != nil {
			return
		}
		defer cl.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := kadm.NewClient(cl).DeleteTopics(ctx, name); err != nil {
			t.Logf("delete topic %s: %v", name, err)
		}
	})
}

// EndOffsets returns the log end offset of each partition of topic; a topic
// that does not exist (yet) has none.
func (k *Kafka) EndOffsets(t testing.TB, topic string) map[int32]int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	lo, err := k.Admin.ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatalf("list end offsets of %s: %v", topic, err)
	}
	out := map[int32]int64{}
	lo.Each(func(o kadm.ListedOffset) {
		switch {
		case errors.Is(o.Err, kerr.UnknownTopicOrPartition):
		case o.Err != nil:
			t.Fatalf("list end offsets of %s: partition %d: %v", topic, o.Partition, o.Err)
		default:
			out[o.Partition] = o.Offset
		}
	})
	return out
}

// CommittedOffsets returns the offsets that group committed for topic; a
// group that does not exist has committed none.
func (k *Kafka) CommittedOffsets(t testing.TB, group, topic string) map[int32]int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	out := map[int32]int64{}
	resp, err := k.Admin.FetchOffsets(ctx, group)
	if errors.Is(err, kerr.GroupIDNotFound) {
		return out
	}
	if err != nil {
		t.Fatalf("fetch offsets of group %s: %v", group, err)
	}
	resp.Each(func(o kadm.OffsetResponse) {
		if o.Topic == topic && o.Err == nil {
			out[o.Partition] = o.At
		}
	})
	return out
}

// Sum adds up offsets: of end offsets, the records a topic holds.
func Sum(offsets map[int32]int64) int64 {
	var n int64
	for _, v := range offsets {
		n += v
	}
	return n
}

// Produce writes records and waits for every acknowledgement; it returns
// them with partition and offset set.
func (k *Kafka) Produce(t testing.TB, recs ...*kgo.Record) []*kgo.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res := k.Client.ProduceSync(ctx, recs...)
	if err := res.FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	out := make([]*kgo.Record, len(res))
	for i, r := range res {
		out[i] = r.Record
	}
	return out
}

// ReadTopic returns every record of topic below its current end offsets.
func (k *Kafka) ReadTopic(t testing.TB, topic string) []*kgo.Record {
	t.Helper()
	end := k.EndOffsets(t, topic)
	r := k.NewTopicReader(t, topic)
	r.ReadTo(t, end, 2*time.Minute)
	var out []*kgo.Record
	for _, rec := range r.Records {
		if rec.Offset < end[rec.Partition] {
			out = append(out, rec)
		}
	}
	return out
}

// TopicReader reads a whole topic from the start and keeps every record,
// for a test that reads a topic while it grows. Use it from one goroutine.
type TopicReader struct {
	Records []*kgo.Record // in the order read

	cl   *kgo.Client
	next map[int32]int64 // offset after the last record read, per partition
}

// NewTopicReader returns a reader of topic, closed when t ends.
func (k *Kafka) NewTopicReader(t testing.TB, topic string) *TopicReader {
	t.Helper()
	cl := k.NewClient(t,
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxBytes(64<<20),
	)
	return &TopicReader{cl: cl, next: map[int32]int64{}}
}

// Poll reads what arrives within d.
func (r *TopicReader) Poll(t testing.TB, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for ctx.Err() == nil {
		fs := r.cl.PollFetches(ctx)
		fs.EachError(func(topic string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				t.Fatalf("read %s-%d: %v", topic, p, err)
			}
		})
		fs.EachRecord(func(rec *kgo.Record) {
			r.Records = append(r.Records, rec)
			r.next[rec.Partition] = rec.Offset + 1
		})
	}
}

// ReadTo reads until every partition is read up to end, or fails t after
// timeout.
func (r *TopicReader) ReadTo(t testing.TB, end map[int32]int64, timeout time.Duration) {
	t.Helper()
	WaitFor(t, timeout, "the topic to be read to its end", func() (bool, string) {
		for p, e := range end {
			if r.next[p] < e {
				r.Poll(t, 500*time.Millisecond)
				return false, fmt.Sprintf("read %v of %v", r.next, end)
			}
		}
		return true, ""
	})
}
