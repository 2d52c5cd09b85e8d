package dlq

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// Kafka Connect's error context headers (DeadLetterQueueReporter), written
// when errors.deadletterqueue.context.headers.enable=true. Values are UTF-8
// strings; numbers are decimal text.
const (
	HeaderConnectTopic          = "__connect.errors.topic"
	HeaderConnectPartition      = "__connect.errors.partition"
	HeaderConnectOffset         = "__connect.errors.offset"
	HeaderConnectConnector      = "__connect.errors.connector.name"
	HeaderConnectTask           = "__connect.errors.task.id"
	HeaderConnectStage          = "__connect.errors.stage"
	HeaderConnectClass          = "__connect.errors.class.name"
	HeaderConnectExceptionClass = "__connect.errors.exception.class.name"
	HeaderConnectMessage        = "__connect.errors.exception.message"
	HeaderConnectStacktrace     = "__connect.errors.exception.stacktrace"
)

// Freshet's own dead-letter headers, written on every dead letter whatever
// errors.deadletterqueue.context.headers.enable says. The origin, stage and
// exception headers repeat what the Kafka Connect context headers carry, so
// that a dead-letter queue written with context headers off can still be
// filtered by message and replayed to its source topic.
const (
	HeaderErrorClass       = "__freshet.error.class" // retriable, record or fatal
	HeaderAttempt          = "__freshet.attempt"     // 1 for a first failure
	HeaderFirstFailure     = "__freshet.first.failure"
	HeaderLastFailure      = "__freshet.last.failure" // RFC 3339, UTC
	HeaderWorkerID         = "__freshet.worker.id"
	HeaderConnectorName    = "__freshet.connector.name"
	HeaderConnectorVersion = "__freshet.connector.version"
	HeaderTopic            = "__freshet.topic"
	HeaderPartition        = "__freshet.partition"
	HeaderOffset           = "__freshet.offset"
	HeaderStage            = "__freshet.stage"
	HeaderExceptionClass   = "__freshet.exception.class"
	HeaderMessage          = "__freshet.exception.message"
)

// Headers added to a record when it is replayed to its source topic or into
// its sink. A replayed record that fails again is dead-lettered with
// __freshet.attempt one more than __freshet.replay.attempt, and keeps its
// first failure time (see NewRecord).
const (
	HeaderReplayID           = sdk.HeaderReplayID // the replay run (see sdk.Record.IsReplay)
	HeaderReplayTime         = "__freshet.replay.time"
	HeaderReplayDLQTopic     = "__freshet.replay.dlq.topic"
	HeaderReplayDLQPartition = "__freshet.replay.dlq.partition"
	HeaderReplayDLQOffset    = "__freshet.replay.dlq.offset"
	HeaderReplayAttempt      = "__freshet.replay.attempt" // attempts so far
	HeaderReplayFirstFailure = "__freshet.replay.first.failure"
)

// Header name prefixes of dead-letter metadata. Replays strip every header
// with one of these prefixes before adding their own.
const (
	connectPrefix = "__connect.errors."
	freshetPrefix = "__freshet."
)

// isMetaHeader reports whether a header was added by a dead-letter writer or
// a replay, as opposed to belonging to the original record.
func isMetaHeader(key string) bool {
	return strings.HasPrefix(key, connectPrefix) || strings.HasPrefix(key, freshetPrefix)
}

// isDeadLetter reports whether headers carry dead-letter metadata: the
// marker that tells a dead-letter topic from any other.
func isDeadLetter(hs []kgo.RecordHeader) bool {
	for _, h := range hs {
		if h.Key == HeaderErrorClass || strings.HasPrefix(h.Key, connectPrefix) {
			return true
		}
	}
	return false
}

// field is one piece of dead-letter metadata, read from a Kafka Connect
// header or, when that is absent, its Freshet twin.
type field uint8

const (
	fTopic field = iota
	fPartition
	fOffset
	fConnector
	fTask
	fStage
	fExecClass
	fExceptionClass
	fMessage
	fStacktrace
	fErrorClass
	fAttempt
	fFirstFailure
	fLastFailure
	fWorkerID
	fVersion
	fReplayID
	fReplayTime
	fReplayAttempt
	fReplayFirst
	numFields
)

// meta indexes a dead letter's headers by field, in one pass and without
// copying: the filters read it before anything is decoded.
type meta struct {
	hs []kgo.RecordHeader
	// ix[f] is 1 + the index of f's Kafka Connect header, fx[f] that of its
	// Freshet twin; 0 when absent.
	ix, fx [numFields]int16
}

func indexHeaders(hs []kgo.RecordHeader) meta {
	m := meta{hs: hs}
	for i, h := range hs {
		if len(h.Key) < 10 || h.Key[0] != '_' || h.Key[1] != '_' {
			continue
		}
		n := int16(i + 1)
		switch h.Key {
		case HeaderConnectTopic:
			m.ix[fTopic] = n
		case HeaderConnectPartition:
			m.ix[fPartition] = n
		case HeaderConnectOffset:
			m.ix[fOffset] = n
		case HeaderConnectConnector:
			m.ix[fConnector] = n
		case HeaderConnectTask:
			m.ix[fTask] = n
		case HeaderConnectStage:
			m.ix[fStage] = n
		case HeaderConnectClass:
			m.ix[fExecClass] = n
		case HeaderConnectExceptionClass:
			m.ix[fExceptionClass] = n
		case HeaderConnectMessage:
			m.ix[fMessage] = n
		case HeaderConnectStacktrace:
			m.ix[fStacktrace] = n
		case HeaderTopic:
			m.fx[fTopic] = n
		case HeaderPartition:
			m.fx[fPartition] = n
		case HeaderOffset:
			m.fx[fOffset] = n
		case HeaderConnectorName:
			m.fx[fConnector] = n
		case HeaderStage:
			m.fx[fStage] = n
		case HeaderExceptionClass:
			m.fx[fExceptionClass] = n
		case HeaderMessage:
			m.fx[fMessage] = n
		case HeaderErrorClass:
			m.fx[fErrorClass] = n
		case HeaderAttempt:
			m.fx[fAttempt] = n
		case HeaderFirstFailure:
			m.fx[fFirstFailure] = n
		case HeaderLastFailure:
			m.fx[fLastFailure] = n
		case HeaderWorkerID:
			m.fx[fWorkerID] = n
		case HeaderConnectorVersion:
			m.fx[fVersion] = n
		case HeaderReplayID:
			m.fx[fReplayID] = n
		case HeaderReplayTime:
			m.fx[fReplayTime] = n
		case HeaderReplayAttempt:
			m.fx[fReplayAttempt] = n
		case HeaderReplayFirstFailure:
			m.fx[fReplayFirst] = n
		}
	}
	return m
}

// bytes returns a field's value, preferring the Kafka Connect header (what
// existing tooling reads) over the Freshet one. The slice aliases the record.
func (m *meta) bytes(f field) ([]byte, bool) {
	if i := m.ix[f]; i > 0 {
		return m.hs[i-1].Value, true
	}
	if i := m.fx[f]; i > 0 {
		return m.hs[i-1].Value, true
	}
	return nil, false
}

func (m *meta) str(f field) string {
	b, _ := m.bytes(f)
	return string(b)
}

func (m *meta) num(f field) (int64, bool) {
	b, ok := m.bytes(f)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(string(bytes.TrimSpace(b)), 10, 64)
	return n, err == nil
}

func (m *meta) when(f field) (time.Time, bool) {
	b, ok := m.bytes(f)
	if !ok {
		return time.Time{}, false
	}
	if t, ok := parseUTC(b); ok {
		return t, true
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	return t, err == nil
}

// parseUTC reads the RFC 3339 UTC times dead-letter writers produce
// (2006-01-02T15:04:05.999999999Z) without allocating; anything else is
// left to time.Parse.
func parseUTC(b []byte) (time.Time, bool) {
	if len(b) < 20 || b[len(b)-1] != 'Z' || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	num := func(s []byte) (int, bool) {
		n := 0
		for _, c := range s {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	var v [6]int
	for i, r := range [6][2]int{{0, 4}, {5, 7}, {8, 10}, {11, 13}, {14, 16}, {17, 19}} {
		n, ok := num(b[r[0]:r[1]])
		if !ok {
			return time.Time{}, false
		}
		v[i] = n
	}
	nsec := 0
	if frac := b[19 : len(b)-1]; len(frac) > 0 {
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
			return time.Time{}, false
		}
		n, ok := num(frac[1:])
		if !ok {
			return time.Time{}, false
		}
		for range 10 - len(frac) {
			n *= 10
		}
		nsec = n
	}
	if v[1] < 1 || v[1] > 12 || v[2] < 1 || v[3] > 23 || v[4] > 59 || v[5] > 59 {
		return time.Time{}, false
	}
	t := time.Date(v[0], time.Month(v[1]), v[2], v[3], v[4], v[5], nsec, time.UTC)
	if t.Day() != v[2] { // February 30th and the like: not normalized here
		return time.Time{}, false
	}
	return t, true
}

// origin returns the topic, partition and offset the record failed at.
func (m *meta) origin() (topic string, partition int32, offset int64, ok bool) {
	topic = m.str(fTopic)
	if topic == "" {
		return "", -1, -1, false
	}
	p, pok := m.num(fPartition)
	if !pok {
		p = -1
	}
	o, ook := m.num(fOffset)
	if !ook {
		o = -1
	}
	return topic, int32(p), o, true
}

// failureTime is when the record last failed: __freshet.last.failure, or
// the record's timestamp for dead letters written without it (by Kafka
// Connect), which is the original record's timestamp.
func (m *meta) failureTime(r *kgo.Record) time.Time {
	if t, ok := m.when(fLastFailure); ok {
		return t
	}
	return r.Timestamp
}

// attempt is how many times the record has failed (1 when not recorded).
func (m *meta) attempt() int {
	if n, ok := m.num(fAttempt); ok && n > 0 {
		return int(n)
	}
	return 1
}

// exceptionSimple returns the last dot- or star-separated part of the
// exception class: DataException for org.apache.kafka.connect.errors.DataException.
func exceptionSimple(class string) string {
	if i := strings.LastIndexAny(class, ".*"); i >= 0 {
		return class[i+1:]
	}
	return class
}

// originalHeaders returns the record's own headers: everything but
// dead-letter and replay metadata.
func originalHeaders(hs []kgo.RecordHeader) []kgo.RecordHeader {
	out := make([]kgo.RecordHeader, 0, len(hs))
	for _, h := range hs {
		if !isMetaHeader(h.Key) {
			out = append(out, h)
		}
	}
	return out
}
