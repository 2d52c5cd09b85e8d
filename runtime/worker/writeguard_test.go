package worker_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/freshet-dev/freshet/runtime/store"
	"github.com/freshet-dev/freshet/runtime/worker"
)

// gate is a write guard a test opens and closes.
type gate struct{ open atomic.Bool }

func (g *gate) guard() error {
	if g.open.Load() {
		return nil
	}
	return errors.New("lease lapsed")
}

func TestWriteGuardHoldsSinkPutsAndCommits(t *testing.T) {
	c, cl := newCluster(t, "in")
	produceJSON(t, cl, "in", 100, func(i int) []byte { return []byte(fmt.Sprintf(`{"i":%d}`, i)) })
	sink := &memSink{}
	g := &gate{}
	w := newWorkerOpts(t, c.ListenAddrs()[0], worker.WithWriteGuard(g.guard))
	id := worker.TaskID{Connector: "guarded", Task: 0}
	cfg := map[string]string{"name": "guarded", "connector.class": "mem-sink", "topics": "in"}
	if err := w.StartTask(context.Background(), id, sink.plugin(), cfg, nil); err != nil {
		t.Fatal(err)
	}

	time.Sleep(700 * time.Millisecond) // several flush intervals and polls
	if n := len(sink.snapshot()); n != 0 {
		t.Fatalf("sink got %d records while the guard refused; want none", n)
	}
	if got := committed(t, cl, "connect-guarded"); len(got) != 0 {
		t.Fatalf("offsets %v committed while the guard refused; want none", got)
	}

	g.open.Store(true)
	waitFor(t, "the records once the guard passes", 10*time.Second, func() bool { return len(sink.snapshot()) == 100 })
	ends := endOffsets(t, cl, "in")
	waitFor(t, "offsets committed to the end", 10*time.Second, func() bool {
		got := committed(t, cl, "connect-guarded")
		for p, end := range ends {
			if got[p] != end {
				return false
			}
		}
		return true
	})

	// Lapsed again: new records are neither put nor committed, and the
	// task still stops promptly.
	g.open.Store(false)
	produceJSON(t, cl, "in", 50, func(i int) []byte { return []byte(fmt.Sprintf(`{"i":%d}`, i)) })
	time.Sleep(500 * time.Millisecond)
	if n := len(sink.snapshot()); n != 100 {
		t.Fatalf("sink has %d records after the guard closed again; want still 100", n)
	}
	start := time.Now()
	w.StopTask(context.Background(), id)
	if d := time.Since(start); d > 4*time.Second {
		t.Fatalf("stopping a guarded task took %s", d)
	}
	got := committed(t, cl, "connect-guarded")
	for p, end := range ends {
		if got[p] != end {
			t.Fatalf("partition %d committed at %d after the guard closed; want it left at %d", p, got[p], end)
		}
	}
}

func TestWriteGuardHoldsSourceProduceAndPositions(t *testing.T) {
	c, cl := newCluster(t, "out")
	offsets := store.NewMemoryOffsets()
	props := map[string]string{"bootstrap.servers": c.ListenAddrs()[0],
		"key.converter": "org.apache.kafka.connect.storage.StringConverter", "value.converter": "org.apache.kafka.connect.json.JsonConverter"}
	g := &gate{}
	w, err := worker.New("w", props, offsets, zap.NewNop(), worker.WithFlushInterval(20*time.Millisecond), worker.WithWriteGuard(g.guard))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Shutdown(context.Background())
	src := &listSource{n: 20}
	id := worker.TaskID{Connector: "gen", Task: 0}
	cfg := map[string]string{"name": "gen", "connector.class": "list-source", "errors.tolerance": "all"}
	if err := w.StartTask(context.Background(), id, src.plugin(), cfg, nil); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	count := func() int64 {
		var n int64
		for _, end := range endOffsets(t, cl, "out") {
			n += end
		}
		return n
	}

	time.Sleep(500 * time.Millisecond)
	if n := count(); n != 0 {
		t.Fatalf("%d records produced while the guard refused; want none", n)
	}
	if off, _ := offsets.Get(ctx, "gen", map[string]any{"file": "f"}); off != nil {
		t.Fatalf("position %v persisted while the guard refused; want none", off)
	}

	g.open.Store(true)
	waitFor(t, "the last position persisted", 10*time.Second, func() bool {
		off, _ := offsets.Get(ctx, "gen", map[string]any{"file": "f"})
		return off != nil && off["line"] == int64(19)
	})
	if n := count(); n != 18 { // 2 of the 20 do not convert and are skipped
		t.Fatalf("%d records produced; want 18", n)
	}
	w.StopTask(ctx, id)
}

// Records still buffered when the write lease ends are dropped by the
// producer rather than sent late, and sent again once the lease is back:
// every record arrives, none is lost.
func TestWriteDeadlineDropsAndResendsBufferedRecords(t *testing.T) {
	c, cl := newCluster(t, "out")
	offsets := store.NewMemoryOffsets()
	props := map[string]string{"bootstrap.servers": c.ListenAddrs()[0],
		"key.converter": "org.apache.kafka.connect.storage.StringConverter", "value.converter": "org.apache.kafka.connect.json.JsonConverter"}
	var lapsed atomic.Bool
	lapsed.Store(true)
	deadline := func() time.Time {
		if lapsed.Load() {
			return time.Now().Add(-time.Second) // ended: as seen by a worker resumed after a pause
		}
		return time.Now().Add(time.Minute)
	}
	var guardCalls atomic.Int32
	guard := func() error {
		guardCalls.Add(1)
		if lapsed.Load() && guardCalls.Load() > 20 { // the guard passed when the records were handed over
			return errors.New("lease lapsed")
		}
		return nil
	}
	w, err := worker.New("w", props, offsets, zap.NewNop(), worker.WithFlushInterval(20*time.Millisecond),
		worker.WithWriteGuard(guard), worker.WithWriteDeadline(deadline))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Shutdown(context.Background())
	src := &listSource{n: 20}
	id := worker.TaskID{Connector: "gen", Task: 0}
	cfg := map[string]string{"name": "gen", "connector.class": "list-source", "errors.tolerance": "all"}
	if err := w.StartTask(context.Background(), id, src.plugin(), cfg, nil); err != nil {
		t.Fatal(err)
	}
	count := func() int64 {
		var n int64
		for _, end := range endOffsets(t, cl, "out") {
			n += end
		}
		return n
	}
	time.Sleep(500 * time.Millisecond)
	if n := count(); n != 0 {
		t.Fatalf("%d records sent after the lease ended; want none", n)
	}
	lapsed.Store(false)
	ctx := context.Background()
	waitFor(t, "the last position persisted", 10*time.Second, func() bool {
		off, _ := offsets.Get(ctx, "gen", map[string]any{"file": "f"})
		return off != nil && off["line"] == int64(19)
	})
	if n := count(); n != 18 {
		t.Fatalf("%d records produced; want the 18 that convert", n)
	}
	w.StopTask(ctx, id)
}
