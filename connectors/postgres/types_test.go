package postgres

import (
	"math"
	"math/big"
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

func TestDDLType(t *testing.T) {
	tests := []struct {
		schema *sdk.Schema
		sample any
		want   string
	}{
		{sdk.Int8Schema, nil, "smallint"},
		{sdk.Int16Schema, nil, "smallint"},
		{sdk.Int32Schema, nil, "integer"},
		{sdk.Int64Schema, nil, "bigint"},
		{sdk.Float32Schema, nil, "real"},
		{sdk.Float64Schema, nil, "double precision"},
		{sdk.BooleanSchema, nil, "boolean"},
		{sdk.StringSchema, nil, "text"},
		{sdk.BytesSchema, nil, "bytea"},
		{sdk.DecimalSchema(2), nil, "numeric"},
		{sdk.DateSchema, nil, "date"},
		{sdk.TimeSchema, nil, "time"},
		{sdk.TimestampSchema, nil, "timestamptz"},
		{sdk.ArrayOf(sdk.StringSchema), nil, "jsonb"},
		{sdk.MapOf(sdk.StringSchema, sdk.Int32Schema), nil, "jsonb"},
		{sdk.NewStruct("x").Field("a", sdk.Int32Schema).Build(), nil, "jsonb"},
		// schemaless JSON
		{nil, int64(1), "bigint"},
		{nil, 1.5, "double precision"},
		{nil, true, "boolean"},
		{nil, "s", "text"},
		{nil, []any{1}, "jsonb"},
		{nil, map[string]any{"a": 1}, "jsonb"},
		{nil, nil, "text"},
	}
	for _, tt := range tests {
		if got := ddlType(tt.schema, tt.sample); got != tt.want {
			t.Errorf("ddlType(%v, %#v) = %s, want %s", tt.schema, tt.sample, got, tt.want)
		}
	}
}

func TestCoerce(t *testing.T) {
	day := time.Date(2024, 3, 9, 0, 0, 0, 0, time.UTC)
	ts := time.Date(2024, 3, 9, 13, 4, 5, 6000, time.UTC)
	nested := sdk.NewStructValue(sdk.NewStruct("n").Field("a", sdk.Int32Schema).Field("b", sdk.OptionalStringSchema).Build()).
		Put("a", int32(1)).Put("b", "x\"y")
	tests := []struct {
		name string
		in   any
		kind kind
		want any
	}{
		{"null", nil, kindInt4, nil},
		{"bool", true, kindBool, true},
		{"bool text", "f", kindBool, false},
		{"int8 to smallint", int8(-3), kindInt2, int16(-3)},
		{"int64 to integer", int64(70000), kindInt4, int32(70000)},
		{"json integer as float", float64(12), kindInt8, int64(12)},
		{"numeric text to bigint", " 42 ", kindInt8, int64(42)},
		{"float32", float32(1.5), kindFloat8, 1.5},
		{"int to real", int32(2), kindFloat4, float32(2)},
		{"decimal", sdk.Decimal{Unscaled: big.NewInt(1250), Scale: 2}, kindNumeric, pgtype.Numeric{Int: big.NewInt(1250), Exp: -2, Valid: true}},
		{"int to numeric", int32(7), kindNumeric, int64(7)},
		{"string", "héllo", kindText, "héllo"},
		{"number to text", int64(5), kindText, "5"},
		{"struct to text is JSON", nested, kindText, `{"a":1,"b":"x\"y"}`},
		{"bytes", []byte{0, 1}, kindBytea, []byte{0, 1}},
		{"raw bytes", sdk.Raw("ab"), kindBytea, []byte("ab")},
		{"date", day, kindDate, pgtype.Date{Time: day, Valid: true}},
		{"date from days", int32(19791), kindDate, pgtype.Date{Time: day, Valid: true}},
		{"date text", "2024-03-09", kindDate, pgtype.Date{Time: day, Valid: true}},
		{"time", ts, kindTime, pgtype.Time{Microseconds: (13*3600+4*60+5)*1e6 + 6, Valid: true}},
		{"time from millis", int32(1500), kindTime, pgtype.Time{Microseconds: 1500000, Valid: true}},
		{"timestamp", ts.In(time.FixedZone("x", 3600)), kindTimestamptz, ts},
		{"timestamp from millis", int64(1710000000000), kindTimestamp, time.UnixMilli(1710000000000).UTC()},
		{"timestamp text", "2024-03-09T14:04:05.000006+01:00", kindTimestamptz, ts},
		{"struct to jsonb", nested, kindJSONB, `{"a":1,"b":"x\"y"}`},
		{"map to json sorted", map[string]any{"b": 1.5, "a": []any{true, nil}}, kindJSON, `{"a":[true,null],"b":1.5}`},
		{"json text kept", `{"k": [1, 2]}`, kindJSONB, `{"k": [1, 2]}`},
		{"plain string to json", "hello", kindJSONB, `"hello"`},
		{"NaN in json", math.NaN(), kindJSON, `"NaN"`},
		{"uuid", "6ba7b810-9dad-11d1-80b4-00c04fd430c8", kindUUID, pgtype.UUID{Bytes: [16]byte{0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}, Valid: true}},
		{"array for an unknown type", []any{int64(1), "a\"b", nil}, kindOther, `{"1","a\"b",NULL}`},
		{"enum text", "red", kindOther, "red"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := coerce(tt.in, tt.kind)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestCoerceRejects(t *testing.T) {
	tests := []struct {
		name string
		in   any
		kind kind
	}{
		{"text to int", "abc", kindInt4},
		{"int overflow", int64(1 << 40), kindInt4},
		{"smallint overflow", int32(40000), kindInt2},
		{"fraction to int", 1.5, kindInt8},
		{"struct to int", sdk.NewStructValue(sdk.NewStruct("x").Build()), kindInt8},
		{"NUL in text", "a\x00b", kindText},
		{"bad UTF-8", string([]byte{0xff, 0xfe}), kindText},
		{"NUL in jsonb", map[string]any{"a": "\x00"}, kindJSONB},
		{"bool from number", int64(1), kindBool},
		{"bad date", "yesterday", kindDate},
		{"bad uuid", "xyz", kindUUID},
		{"time of day out of range", int64(90_000_000), kindTime},
		{"bytes to timestamp", []byte("x"), kindTimestamptz},
	}
	for _, tt := range tests {
		if got, err := coerce(tt.in, tt.kind); err == nil {
			t.Errorf("%s: got %#v, want an error", tt.name, got)
		}
	}
}

func TestKindOf(t *testing.T) {
	for typ, want := range map[string]kind{
		"int4": kindInt4, "varchar": kindText, "bpchar": kindText, "timestamptz": kindTimestamptz,
		"jsonb": kindJSONB, "_int4": kindOther, "citext": kindOther, "interval": kindOther,
	} {
		if got := kindOf(typ); got != want {
			t.Errorf("kindOf(%s) = %d, want %d", typ, got, want)
		}
	}
}
