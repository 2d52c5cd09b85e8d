package host_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/freshet-dev/freshet/connectors/file"
	"github.com/freshet-dev/freshet/connectors/sdk"
)

// BenchmarkSink puts batches of 1 KiB records into the file sink and
// flushes each, in process and isolated in its own process: what isolation
// costs a sink. Into a file (a write and an fsync per batch), and into
// /dev/null, where the sink formats and writes every line and nothing else
// is left besides what isolation costs. records/s is the figure to compare.
func BenchmarkSink(b *testing.B) {
	value := strings.Repeat("v", 1023) // 1 KiB with the newline
	for _, out := range []string{"file", "null"} {
		for _, size := range []int{1000, 10000} {
			for _, mode := range []string{"in-process", "isolated"} {
				b.Run(fmt.Sprintf("%s/batch=%d/%s", out, size, mode), func(b *testing.B) {
					ctx := context.Background()
					p := file.SinkPlugin()
					if mode == "isolated" {
						p = newHost(b).Isolate(p, self(b, p.Name))
					}
					task := p.New().(sdk.SinkConnector).NewSinkTask()
					path := "/dev/null"
					if out == "file" {
						path = filepath.Join(b.TempDir(), "out")
					}
					if err := task.Start(ctx, map[string]string{"file": path}); err != nil {
						b.Fatal(err)
					}
					defer task.Stop(ctx)
					tp := sdk.TopicPartition{Topic: "bench", Partition: 3}
					batch := make([]sdk.Record, size)
					for i := range batch {
						batch[i] = sdk.Record{Topic: tp.Topic, Partition: tp.Partition, Value: value}
					}
					b.SetBytes(int64(size * (len(value) + 1)))
					b.ReportAllocs()
					written := 0
					for n := 0; b.Loop(); n++ {
						for i := range batch {
							batch[i].Offset = int64(n*size + i)
						}
						if err := task.Put(ctx, batch); err != nil {
							b.Fatal(err)
						}
						if _, err := task.Flush(ctx, sdk.Offsets{tp: int64((n + 1) * size)}); err != nil {
							b.Fatal(err)
						}
						if written += size << 10; written >= 256<<20 && out == "file" {
							b.StopTimer()
							os.Truncate(path, 0)
							written = 0
							b.StartTimer()
						}
					}
					b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "records/s")
				})
			}
		}
	}
}

// BenchmarkStart measures how long a task's plugin process takes to start:
// exec, handshake with mutual TLS, and the task's Start.
func BenchmarkStart(b *testing.B) {
	ctx := context.Background()
	p := newHost(b).Isolate(file.SinkPlugin(), self(b, "file-sink"))
	cfg := map[string]string{"file": filepath.Join(b.TempDir(), "out")}
	for b.Loop() {
		task := p.New().(sdk.SinkConnector).NewSinkTask()
		if err := task.Start(ctx, cfg); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := task.Stop(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/start")
}
