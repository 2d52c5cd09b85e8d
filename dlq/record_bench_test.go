package dlq

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// benchLetters builds n dead letters as the engine writes them, with
// context headers; every 100th is a retriable failure mentioning shard 7.
func benchLetters(n int) []*kgo.Record {
	out := make([]*kgo.Record, n)
	at := time.Date(2024, 5, 1, 13, 0, 0, 0, time.UTC)
	for i := range out {
		f := Failure{Connector: "es-sink", Stage: "VALUE_CONVERTER", ExecutingClass: "org.apache.kafka.connect.json.JsonConverter",
			Class: sdk.ClassRecord, Err: fmt.Errorf("convert value: %w", errors.New("invalid character 'x'")), WorkerID: "w1",
			Version: "1.0.0", Time: at.Add(time.Duration(i) * time.Millisecond), ContextHeaders: true}
		if i%100 == 0 {
			f.Class, f.Err = sdk.ClassRetriable, errors.New("es: 503 (shard 7 unassigned)")
		}
		orig := &kgo.Record{Topic: "orders", Partition: int32(i % 3), Offset: int64(i), Key: []byte("k" + strconv.Itoa(i)),
			Value: []byte(`{"order_id":` + strconv.Itoa(i) + `,"total":"19.99"}`), Timestamp: at}
		out[i] = NewRecord("orders-dlq", orig, f)
		out[i].Offset = int64(i)
	}
	return out
}

// BenchmarkFilter is the per-record cost of selecting dead letters by
// header (what inspect, replay and skip do before decoding anything).
func BenchmarkFilter(b *testing.B) {
	recs := benchLetters(10000)
	for _, tc := range []struct {
		name string
		f    Filter
	}{
		{"error-class", Filter{ErrorClass: "retriable"}},
		{"match", Filter{Match: regexp.MustCompile(`shard 7`)}},
		{"since", Filter{Since: time.Date(2024, 5, 1, 13, 0, 5, 0, time.UTC)}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for i := 0; b.Loop(); i++ {
				r := recs[i%len(recs)]
				m := indexHeaders(r.Headers)
				if tc.f.match(&m, r) {
					n++
				}
			}
			_ = n
		})
	}
}

// BenchmarkDecode is the cost of decoding a selected dead letter for display.
func BenchmarkDecode(b *testing.B) {
	recs := benchLetters(1000)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_ = Decode(recs[i%len(recs)])
	}
}

// BenchmarkNewRecord is the cost of building a dead letter (the worker's
// path for every failed record).
func BenchmarkNewRecord(b *testing.B) {
	for _, ctxHdr := range []bool{false, true} {
		b.Run(fmt.Sprintf("context-headers=%v", ctxHdr), func(b *testing.B) {
			orig := &kgo.Record{Topic: "orders", Partition: 1, Offset: 42, Key: []byte("k"), Value: []byte(`{"a":1}`)}
			f := Failure{Connector: "c", Stage: "TASK_PUT", Class: sdk.ClassRecord, Err: errors.New("boom"), ContextHeaders: ctxHdr, Time: time.Now()}
			b.ReportAllocs()
			for b.Loop() {
				_ = NewRecord("dlq", orig, f)
			}
		})
	}
}

// BenchmarkSpans is the cost of recording drained offsets as a replay
// walks a partition: in order, and scattered (a filtered replay).
func BenchmarkSpans(b *testing.B) {
	for _, step := range []int64{1, 2} {
		b.Run(fmt.Sprintf("step=%d", step), func(b *testing.B) {
			b.ReportAllocs()
			var s spans
			var o int64
			for b.Loop() {
				s.add(o, o+1)
				o += step
			}
		})
	}
}

// BenchmarkSummarizeCount is the per-record cost of List's breakdowns.
func BenchmarkSummarizeCount(b *testing.B) {
	recs := benchLetters(10000)
	counts := map[string]*int64{}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r := recs[i%len(recs)]
		m := indexHeaders(r.Headers)
		for _, f := range [4]field{fErrorClass, fExceptionClass, fStage, fTopic} {
			v, _ := m.bytes(f)
			n := counts[string(v)]
			if n == nil {
				n = new(int64)
				counts[string(v)] = n
			}
			*n++
		}
		_ = m.failureTime(r)
	}
}
