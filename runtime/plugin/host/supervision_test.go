package host_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/runtime/plugin/host"
)

// TestKillMidBatchLosesNothing drives an isolated sink as the worker does
// (put batches, flush, commit only what Flush returned, and on
// sdk.ErrTaskReset go back to the last commit and re-open) while SIGKILLing
// its process again and again, between calls and while a Put or Flush is in
// flight. The
// sink holds records in memory until Flush, so every kill loses what it
// held: the destination must still end up with every record.
func TestKillMidBatchLosesNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	out, pidFile := filepath.Join(dir, "out"), filepath.Join(dir, "pid")
	h := newHost(t, host.WithRestartLimit(100, time.Minute), host.WithRestartBackoff(time.Millisecond, 10*time.Millisecond))
	task := h.Isolate(bufferedSink(), self(t, "buffered-sink")).New().(sdk.SinkConnector).NewSinkTask()
	if err := task.Start(ctx, map[string]string{"file": out, "pid.file": pidFile}); err != nil {
		t.Fatal(err)
	}
	tps := []sdk.TopicPartition{{Topic: "t", Partition: 0}, {Topic: "t", Partition: 1}, {Topic: "t", Partition: 2}}
	if _, err := task.Open(ctx, tps); err != nil {
		t.Fatal(err)
	}
	const total, perBatch, wantKills = 600, 20, 8
	committed, next := sdk.Offsets{}, sdk.Offsets{}
	rng := rand.New(rand.NewPCG(7, 11))
	kills, resets := 0, 0
	// during runs call, and now and then kills the process: before the
	// call, or while it is in flight.
	during := func(call func() error) error {
		if kills >= wantKills || rng.IntN(4) != 0 {
			return call()
		}
		b, err := os.ReadFile(pidFile)
		if err != nil {
			return call() // the last one killed has not been replaced yet
		}
		pid, _ := strconv.Atoi(string(b))
		os.Remove(pidFile)
		kills++
		if rng.IntN(2) == 0 {
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			return call()
		}
		killed := make(chan error)
		delay := time.Duration(rng.IntN(500)) * time.Microsecond
		go func() { time.Sleep(delay); killed <- syscall.Kill(pid, syscall.SIGKILL) }()
		err = call()
		if kerr := <-killed; kerr != nil {
			t.Fatal(kerr)
		}
		return err
	}
	// reset handles an error from Put or Flush: a reset rewinds.
	reset := func(op string, err error) bool {
		if err == nil {
			return false
		}
		if !errors.Is(err, sdk.ErrTaskReset) {
			t.Fatalf("%s: %v, want a task reset", op, err)
		}
		if c, _ := sdk.ClassOf(err); c != sdk.ClassRetriable {
			t.Errorf("%s: a reset is %s, want retriable", op, c)
		}
		if !strings.HasPrefix(err.Error(), "plugin buffered-sink exited (signal SIGKILL)") {
			t.Errorf("%s: the status would read %q, want the crash", op, err)
		}
		resets++
		for tp, off := range committed {
			next[tp] = off
		}
		for _, tp := range tps {
			if _, ok := committed[tp]; !ok {
				next[tp] = 0
			}
		}
		if _, err := task.Open(ctx, tps); err != nil {
			t.Fatalf("re-open after a reset: %v", err)
		}
		return true
	}
	for n := 0; ; n++ {
		done := true
		for _, tp := range tps {
			done = done && committed[tp] >= total
		}
		if done {
			break
		}
		if n > 10000 {
			t.Fatal("no progress")
		}
		var batch []sdk.Record
		for i := 0; i < perBatch; i++ {
			for _, tp := range tps {
				if off := next[tp]; off < total {
					batch = append(batch, sdk.Record{Topic: tp.Topic, Partition: tp.Partition, Offset: off, Value: "v"})
					next[tp] = off + 1
				}
			}
		}
		if reset("put", during(func() error { return task.Put(ctx, batch) })) {
			continue
		}
		if n%3 != 2 && len(batch) > 0 {
			continue
		}
		var durable sdk.Offsets
		err := during(func() (err error) {
			durable, err = task.Flush(ctx, copyOffsets(next))
			return err
		})
		if reset("flush", err) {
			continue
		}
		if durable == nil {
			durable = next
		}
		for tp, off := range durable {
			committed[tp] = off
		}
	}
	if err := task.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if kills < 3 || resets != kills {
		t.Errorf("%d kills, %d resets: want at least 3 kills, each seen as one reset", kills, resets)
	}
	seen := map[string]bool{}
	for _, l := range readLines(t, out) {
		seen[l] = true
	}
	for _, tp := range tps {
		for off := 0; off < total; off++ {
			if id := fmt.Sprintf("%s/%d/%d", tp.Topic, tp.Partition, off); !seen[id] {
				t.Errorf("record %s was lost", id)
			}
		}
	}
	t.Logf("%d kills, %d resets, %d lines for %d records", kills, resets, len(readLines(t, out)), total*len(tps))
}

func copyOffsets(o sdk.Offsets) sdk.Offsets {
	out := sdk.Offsets{}
	for k, v := range o {
		out[k] = v
	}
	return out
}

// TestCrashIsReported checks that a process that dies in a call is reported
// with its exit status and the last lines it printed, that what it printed
// is in the worker's log under its name, and that the task comes back.
func TestCrashIsReported(t *testing.T) {
	for _, tc := range []struct {
		value, prefix, line string
	}{
		{"exit", "plugin fault-sink exited (status 7): giving up", "giving up"},
		{"crash", "plugin fault-sink exited (status 2): panic: disk on fire\n", "panic: disk on fire"},
	} {
		t.Run(tc.value, func(t *testing.T) {
			ctx := context.Background()
			core, logs := observer.New(zap.InfoLevel)
			h, err := host.New(zap.New(core), host.WithRestartBackoff(time.Millisecond, time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			task := h.Isolate(faultSink(), self(t, "fault-sink")).New().(sdk.SinkConnector).NewSinkTask()
			if err := task.Start(ctx, map[string]string{"needed": "yes"}); err != nil {
				t.Fatal(err)
			}
			defer task.Stop(ctx)
			err = task.Put(ctx, []sdk.Record{{Topic: "t", Value: tc.value}})
			if !errors.Is(err, sdk.ErrTaskReset) || !strings.HasPrefix(err.Error(), tc.prefix) {
				t.Fatalf("Put: %q, want a reset reading %q…", err, tc.prefix)
			}
			var ee *host.ExitError
			if !errors.As(err, &ee) || ee.Plugin != "fault-sink" {
				t.Errorf("Put: %v is not an *ExitError of fault-sink", err)
			}
			found := false
			for _, e := range logs.FilterMessage("plugin output").All() {
				m := e.ContextMap()
				if m["plugin"] == "fault-sink" && m["line"] == tc.line && m["stream"] == "stderr" {
					found = true
				}
			}
			if !found {
				t.Errorf("the worker's log has no line %q from plugin fault-sink", tc.line)
			}
			// The task comes back: the worker re-opens and puts again.
			if _, err := task.Open(ctx, []sdk.TopicPartition{{Topic: "t"}}); err != nil {
				t.Fatalf("Open after the crash: %v", err)
			}
			if err := task.Put(ctx, []sdk.Record{{Topic: "t", Value: "fine"}}); err != nil {
				t.Fatalf("Put after the crash: %v", err)
			}
		})
	}
}

// TestCrashLoopFails checks that more crashes than the limit allows within
// the window fail the task with a fatal error that names the crash, and
// that it stays failed.
func TestCrashLoopFails(t *testing.T) {
	ctx := context.Background()
	h := newHost(t, host.WithRestartLimit(2, time.Minute), host.WithRestartBackoff(time.Millisecond, 2*time.Millisecond))
	task := h.Isolate(faultSink(), self(t, "fault-sink")).New().(sdk.SinkConnector).NewSinkTask()
	if err := task.Start(ctx, map[string]string{"needed": "yes"}); err != nil {
		t.Fatal(err)
	}
	defer task.Stop(ctx)
	crash := []sdk.Record{{Topic: "t", Value: "exit"}}
	for i := 1; i <= 2; i++ {
		if err := task.Put(ctx, crash); !errors.Is(err, sdk.ErrTaskReset) {
			t.Fatalf("crash %d: %v, want a reset", i, err)
		}
	}
	for i := 0; i < 2; i++ {
		err := task.Put(ctx, crash)
		if c, _ := sdk.ClassOf(err); c != sdk.ClassFatal || errors.Is(err, sdk.ErrTaskReset) {
			t.Fatalf("crash 3: %v (%s), want fatal, not a reset", err, c)
		}
		if !strings.Contains(err.Error(), "3 crashes within 1m0s, more than freshet.plugin.restart.max=2") ||
			!strings.Contains(err.Error(), "plugin fault-sink exited (status 7): giving up") {
			t.Errorf("the status would read %q", err)
		}
	}
	if _, err := task.Open(ctx, nil); err == nil {
		t.Error("Open after the crash loop succeeded; the task must stay failed until restarted")
	}
}
