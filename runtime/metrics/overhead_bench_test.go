package metrics_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/freshet-dev/freshet/connectors/file"
	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/runtime/metrics"
	"github.com/freshet-dev/freshet/runtime/worker"
)

// sinkBatchHooks is what the worker calls per sink batch with metrics on:
// it builds the timestamps of the accepted records (the worker's share of
// the cost), then the fetch, put, delivery and records-in hooks.
func sinkBatchHooks(c *metrics.Collector, id worker.TaskID, batch []sdk.Record, ts []time.Time) []time.Time {
	ts = ts[:0]
	var bytes int64
	for i := range batch {
		ts = append(ts, batch[i].Timestamp)
		bytes += 1024
	}
	last := batch[len(batch)-1].Offset
	c.OnFetched(id, "bench", 3, len(batch), bytes, last+1000, last+1)
	c.OnBatchPut(id, len(batch), 50*time.Microsecond, nil)
	c.OnDelivered(id, ts, time.Now())
	c.OnRecordsIn(id, len(batch), bytes)
	return ts
}

func benchBatch(size int) []sdk.Record {
	value := strings.Repeat("v", 1023)
	now := time.Now()
	batch := make([]sdk.Record, size)
	for i := range batch {
		batch[i] = sdk.Record{Topic: "bench", Partition: 3, Offset: int64(i), Value: value,
			Timestamp: now.Add(-time.Duration(i) * time.Millisecond)}
	}
	return batch
}

// BenchmarkSinkHooks measures the metrics and freshness cost per sink batch;
// ns/record is what the file sink's per-record cost is compared with.
func BenchmarkSinkHooks(b *testing.B) {
	for _, size := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			c, err := metrics.New()
			if err != nil {
				b.Fatal(err)
			}
			id := worker.TaskID{Connector: "bench", Task: 0}
			c.OnTaskStarted(id, 500*time.Millisecond)
			batch := benchBatch(size)
			ts := make([]time.Time, 0, size)
			b.ReportAllocs()
			for b.Loop() {
				ts = sinkBatchHooks(c, id, batch, ts)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*size), "ns/record")
		})
	}
}

// BenchmarkSinkHooksParallel is BenchmarkSinkHooks with one task per
// goroutine, all of one connector: they share its freshness mutex.
func BenchmarkSinkHooksParallel(b *testing.B) {
	const size = 1000
	c, err := metrics.New()
	if err != nil {
		b.Fatal(err)
	}
	batch := benchBatch(size)
	var next int
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		next++ // RunParallel starts goroutines one at a time: no race
		id := worker.TaskID{Connector: "bench", Task: next}
		ts := make([]time.Time, 0, size)
		for pb.Next() {
			ts = sinkBatchHooks(c, id, batch, ts)
		}
	})
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*size), "ns/record")
}

// BenchmarkFileSinkWithMetrics runs the file sink on batches of 1 KiB
// records, as connectors/file's BenchmarkSink does (Put, and with flush=true
// a Flush that fsyncs after each batch), and after each Put the hooks the
// worker calls per batch with metrics on. It times the sink and the hooks
// separately, batch by batch, and reports the hooks' share of the sink's
// time as overhead-%: a ratio taken within the same run, which the noise of
// a shared disk and CPU cannot skew the way comparing two runs would.
func BenchmarkFileSinkWithMetrics(b *testing.B) {
	for _, flush := range []bool{false, true} {
		for _, size := range []int{1000, 10000} {
			b.Run(fmt.Sprintf("flush=%t/batch=%d", flush, size), func(b *testing.B) {
				ctx := context.Background()
				task := file.SinkPlugin().New().(sdk.SinkConnector).NewSinkTask()
				path := filepath.Join(b.TempDir(), "bench.txt")
				if err := task.Start(ctx, map[string]string{"file": path}); err != nil {
					b.Fatal(err)
				}
				defer task.Stop(ctx)
				c, err := metrics.New()
				if err != nil {
					b.Fatal(err)
				}
				id := worker.TaskID{Connector: "bench", Task: 0}
				c.OnTaskStarted(id, 500*time.Millisecond)
				batch := benchBatch(size)
				ts := make([]time.Time, 0, size)
				tp := sdk.TopicPartition{Topic: "bench", Partition: 3}
				var sinkTime, hookTime time.Duration
				b.SetBytes(int64(size * 1024))
				b.ReportAllocs()
				for n := 1; b.Loop(); n++ {
					t0 := time.Now()
					if err := task.Put(ctx, batch); err != nil {
						b.Fatal(err)
					}
					if flush {
						if _, err := task.Flush(ctx, sdk.Offsets{tp: int64(n * size)}); err != nil {
							b.Fatal(err)
						}
					}
					t1 := time.Now()
					ts = sinkBatchHooks(c, id, batch, ts)
					t2 := time.Now()
					sinkTime += t1.Sub(t0)
					hookTime += t2.Sub(t1)
					if n%(256<<10/size) == 0 { // every 256 MiB: keep the disk from filling
						b.StopTimer()
						if err := os.Truncate(path, 0); err != nil {
							b.Fatal(err)
						}
						b.StartTimer()
					}
				}
				records := float64(b.N * size)
				b.ReportMetric(float64(sinkTime.Nanoseconds())/records, "sink-ns/record")
				b.ReportMetric(float64(hookTime.Nanoseconds())/records, "hooks-ns/record")
				b.ReportMetric(100*hookTime.Seconds()/sinkTime.Seconds(), "overhead-%")
			})
		}
	}
}
