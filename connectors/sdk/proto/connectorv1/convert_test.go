package connectorv1_test

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/freshet-dev/freshet/connectors/sdk"
	pb "github.com/freshet-dev/freshet/connectors/sdk/proto/connectorv1"
)

// paths are the ways a batch is encoded and decoded: the generated messages
// and the hand-written fast path, each against the other, since a plugin in
// another language uses generated code on its side; and the fast path with
// packed records (version 3), which only it reads.
var paths = []string{"generated", "fast-to-generated", "generated-to-fast", "fast", "packed"}

// roundTrip encodes recs, takes each chunk to bytes and back (as the wire
// does), and decodes them, along one of paths.
func roundTrip(t *testing.T, path string, recs []sdk.Record, chunkBytes int) ([]sdk.Record, int) {
	t.Helper()
	enc := pb.Encoder{ChunkBytes: chunkBytes, Packed: path == "packed"}
	encodeFast := strings.HasPrefix(path, "fast") || path == "packed"
	decodeFast := strings.HasSuffix(path, "fast") || path == "packed"
	var out []sdk.Record
	chunks := 0
	decode := func(raw []byte) error {
		chunks++
		var err error
		if decodeFast {
			out, err = pb.DecodeRaw(raw, out)
			return err
		}
		var back pb.RecordBatch
		if err := proto.Unmarshal(raw, &back); err != nil {
			return err
		}
		out, err = pb.Decode(&back, out)
		return err
	}
	var err error
	if encodeFast {
		err = enc.EncodeChunks(recs, func(b *pb.RawBatch) error { return decode(b.Data) })
	} else {
		err = enc.Encode(recs, func(b *pb.RecordBatch) error {
			raw, err := proto.Marshal(b)
			if err != nil {
				return err
			}
			return decode(raw)
		})
	}
	if err != nil {
		t.Fatal(err)
	}
	return out, chunks
}

func TestRecordsRoundTrip(t *testing.T) {
	inner := sdk.NewStruct("inner").Field("n", sdk.OptionalInt32Schema).Build()
	outer := sdk.NewStruct("outer").
		Field("id", sdk.StringSchema).
		Field("price", sdk.DecimalSchema(2)).
		Field("at", sdk.TimestampSchema).
		Field("inner", inner).
		Field("tags", sdk.ArrayOf(sdk.StringSchema)).
		Field("attrs", sdk.MapOf(sdk.StringSchema, sdk.Int64Schema)).
		Version(3).Doc("an event").Build()
	withDefault := &sdk.Schema{Type: sdk.TypeInt16, Optional: true, Default: int16(7), Parameters: map[string]string{"p": "q"}}
	at := time.Date(2026, 3, 4, 5, 6, 7, 8000000, time.UTC)
	value := sdk.NewStructValue(outer).
		Put("id", "evt-1").
		Put("price", sdk.Decimal{Unscaled: big.NewInt(-12345), Scale: 2}).
		Put("at", at).
		Put("inner", sdk.NewStructValue(inner).Put("n", int32(5))).
		Put("tags", []any{"a", "b"}).
		Put("attrs", map[any]any{"x": int64(1)})
	recs := []sdk.Record{
		{Topic: "t", Partition: 3, Offset: 42, Timestamp: time.UnixMilli(1700000000123), Key: "k", KeySchema: sdk.StringSchema, Value: value, ValueSchema: outer,
			Headers: []sdk.Header{{Key: "h", Value: []byte("v")}, {Key: "null"}}},
		{Topic: "t", Partition: 3, Offset: 43, Value: value, ValueSchema: outer},
		{Topic: "u", Key: sdk.Raw("raw"), Value: map[string]any{"a": []any{nil, true, int64(1), 2.5, "s"}, "b": nil}},
		{Topic: "u", Value: nil, KeySchema: withDefault, Key: int16(-3)},
		{Topic: "v", Value: []any{int8(-8), int16(16), int32(32), int64(64), float32(1.5), 2.25, []byte{0, 1}, []byte{}}},
		{Topic: "src", Value: "x", SourcePartition: map[string]any{"file": "/a"}, SourceOffset: map[string]any{"position": int64(99)}},
		// The shapes that are packed in version 3.
		{Topic: "p", Partition: -1, Offset: -5, Timestamp: time.Unix(-100, 7), Key: []byte{}, Value: sdk.Raw("r"),
			Headers: []sdk.Header{{Key: "h", Value: []byte("v")}, {Key: "null"}, {Key: "empty", Value: []byte{}}}},
		{Topic: "p", Partition: 1 << 30, Offset: 1 << 50, Timestamp: time.Date(2026, 11, 25, 1, 2, 3, 999999999, time.UTC),
			Key: "k", KeySchema: sdk.OptionalStringSchema, Value: "v", ValueSchema: sdk.StringSchema},
		{Topic: "", Key: nil, Value: "", ValueSchema: withDefault},
		{Topic: "p", Key: []byte("bytes"), Value: nil, Headers: []sdk.Header{{Key: "", Value: nil}}},
	}
	for _, path := range paths {
		t.Run(path, func(t *testing.T) { checkRoundTrip(t, path, recs) })
	}
}

func checkRoundTrip(t *testing.T, path string, recs []sdk.Record) {
	got, _ := roundTrip(t, path, recs, 0)
	if len(got) != len(recs) {
		t.Fatalf("%d records back, want %d", len(got), len(recs))
	}
	for i := range recs {
		w, g := recs[i], got[i]
		if !w.Timestamp.Equal(g.Timestamp) {
			t.Errorf("record %d: timestamp %v, want %v", i, g.Timestamp, w.Timestamp)
		}
		w.Timestamp, g.Timestamp = time.Time{}, time.Time{}
		if fmt.Sprintf("%#v", deref(w)) != fmt.Sprintf("%#v", deref(g)) {
			t.Errorf("record %d:\n got %#v\nwant %#v", i, deref(g), deref(w))
		}
	}
	if got[0].ValueSchema != got[1].ValueSchema {
		t.Error("two records of one schema came back with two schema values; want one, shared")
	}
	if f := got[0].ValueSchema.Field("inner"); f == nil || f.Schema.Field("n") == nil {
		t.Error("the decoded struct schema has no field index")
	}
	if d := got[0].Value.(*sdk.Struct).Get("price").(sdk.Decimal); d.String() != "-123.45" {
		t.Errorf("decimal %s, want -123.45", d)
	}
	if got[3].KeySchema.Default != int16(7) || got[3].KeySchema.Parameters["p"] != "q" {
		t.Errorf("schema default and parameters: %+v", got[3].KeySchema)
	}
}

// deref renders a record with its schemas and struct values expanded, for
// comparison.
func deref(r sdk.Record) string {
	return fmt.Sprintf("%s|%d|%d|%s|%s|%s|%s|%v|%v|%v", r.Topic, r.Partition, r.Offset, show(r.Key), show(r.Value),
		showSchema(r.KeySchema), showSchema(r.ValueSchema), r.Headers, r.SourcePartition, r.SourceOffset)
}

func show(v any) string {
	switch v := v.(type) {
	case *sdk.Struct:
		parts := make([]string, len(v.Values))
		for i, e := range v.Values {
			parts[i] = show(e)
		}
		return "struct{" + strings.Join(parts, ",") + "}"
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = show(e)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case sdk.Decimal:
		return "dec(" + v.String() + ")"
	case time.Time:
		return v.UTC().String()
	}
	return fmt.Sprintf("%T(%v)", v, v)
}

func showSchema(s *sdk.Schema) string {
	if s == nil {
		return "nil"
	}
	var fields []string
	for _, f := range s.Fields {
		fields = append(fields, f.Name+":"+showSchema(f.Schema))
	}
	return fmt.Sprintf("%s/%v/%q/%d/%q/%v/%v{%s}<%s,%s>", s.Type, s.Optional, s.Name, s.Version, s.Doc, s.Parameters, s.Default,
		strings.Join(fields, ","), showSchema(s.Key), showSchema(s.Elem))
}

func TestEncodeRefusesWhatIsNotInTheModel(t *testing.T) {
	err := (&pb.Encoder{}).Encode([]sdk.Record{{Topic: "t", Offset: 7, Value: struct{}{}}}, func(*pb.RecordBatch) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "record 0 (t-0@7): value: value of Go type struct {} is not in Kafka Connect's data model") {
		t.Errorf("Encode: %v", err)
	}
}

func TestChunks(t *testing.T) {
	value := strings.Repeat("x", 1024)
	recs := make([]sdk.Record, 3000)
	for i := range recs {
		recs[i] = sdk.Record{Topic: "t", Offset: int64(i), Value: value}
	}
	for _, path := range paths {
		got, chunks := roundTrip(t, path, recs, 256<<10)
		if chunks < 10 || chunks > 14 {
			t.Errorf("%s: %d chunks for 3 MiB in 256 KiB chunks", path, chunks)
		}
		for i := range recs {
			if got[i].Offset != int64(i) || got[i].Value != value {
				t.Fatalf("%s: record %d came back as offset %d", path, i, got[i].Offset)
			}
		}
		if _, chunks := roundTrip(t, path, nil, 0); chunks != 1 {
			t.Errorf("%s: an empty batch is %d chunks, want 1", path, chunks)
		}
	}
}

func TestDecimals(t *testing.T) {
	for _, n := range []int64{0, 1, -1, 127, 128, -128, -129, 255, 256, -256, 1 << 40, -(1 << 40)} {
		recs := []sdk.Record{{Value: sdk.Decimal{Unscaled: big.NewInt(n), Scale: 3}}}
		got, _ := roundTrip(t, "fast", recs, 0)
		if d := got[0].Value.(sdk.Decimal); d.Unscaled.Int64() != n || d.Scale != 3 {
			t.Errorf("%d came back as %v", n, d)
		}
	}
}

func TestErrorsRoundTrip(t *testing.T) {
	base := errors.New("connection refused")
	for _, tc := range []struct {
		name  string
		err   error
		class sdk.Class
		is    []error
	}{
		{"plain", base, sdk.ClassUnknown, nil},
		{"classified inside", fmt.Errorf("bulk: %w", sdk.Retriable(fmt.Errorf("dial: %w", base))), sdk.ClassRetriable, nil},
		{"classified outside", sdk.Fatal(fmt.Errorf("auth: %w", base)), sdk.ClassFatal, nil},
		{"sentinels", sdk.Retriable(fmt.Errorf("lost: %w", sdk.ErrTaskReset)), sdk.ClassRetriable, []error{sdk.ErrTaskReset}},
		{"canceled", fmt.Errorf("poll: %w", context.Canceled), sdk.ClassUnknown, []error{context.Canceled}},
		{"joined", sdk.RecordErr(errors.Join(base, errors.New("second"))), sdk.ClassRecord, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := proto.Marshal(pb.EncodeError(tc.err))
			if err != nil {
				t.Fatal(err)
			}
			var m pb.Error
			if err := proto.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			got := pb.DecodeError(&m)
			if got.Error() != tc.err.Error() {
				t.Errorf("message %q, want %q", got, tc.err)
			}
			if c, _ := sdk.ClassOf(got); c != tc.class {
				t.Errorf("class %s, want %s", c, tc.class)
			}
			for _, s := range tc.is {
				if !errors.Is(got, s) {
					t.Errorf("errors.Is(%v, %v) is false", got, s)
				}
			}
			var want, have []string
			for e := tc.err; e != nil; e = errors.Unwrap(e) {
				want = append(want, e.Error())
			}
			for e := got; e != nil; e = errors.Unwrap(e) {
				have = append(have, e.Error())
			}
			if !reflect.DeepEqual(want, have) {
				t.Errorf("chain %q, want %q", have, want)
			}
		})
	}
	ce := pb.DecodeError(pb.EncodeError(sdk.Fatal(fmt.Errorf("start: %w", &sdk.ConfigError{Key: "url", Message: "is required"}))))
	var cfgErr *sdk.ConfigError
	if !errors.As(ce, &cfgErr) || cfgErr.Key != "url" || cfgErr.Message != "is required" || ce.Error() != "start: url: is required" {
		t.Errorf("config error came back as %v", ce)
	}
}

func TestConfigDefRoundTrip(t *testing.T) {
	def := sdk.NewConfigDef().
		String("url", sdk.Required, "where", sdk.InGroup("Connection"), sdk.WithImportance(sdk.High), sdk.Alias("connection.url")).
		Int("batch.size", 2000, "records per batch", sdk.Check(sdk.AtLeast(1))).
		Long("linger.ms", int64(5), "wait").
		Double("ratio", 0.5, "a ratio").
		Bool("enabled", true, "on or off").
		List("hosts", []string{"a", "b"}, "hosts").
		Password("secret", "", "hidden").
		String("optional", nil, "no default")
	back, err := pb.ConfigDef(pb.ConfigKeys(def))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range def.Keys() {
		b := back.Key(k.Name)
		if b == nil {
			t.Fatalf("key %s is missing", k.Name)
		}
		if b.Type != k.Type || b.IsRequired() != k.IsRequired() || !reflect.DeepEqual(b.Default, k.Default) ||
			b.Doc != k.Doc || b.Group != k.Group || b.Importance != k.Importance || !reflect.DeepEqual(b.Aliases, k.Aliases) {
			t.Errorf("key %s: %+v, want %+v", k.Name, *b, k)
		}
		if len(b.Validators) != 0 {
			t.Errorf("key %s kept validators", k.Name)
		}
	}
	// The plugin reports what only its validators find, once.
	ps := pb.ValidationProblems(def, map[string]string{"batch.size": "0", "ratio": "x"}, map[string][]string{"url": {"unreachable"}})
	if len(ps["batch.size"]) != 1 || len(ps["ratio"]) != 0 || len(ps["url"]) != 1 || ps["url"][0] != "unreachable" {
		t.Errorf("problems %v: want the batch.size validator and the connector's url problem only", ps)
	}
}

// A Decoder gives every chunk of records of one shape the same schema
// pointers, as a converter does, so caches keyed by schema keep hitting.
func TestDecoderKeepsSchemaPointers(t *testing.T) {
	s := &sdk.Schema{Type: sdk.TypeStruct, Name: "event", Fields: []sdk.Field{
		{Name: "id", Schema: &sdk.Schema{Type: sdk.TypeString}},
		{Name: "tags", Schema: &sdk.Schema{Type: sdk.TypeArray, Elem: &sdk.Schema{Type: sdk.TypeString}}},
	}}
	recs := make([]sdk.Record, 50)
	for i := range recs {
		v := sdk.NewStructValue(s)
		v.Values[0], v.Values[1] = fmt.Sprint(i), []any{"a"}
		recs[i] = sdk.Record{Topic: "t", Offset: int64(i), Value: v, ValueSchema: s}
	}
	var dec pb.Decoder
	var cached, fresh []sdk.Record
	enc := pb.Encoder{ChunkBytes: 256} // a few records a chunk
	chunks := 0
	err := enc.EncodeChunks(recs, func(b *pb.RawBatch) error {
		chunks++
		var err error
		if cached, err = dec.Decode(b.Data, cached); err != nil {
			return err
		}
		fresh, err = pb.DecodeRaw(b.Data, fresh)
		return err
	})
	if err != nil || chunks < 3 {
		t.Fatalf("encode/decode: %v (%d chunks, want several)", err, chunks)
	}
	first, last := cached[0].ValueSchema, cached[len(cached)-1].ValueSchema
	if first != last || first.Fields[1].Schema != last.Fields[1].Schema {
		t.Fatalf("Decoder: the first and last chunks have different schema pointers")
	}
	if !reflect.DeepEqual(first.Fields[0].Schema, s.Fields[0].Schema) || first.Name != "event" {
		t.Fatalf("decoded schema %+v, want %+v", first, s)
	}
	if fresh[0].ValueSchema == fresh[len(fresh)-1].ValueSchema {
		t.Fatalf("DecodeRaw shared schemas across chunks; the test would not tell the two apart")
	}
}

// A Decoder keeps what decoded values point to in slices of its own (boxes);
// records of one batch must keep their values after the next.
func TestDecodedStringsOutliveTheNextBatch(t *testing.T) {
	var dec pb.Decoder
	var enc pb.Encoder
	s := sdk.NewStruct("s").Field("n", sdk.Int64Schema).Field("v", sdk.StringSchema).Build()
	batch := func(prefix string) []sdk.Record {
		recs := make([]sdk.Record, 600) // more than one slice of each kind
		for i := range recs {
			v := sdk.NewStructValue(s).Put("n", int64(1000*i+len(prefix))).Put("v", fmt.Sprint(prefix, "v", i))
			recs[i] = sdk.Record{Topic: "t", Offset: int64(i), Key: fmt.Sprint(prefix, "k", i), Value: v, ValueSchema: s}
		}
		return recs
	}
	var decoded [][]sdk.Record
	for _, prefix := range []string{"a", "bb"} {
		var out []sdk.Record
		err := enc.EncodeChunks(batch(prefix), func(b *pb.RawBatch) error {
			var err error
			out, err = dec.Decode(b.Data, out)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		decoded = append(decoded, out)
	}
	for i, r := range decoded[0] {
		v := r.Value.(*sdk.Struct)
		if r.Key != fmt.Sprint("ak", i) || v.Get("n") != int64(1000*i+1) || v.Get("v") != fmt.Sprint("av", i) {
			t.Fatalf("record %d of the first batch is now %v=%v", i, r.Key, v.Values)
		}
	}
}
