package dlq

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"time"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Record is a dead letter decoded for people: where it sits in the
// dead-letter queue, where it came from, why it failed, and a readable
// preview of its key, value and original headers.
type Record struct {
	Topic     string    `json:"topic"` // the dead-letter topic
	Partition int32     `json:"partition"`
	Offset    int64     `json:"offset"`
	Timestamp time.Time `json:"timestamp"` // the original record's timestamp
	Drained   bool      `json:"drained"`   // already replayed or skipped

	Origin         *Origin    `json:"origin,omitempty"`
	Connector      string     `json:"connector,omitempty"`
	Task           *int       `json:"task,omitempty"`
	Stage          string     `json:"stage,omitempty"`
	ExecutingClass string     `json:"executing_class,omitempty"`
	ErrorClass     string     `json:"error_class,omitempty"`
	Exception      *Exception `json:"exception,omitempty"`
	Attempt        int        `json:"attempt"`
	FirstFailure   *time.Time `json:"first_failure,omitempty"`
	LastFailure    *time.Time `json:"last_failure,omitempty"`
	WorkerID       string     `json:"worker_id,omitempty"`
	Version        string     `json:"connector_version,omitempty"`
	// Replay is set when the record was replayed before and failed again.
	Replay *ReplayMark `json:"replay,omitempty"`

	Headers []Header `json:"headers"` // the original record's headers
	Key     Payload  `json:"key"`
	Value   Payload  `json:"value"`
}

// Origin is the topic, partition and offset a record failed at.
type Origin struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"` // -1 when unknown
	Offset    int64  `json:"offset"`    // -1 when unknown
}

// Exception is the error that sent a record to the dead-letter queue.
type Exception struct {
	Class      string `json:"class,omitempty"`
	Message    string `json:"message,omitempty"`
	Stacktrace string `json:"stacktrace,omitempty"`
}

// ReplayMark is what a previous replay of the record wrote on it.
type ReplayMark struct {
	ID   string `json:"id"`
	Time string `json:"time,omitempty"`
}

// Header is one of the original record's headers.
type Header struct {
	Key   string  `json:"key"`
	Value Payload `json:"value"`
}

// Payload is a key, value or header value shown readably: JSON as JSON,
// UTF-8 text as text, anything else as hex.
type Payload struct {
	Format string          `json:"format"` // null, json, text or binary
	JSON   json.RawMessage `json:"json,omitempty"`
	Text   *string         `json:"text,omitempty"`
	Hex    string          `json:"hex,omitempty"`
	Size   int             `json:"size"`
}

// Payload formats.
const (
	FormatNull   = "null"
	FormatJSON   = "json"
	FormatText   = "text"
	FormatBinary = "binary"
)

// NewPayload classifies b for display.
func NewPayload(b []byte) Payload {
	switch {
	case b == nil:
		return Payload{Format: FormatNull}
	case isJSONDoc(b):
		var buf bytes.Buffer
		if err := json.Compact(&buf, b); err == nil {
			return Payload{Format: FormatJSON, JSON: buf.Bytes(), Size: len(b)}
		}
	}
	if isText(b) {
		s := string(b)
		return Payload{Format: FormatText, Text: &s, Size: len(b)}
	}
	return Payload{Format: FormatBinary, Hex: hex.EncodeToString(b), Size: len(b)}
}

// isJSONDoc reports whether b is a JSON object or array (a bare string or
// number is shown as text: "42" is more likely text than JSON).
func isJSONDoc(b []byte) bool {
	t := bytes.TrimSpace(b)
	return len(t) > 1 && (t[0] == '{' || t[0] == '[') && json.Valid(t)
}

func isText(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' {
			return false
		}
	}
	return true
}

// Decode decodes a dead letter read from the dead-letter topic.
func Decode(r *kgo.Record) Record {
	m := indexHeaders(r.Headers)
	return decode(r, &m, false)
}

func decode(r *kgo.Record, m *meta, drained bool) Record {
	out := Record{
		Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Timestamp: r.Timestamp,
		Drained:        drained,
		Connector:      m.str(fConnector),
		Stage:          m.str(fStage),
		ExecutingClass: m.str(fExecClass),
		ErrorClass:     m.str(fErrorClass),
		Attempt:        m.attempt(),
		WorkerID:       m.str(fWorkerID),
		Version:        m.str(fVersion),
		Key:            NewPayload(r.Key),
		Value:          NewPayload(r.Value),
	}
	if topic, p, o, ok := m.origin(); ok {
		out.Origin = &Origin{Topic: topic, Partition: p, Offset: o}
	}
	if n, ok := m.num(fTask); ok {
		t := int(n)
		out.Task = &t
	}
	if ex := (Exception{Class: m.str(fExceptionClass), Message: m.str(fMessage), Stacktrace: m.str(fStacktrace)}); ex != (Exception{}) {
		out.Exception = &ex
	}
	if t, ok := m.when(fFirstFailure); ok {
		out.FirstFailure = &t
	}
	if t, ok := m.when(fLastFailure); ok {
		out.LastFailure = &t
	}
	if id := m.str(fReplayID); id != "" {
		out.Replay = &ReplayMark{ID: id, Time: m.str(fReplayTime)}
	}
	out.Headers = []Header{}
	for _, h := range r.Headers {
		if !isMetaHeader(h.Key) {
			out.Headers = append(out.Headers, Header{Key: h.Key, Value: NewPayload(h.Value)})
		}
	}
	return out
}
