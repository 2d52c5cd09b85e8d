package worker

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/dlq"
	"github.com/freshet-dev/freshet/runtime/transform"
)

// Class names reported in __connect.errors.class.name for our stages.
const (
	sinkTaskClass   = "org.apache.kafka.connect.sink.SinkTask"
	sourceTaskClass = "org.apache.kafka.connect.source.SourceTask"
	producerClass   = "org.apache.kafka.clients.producer.KafkaProducer"
)

// ErrToleranceExceeded wraps the cause of a failure that errors.tolerance
// did not allow to be skipped.
var ErrToleranceExceeded = errors.New("tolerance exceeded in error handler")

// PanicError is a panic in connector code, recovered at the task boundary.
type PanicError struct {
	Op    string
	Value any
	Stack string
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("panic in %s: %v\n%s", e.Op, e.Value, e.Stack)
}

func recoverPanic(err *error, op string) {
	if v := recover(); v != nil {
		*err = sdk.Fatal(&PanicError{Op: op, Value: v, Stack: string(debug.Stack())})
	}
}

func kerrOf(code int16) error { return kerr.ErrorForCode(code) }

func transformClass(err error) string {
	var te *transform.Error
	if errors.As(err, &te) {
		return te.Class
	}
	return "org.apache.kafka.connect.transforms.Transformation"
}

// tolerate applies errors.tolerance to one failed record: it reports the
// failure (log, dead-letter queue) and returns nil when the record may be
// skipped, or the error that must fail the task. A failing record is never
// dropped silently (DESIGN invariant 5).
func (e *taskEnv) tolerate(ctx context.Context, stage, class string, r *kgo.Record, cause error) error {
	if ctx.Err() != nil {
		return ctx.Err() // shutting down: not a failure, never dead-lettered
	}
	c := classify(cause, stage)
	e.hooks.recordFailed(e.id, stage, c)
	if e.policy.logErrors || !e.policy.tolerateAll {
		fields := []zap.Field{zap.String("stage", stage), zap.String("error_class", c.String()), zap.Error(cause)}
		if e.policy.logMessages && r != nil {
			fields = append(fields, zap.String("topic", r.Topic), zap.Int32("partition", r.Partition), zap.Int64("offset", r.Offset))
		}
		e.log.Error("error handling record", fields...)
	}
	if !e.policy.tolerateAll || c == sdk.ClassFatal {
		return fmt.Errorf("%w: stage %s (%s): %w", ErrToleranceExceeded, stage, class, cause)
	}
	if e.dlq != nil && r != nil {
		if err := e.dlq.send(ctx, e, stage, class, c, r, cause); err != nil {
			// The record is neither written nor dead-lettered: fail rather than lose it.
			return fmt.Errorf("dead-letter record %s-%d@%d: %w", r.Topic, r.Partition, r.Offset, err)
		}
	}
	e.policy.guard.deadLettered()
	return nil
}

// deadLetters writes failed records to the connector's dead-letter topic.
type deadLetters struct {
	client *kgo.Client
	topic  string
	ctxHdr bool
}

func (d *deadLetters) send(ctx context.Context, e *taskEnv, stage, class string, c sdk.Class, r *kgo.Record, cause error) error {
	dl := dlq.NewRecord(d.topic, r, dlq.Failure{
		Connector: e.id.Connector, Task: e.id.Task, Stage: stage, ExecutingClass: class, Class: c, Err: cause,
		Trace: Trace(cause), WorkerID: e.workerID, Version: e.version, ContextHeaders: d.ctxHdr,
	})
	if err := d.client.ProduceSync(ctx, dl).FirstErr(); err != nil {
		return err
	}
	e.hooks.deadLettered(e.id, stage, c)
	return nil
}

// Trace renders an error and its cause chain the way a status trace shows
// it (see dlq.Trace); a recovered panic shows its stack instead.
func Trace(err error) string {
	var pe *PanicError
	if errors.As(err, &pe) {
		return err.Error()
	}
	return dlq.Trace(err)
}
