package file_test

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

// BenchmarkSink measures Put followed by Flush (write and fsync) of batches of
// 1 KiB string records, the shape of the end-to-end throughput benchmark.
// MB/s counts line bytes; allocs/op is per batch.
func BenchmarkSink(b *testing.B) {
	value := strings.Repeat("v", 1023) // 1 KiB with the newline
	for _, coords := range []bool{false, true} {
		for _, size := range []int{100, 1000, 10000} {
			b.Run(fmt.Sprintf("coordinates=%t/batch=%d", coords, size), func(b *testing.B) {
				ctx := context.Background()
				task, truncate := benchSink(b, coords)
				batch := make([]sdk.Record, size)
				for i := range batch {
					batch[i] = sdk.Record{Topic: "bench", Partition: 3, Value: value}
				}
				offsets := sdk.Offsets{{Topic: "bench", Partition: 3}: 0}
				b.SetBytes(int64(size * (len(value) + 1)))
				b.ReportAllocs()
				b.ResetTimer()
				for n := 0; b.Loop(); n++ {
					for i := range batch {
						batch[i].Offset = int64(n*size + i)
					}
					if err := task.Put(ctx, batch); err != nil {
						b.Fatal(err)
					}
					offsets[sdk.TopicPartition{Topic: "bench", Partition: 3}] = int64((n + 1) * size)
					if _, err := task.Flush(ctx, offsets); err != nil {
						b.Fatal(err)
					}
					if (n+1)*size*(len(value)+1)%truncateEvery < size*(len(value)+1) {
						truncate()
					}
				}
				b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "records/s")
			})
		}
	}
}

// benchSink starts a sink task writing to a temp file. It returns a function
// that empties the file, so that a long run does not fill the disk.
func benchSink(b *testing.B, coords bool) (sdk.SinkTask, func()) {
	b.Helper()
	ctx := context.Background()
	c := file.SinkPlugin().New().(sdk.SinkConnector)
	task := c.NewSinkTask()
	path := filepath.Join(b.TempDir(), "bench.txt")
	cfg := map[string]string{
		"file":                             path,
		"freshet.file.include.coordinates": fmt.Sprint(coords),
	}
	if err := task.Start(ctx, cfg); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { task.Stop(ctx) })
	return task, func() {
		b.StopTimer()
		if err := os.Truncate(path, 0); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// truncateEvery is how many bytes a benchmark writes before it empties the file.
const truncateEvery = 256 << 20

// BenchmarkSinkPut measures Put alone (formatting and buffered writes to the
// page cache, no fsync), per value kind, in batches of 1000.
func BenchmarkSinkPut(b *testing.B) {
	schema := sdk.NewStruct("event").
		Field("id", sdk.StringSchema).
		Field("n", sdk.Int64Schema).
		Field("tags", sdk.ArrayOf(sdk.StringSchema)).
		Build()
	for _, tc := range []struct {
		name  string
		value any
	}{
		{"string-1KiB", strings.Repeat("v", 1023)},
		{"struct", sdk.NewStructValue(schema).Put("id", "evt-1").Put("n", int64(42)).Put("tags", []any{"a", "b"})},
		{"map", map[string]any{"id": "evt-1", "n": int64(42), "tags": []any{"a", "b"}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			ctx := context.Background()
			task, truncate := benchSink(b, false)
			const size = 1000
			batch := make([]sdk.Record, size)
			for i := range batch {
				batch[i] = sdk.Record{Topic: "bench", Value: tc.value}
			}
			b.ReportAllocs()
			for n := 1; b.Loop(); n++ {
				if err := task.Put(ctx, batch); err != nil {
					b.Fatal(err)
				}
				if n%1024 == 0 {
					truncate()
				}
			}
			b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
