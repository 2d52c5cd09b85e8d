package host_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/freshet-dev/freshet/connectors/file"
	"github.com/freshet-dev/freshet/connectors/sdk"
)

// TestLargeBatchesCrossWhole puts batches through an isolated file sink
// whose records fill the plugin's shared memory region (protocol version 2)
// and overflow it, so that chunks travel both in the region and inline, and
// checks that every line arrives, in order, batch after batch: the region
// is reused only once the plugin has read it.
func TestLargeBatchesCrossWhole(t *testing.T) {
	ctx := context.Background()
	p := newHost(t).Isolate(file.SinkPlugin(), self(t, "file-sink"))
	task := p.New().(sdk.SinkConnector).NewSinkTask()
	path := filepath.Join(t.TempDir(), "out")
	if err := task.Start(ctx, map[string]string{"file": path}); err != nil {
		t.Fatal(err)
	}
	defer task.Stop(ctx)
	tp := sdk.TopicPartition{Topic: "big", Partition: 0}
	var want strings.Builder
	offset := int64(0)
	for _, tc := range []struct{ records, size int }{
		{3, 10},         // small: one chunk in the region
		{24, 1 << 20},   // 24 MiB: past the region, the rest inline
		{40, 300 << 10}, // chunks of several records
		{2, 20 << 20},   // a record larger than the region
		{1000, 1 << 10}, // the region again, after the overflows
	} {
		batch := make([]sdk.Record, tc.records)
		for i := range batch {
			v := strings.Repeat(string(rune('a'+offset%26)), tc.size)
			batch[i] = sdk.Record{Topic: tp.Topic, Offset: offset, Value: v}
			want.WriteString(v + "\n")
			offset++
		}
		if err := task.Put(ctx, batch); err != nil {
			t.Fatalf("put %d records of %d bytes: %v", tc.records, tc.size, err)
		}
		if _, err := task.Flush(ctx, sdk.Offsets{tp: offset}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want.String() {
		t.Fatalf("the file holds %d bytes, want %d (or the bytes differ)", len(got), want.Len())
	}
}
