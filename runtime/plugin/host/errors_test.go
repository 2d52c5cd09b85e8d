package host_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// TestErrorsCrossTheBoundary checks that what a task returns reaches the
// worker the same in process and isolated: classes, messages, the cause
// chain, per-record outcomes, sentinels and config errors.
func TestErrorsCrossTheBoundary(t *testing.T) {
	ctx := context.Background()
	for name, p := range variants(t, faultSink()) {
		t.Run(name, func(t *testing.T) {
			newTask := func(t *testing.T) sdk.SinkTask {
				task := p.New().(sdk.SinkConnector).NewSinkTask()
				if err := task.Start(ctx, map[string]string{"needed": "yes"}); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { task.Stop(ctx) })
				return task
			}
			t.Run("per-record outcomes", func(t *testing.T) {
				err := newTask(t).Put(ctx, []sdk.Record{{Value: "ok"}, {Value: "retriable"}, {Value: "record"}, {Value: "fatal"}, {Value: "ok"}})
				var berr *sdk.BatchError
				if !errors.As(err, &berr) {
					t.Fatalf("Put: %v, want a *sdk.BatchError", err)
				}
				want := map[int]struct {
					class sdk.Class
					msg   string
				}{
					1: {sdk.ClassRetriable, "write record 1: disk on fire"},
					2: {sdk.ClassRecord, "mapping conflict"},
					3: {sdk.ClassFatal, "bad credentials"},
				}
				if len(berr.Failed) != len(want) {
					t.Errorf("failed records %v, want %d", berr.Failed, len(want))
				}
				for i, w := range want {
					rerr := berr.Failed[i]
					if c, _ := sdk.ClassOf(rerr); c != w.class || rerr == nil || rerr.Error() != w.msg {
						t.Errorf("record %d: %v (%s), want %q (%s)", i, rerr, c, w.msg, w.class)
					}
				}
			})
			t.Run("whole batch", func(t *testing.T) {
				err := newTask(t).Put(ctx, []sdk.Record{{Value: "batch"}})
				if c, _ := sdk.ClassOf(err); c != sdk.ClassRetriable || err.Error() != "put: bulk request: disk on fire" {
					t.Fatalf("Put: %v (%s)", err, c)
				}
				var chain []string
				for e := err; e != nil; e = errors.Unwrap(e) {
					chain = append(chain, e.Error())
				}
				if got := strings.Join(chain, " | "); got != "put: bulk request: disk on fire | bulk request: disk on fire | bulk request: disk on fire | disk on fire" {
					t.Errorf("cause chain %q", got)
				}
			})
			t.Run("sentinel", func(t *testing.T) {
				err := newTask(t).Put(ctx, []sdk.Record{{Value: "reset"}})
				if !errors.Is(err, sdk.ErrTaskReset) || err.Error() != "connection lost: task state was reset" {
					t.Errorf("Put: %v, want a reset", err)
				}
			})
			t.Run("panic", func(t *testing.T) {
				if name == "in-process" {
					t.Skip("in process, the worker recovers panics at the task boundary")
				}
				err := newTask(t).Put(ctx, []sdk.Record{{Value: "panic"}})
				if c, _ := sdk.ClassOf(err); c != sdk.ClassFatal || !strings.Contains(err.Error(), "boom in put") {
					t.Errorf("Put: %v (%s), want a fatal panic error", err, c)
				}
			})
			t.Run("config error at start", func(t *testing.T) {
				task := p.New().(sdk.SinkConnector).NewSinkTask()
				err := task.Start(ctx, map[string]string{})
				var ce *sdk.ConfigError
				if c, _ := sdk.ClassOf(err); c != sdk.ClassFatal || !errors.As(err, &ce) || ce.Key != "needed" || ce.Message != "is missing" {
					t.Errorf("Start: %v (%s), want a fatal config error on needed", err, c)
				}
				if err := task.Stop(ctx); err != nil {
					t.Errorf("Stop after a failed Start: %v", err)
				}
			})
			t.Run("offsets", func(t *testing.T) {
				task := newTask(t)
				stored, err := task.Open(ctx, []sdk.TopicPartition{{Topic: "t"}})
				if err != nil || stored[sdk.TopicPartition{Topic: "stored", Partition: 1}] != 42 || len(stored) != 1 {
					t.Errorf("Open: %v, %v", stored, err)
				}
				durable, err := task.Flush(ctx, sdk.Offsets{{Topic: "t"}: 10, {Topic: "u", Partition: 2}: 5})
				if err != nil || len(durable) != 2 || durable[sdk.TopicPartition{Topic: "t"}] != 9 || durable[sdk.TopicPartition{Topic: "u", Partition: 2}] != 4 {
					t.Errorf("Flush: %v, %v", durable, err)
				}
				durable, err = task.Flush(ctx, sdk.Offsets{})
				if err != nil || durable == nil || len(durable) != 0 {
					t.Errorf("Flush of nothing: %v, %v; want an empty, non-nil map", durable, err)
				}
			})
		})
	}
}
