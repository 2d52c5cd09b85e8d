package file

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// offsetReader is a persisted-offset store holding one partition.
type offsetReader struct {
	partition map[string]any
	offset    map[string]any
}

func (r offsetReader) Offset(_ context.Context, p map[string]any) (map[string]any, error) {
	if reflect.DeepEqual(p, r.partition) {
		return r.offset, nil
	}
	return nil, nil
}

// line is what a test expects of a record.
type line struct {
	value string
	pos   int64
}

func startSource(t *testing.T, path string, offsets sdk.OffsetReader, extra ...string) *sourceTask {
	t.Helper()
	cfg := map[string]string{"file": path, "topic": "lines"}
	for i := 0; i+1 < len(extra); i += 2 {
		cfg[extra[i]] = extra[i+1]
	}
	task := newSourceTask()
	task.idle = 20 * time.Millisecond // waits in these tests are short
	task.interval = 2 * time.Millisecond
	if err := task.Start(context.Background(), cfg, offsets); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { task.Stop(context.Background()) })
	return task
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

// pollLines polls once and checks every record's shape, returning values and
// positions.
func pollLines(t *testing.T, task *sourceTask) []line {
	t.Helper()
	recs, err := task.Poll(context.Background())
	if err != nil {
		t.Fatalf("poll: %v", err)
	}
	var out []line
	for _, r := range recs {
		if r.Topic != "lines" || r.Key != nil || r.KeySchema != nil || r.ValueSchema != sdk.StringSchema {
			t.Errorf("record %+v: want topic lines, no key, a string schema", r)
		}
		if !reflect.DeepEqual(r.SourcePartition, map[string]any{"filename": task.cfg.File}) {
			t.Errorf("source partition = %v", r.SourcePartition)
		}
		pos, ok := r.SourceOffset["position"].(int64)
		if !ok || len(r.SourceOffset) != 1 {
			t.Errorf("source offset = %#v, want one int64 position", r.SourceOffset)
		}
		out = append(out, line{r.Value.(string), pos})
	}
	return out
}

func TestSourceLinesAndPositions(t *testing.T) {
	for _, tc := range []struct {
		name    string
		content string
		want    []line
	}{
		{"newlines", "a\nbb\n", []line{{"a", 2}, {"bb", 5}}},
		{"crlf and cr", "a\r\nbb\rc\n", []line{{"a", 3}, {"bb", 6}, {"c", 8}}},
		{"empty lines", "\n\nx\n", []line{{"", 1}, {"", 2}, {"x", 4}}},
		{"partial last line held back", "done\npart", []line{{"done", 5}}},
		{"cr at end waits for a possible lf", "a\nb\r", []line{{"a", 2}}},
		{"multibyte text counts bytes", "é€\nz\n", []line{{"é€", 6}, {"z", 8}}},
		{"invalid utf-8 replaced", "a\xffb\n", []line{{"a\uFFFDb", 4}}},
		{"empty file", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "in.txt")
			appendFile(t, path, tc.content)
			task := startSource(t, path, nil)
			if got := pollLines(t, task); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("lines = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSourceCompletesPartialLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.txt")
	appendFile(t, path, "first\nsec")
	task := startSource(t, path, nil)
	if got, want := pollLines(t, task), []line{{"first", 6}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("lines = %v, want %v", got, want)
	}
	if got := pollLines(t, task); got != nil {
		t.Fatalf("partial line emitted: %v", got)
	}
	appendFile(t, path, "ond\r")
	if got := pollLines(t, task); got != nil {
		t.Fatalf("line ending in a lone trailing CR emitted before the next byte: %v", got)
	}
	appendFile(t, path, "\nthird\n")
	if got, want := pollLines(t, task), []line{{"second", 14}, {"third", 20}}; !reflect.DeepEqual(got, want) {
		t.Errorf("lines = %v, want %v", got, want)
	}
}

func TestSourceWaitsForAppendedData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.txt")
	appendFile(t, path, "")
	task := startSource(t, path, nil)
	if got := pollLines(t, task); got != nil {
		t.Fatalf("empty file gave %v", got)
	}
	// Poll with a long idle time returns as soon as the line is written.
	task.idle = time.Minute
	type result struct {
		recs []sdk.Record
		err  error
	}
	done := make(chan result, 1)
	go func() {
		recs, err := task.Poll(context.Background())
		done <- result{recs, err}
	}()
	appendFile(t, path, "late\n")
	select {
	case got := <-done:
		if got.err != nil || len(got.recs) != 1 || got.recs[0].Value != "late" || got.recs[0].SourceOffset["position"] != int64(5) {
			t.Errorf("poll = %+v, %v; want the line late at position 5", got.recs, got.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("poll did not return the appended line")
	}
}

func TestSourceWaitsForFileToExist(t *testing.T) {
	path := filepath.Join(t.TempDir(), "later.txt")
	task := startSource(t, path, nil)
	if got := pollLines(t, task); got != nil {
		t.Fatalf("missing file gave %v", got)
	}
	appendFile(t, path, "now\n")
	if got, want := pollLines(t, task), []line{{"now", 4}}; !reflect.DeepEqual(got, want) {
		t.Errorf("lines = %v, want %v", got, want)
	}
}

func TestSourcePollStopsWhenContextIsDone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.txt")
	appendFile(t, path, "")
	task := startSource(t, path, nil)
	task.idle = time.Minute
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	recs, err := task.Poll(ctx)
	if !errors.Is(err, context.Canceled) || len(recs) != 0 {
		t.Errorf("poll = %v, %v; want no records and context.Canceled", recs, err)
	}
}

func TestSourceBatchSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.txt")
	appendFile(t, path, "1\n2\n3\n4\n5\n")
	task := startSource(t, path, nil, "batch.size", "2")
	var sizes []int
	var values []string
	for range 3 {
		got := pollLines(t, task)
		sizes = append(sizes, len(got))
		for _, l := range got {
			values = append(values, l.value)
		}
	}
	if !reflect.DeepEqual(sizes, []int{2, 2, 1}) || strings.Join(values, ",") != "1,2,3,4,5" {
		t.Errorf("batches of %v with values %v, want 2,2,1 and 1..5", sizes, values)
	}
}

func TestSourceLongLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.txt")
	long := strings.Repeat("y", 3*sourceReadSize+17)
	appendFile(t, path, "a\n"+long+"\nb\n")
	task := startSource(t, path, nil)
	got := pollLines(t, task)
	want := []line{{"a", 2}, {long, int64(2 + len(long) + 1)}, {"b", int64(2 + len(long) + 3)}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %d lines, want the long line intact between a and b", len(got))
	}
}

func TestSourceResumesFromPersistedPosition(t *testing.T) {
	for _, tc := range []struct {
		name string
		pos  any
	}{
		{"int64", int64(5)},
		{"float64 from JSON", float64(5)},
		{"json.Number", json.Number("5")},
		{"int", 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "in.txt")
			appendFile(t, path, "a\nbb\nccc\ndd\n")
			reader := offsetReader{map[string]any{"filename": path}, map[string]any{"position": tc.pos}}
			task := startSource(t, path, reader)
			if got, want := pollLines(t, task), []line{{"ccc", 9}, {"dd", 12}}; !reflect.DeepEqual(got, want) {
				t.Errorf("lines = %v, want %v", got, want)
			}
		})
	}
}

func TestSourceRejectsBadPosition(t *testing.T) {
	for _, pos := range []any{"6", -1, 2.5, true} {
		reader := offsetReader{map[string]any{"filename": "/x"}, map[string]any{"position": pos}}
		task := newSourceTask()
		err := task.Start(context.Background(), map[string]string{"file": "/x", "topic": "t"}, reader)
		if err == nil {
			t.Errorf("position %#v accepted", pos)
		}
	}
}

// TestSourceRestartNoLossNoDuplicates runs a task, persists the offset of the
// last record it emitted, stops it, appends, and starts a new task from the
// persisted offset: together they emit every line exactly once.
func TestSourceRestartNoLossNoDuplicates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.txt")
	appendFile(t, path, "l1\nl2\nl3\npartial")
	first := startSource(t, path, nil)
	recs, err := first.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, r := range recs {
		seen = append(seen, r.Value.(string))
	}
	persisted := recs[len(recs)-1].SourceOffset
	if err := first.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}

	appendFile(t, path, "-done\nl5\n")
	reader := offsetReader{recs[0].SourcePartition, persisted}
	second := startSource(t, path, reader)
	for _, l := range pollLines(t, second) {
		seen = append(seen, l.value)
	}
	if got, want := strings.Join(seen, ","), "l1,l2,l3,partial-done,l5"; got != want {
		t.Errorf("lines over the restart = %s, want %s", got, want)
	}
}
