package dlq

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// Failure is why a record is dead-lettered.
type Failure struct {
	Connector string
	Task      int
	// Stage is Kafka Connect's Stage name: KEY_CONVERTER, VALUE_CONVERTER,
	// HEADER_CONVERTER, TRANSFORMATION, TASK_PUT, TASK_POLL, KAFKA_PRODUCE.
	Stage string
	// ExecutingClass is the class that ran the stage (a converter, an SMT,
	// org.apache.kafka.connect.sink.SinkTask).
	ExecutingClass string
	Class          sdk.Class
	Err            error
	// ExceptionClass and Trace default to the Go type of Err's innermost
	// cause and to Err with its "Caused by:" chain.
	ExceptionClass string
	Trace          string
	WorkerID       string
	Version        string // the connector's version
	// Time is when the record failed; zero means now.
	Time time.Time
	// ContextHeaders adds Kafka Connect's __connect.errors.* headers
	// (errors.deadletterqueue.context.headers.enable).
	ContextHeaders bool
}

// NewRecord returns the dead letter for orig: orig's key, value, headers and
// timestamp unchanged, with the error context appended as headers. orig's
// Topic, Partition and Offset say where it came from; a negative Offset
// means it was never consumed (a source record), and then only the topic is
// recorded.
//
// A record that carries __freshet.replay.attempt (it was replayed from a
// dead-letter queue and failed again) gets __freshet.attempt one higher and
// keeps its first failure time; any other record is attempt 1.
func NewRecord(topic string, orig *kgo.Record, f Failure) *kgo.Record {
	now := f.Time
	if now.IsZero() {
		now = time.Now()
	}
	at := now.UTC().Format(time.RFC3339Nano)
	attempt, first := 1, at
	if m := indexHeaders(orig.Headers); m.fx[fReplayAttempt] > 0 {
		if n, ok := m.num(fReplayAttempt); ok && n > 0 {
			attempt = int(n) + 1
		}
		if b, ok := m.bytes(fReplayFirst); ok && len(b) > 0 {
			first = string(b)
		}
	}
	exClass, trace := f.ExceptionClass, f.Trace
	if exClass == "" {
		exClass = ExceptionClass(f.Err)
	}
	if trace == "" {
		trace = Trace(f.Err)
	}
	msg := ""
	if f.Err != nil {
		msg = f.Err.Error()
	}
	hs := make([]kgo.RecordHeader, len(orig.Headers), len(orig.Headers)+24)
	copy(hs, orig.Headers)
	add := func(k, v string) { hs = append(hs, kgo.RecordHeader{Key: k, Value: []byte(v)}) }
	consumed := orig.Topic != "" && orig.Offset >= 0
	if f.ContextHeaders {
		if consumed {
			add(HeaderConnectTopic, orig.Topic)
			add(HeaderConnectPartition, strconv.Itoa(int(orig.Partition)))
			add(HeaderConnectOffset, strconv.FormatInt(orig.Offset, 10))
		}
		add(HeaderConnectConnector, f.Connector)
		add(HeaderConnectTask, strconv.Itoa(f.Task))
		add(HeaderConnectStage, f.Stage)
		add(HeaderConnectClass, f.ExecutingClass)
		if f.Err != nil {
			add(HeaderConnectExceptionClass, exClass)
			add(HeaderConnectMessage, msg)
			add(HeaderConnectStacktrace, trace)
		}
	}
	add(HeaderConnectorName, f.Connector)
	if orig.Topic != "" {
		add(HeaderTopic, orig.Topic)
		if consumed {
			add(HeaderPartition, strconv.Itoa(int(orig.Partition)))
			add(HeaderOffset, strconv.FormatInt(orig.Offset, 10))
		}
	}
	add(HeaderStage, f.Stage)
	if f.Err != nil {
		add(HeaderExceptionClass, exClass)
		add(HeaderMessage, msg)
	}
	add(HeaderErrorClass, f.Class.String())
	add(HeaderAttempt, strconv.Itoa(attempt))
	add(HeaderFirstFailure, first)
	add(HeaderLastFailure, at)
	add(HeaderWorkerID, f.WorkerID)
	add(HeaderConnectorVersion, f.Version)
	return &kgo.Record{
		Topic:     topic,
		Key:       orig.Key,
		Value:     orig.Value,
		Timestamp: orig.Timestamp,
		Headers:   hs,
	}
}

// ExceptionClass names the Go type of err's innermost cause, in the place
// where Kafka Connect puts the Java exception class.
func ExceptionClass(err error) string {
	if err == nil {
		return ""
	}
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return fmt.Sprintf("%T", err)
		}
		err = next
	}
}

// Trace renders err and its cause chain the way a status trace shows it:
// the message, then one "Caused by:" line per wrapped cause.
func Trace(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	for cause := errors.Unwrap(err); cause != nil; cause = errors.Unwrap(cause) {
		if _, ok := cause.(*sdk.Error); ok {
			continue
		}
		s += "\nCaused by: " + fmt.Sprintf("%T: ", cause) + cause.Error()
	}
	return s
}
