package connectorv1_test

import (
	"strings"
	"testing"
	"time"

	"github.com/freshet-dev/freshet/connectors/sdk"
	pb "github.com/freshet-dev/freshet/connectors/sdk/proto/connectorv1"
)

// BenchmarkStructCodec encodes and decodes 1 KiB events with a schema, the
// shape a JSON or Avro converter gives a sink, as they cross to an isolated
// sink: into 256 KiB chunks, and back with a Decoder.
func BenchmarkStructCodec(b *testing.B) {
	s := sdk.NewStruct("event").Field("ts", sdk.Int64Schema).Field("event_id", sdk.StringSchema).
		Field("customer_id", sdk.StringSchema).Field("pad", sdk.StringSchema).Build()
	recs := make([]sdk.Record, 1000)
	for i := range recs {
		v := sdk.NewStructValue(s)
		v.Values = []any{int64(1700000000000000 + i), "evt-0000001234", "cust-00042", strings.Repeat("p", 960)}
		recs[i] = sdk.Record{Topic: "events", Partition: 1, Offset: int64(i), Key: "cust-00042", Value: v, ValueSchema: s}
	}
	benchCodec(b, recs)
}

// BenchmarkStringCodec is BenchmarkStructCodec for 1 KiB string values, the
// shape StringConverter gives.
func BenchmarkStringCodec(b *testing.B) {
	recs := make([]sdk.Record, 1000)
	for i := range recs {
		recs[i] = sdk.Record{Topic: "events", Partition: 1, Offset: int64(i), Timestamp: time.UnixMilli(1700000000000 + int64(i)),
			Key: "cust-00042", KeySchema: sdk.OptionalStringSchema, Value: strings.Repeat("p", 1024), ValueSchema: sdk.OptionalStringSchema}
	}
	benchCodec(b, recs)
}

// benchCodec encodes and decodes recs as Record messages and, for the
// records of that shape, packed (protocol version 3).
func benchCodec(b *testing.B, recs []sdk.Record) {
	for _, packed := range []bool{false, true} {
		name := "records"
		if packed {
			name = "packed"
		}
		enc := pb.Encoder{Packed: packed}
		b.Run(name+"/encode", func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, 2<<20)
			for b.Loop() {
				for start := 0; start < len(recs); {
					var err error
					if buf, start, err = enc.AppendChunk(buf[:0], recs, start, 256<<10); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
		})
		b.Run(name+"/decode", func(b *testing.B) {
			chunk, _, err := enc.AppendChunk(nil, recs, 0, 64<<20)
			if err != nil {
				b.Fatal(err)
			}
			var dec pb.Decoder
			var out []sdk.Record
			b.ReportAllocs()
			for b.Loop() {
				if out, err = dec.Decode(chunk, out[:0]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
		})
	}
}
