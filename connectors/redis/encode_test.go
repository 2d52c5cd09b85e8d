package redis

import (
	"math"
	"math/big"
	"reflect"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

func TestFieldsOf(t *testing.T) {
	inner := sdk.NewStruct("i").Field("a", sdk.Int32Schema).Build()
	s := sdk.NewStruct("v").Field("name", sdk.StringSchema).Field("score", sdk.Float64Schema).
		Field("ok", sdk.BooleanSchema).Field("gone", sdk.OptionalStringSchema).Field("price", sdk.DecimalSchema(2)).
		Field("at", sdk.TimestampSchema).Field("tags", sdk.ArrayOf(sdk.StringSchema)).Field("in", inner).Build()
	v := sdk.NewStructValue(s).Put("name", "lamp").Put("score", 0.25).Put("ok", true).
		Put("price", sdk.Decimal{Unscaled: big.NewInt(1999), Scale: 2}).
		Put("at", time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)).Put("tags", []any{"a", "b"}).
		Put("in", sdk.NewStructValue(inner).Put("a", int32(1)))
	got, err := fieldsOf(v)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{"name", []byte("lamp"), "score", []byte("0.25"), "ok", []byte("true"), "price", []byte("19.99"),
		"at", []byte("2024-01-02T03:04:05Z"), "tags", []byte(`["a","b"]`), "in", []byte(`{"a":1}`)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	got, err = fieldsOf(map[string]any{"z": int64(1), "a": nil, "m": math.Inf(1)})
	if err != nil {
		t.Fatal(err)
	}
	if want := []any{"m", []byte("+Inf"), "z", []byte("1")}; !reflect.DeepEqual(got, want) {
		t.Errorf("map: got %q, want %q", got, want)
	}
	if _, err := fieldsOf("text"); err != errNotFields {
		t.Errorf("scalar: %v", err)
	}
}

func TestClassOfReply(t *testing.T) {
	for msg, want := range map[string]sdk.Class{
		"WRONGTYPE Operation against a key holding the wrong kind of value": sdk.ClassRecord,
		"LOADING Redis is loading the dataset in memory":                    sdk.ClassRetriable,
		"OOM command not allowed when used memory > 'maxmemory'.":           sdk.ClassRetriable,
		"READONLY You can't write against a read only replica.":             sdk.ClassRetriable,
		"NOAUTH Authentication required.":                                   sdk.ClassFatal,
		"WRONGPASS invalid username-password pair or user is disabled.":     sdk.ClassFatal,
		"ERR unknown command": sdk.ClassFatal,
	} {
		if got := classOfReply(msg); got != want {
			t.Errorf("%q: %v, want %v", msg, got, want)
		}
	}
	if got := classOf(goredis.TxFailedErr); got != sdk.ClassRetriable {
		t.Errorf("TxFailedErr: %v", got)
	}
}

func TestAdvance(t *testing.T) {
	tp := sdk.TopicPartition{Topic: "t"}
	parts := map[sdk.TopicPartition]*sdk.SinkPosition{tp: {Next: 3, Retry: []int64{1}}}
	batch := []sdk.Record{{Topic: "t", Offset: 1}, {Topic: "t", Offset: 3}, {Topic: "t", Offset: 4}}
	be := sdk.NewBatchError()
	be.Fail(2, sdk.RecordErr(errNotFields))
	got := advance(parts, batch, []int{0, 1, 2}, be)
	if want := (&sdk.SinkPosition{Next: 5, Retry: []int64{4}}); !reflect.DeepEqual(got[tp], want) {
		t.Errorf("got %+v, want %+v", got[tp], want)
	}
	if !parts[tp].Applied(0) || parts[tp].Applied(1) || parts[tp].Applied(3) || parts[tp].Resume() != 1 {
		t.Errorf("position: %+v", parts[tp])
	}
	if joinOffsets([]int64{4, 9}) != "4,9" || joinOffsets(nil) != "" {
		t.Error("joinOffsets")
	}
}
