package dlq_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/freshet-dev/freshet/dlq"
)

// TestReplayToSource replays the record failures of a queue to the source
// topic and checks what arrives there, then that a second identical replay
// does nothing and that the rest can be replayed after.
func TestReplayToSource(t *testing.T) {
	e := newEnv(t)
	letters := e.fill(30) // 10 retriable, 20 record
	d := e.drainer(dlq.WithBatch(7, 1e9))

	f, err := dlq.ParseFilter(dlq.FilterSpec{ErrorClass: "record"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.Replay(e.ctx, "es-sink", dlq.ReplayOptions{To: dlq.ToSource, Filter: f, Who: "alice@host"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Replayed != 20 || res.Matched != 20 || res.Targets["orders"] != 20 || res.Run == "" {
		t.Fatalf("result = %+v, want 20 replayed to orders", res)
	}
	got := e.read("orders")
	if len(got) != 20 {
		t.Fatalf("orders has %d records, want 20", len(got))
	}
	seen := map[string]bool{}
	for _, r := range got {
		off, _ := header(r, dlq.HeaderReplayDLQOffset)
		i, _ := strconv.Atoi(off)
		want := letters[i]
		if seen[off] {
			t.Errorf("dead letter %s replayed twice", off)
		}
		seen[off] = true
		if i%3 == 0 {
			t.Errorf("retriable dead letter %d replayed with filter error-class=record", i)
		}
		if string(r.Key) != string(want.Key) || string(r.Value) != string(want.Value) || !r.Timestamp.Equal(want.Timestamp) {
			t.Errorf("record %d: key %q value %q ts %v; want the original %q %q %v", i, r.Key, r.Value, r.Timestamp, want.Key, want.Value, want.Timestamp)
		}
		if r.Partition != int32(i%2) {
			t.Errorf("record %d went to partition %d, want the one it failed at, %d", i, r.Partition, i%2)
		}
		for _, h := range r.Headers {
			if len(h.Key) > 17 && h.Key[:17] == "__connect.errors." || h.Key == dlq.HeaderErrorClass || h.Key == dlq.HeaderAttempt {
				t.Errorf("record %d kept dead-letter header %s", i, h.Key)
			}
		}
		if v, _ := header(r, "trace-id"); v != "t-"+off {
			t.Errorf("record %d lost its own header trace-id (got %q)", i, v)
		}
		if id, _ := header(r, dlq.HeaderReplayID); id != res.Run {
			t.Errorf("record %d: replay id %q, want %q", i, id, res.Run)
		}
		if a, _ := header(r, dlq.HeaderReplayAttempt); a != "1" {
			t.Errorf("record %d: replay attempt %q, want 1", i, a)
		}
	}
	// The cursor stops at the first record not drained (offset 0 is retriable).
	if c := e.cursor(); c[0] != 0 {
		t.Errorf("drain cursor = %v, want 0 (dead letter 0 is not drained)", c)
	}

	again, err := d.Replay(e.ctx, "es-sink", dlq.ReplayOptions{To: dlq.ToSource, Filter: f, Who: "alice@host"})
	if err != nil {
		t.Fatal(err)
	}
	if again.Replayed != 0 || again.Matched != 0 || again.Run != "" {
		t.Errorf("second identical replay = %+v, want nothing replayed and no run", again)
	}
	if n := len(e.read("orders")); n != 20 {
		t.Errorf("after a second identical replay orders has %d records, want 20", n)
	}

	rest, err := d.Replay(e.ctx, "orders-dlq", dlq.ReplayOptions{To: dlq.ToSource})
	if err != nil {
		t.Fatal(err)
	}
	if rest.Replayed != 10 {
		t.Errorf("replay of the rest = %d, want 10", rest.Replayed)
	}
	if c := e.cursor(); c[0] != 30 {
		t.Errorf("drain cursor = %v, want 30 (all drained)", c)
	}
	sums, err := d.List(e.ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sums {
		if s.Topic == "orders-dlq" && s.Depth != 0 {
			t.Errorf("depth after draining everything = %d, want 0", s.Depth)
		}
	}
	depths, err := d.Depths(e.ctx)
	if err != nil || len(depths) != 2 || depths[0].Queue.Topic != "orders-dlq" || depths[0].Depth != 0 {
		t.Errorf("depths = %+v, %v", depths, err)
	}
	// The audit trail: a start, progress and end entry per run, with who.
	audit := e.read(dlq.DefaultAuditTopic)
	starts := 0
	for _, r := range audit {
		var m map[string]any
		if err := json.Unmarshal(r.Value, &m); err != nil {
			t.Fatalf("audit record %q: %v", r.Value, err)
		}
		if m["type"] == "start" {
			starts++
			if m["who"] != "alice@host" && m["who"] != nil {
				t.Errorf("audit start entry who = %v", m["who"])
			}
		}
	}
	if starts != 2 {
		t.Errorf("audit has %d start entries, want 2 (the no-op replay writes nothing)", starts)
	}
}

// TestReplayDryRunChangesNothing: a dry run reports what it would replay
// and writes nothing.
func TestReplayDryRunChangesNothing(t *testing.T) {
	e := newEnv(t)
	e.fill(9)
	d := e.drainer()
	res, err := d.Replay(e.ctx, "es-sink", dlq.ReplayOptions{To: dlq.ToSource, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Matched != 9 || res.Replayed != 0 || res.Targets["orders"] != 9 || res.Run != "" {
		t.Errorf("dry run = %+v, want 9 matched for orders, none replayed", res)
	}
	if n := len(e.read("orders")); n != 0 {
		t.Errorf("dry run produced %d records", n)
	}
	if c := e.cursor(); len(c) != 0 {
		t.Errorf("dry run committed a drain cursor: %v", c)
	}
	assertNoAudit(t, e)
}

func assertNoAudit(t *testing.T, e *env) {
	t.Helper()
	td, err := e.adm.ListTopics(e.ctx, dlq.DefaultAuditTopic)
	if err != nil {
		t.Fatal(err)
	}
	if tt, ok := td[dlq.DefaultAuditTopic]; ok && tt.Err == nil {
		if n := len(e.read(dlq.DefaultAuditTopic)); n > 0 {
			t.Errorf("audit topic has %d entries, want none", n)
		}
	}
}

// TestReplayLimitAndOffset replays a window of the queue.
func TestReplayLimitAndOffset(t *testing.T) {
	e := newEnv(t)
	e.fill(20)
	d := e.drainer()
	f, err := dlq.ParseFilter(dlq.FilterSpec{FromOffset: "5", Limit: "4"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.Replay(e.ctx, "orders-dlq", dlq.ReplayOptions{To: dlq.ToSource, Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	if res.Replayed != 4 {
		t.Fatalf("replayed %d, want 4", res.Replayed)
	}
	var offs []string
	for _, r := range e.read("orders") {
		o, _ := header(r, dlq.HeaderReplayDLQOffset)
		offs = append(offs, o)
	}
	if fmt.Sprint(sortedInts(offs)) != "[5 6 7 8]" {
		t.Errorf("replayed dead letters %v, want [5 6 7 8]", sortedInts(offs))
	}
	sum := summary(t, e, d)
	if sum.Depth != 16 {
		t.Errorf("depth = %d, want 16", sum.Depth)
	}
}

func sortedInts(ss []string) []int {
	out := make([]int, 0, len(ss))
	for _, s := range ss {
		n, _ := strconv.Atoi(s)
		out = append(out, n)
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func summary(t *testing.T, e *env, d *dlq.Drainer) dlq.Summary {
	t.Helper()
	q, err := d.Resolve(e.ctx, e.queue)
	if err != nil {
		t.Fatal(err)
	}
	s, err := d.Summarize(e.ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestReplayToSink hands records to a fake sink; those it rejects go back
// to the queue with attempt 2, and the originals count as drained.
func TestReplayToSink(t *testing.T) {
	e := newEnv(t)
	e.fill(6)
	sink := &sinkFake{running: true, fail: `{"id":4}`}
	d := e.drainer(dlq.WithSinkReplayer(sink), dlq.WithWorkerID("w9"))
	res, err := d.Replay(e.ctx, "es-sink", dlq.ReplayOptions{To: dlq.ToSink, Who: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Replayed != 5 || res.FailedAgain != 1 || res.Connector != "es-sink" {
		t.Fatalf("result = %+v, want 5 replayed, 1 failed again, into es-sink", res)
	}
	if len(sink.got) != 5 {
		t.Fatalf("sink got %d records, want 5", len(sink.got))
	}
	for _, r := range sink.got {
		if r.Topic != "orders" {
			t.Errorf("sink record topic %q, want the source topic orders", r.Topic)
		}
		if _, ok := header(r, dlq.HeaderErrorClass); ok {
			t.Errorf("sink record kept dead-letter headers")
		}
	}
	all := e.read("orders-dlq")
	if len(all) != 7 {
		t.Fatalf("queue has %d records, want 6 + 1 that failed again", len(all))
	}
	back := all[6]
	if string(back.Value) != `{"id":4}` {
		t.Errorf("re-dead-lettered value %q", back.Value)
	}
	if got, _ := header(back, dlq.HeaderAttempt); got != "2" {
		t.Errorf("attempt = %q, want 2", got)
	}
	first, _ := header(all[4], dlq.HeaderFirstFailure)
	if got, _ := header(back, dlq.HeaderFirstFailure); got != first {
		t.Errorf("first failure = %q, want the original's %q", got, first)
	}
	for k, want := range map[string]string{
		dlq.HeaderConnectStage: "TASK_PUT", dlq.HeaderConnectClass: "es.SinkTask",
		dlq.HeaderConnectMessage: "mapper_parsing_exception", dlq.HeaderWorkerID: "w9",
		dlq.HeaderConnectTopic: "orders", dlq.HeaderConnectOffset: "4", dlq.HeaderErrorClass: "record",
	} {
		if got, _ := header(back, k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	// The originals are drained; the new dead letter is what is left.
	if s := summary(t, e, d); s.Depth != 1 {
		t.Errorf("depth = %d, want 1 (the record that failed again)", s.Depth)
	}
	sink.fail = ""
	res, err = d.Replay(e.ctx, "es-sink", dlq.ReplayOptions{To: dlq.ToSink})
	if err != nil || res.Replayed != 1 {
		t.Errorf("second replay = %+v, %v; want the one record that failed before", res, err)
	}
}

// TestBadInputChangesNothing: each bad request is refused with a clear
// error before anything is written.
func TestBadInputChangesNothing(t *testing.T) {
	e := newEnv(t)
	e.fill(3)
	e.produce(&kgo.Record{Topic: "orders", Value: []byte("a normal record")})
	sink := &sinkFake{running: false}
	d := e.drainer(dlq.WithSinkReplayer(sink))
	for _, tc := range []struct {
		name   string
		target string
		o      dlq.ReplayOptions
		want   error
	}{
		{"unknown target", "nope", dlq.ReplayOptions{To: dlq.ToSource}, dlq.ErrUnknownQueue},
		{"connector without queue", "pg-sink", dlq.ReplayOptions{To: dlq.ToSource}, dlq.ErrNoQueue},
		{"topic that is not a queue", "orders", dlq.ReplayOptions{To: dlq.ToSource}, dlq.ErrUnknownQueue},
		{"sink not running", "es-sink", dlq.ReplayOptions{To: dlq.ToSink}, dlq.ErrNotRunning},
		{"bad destination", "es-sink", dlq.ReplayOptions{To: "elsewhere"}, dlq.ErrInvalid},
		{"missing override topic", "es-sink", dlq.ReplayOptions{To: dlq.ToSource, Topic: "nope"}, dlq.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := d.Replay(e.ctx, tc.target, tc.o)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			t.Logf("%v", err)
		})
	}
	if _, err := d.Skip(e.ctx, "es-sink", dlq.SkipOptions{}); !errors.Is(err, dlq.ErrInvalid) {
		t.Errorf("skip without a reason: err = %v, want ErrInvalid", err)
	}
	if _, err := d.Inspect(e.ctx, "nope", dlq.Filter{}, func(dlq.Record) error { return nil }); !errors.Is(err, dlq.ErrUnknownQueue) {
		t.Errorf("inspect unknown: err = %v", err)
	}
	if n := len(e.read("orders")); n != 1 {
		t.Errorf("orders has %d records, want the 1 written by the test", n)
	}
	if c := e.cursor(); len(c) != 0 {
		t.Errorf("drain cursor committed: %v", c)
	}
	assertNoAudit(t, e)
}

// TestReplayInterruptedByCancel: a replay stopped by its context journals
// what it delivered, and the next run delivers the rest exactly once.
func TestReplayInterruptedByCancel(t *testing.T) {
	e := newEnv(t)
	e.fill(50)
	d := e.drainer(dlq.WithBatch(5, 1e9))
	ctx, cancel := context.WithCancel(e.ctx)
	n := 0
	// 100 records/s: the 50 take half a second, and the progress callback
	// (ten times a second) cancels after the first ten are replayed.
	_, err := d.Replay(ctx, "es-sink", dlq.ReplayOptions{To: dlq.ToSource, Rate: 100, Progress: func(p dlq.Progress) {
		n++
		if p.Replayed >= 10 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	first := len(e.read("orders"))
	if first == 0 || first == 50 {
		t.Fatalf("interrupted replay delivered %d records, want some", first)
	}
	res, err := d.Replay(e.ctx, "es-sink", dlq.ReplayOptions{To: dlq.ToSource})
	if err != nil {
		t.Fatal(err)
	}
	got := e.read("orders")
	seen := map[string]int{}
	for _, r := range got {
		o, _ := header(r, dlq.HeaderReplayDLQOffset)
		seen[o]++
	}
	if len(got) != 50 || len(seen) != 50 {
		t.Errorf("after resuming: %d records for %d dead letters, want 50 each once (first run %d, second %d)", len(got), len(seen), first, res.Replayed)
	}
}
