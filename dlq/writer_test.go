package dlq_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/dlq"
)

// TestNewRecord checks the dead letter the worker writes: the original
// record unchanged, then the headers Kafka Connect and Freshet add.
func TestNewRecord(t *testing.T) {
	at := time.Date(2024, 5, 1, 13, 0, 0, 5000, time.UTC)
	cause := fmt.Errorf("convert value: %w", errors.New("invalid character 'x'"))
	orig := &kgo.Record{
		Topic: "orders", Partition: 3, Offset: 1042, Key: []byte("k"), Value: []byte{0xff, 0x00},
		Timestamp: time.UnixMilli(1700000000123),
		Headers:   []kgo.RecordHeader{{Key: "trace-id", Value: []byte("abc")}, {Key: "dup", Value: nil}},
	}
	f := dlq.Failure{
		Connector: "es-sink", Task: 2, Stage: "VALUE_CONVERTER", ExecutingClass: "org.apache.kafka.connect.json.JsonConverter",
		Class: sdk.ClassRecord, Err: cause, WorkerID: "w1", Version: "1.2.0", Time: at,
	}
	for _, tc := range []struct {
		name string
		orig *kgo.Record
		ctx  bool
		want map[string]string // header → value; "-" absent
	}{
		{"context headers", orig, true, map[string]string{
			dlq.HeaderConnectTopic: "orders", dlq.HeaderConnectPartition: "3", dlq.HeaderConnectOffset: "1042",
			dlq.HeaderConnectConnector: "es-sink", dlq.HeaderConnectTask: "2", dlq.HeaderConnectStage: "VALUE_CONVERTER",
			dlq.HeaderConnectClass: "org.apache.kafka.connect.json.JsonConverter", dlq.HeaderConnectExceptionClass: "*errors.errorString",
			dlq.HeaderConnectMessage:    "convert value: invalid character 'x'",
			dlq.HeaderConnectStacktrace: "convert value: invalid character 'x'\nCaused by: *errors.errorString: invalid character 'x'",
			dlq.HeaderErrorClass:        "record", dlq.HeaderAttempt: "1", dlq.HeaderFirstFailure: "2024-05-01T13:00:00.000005Z",
			dlq.HeaderLastFailure: "2024-05-01T13:00:00.000005Z", dlq.HeaderWorkerID: "w1", dlq.HeaderConnectorName: "es-sink",
			dlq.HeaderConnectorVersion: "1.2.0", dlq.HeaderTopic: "orders", dlq.HeaderPartition: "3", dlq.HeaderOffset: "1042",
			dlq.HeaderStage: "VALUE_CONVERTER", dlq.HeaderMessage: "convert value: invalid character 'x'",
		}},
		{"without context headers", orig, false, map[string]string{
			dlq.HeaderConnectTopic: "-", dlq.HeaderConnectMessage: "-", dlq.HeaderTopic: "orders", dlq.HeaderOffset: "1042",
			dlq.HeaderErrorClass: "record", dlq.HeaderConnectorName: "es-sink", dlq.HeaderExceptionClass: "*errors.errorString",
		}},
		{"source record never consumed", &kgo.Record{Topic: "orders", Partition: -1, Offset: -1, Value: []byte("v")}, true, map[string]string{
			dlq.HeaderConnectTopic: "-", dlq.HeaderConnectOffset: "-", dlq.HeaderTopic: "orders", dlq.HeaderOffset: "-",
			dlq.HeaderConnectConnector: "es-sink",
		}},
		{"replayed and failed again", &kgo.Record{Topic: "orders", Partition: 0, Offset: 7, Headers: []kgo.RecordHeader{
			{Key: dlq.HeaderReplayID, Value: []byte("r1")}, {Key: dlq.HeaderReplayAttempt, Value: []byte("2")},
			{Key: dlq.HeaderReplayFirstFailure, Value: []byte("2024-04-01T00:00:00Z")},
		}}, false, map[string]string{
			dlq.HeaderAttempt: "3", dlq.HeaderFirstFailure: "2024-04-01T00:00:00Z", dlq.HeaderLastFailure: "2024-05-01T13:00:00.000005Z",
			dlq.HeaderReplayID: "r1",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := f
			f.ContextHeaders = tc.ctx
			r := dlq.NewRecord("orders-dlq", tc.orig, f)
			if r.Topic != "orders-dlq" || string(r.Key) != string(tc.orig.Key) || string(r.Value) != string(tc.orig.Value) || !r.Timestamp.Equal(tc.orig.Timestamp) {
				t.Errorf("record = %s %q %q %v; want the original's key, value and timestamp", r.Topic, r.Key, r.Value, r.Timestamp)
			}
			for i, h := range tc.orig.Headers {
				if r.Headers[i].Key != h.Key || string(r.Headers[i].Value) != string(h.Value) {
					t.Errorf("header %d = %v, want the original %v first", i, r.Headers[i], h)
				}
			}
			for k, want := range tc.want {
				got, ok := header(r, k)
				switch {
				case want == "-" && ok:
					t.Errorf("%s = %q, want absent", k, got)
				case want != "-" && got != want:
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			// What a reader decodes matches what was written.
			d := dlq.Decode(r)
			if d.Connector != "es-sink" || d.ErrorClass != "record" || d.Exception == nil || !strings.Contains(d.Exception.Message, "invalid character") {
				t.Errorf("decoded %+v", d)
			}
		})
	}
}

// TestFailureTimes: the allocation-free reader of failure times agrees with
// time.Parse, and filters fall back to the record timestamp without one.
func TestFailureTimes(t *testing.T) {
	for _, s := range []string{"2024-05-01T13:00:00Z", "2024-05-01T13:00:00.5Z", "2024-05-01T13:00:00.123456789Z", "2024-05-01T13:00:00+02:00", "2024-02-30T00:00:00Z"} {
		want, werr := time.Parse(time.RFC3339Nano, s)
		r := &kgo.Record{Topic: "q", Timestamp: time.Unix(1, 0), Headers: []kgo.RecordHeader{{Key: dlq.HeaderLastFailure, Value: []byte(s)}, {Key: dlq.HeaderErrorClass, Value: []byte("record")}}}
		got := dlq.Decode(r).LastFailure
		switch {
		case werr != nil && got != nil:
			t.Errorf("%s: decoded %v, time.Parse says %v", s, got, werr)
		case werr == nil && (got == nil || !got.Equal(want)):
			t.Errorf("%s: decoded %v, want %v", s, got, want)
		}
	}
}
