package connectorv1

import (
	"bytes"
	"math"
	"math/big"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// TestFlatRecordsEncodeAsTheGeneralPath checks that records whose length is
// computed up front (strings and bytes only) encode to the same bytes as
// the general path, and that protobuf reads them.
func TestFlatRecordsEncodeAsTheGeneralPath(t *testing.T) {
	long := string(bytes.Repeat([]byte("v"), 1<<17)) // a length varint of 3 bytes
	for _, tc := range []struct {
		name string
		rec  sdk.Record
	}{
		{"empty", sdk.Record{}},
		{"string", sdk.Record{Topic: "t", Partition: 3, Offset: 42, Value: "hello"}},
		{"long", sdk.Record{Topic: "t", Value: long}},
		{"negative", sdk.Record{Topic: "t", Partition: -1, Offset: -5, Timestamp: time.Unix(-100, 7), Key: []byte{}, Value: sdk.Raw("r")}},
		{"headers", sdk.Record{Key: "k", Headers: []sdk.Header{{Key: "h", Value: []byte("v")}, {Key: "null"}, {Key: "empty", Value: []byte{}}}}},
		{"nil bytes", sdk.Record{Key: []byte(nil), Value: sdk.Raw(nil), Timestamp: time.Unix(1700000000, 0)}},
		{"schemas", sdk.Record{Topic: "t", Key: "k", KeySchema: sdk.OptionalStringSchema, Value: []byte("v"), ValueSchema: sdk.BytesSchema}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := new(Encoder).flatSize(&tc.rec); !ok {
				t.Fatal("not flat")
			}
			var e Encoder
			fast, err := e.appendRecord(nil, &tc.rec)
			if err != nil {
				t.Fatal(err)
			}
			// The general path: placeholder, body, then the length moved in.
			slow := protowire.AppendTag(nil, batchRecords, protowire.BytesType)
			body, err := e.appendBody(nil, &tc.rec)
			if err != nil {
				t.Fatal(err)
			}
			slow = protowire.AppendBytes(slow, body)
			if !bytes.Equal(fast, slow) {
				t.Fatalf("fast path wrote %d bytes, general path %d", len(fast), len(slow))
			}
			var m RecordBatch
			if err := proto.Unmarshal(fast, &m); err != nil || len(m.Records) != 1 {
				t.Fatalf("protobuf reads %d records, error %v", len(m.Records), err)
			}
			chunk, _, err := new(Encoder).AppendChunk(nil, []sdk.Record{tc.rec}, 0, 1<<20) // with its schemas
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeRaw(chunk, nil)
			if err != nil || len(got) != 1 || got[0].Offset != tc.rec.Offset || len(got[0].Headers) != len(tc.rec.Headers) {
				t.Fatalf("decoded %+v, error %v", got, err)
			}
		})
	}
}

func TestSharedRef(t *testing.T) {
	for _, tc := range []struct{ off, n int }{{0, 0}, {0, 10}, {1 << 20, 256 << 10}, {math.MaxInt32, 1}} {
		ref := SharedRef(tc.off, tc.n)
		off, n, ok, err := ParseSharedRef(ref.Data)
		if !ok || err != nil || off != tc.off || n != tc.n {
			t.Errorf("SharedRef(%d, %d) parses as %d, %d, %t, %v", tc.off, tc.n, off, n, ok, err)
		}
		var m RecordBatch
		if err := proto.Unmarshal(ref.Data, &m); err != nil || m.Shared.GetOffset() != uint64(tc.off) || m.Shared.GetLength() != uint64(tc.n) {
			t.Errorf("SharedRef(%d, %d) reads as %v, error %v", tc.off, tc.n, m.Shared, err)
		}
	}
	// A chunk of records is not a reference.
	var e Encoder
	chunk, _, err := e.AppendChunk(nil, []sdk.Record{{Value: "x"}}, 0, ChunkBytes)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok, err := ParseSharedRef(chunk); ok || err != nil {
		t.Errorf("a record chunk parses as a reference (%t, %v)", ok, err)
	}
}

// TestValuesEncodeAsTheGeneratedCode checks that the hand-written Value
// encoder writes what proto.Marshal writes for the generated message, kind
// by kind (maps aside: protobuf orders map entries as it likes).
func TestValuesEncodeAsTheGeneratedCode(t *testing.T) {
	inner := sdk.NewStruct("inner").Field("n", sdk.OptionalInt32Schema).Build()
	st := sdk.NewStructValue(inner).Put("n", int32(-5))
	long := string(bytes.Repeat([]byte("x"), 300)) // a two-byte length inside a struct
	for _, v := range []any{
		true, false, int8(-8), int16(300), int32(math.MinInt32), int64(math.MaxInt64), -7,
		float32(1.5), math.Inf(-1), "", "s", []byte{}, []byte{1}, sdk.Raw("r"),
		[]any{}, []any{nil, "a", []any{int64(1)}}, st, sdk.NewStructValue(inner),
		&sdk.Struct{Schema: sdk.NewStruct("big").Field("s", sdk.StringSchema).Field("t", inner).Build(), Values: []any{long, st}},
		time.Unix(0, 0), time.Unix(-86400, 5), time.Date(2026, 11, 25, 1, 2, 3, 4, time.UTC),
		sdk.Decimal{Unscaled: big.NewInt(-12345), Scale: 2},
	} {
		var fast, slow Encoder
		got, err := fast.appendValueFields(nil, v)
		if err != nil {
			t.Fatalf("%#v: %v", v, err)
		}
		m, err := slow.schemas.value(v)
		if err != nil {
			t.Fatal(err)
		}
		want, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%#v:\n hand-written %x\n generated    %x", v, got, want)
		}
	}
}

// Any bytes a peer sends decode to records or to an error, never a panic:
// seeds are chunks of every shape, packed and not, whole and cut short.
func FuzzDecodeRaw(f *testing.F) {
	recs := []sdk.Record{
		{Topic: "t", Partition: 2, Offset: 7, Timestamp: time.Unix(1700000000, 5), Key: "k", KeySchema: sdk.OptionalStringSchema, Value: []byte("v"),
			Headers: []sdk.Header{{Key: "h", Value: []byte("x")}, {Key: "null"}}},
		{Topic: "t", Value: sdk.NewStructValue(sdk.NewStruct("s").Field("f", sdk.StringSchema).Build()).Put("f", "x")},
		{Topic: "t", Key: sdk.Raw("r")},
	}
	for _, packed := range []bool{false, true} {
		e := Encoder{Packed: packed}
		chunk, _, err := e.AppendChunk(nil, recs, 0, 1<<20)
		if err != nil {
			f.Fatal(err)
		}
		for n := 0; n <= len(chunk); n += 3 {
			f.Add(chunk[:n])
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = DecodeRaw(data, nil)
	})
}

func TestPackedRecordsCutShortAreErrors(t *testing.T) {
	r := sdk.Record{Topic: "t", Key: "k", Value: "value", Headers: []sdk.Header{{Key: "h", Value: []byte("x")}, {Key: "null"}}}
	b, ok := new(Encoder).appendPacked(nil, &r)
	if !ok {
		t.Fatal("not packed")
	}
	_, _, n := protowire.ConsumeTag(b)
	body, _ := protowire.ConsumeBytes(b[n:])
	var got sdk.Record
	if err := decodePacked(&got, body, nil, nil); err != nil || got.Value != "value" || len(got.Headers) != 2 || got.Headers[1].Value != nil {
		t.Fatalf("whole: %+v, %v", got, err)
	}
	for n := range len(body) {
		var got sdk.Record
		if err := decodePacked(&got, body[:n], nil, nil); err == nil {
			t.Errorf("cut to %d of %d bytes: no error", n, len(body))
		}
	}
	long := append([]byte(nil), body...)
	le.PutUint32(long[41:], 1<<31) // a value longer than the record
	if err := decodePacked(&got, long, nil, nil); err == nil {
		t.Error("a value length past the end: no error")
	}
}
