package file_test

import (
	"context"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/freshet-dev/freshet/connectors/file"
	"github.com/freshet-dev/freshet/connectors/sdk"
)

// startSink starts a file sink task writing to a new file in a temp dir.
func startSink(t *testing.T, extra map[string]string) (sdk.SinkTask, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "out.txt")
	cfg := map[string]string{"file": path}
	for k, v := range extra {
		cfg[k] = v
	}
	return startSinkAt(t, cfg), path
}

func startSinkAt(t *testing.T, cfg map[string]string) sdk.SinkTask {
	t.Helper()
	ctx := context.Background()
	c := file.SinkPlugin().New().(sdk.SinkConnector)
	if err := c.Start(ctx, cfg); err != nil {
		t.Fatalf("start connector: %v", err)
	}
	configs, err := c.TaskConfigs(1)
	if err != nil || len(configs) != 1 {
		t.Fatalf("task configs: %v, %v", configs, err)
	}
	task := c.NewSinkTask()
	if err := task.Start(ctx, configs[0]); err != nil {
		t.Fatalf("start task: %v", err)
	}
	t.Cleanup(func() { task.Stop(ctx) })
	return task
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSinkLineFormat(t *testing.T) {
	schema := sdk.NewStruct("s").
		Field("id", sdk.Int32Schema).
		Field("name", sdk.OptionalStringSchema).
		Field("price", sdk.DecimalSchema(2)).
		Field("tags", sdk.ArrayOf(sdk.StringSchema)).
		Build()
	st := sdk.NewStructValue(schema).
		Put("id", int32(7)).
		Put("price", sdk.Decimal{Unscaled: big.NewInt(1250), Scale: 2}).
		Put("tags", []any{"a", "b\"c"})
	ts := time.Date(2024, 5, 1, 12, 30, 0, 0, time.UTC)

	for _, tc := range []struct {
		name  string
		value any
		want  string
	}{
		{"string as is", "hello world", "hello world"},
		{"empty string", "", ""},
		{"nil is null", nil, "null"},
		{"bytes as text", []byte("raw bytes"), "raw bytes"},
		{"sdk.Raw as text", sdk.Raw(`{"truncated":`), `{"truncated":`},
		{"int32", int32(-42), "-42"},
		{"int64", int64(1) << 40, "1099511627776"},
		{"bool", true, "true"},
		{"float64", 1.5, "1.5"},
		{"float64 large", 1e21, "1e+21"},
		{"float NaN as Java", math.NaN(), "NaN"},
		{"decimal", sdk.Decimal{Unscaled: big.NewInt(-5), Scale: 2}, "-0.05"},
		{"timestamp", ts, "2024-05-01T12:30:00Z"},
		{"struct as JSON in field order", st, `{"id":7,"name":null,"price":12.50,"tags":["a","b\"c"]}`},
		{"map as JSON with sorted keys", map[string]any{"z": int64(1), "a": map[string]any{"y": nil, "b": []any{1.25, false}}},
			`{"a":{"b":[1.25,false],"y":null},"z":1}`},
		{"map with non-string keys", map[any]any{int32(2): "two", int32(1): "one"}, `{"1":"one","2":"two"}`},
		{"array", []any{"x", int64(2), nil}, `["x",2,null]`},
		{"nested bytes are base64", map[string]any{"b": []byte{0, 1, 2}}, `{"b":"AAEC"}`},
		{"nested control chars escaped", map[string]any{"s": "a\tb\x01\xff"}, `{"s":"a\tb\u0001\ufffd"}`},
		{"nested time quoted", []any{ts}, `["2024-05-01T12:30:00Z"]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			task, path := startSink(t, nil)
			ctx := context.Background()
			if err := task.Put(ctx, []sdk.Record{{Topic: "t", Value: tc.value}}); err != nil {
				t.Fatalf("put: %v", err)
			}
			if _, err := task.Flush(ctx, nil); err != nil {
				t.Fatalf("flush: %v", err)
			}
			if got := readFile(t, path); got != tc.want+"\n" {
				t.Errorf("line = %q, want %q", got, tc.want+"\n")
			}
		})
	}
}

func TestSinkFlushWritesAndReturnsOffsets(t *testing.T) {
	task, path := startSink(t, nil)
	ctx := context.Background()
	batch := []sdk.Record{
		{Topic: "orders", Partition: 0, Offset: 10, Value: "one"},
		{Topic: "orders", Partition: 1, Offset: 3, Value: "two"},
		{Topic: "orders", Partition: 0, Offset: 11, Value: "three"},
	}
	if err := task.Put(ctx, batch); err != nil {
		t.Fatalf("put: %v", err)
	}
	// Put writes each batch out (visible at once); Flush adds the fsync.
	if got := readFile(t, path); got != "one\ntwo\nthree\n" {
		t.Fatalf("after put the file holds %q; want the batch's lines", got)
	}
	offsets := sdk.Offsets{{Topic: "orders", Partition: 0}: 12, {Topic: "orders", Partition: 1}: 4}
	got, err := task.Flush(ctx, offsets)
	if err != nil {
		t.Fatalf("flush: %v", err)
	}
	if len(got) != len(offsets) || got[sdk.TopicPartition{Topic: "orders", Partition: 0}] != 12 ||
		got[sdk.TopicPartition{Topic: "orders", Partition: 1}] != 4 {
		t.Errorf("flush returned %v, want %v", got, offsets)
	}
	if content := readFile(t, path); content != "one\ntwo\nthree\n" {
		t.Errorf("after flush the file holds %q", content)
	}
}

func TestSinkLargeBatchIsWrittenWhole(t *testing.T) {
	task, path := startSink(t, nil)
	ctx := context.Background()
	line := strings.Repeat("x", 999)
	const n = 5000 // 5 MB: several buffer writes
	batch := make([]sdk.Record, n)
	for i := range batch {
		batch[i] = sdk.Record{Topic: "t", Offset: int64(i), Value: line}
	}
	if err := task.Put(ctx, batch); err != nil {
		t.Fatalf("put: %v", err)
	}
	if _, err := task.Flush(ctx, nil); err != nil {
		t.Fatalf("flush: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(readFile(t, path), "\n"), "\n")
	if len(lines) != n {
		t.Fatalf("got %d lines, want %d", len(lines), n)
	}
	for i, l := range lines {
		if l != line {
			t.Fatalf("line %d has %d bytes, want %d", i, len(l), len(line))
		}
	}
}

func TestSinkCoordinates(t *testing.T) {
	task, path := startSink(t, map[string]string{"freshet.file.include.coordinates": "true"})
	ctx := context.Background()
	batch := []sdk.Record{
		{Topic: "orders", Partition: 2, Offset: 41, Value: "a"},
		{Topic: "orders", Partition: 2, Offset: 42, Value: nil},
		{Topic: "returns", Partition: 0, Offset: 0, Value: map[string]any{"k": "v"}},
	}
	if err := task.Put(ctx, batch); err != nil {
		t.Fatalf("put: %v", err)
	}
	if _, err := task.Flush(ctx, nil); err != nil {
		t.Fatalf("flush: %v", err)
	}
	want := "orders/2/41\ta\norders/2/42\tnull\nreturns/0/0\t{\"k\":\"v\"}\n"
	if got := readFile(t, path); got != want {
		t.Errorf("file = %q, want %q", got, want)
	}
}

func TestSinkAppendsToExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.txt")
	if err := os.WriteFile(path, []byte("existing\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// Two tasks of one connector share the file, as in Kafka.
	a := startSinkAt(t, map[string]string{"file": path})
	b := startSinkAt(t, map[string]string{"file": path})
	if err := a.Put(ctx, []sdk.Record{{Value: "from a"}}); err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx, []sdk.Record{{Value: "from b"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Flush(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Flush(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := readFile(t, path), "existing\nfrom a\nfrom b\n"; got != want {
		t.Errorf("file = %q, want %q", got, want)
	}
}

func TestSinkStopWritesBufferedLines(t *testing.T) {
	task, path := startSink(t, nil)
	ctx := context.Background()
	if err := task.Put(ctx, []sdk.Record{{Value: "last words"}}); err != nil {
		t.Fatal(err)
	}
	if err := task.Stop(ctx); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if got := readFile(t, path); got != "last words\n" {
		t.Errorf("file = %q", got)
	}
}

func TestSinkStartFailsOnUnwritablePath(t *testing.T) {
	c := file.SinkPlugin().New().(sdk.SinkConnector)
	task := c.NewSinkTask()
	err := task.Start(context.Background(), map[string]string{"file": filepath.Join(t.TempDir(), "no", "such", "dir", "f")})
	if err == nil {
		t.Fatal("start succeeded, want an error")
	}
	if class, _ := sdk.ClassOf(err); class != sdk.ClassFatal {
		t.Errorf("class = %v, want fatal (error: %v)", class, err)
	}
}
