package worker

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// Stage names where an error happened, as Kafka Connect's Stage enum spells
// them in __connect.errors.stage.
const (
	StageKeyConverter    = "KEY_CONVERTER"
	StageValueConverter  = "VALUE_CONVERTER"
	StageHeaderConverter = "HEADER_CONVERTER"
	StageTransformation  = "TRANSFORMATION"
	StageTaskPut         = "TASK_PUT"
	StageTaskPoll        = "TASK_POLL"
	StageKafkaProduce    = "KAFKA_PRODUCE"
	StageKafkaConsume    = "KAFKA_CONSUME"
)

// classify returns err's class, filling in the default for unclassified
// errors: a record error in the convert and transform stages, fatal elsewhere
// (a loud failure beats a silent dead letter).
func classify(err error, stage string) sdk.Class {
	if errors.Is(err, context.Canceled) {
		return sdk.ClassRetriable
	}
	if c, ok := sdk.ClassOf(err); ok && c != sdk.ClassUnknown {
		return c
	}
	switch stage {
	case StageKeyConverter, StageValueConverter, StageHeaderConverter, StageTransformation:
		return sdk.ClassRecord
	}
	return sdk.ClassFatal
}

// backoff yields Kafka Connect's retry delays: 300 ms doubling up to max;
// once the doubled delay passes max, a uniformly random delay in [0, max).
type backoff struct {
	max  time.Duration
	next time.Duration
}

func newBackoff(max time.Duration) *backoff { return &backoff{max: max, next: 300 * time.Millisecond} }

func (b *backoff) delay() time.Duration {
	d := b.next
	if b.max > 0 && d >= b.max {
		return time.Duration(rand.Int64N(int64(b.max)))
	}
	b.next *= 2
	return d
}

// retryDeadline returns when retries of an operation first attempted now
// must stop; the zero time means never.
func retryDeadline(now time.Time, timeout time.Duration) time.Time {
	if timeout < 0 {
		return time.Time{}
	}
	return now.Add(timeout)
}

// sleep waits d or until ctx is done, whichever is first, never past deadline
// (a zero deadline does not limit).
func sleep(ctx context.Context, d time.Duration, deadline time.Time) error {
	if !deadline.IsZero() {
		if left := time.Until(deadline); left < d {
			d = max(left, 0)
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
