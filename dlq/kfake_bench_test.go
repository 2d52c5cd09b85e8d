package dlq

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// BenchmarkInspectKfake scans a queue of n dead letters in kfake with a
// filter that selects 1 in 100. kfake is in-process and slower than a
// broker; tests/e2e/dlq measures against real Kafka.
func BenchmarkInspectKfake(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			d, ctx := benchCluster(b, n)
			f, _ := ParseFilter(FilterSpec{ErrorClass: "retriable"}, time.Now())
			b.ReportAllocs()
			for b.Loop() {
				res, err := d.Inspect(ctx, "orders-dlq", f, func(Record) error { return nil })
				if err != nil || res.Matched != int64(n/100) {
					b.Fatalf("%+v %v", res, err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkReplayKfake replays a queue of n dead letters to the source
// topic, in kfake; each iteration works on a fresh queue.
func BenchmarkReplayKfake(b *testing.B) {
	const n = 20000
	b.ReportAllocs()
	var total time.Duration
	for b.Loop() {
		b.StopTimer()
		d, ctx := benchCluster(b, n)
		b.StartTimer()
		start := time.Now()
		res, err := d.Replay(ctx, "orders-dlq", ReplayOptions{To: ToSource})
		total += time.Since(start)
		if err != nil || res.Replayed != n {
			b.Fatalf("%+v %v", res, err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/total.Seconds(), "records/s")
}

func benchCluster(b *testing.B, n int) (*Drainer, context.Context) {
	b.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "orders-dlq"), kfake.SeedTopics(3, "orders"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	d, err := New([]kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(d.Close)
	ctx := context.Background()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.MaxBufferedRecords(n+1))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	for _, r := range benchLetters(n) {
		r.Offset = 0
		cl.Produce(ctx, r, nil)
	}
	if err := cl.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	if ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, "orders-dlq"); err != nil || ends["orders-dlq"][0].Offset != int64(n) {
		b.Fatalf("queue not filled: %v %v", ends, err)
	}
	return d, ctx
}
