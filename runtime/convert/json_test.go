package convert

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// goCase is the Go value of a write vector: the same schema and value the
// capture program gave Kafka Connect's JsonConverter under the same name.
type goCase struct {
	schema *sdk.Schema
	value  any
	// read is what ToConnect returns for Kafka Connect's bytes, when that is
	// not value (a default filled in, schemaless inference, a normalisation).
	read    any
	hasRead bool
}

func gc(s *sdk.Schema, v any) goCase { return goCase{schema: s, value: v} }

func (c goCase) reads(v any) goCase { c.read, c.hasRead = v, true; return c }

func (c goCase) want() any {
	if c.hasRead {
		return c.read
	}
	return c.value
}

// Schemas of the capture program (Capture.java), built with the sdk.
var (
	addressSchema = sdk.NewStruct("com.acme.Address").
			Field("city", sdk.StringSchema).
			Field("zip", sdk.OptionalStringSchema).Build()
	customerSchema = sdk.NewStruct("com.acme.Customer").
			Field("name", sdk.StringSchema).
			Field("address", addressSchema).Build()
	itemSchema = sdk.NewStruct("com.acme.Item").
			Field("sku", sdk.StringSchema).
			Field("qty", sdk.Int32Schema).Build()
	noteSchema  = sdk.NewStruct("").Optional().Field("text", sdk.StringSchema).Build()
	orderSchema = sdk.NewStruct("com.acme.Order").Version(3).
			Field("id", sdk.Int64Schema).
			Field("customer", customerSchema).
			Field("items", sdk.ArrayOf(itemSchema)).
			Field("note", noteSchema).Build()
	pointSchema = sdk.NewStruct("com.acme.Point").
			Field("x", sdk.Int32Schema).Field("y", sdk.Int32Schema).Build()

	allTypesSchema = sdk.NewStruct("com.acme.AllTypes").
			Field("i8", sdk.Int8Schema).
			Field("i16", sdk.Int16Schema).
			Field("i32", sdk.Int32Schema).
			Field("i64", sdk.Int64Schema).
			Field("f32", sdk.Float32Schema).
			Field("f64", sdk.Float64Schema).
			Field("b", sdk.BooleanSchema).
			Field("s", sdk.StringSchema).
			Field("bytes", sdk.BytesSchema).
			Field("dec", sdk.DecimalSchema(2)).
			Field("date", sdk.DateSchema).
			Field("time", sdk.TimeSchema).
			Field("ts", sdk.TimestampSchema).
			Field("arr", sdk.ArrayOf(sdk.StringSchema)).
			Field("map", sdk.MapOf(sdk.StringSchema, sdk.Int64Schema)).Build()

	optionalsSchema = sdk.NewStruct("com.acme.Optionals").
			Field("i8", sdk.OptionalInt8Schema).
			Field("i16", sdk.OptionalInt16Schema).
			Field("i32", sdk.OptionalInt32Schema).
			Field("i64", sdk.OptionalInt64Schema).
			Field("f32", sdk.OptionalFloat32Schema).
			Field("f64", sdk.OptionalFloat64Schema).
			Field("b", sdk.OptionalBooleanSchema).
			Field("s", sdk.OptionalStringSchema).
			Field("bytes", sdk.OptionalBytesSchema).
			Field("dec", sdk.DecimalSchema(2).WithOptional()).
			Field("date", sdk.DateSchema.WithOptional()).
			Field("time", sdk.TimeSchema.WithOptional()).
			Field("ts", sdk.TimestampSchema.WithOptional()).
			Field("arr", sdk.ArrayOf(sdk.OptionalStringSchema).WithOptional()).
			Field("map", sdk.MapOf(sdk.StringSchema, sdk.OptionalInt64Schema).WithOptional()).
			Field("st", sdk.NewStruct("").Optional().Field("x", sdk.Int32Schema).Build()).Build()

	metadataSchema = func() *sdk.Schema {
		s := sdk.NewStruct("com.acme.User").Version(2).Doc("A user of the shop.").
			Field("id", &sdk.Schema{Type: sdk.TypeInt64, Doc: "primary key"}).
			Field("email", &sdk.Schema{Type: sdk.TypeString, Optional: true, Name: "com.acme.Email", Version: 1,
				Doc: "may be absent", Parameters: map[string]string{"format": "email"}}).Build()
		s.Parameters = map[string]string{"a.param": "1", "connect.name": "com.acme.User", "z": "last"}
		return s
	}()

	defaultsSchema = sdk.NewStruct("com.acme.Defaults").
			Field("req_int", withDefault(sdk.Int32Schema, int32(42))).
			Field("opt_str", withDefault(sdk.OptionalStringSchema, "n/a")).
			Field("req_bool", withDefault(sdk.BooleanSchema, true)).
			Field("plain", sdk.OptionalInt64Schema).Build()
	optionalDefaultSchema = sdk.NewStruct("").
				Field("opt_int", withDefault(sdk.OptionalInt32Schema, int32(7))).Build()
	requiredDefaultSchema = sdk.NewStruct("").
				Field("req_int", withDefault(sdk.Int32Schema, int32(7))).Build()

	defaultTypesSchema = sdk.NewStruct("com.acme.DefaultTypes").
				Field("i8", withDefault(sdk.Int8Schema, int8(-1))).
				Field("i64", withDefault(sdk.Int64Schema, int64(math.MinInt64))).
				Field("f32", withDefault(sdk.Float32Schema, float32(0.5))).
				Field("f64", withDefault(sdk.Float64Schema, 1e20)).
				Field("s", withDefault(sdk.StringSchema, "défaut")).
				Field("bytes", withDefault(sdk.BytesSchema, []byte{0xca, 0xfe})).
				Field("dec", withDefault(sdk.DecimalSchema(2), dec("999", 2))).
				Field("date", withDefault(sdk.DateSchema, days(365))).
				Field("time", withDefault(sdk.TimeSchema, ms(3_600_000))).
				Field("ts", withDefault(sdk.TimestampSchema, ms(1_000_000_000_000))).
				Field("arr", withDefault(sdk.ArrayOf(sdk.Int32Schema), []any{int32(1), int32(2)})).
				Field("map", withDefault(sdk.MapOf(sdk.StringSchema, sdk.StringSchema), map[any]any{"k": "v"})).Build()
)

func allTypesValue() *sdk.Struct {
	return structOf(allTypesSchema,
		"i8", int8(-8), "i16", int16(1600), "i32", int32(-32), "i64", int64(6_400_000_000),
		"f32", float32(3.25), "f64", -0.5, "b", true, "s", "str",
		"bytes", []byte{1, 2, 3}, "dec", dec("-150", 2),
		"date", days(19782), "time", ms(1000), "ts", ms(1_700_000_000_123),
		"arr", []any{"x", "y"}, "map", map[any]any{"one": int64(1), "two": int64(2)})
}

// allTypesPlain is allTypesValue as JSON without a schema reads it.
var allTypesPlain = map[string]any{
	"i8": int64(-8), "i16": int64(1600), "i32": int64(-32), "i64": int64(6_400_000_000),
	"f32": 3.25, "f64": -0.5, "b": true, "s": "str", "bytes": "AQID", "dec": "/2o=",
	"date": int64(19782), "time": int64(1000), "ts": int64(1_700_000_000_123),
	"arr": []any{"x", "y"}, "map": map[string]any{"one": int64(1), "two": int64(2)},
}

var schemalessNested = map[string]any{
	"a":   []any{int64(1), 2.5, "three", true},
	"b":   map[string]any{"x": nil, "y": map[string]any{}},
	"i":   int64(42),
	"neg": int64(-7),
	"s":   "hé",
}

// goCases are the Go values of the write vectors, by case name.
func goCases() map[string]goCase {
	c := map[string]goCase{
		"int8":                gc(sdk.Int8Schema, int8(42)),
		"int8_min":            gc(sdk.Int8Schema, int8(math.MinInt8)),
		"int8_max":            gc(sdk.Int8Schema, int8(math.MaxInt8)),
		"int8_optional":       gc(sdk.OptionalInt8Schema, int8(-1)),
		"int8_optional_null":  gc(sdk.OptionalInt8Schema, nil),
		"int16_min":           gc(sdk.Int16Schema, int16(math.MinInt16)),
		"int16_max":           gc(sdk.Int16Schema, int16(math.MaxInt16)),
		"int16_optional_null": gc(sdk.OptionalInt16Schema, nil),
		"int32_min":           gc(sdk.Int32Schema, int32(math.MinInt32)),
		"int32_max":           gc(sdk.Int32Schema, int32(math.MaxInt32)),
		"int32_optional":      gc(sdk.OptionalInt32Schema, int32(0)),
		"int32_optional_null": gc(sdk.OptionalInt32Schema, nil),
		"int64_min":           gc(sdk.Int64Schema, int64(math.MinInt64)),
		"int64_max":           gc(sdk.Int64Schema, int64(math.MaxInt64)),
		"int64_zero":          gc(sdk.Int64Schema, int64(0)),
		"int64_optional_null": gc(sdk.OptionalInt64Schema, nil),

		"float32_1_5":           gc(sdk.Float32Schema, float32(1.5)),
		"float32_0_1":           gc(sdk.Float32Schema, float32(0.1)),
		"float32_neg_zero":      gc(sdk.Float32Schema, float32(math.Copysign(0, -1))).reads(float32(0)),
		"float32_max":           gc(sdk.Float32Schema, float32(math.MaxFloat32)),
		"float32_min_subnormal": gc(sdk.Float32Schema, float32(math.SmallestNonzeroFloat32)),
		"float32_1e7":           gc(sdk.Float32Schema, float32(1e7)),
		"float32_1234567":       gc(sdk.Float32Schema, float32(1234567)),
		"float32_0_001":         gc(sdk.Float32Schema, float32(0.001)),
		"float32_1e-4":          gc(sdk.Float32Schema, float32(1e-4)),
		"float32_nan":           gc(sdk.Float32Schema, float32(math.NaN())),
		"float32_inf":           gc(sdk.Float32Schema, float32(math.Inf(1))),
		"float32_neg_inf":       gc(sdk.Float32Schema, float32(math.Inf(-1))),
		"float32_optional_null": gc(sdk.OptionalFloat32Schema, nil),

		"float64_1_5":           gc(sdk.Float64Schema, 1.5),
		"float64_100":           gc(sdk.Float64Schema, 100.0),
		"float64_1e20":          gc(sdk.Float64Schema, 1e20),
		"float64_neg_zero":      gc(sdk.Float64Schema, math.Copysign(0, -1)).reads(0.0),
		"float64_0_1":           gc(sdk.Float64Schema, 0.1),
		"float64_0_001":         gc(sdk.Float64Schema, 0.001),
		"float64_1e-4":          gc(sdk.Float64Schema, 1e-4),
		"float64_9999999":       gc(sdk.Float64Schema, 9999999.0),
		"float64_1e7":           gc(sdk.Float64Schema, 1e7),
		"float64_123456789_125": gc(sdk.Float64Schema, 123456789.125),
		"float64_third":         gc(sdk.Float64Schema, 1.0/3),
		"float64_neg_large":     gc(sdk.Float64Schema, -1.2345e300),
		"float64_2pow53":        gc(sdk.Float64Schema, 9007199254740992.0),
		"float64_max":           gc(sdk.Float64Schema, math.MaxFloat64),
		"float64_min_normal":    gc(sdk.Float64Schema, 0x1p-1022),
		"float64_min_subnormal": gc(sdk.Float64Schema, math.SmallestNonzeroFloat64),
		"float64_nan":           gc(sdk.Float64Schema, math.NaN()),
		"float64_inf":           gc(sdk.Float64Schema, math.Inf(1)),
		"float64_neg_inf":       gc(sdk.Float64Schema, math.Inf(-1)),
		"float64_optional_null": gc(sdk.OptionalFloat64Schema, nil),

		"boolean_true":          gc(sdk.BooleanSchema, true),
		"boolean_false":         gc(sdk.BooleanSchema, false),
		"boolean_optional_null": gc(sdk.OptionalBooleanSchema, nil),

		"string_empty":           gc(sdk.StringSchema, ""),
		"string_ascii":           gc(sdk.StringSchema, "hello"),
		"string_unicode":         gc(sdk.StringSchema, "héllo wörld ✓ 日本語 🎉"),
		"string_escapes":         gc(sdk.StringSchema, "quote\" backslash\\ slash/ nl\n cr\r tab\t bs\b ff\f nul\x00 x1f\x1f del\x7f"),
		"string_html":            gc(sdk.StringSchema, `<a href="x">&amp;</a>`),
		"string_line_separators": gc(sdk.StringSchema, "a\u2028b\u2029c"),
		"string_optional_null":   gc(sdk.OptionalStringSchema, nil),

		"bytes_empty":         gc(sdk.BytesSchema, []byte{}),
		"bytes":               gc(sdk.BytesSchema, []byte{0, 1, 2, 0xff, 0xfe}),
		"bytes_100":           gc(sdk.BytesSchema, byteRange(100)),
		"bytes_bytebuffer":    gc(sdk.BytesSchema, []byte{9, 8, 7}),
		"bytes_optional_null": gc(sdk.OptionalBytesSchema, nil),

		"date_leap_day":           gc(sdk.DateSchema, days(19782)),
		"date_epoch":              gc(sdk.DateSchema, days(0)),
		"date_before_epoch":       gc(sdk.DateSchema, days(-1)),
		"date_optional_null":      gc(sdk.DateSchema.WithOptional(), nil),
		"time":                    gc(sdk.TimeSchema, ms(49_530_123)),
		"time_midnight":           gc(sdk.TimeSchema, ms(0)),
		"time_last_ms":            gc(sdk.TimeSchema, ms(millisPerDay-1)),
		"time_optional_null":      gc(sdk.TimeSchema.WithOptional(), nil),
		"timestamp":               gc(sdk.TimestampSchema, ms(19782*millisPerDay+49_530_123)),
		"timestamp_epoch":         gc(sdk.TimestampSchema, ms(0)),
		"timestamp_before_epoch":  gc(sdk.TimestampSchema, ms(-123_456_789_000)),
		"timestamp_optional_null": gc(sdk.TimestampSchema.WithOptional(), nil),

		"array_int32":                      gc(sdk.ArrayOf(sdk.Int32Schema), []any{int32(1), int32(2), int32(3)}),
		"array_empty":                      gc(sdk.ArrayOf(sdk.Int32Schema), []any{}),
		"array_optional_strings_with_null": gc(sdk.ArrayOf(sdk.OptionalStringSchema), []any{"a", nil, "c"}),
		"array_of_arrays": gc(sdk.ArrayOf(sdk.ArrayOf(sdk.Int64Schema)),
			[]any{[]any{int64(1)}, []any{int64(2), int64(3)}}),
		"array_of_structs": gc(sdk.ArrayOf(pointSchema),
			[]any{structOf(pointSchema, "x", int32(1), "y", int32(2)), structOf(pointSchema, "x", int32(-3), "y", int32(4))}),
		"array_optional_null": gc(sdk.ArrayOf(sdk.Int32Schema).WithOptional(), nil),

		"map_string_int32_single": gc(sdk.MapOf(sdk.StringSchema, sdk.Int32Schema), map[any]any{"a": int32(1)}),
		"map_string_int32_sorted": gc(sdk.MapOf(sdk.StringSchema, sdk.Int32Schema),
			map[any]any{"c": int32(3), "a": int32(1), "b": int32(2)}),
		"map_empty":        gc(sdk.MapOf(sdk.StringSchema, sdk.Int32Schema), map[any]any{}),
		"map_int32_string": gc(sdk.MapOf(sdk.Int32Schema, sdk.StringSchema), map[any]any{int32(2): "two", int32(1): "one"}),
		"map_int64_boolean": gc(sdk.MapOf(sdk.Int64Schema, sdk.BooleanSchema),
			map[any]any{int64(7): false, int64(-5): true}),
		"map_string_optional_null_value": gc(sdk.MapOf(sdk.StringSchema, sdk.OptionalInt32Schema), map[any]any{"k": nil}),
		"map_string_struct": gc(sdk.MapOf(sdk.StringSchema, pointSchema),
			map[any]any{"origin": structOf(pointSchema, "x", int32(0), "y", int32(0))}),
		"map_struct_key": gc(sdk.MapOf(pointSchema, sdk.StringSchema),
			map[any]any{structOf(pointSchema, "x", int32(5), "y", int32(6)): "five-six"}),
		"map_optional_null": gc(sdk.MapOf(sdk.StringSchema, sdk.Int32Schema).WithOptional(), nil),

		"struct_all_types":            gc(allTypesSchema, allTypesValue()),
		"struct_all_types_numeric":    gc(allTypesSchema, allTypesValue()),
		"struct_optional_fields_null": gc(optionalsSchema, sdk.NewStructValue(optionalsSchema)),
		"struct_optional_fields_set": gc(optionalsSchema, structOf(optionalsSchema,
			"i8", int8(1), "i16", int16(2), "i32", int32(3), "i64", int64(4),
			"f32", float32(5.5), "f64", 6.5, "b", false, "s", "",
			"bytes", []byte{}, "dec", dec("1", 2),
			"date", days(0), "time", ms(0), "ts", ms(0),
			"arr", []any{nil}, "map", map[any]any{"n": nil},
			"st", structOf(optionalsSchema.Field("st").Schema, "x", int32(9)))),
		"struct_nested": gc(orderSchema, structOf(orderSchema,
			"id", int64(1001),
			"customer", structOf(customerSchema, "name", "Ada",
				"address", structOf(addressSchema, "city", "Zürich")),
			"items", []any{structOf(itemSchema, "sku", "A-1", "qty", int32(2)),
				structOf(itemSchema, "sku", "B-2", "qty", int32(1))})),
		"struct_metadata": gc(metadataSchema, structOf(metadataSchema, "id", int64(7), "email", "ada@example.com")),
		"struct_defaults_given": gc(defaultsSchema, structOf(defaultsSchema,
			"req_int", int32(1), "opt_str", "x", "req_bool", false, "plain", int64(5))),
		"struct_defaults_null_replace": gc(defaultsSchema, sdk.NewStructValue(defaultsSchema)).
			reads(structOf(defaultsSchema, "req_int", int32(42), "opt_str", "n/a", "req_bool", true)),
		"struct_optional_default_null_noreplace": gc(optionalDefaultSchema, sdk.NewStructValue(optionalDefaultSchema)),
		"struct_optional_default_null_replace": gc(optionalDefaultSchema, sdk.NewStructValue(optionalDefaultSchema)).
			reads(structOf(optionalDefaultSchema, "opt_int", int32(7))),
		"struct_default_types": gc(defaultTypesSchema, sdk.NewStructValue(defaultTypesSchema)).
			reads(defaultTypesValue()),
		"struct_default_types_numeric": gc(defaultTypesSchema, sdk.NewStructValue(defaultTypesSchema)).
			reads(defaultTypesValue()),
		"struct_optional_null": gc(sdk.NewStruct("com.acme.Maybe").Optional().Field("a", sdk.Int32Schema).Build(), nil),
		"struct_empty":         gc(sdk.NewStruct("").Build(), sdk.NewStructValue(sdk.NewStruct("").Build())),
		"struct_field_order": func() goCase {
			s := sdk.NewStruct("").Field("z", sdk.Int32Schema).Field("a", sdk.Int32Schema).Field("m", sdk.Int32Schema).Build()
			return gc(s, structOf(s, "z", int32(1), "a", int32(2), "m", int32(3)))
		}(),
		"int32_default_null_replace":            gc(withDefault(sdk.Int32Schema, int32(7)), nil).reads(int32(7)),
		"int32_optional_default_null_noreplace": gc(withDefault(sdk.OptionalInt32Schema, int32(7)), nil),
		"string_as_key":                         gc(sdk.StringSchema, "order-1001"),

		"schemaless_envelope_map":    gc(nil, schemalessNested),
		"schemaless_envelope_string": gc(nil, "plain"),
		"schemaless_envelope_int64":  gc(nil, int64(12)),
		"schemaless_envelope_int_keys": gc(nil, map[any]any{int64(2): "b", int64(1): "a"}).
			reads([]any{[]any{int64(1), "a"}, []any{int64(2), "b"}}),
		"noschema_schemaless_map":  gc(nil, schemalessNested),
		"noschema_schemaless_list": gc(nil, []any{int64(1), "x", []any{}}),
		"noschema_schemaless_int_keys": gc(nil, map[any]any{int64(2): "b", int64(1): "a"}).
			reads([]any{[]any{int64(1), "a"}, []any{int64(2), "b"}}),
		"noschema_schemaless_float64": gc(nil, 1.5),
		"noschema_schemaless_float32": gc(nil, float32(0.1)).reads(0.1),
		"noschema_schemaless_int8":    gc(nil, int8(5)).reads(int64(5)),
		"noschema_schemaless_int32":   gc(nil, int32(5)).reads(int64(5)),
		"noschema_schemaless_bool":    gc(nil, true),
		"noschema_schemaless_bytes":   gc(nil, []byte{1, 2}).reads("AQI="),
		"noschema_struct_all_types":   gc(allTypesSchema, allTypesValue()).reads(allTypesPlain),
		"noschema_struct_nested": gc(orderSchema, structOf(orderSchema,
			"id", int64(1),
			"customer", structOf(customerSchema, "name", "B",
				"address", structOf(addressSchema, "city", "C", "zip", "8000")),
			"items", []any{})).
			reads(map[string]any{"id": int64(1), "customer": map[string]any{"name": "B",
				"address": map[string]any{"city": "C", "zip": "8000"}}, "items": []any{}, "note": nil}),
		"noschema_int32":           gc(sdk.Int32Schema, int32(5)).reads(int64(5)),
		"noschema_string":          gc(sdk.StringSchema, "s"),
		"noschema_optional_null":   gc(sdk.OptionalStringSchema, nil),
		"noschema_decimal_numeric": gc(sdk.DecimalSchema(3), dec("-125", 3)).reads(-0.125),
		"tombstone":                gc(nil, nil),
		"noschema_tombstone":       gc(nil, nil),

		"error_required_null":                   gc(sdk.Int32Schema, nil),
		"error_struct_required_field_null":      gc(pointSchema, structOf(pointSchema, "x", int32(1))),
		"error_required_default_null_noreplace": gc(requiredDefaultSchema, sdk.NewStructValue(requiredDefaultSchema)),
		"error_decimal_scale_mismatch_base64":   gc(sdk.DecimalSchema(2), dec("15", 1)),
		"decimal_scale_mismatch_numeric":        gc(sdk.DecimalSchema(2), dec("15", 1)).reads(dec("150", 2)),
		"error_date_with_time":                  gc(sdk.DateSchema, ms(millisPerDay+1)),
		"error_time_out_of_range":               gc(sdk.TimeSchema, ms(millisPerDay+1)),
		"error_wrong_type":                      gc(sdk.Int32Schema, "12"),
		"error_wrong_type_in_struct":            gc(itemSchema, &sdk.Struct{Schema: itemSchema, Values: []any{"A", int64(2)}}),
		"error_schemaless_decimal":              gc(nil, dec("15", 1)),
		"error_schemaless_struct":               gc(nil, structOf(pointSchema, "x", int32(1), "y", int32(2))),
		"error_struct_mismatching_schema":       gc(itemSchema, structOf(pointSchema, "x", int32(1), "y", int32(2))),
		"error_array_null_element":              gc(sdk.ArrayOf(sdk.Int32Schema), []any{int32(1), nil}),
	}
	decimals := []struct {
		name  string
		scale int32
		value sdk.Decimal
	}{
		{"decimal_s2_pos", 2, dec("1234", 2)},
		{"decimal_s2_neg", 2, dec("-1234", 2)},
		{"decimal_s2_zero", 2, dec("0", 2)},
		{"decimal_s0_zero", 0, dec("0", 0)},
		{"decimal_s0_neg_one", 0, dec("-1", 0)},
		{"decimal_s0_128", 0, dec("128", 0)},
		{"decimal_s0_big", 0, dec("123456789012345678901234567890", 0)},
		{"decimal_s9_tiny", 9, dec("1", 9)},
		{"decimal_s10_zero", 10, dec("0", 10)},
		{"decimal_s6_small", 6, dec("-123", 6)},
		{"decimal_neg_scale", -2, dec("12", -2)},
	}
	for _, d := range decimals {
		c[d.name+"_base64"] = gc(sdk.DecimalSchema(d.scale), d.value)
		c[d.name+"_numeric"] = gc(sdk.DecimalSchema(d.scale), d.value)
	}
	c["decimal_optional_null_base64"] = gc(sdk.DecimalSchema(2).WithOptional(), nil)
	c["decimal_optional_null_numeric"] = gc(sdk.DecimalSchema(2).WithOptional(), nil)
	return c
}

func defaultTypesValue() *sdk.Struct {
	s := defaultTypesSchema
	st := sdk.NewStructValue(s)
	for i, f := range s.Fields {
		st.Values[i] = f.Schema.Default
	}
	return st
}

func byteRange(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// writeMessages are our messages where Kafka Connect's name a Java class.
var writeMessages = map[string]string{
	"error_wrong_type":           "Invalid type for INT32: string",
	"error_wrong_type_in_struct": "at qty: Invalid type for INT32: int64",
	"error_schemaless_decimal":   "Go type sdk.Decimal does not have corresponding schema type.",
}

// readBackDiffers names write vectors whose bytes we read back differently
// from Kafka Connect, on purpose (doc.go): non-finite floats (Kafka reads
// 0.0) and a NUMERIC decimal whose scale is not its schema's (we rescale).
var readBackDiffers = map[string]bool{
	"float32_nan": true, "float32_inf": true, "float32_neg_inf": true,
	"float64_nan": true, "float64_inf": true, "float64_neg_inf": true,
	"decimal_scale_mismatch_numeric": true,
}

// noRoundTrip names write vectors whose bytes do not survive read+write:
// negative zero reads as zero (as in Kafka Connect), a decimal is rescaled,
// and a struct written without a schema reads back as a map, written with
// sorted keys.
var noRoundTrip = map[string]string{
	"float32_neg_zero":               "-0.0 reads as 0.0, as in Kafka Connect",
	"float64_neg_zero":               "-0.0 reads as 0.0, as in Kafka Connect",
	"decimal_scale_mismatch_numeric": "1.5 in a scale-2 schema reads as 1.50",
	"noschema_struct_all_types":      "a schemaless map is written with sorted keys",
	"noschema_struct_nested":         "a schemaless map is written with sorted keys",
	"noschema_optional_null":         "JSON null reads as no schema and no value, which writes as a tombstone, as in Kafka Connect",
}

func newTestJSON(t testing.TB, cfg map[string]string) Converter {
	t.Helper()
	c, err := New("json", cfg, false)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// TestJSONWriteVectors writes the value of every write vector and compares
// the bytes with Kafka Connect's exactly; no case is compared only
// semantically. (Maps with several entries were LinkedHashMaps filled in
// sorted key order on the Java side, the order we write.) It then reads
// Kafka Connect's bytes back, compares the result with the Go value and with
// what Kafka Connect read, and writes it again.
func TestJSONWriteVectors(t *testing.T) {
	f := loadVectors(t)
	t.Logf("vectors from Kafka %s on Java %s", f.KafkaVersion, f.JavaVersion)
	cases := goCases()
	seen := map[string]bool{}
	for _, v := range f.Write {
		t.Run(v.Name, func(t *testing.T) {
			seen[v.Name] = true
			gcase, ok := cases[v.Name]
			if !ok {
				t.Fatalf("no Go value for vector %q", v.Name)
			}
			conv := newTestJSON(t, v.Config)
			got, err := conv.FromConnect("topic", gcase.schema, gcase.value)

			if v.Error != "" {
				if err == nil {
					t.Fatalf("FromConnect = %s, want Kafka Connect's error %q", got, v.Error)
				}
				if c, _ := sdk.ClassOf(err); c != sdk.ClassRecord {
					t.Errorf("error class = %v, want record", c)
				}
				want := v.Error
				if m, ok := writeMessages[v.Name]; ok {
					want = m
				}
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error = %q, want it to contain %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("FromConnect: %v", err)
			}
			want := v.input(t)
			if want == nil {
				if got != nil {
					t.Fatalf("FromConnect = %q, want nil (tombstone)", got)
				}
				return
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("bytes differ from Kafka Connect's\n got: %s\nwant: %s", got, want)
			}

			// Read Kafka Connect's bytes back.
			s, val, err := conv.ToConnect("topic", want)
			if err != nil {
				t.Fatalf("ToConnect: %v", err)
			}
			wantSchema := gcase.schema
			if v.Config[jsonSchemasEnable] == "false" {
				wantSchema = nil
			}
			if !sameSchema(s, wantSchema) {
				t.Errorf("schema read back = %s, want %s", mustJSON(canonSchema(s)), mustJSON(canonSchema(wantSchema)))
			}
			if !sameValue(val, gcase.want()) {
				t.Errorf("value read back = %s, want %s", mustJSON(canonValue(val)), mustJSON(canonValue(gcase.want())))
			}
			// And against what Kafka Connect read back from the same bytes.
			if v.ReadError != "" {
				t.Errorf("Kafka Connect failed to read its own bytes (%s); we read them", v.ReadError)
			} else if !readBackDiffers[v.Name] {
				sameCanonical(t, v.Read, s, val)
			}

			// Round trip.
			again, err := conv.FromConnect("topic", s, val)
			if err != nil {
				t.Fatalf("FromConnect after ToConnect: %v", err)
			}
			if why, ok := noRoundTrip[v.Name]; ok {
				t.Logf("no byte-exact round trip: %s (%s)", why, again)
				if strings.Contains(why, "sorted keys") && !jsonEquivalent(t, again, want) {
					t.Errorf("round trip changed the JSON\n got: %s\nwant: %s", again, want)
				}
				return
			}
			if !bytes.Equal(again, want) {
				t.Errorf("round trip changed the bytes\n got: %s\nwant: %s", again, want)
			}
		})
	}
	for name := range cases {
		if !seen[name] {
			t.Errorf("Go case %q has no vector; rerun tests/vectors/jsonconverter/capture.sh", name)
		}
	}
}

// jsonEquivalent reports whether two JSON texts hold the same data,
// whatever the key order.
func jsonEquivalent(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	da := json.NewDecoder(bytes.NewReader(a))
	da.UseNumber()
	db := json.NewDecoder(bytes.NewReader(b))
	db.UseNumber()
	if err := da.Decode(&x); err != nil {
		t.Fatal(err)
	}
	if err := db.Decode(&y); err != nil {
		t.Fatal(err)
	}
	return mustJSON(x) == mustJSON(y)
}

// readDeviation is what we do with a read vector where we differ from Kafka
// Connect on purpose (see doc.go): fail with err, or read value.
type readDeviation struct {
	err   string
	value any
}

var readDeviations = map[string]readDeviation{
	// Jackson ignores what follows the first value; we reject it.
	"read_trailing_garbage":          {err: "expected end of input after the JSON value at line 1, column 29"},
	"read_trailing_second_value":     {err: "expected end of input after the JSON value at line 1, column 28"},
	"read_noschema_trailing_garbage": {err: "expected end of input after the JSON value at line 1, column 3"},
	// Kafka keeps the number's scale; we give it the schema's.
	"read_decimal_number_scale_smaller": {value: dec("1250", 2)},
	"read_decimal_number_integer":       {value: dec("1200", 2)},
	"read_decimal_number_exponent":      {value: dec("1500", 2)},
	"read_decimal_number_scale_larger":  {err: "Decimal value 1.234 has more fractional digits than the scale 2 of its schema"},
	// Kafka reads null, 0, false, a truncated or wrapped number.
	"read_bytes_number":         {err: "Invalid value for BYTES: expected a base64 string but found NUMBER"},
	"read_int32_given_string":   {err: "Invalid value for INT32: expected an integer but found STRING"},
	"read_int8_overflow":        {err: "Invalid value 300 for INT8: out of range"},
	"read_int32_given_fraction": {err: "Invalid value 1.9 for INT32: not an integer"},
	"read_int64_overflow":       {err: "Invalid value 9223372036854775808 for INT64: out of range"},
	"read_string_given_number":  {err: "Invalid value for STRING: expected a string but found NUMBER"},
	"read_boolean_given_string": {err: "Invalid value for BOOLEAN: expected a boolean but found STRING"},
	"read_array_given_object":   {err: "Arrays should be encoded as JSON arrays, but found OBJECT"},
	"read_noschema_bigint":      {err: "Integer value 12345678901234567890 is out of the range of int64"},
	// Kafka reads the string "NaN" as 0.0.
	"read_float32_given_nan_string": {value: float32(math.NaN())},
}

// syntaxPositions are the positions we report for Kafka Connect's syntax
// errors (Jackson reports its own position in the cause).
var syntaxPositions = map[string]string{
	"read_syntax_error_eof":       "unexpected end of input at line 1, column 11",
	"read_syntax_error_char":      `unexpected character '}': expected a JSON value (string, number, array, object, true, false or null) at line 1, column 29`,
	"read_syntax_error_line2":     `unrecognized token "nul": expected a JSON value (string, number, array, object, true, false or null) at line 2, column 13`,
	"read_noschema_invalid_utf8":  "invalid UTF-8 byte 0xff at line 1, column 2",
	"read_noschema_control_char":  "illegal unquoted character (code 10): has to be escaped using backslash to be included in string value at line 1, column 3",
	"read_noschema_single_quotes": `unexpected character '\'': expected a JSON value`,
	"read_noschema_nan_token":     `unrecognized token "NaN"`,
	"read_noschema_plus_sign":     `unexpected character '+'`,
	"read_noschema_bad_escape":    `unrecognized character escape 'x'`,
	"read_noschema_unterminated":  "unexpected end of input at line 1, column 6",
	"read_noschema_depth_1001":    "document nesting depth (1001) exceeds the maximum allowed (1000)",
}

func TestJSONReadVectors(t *testing.T) {
	f := loadVectors(t)
	for _, v := range f.Read {
		t.Run(v.Name, func(t *testing.T) {
			conv := newTestJSON(t, v.Config)
			s, val, err := conv.ToConnect("topic", v.input(t))
			if dev, ok := readDeviations[v.Name]; ok {
				t.Logf("deviates from Kafka Connect on purpose: Kafka read %s%s", v.ReadError, mustJSON(v.Read))
				if dev.err != "" {
					if err == nil || !strings.Contains(err.Error(), dev.err) {
						t.Fatalf("ToConnect error = %v, want %q", err, dev.err)
					}
					if c, _ := sdk.ClassOf(err); c != sdk.ClassRecord {
						t.Errorf("error class = %v, want record", c)
					}
					return
				}
				if err != nil {
					t.Fatalf("ToConnect: %v", err)
				}
				if !sameValue(val, dev.value) {
					t.Errorf("value = %s, want %s", mustJSON(canonValue(val)), mustJSON(canonValue(dev.value)))
				}
				return
			}
			if v.ReadError != "" {
				if err == nil {
					t.Fatalf("ToConnect = %s %s, want Kafka Connect's error %q", mustJSON(canonSchema(s)), mustJSON(canonValue(val)), v.ReadError)
				}
				if c, _ := sdk.ClassOf(err); c != sdk.ClassRecord {
					t.Errorf("error class = %v, want record", c)
				}
				if !strings.Contains(err.Error(), strings.TrimSpace(v.ReadError)) {
					t.Errorf("error = %q, want Kafka Connect's %q", err, v.ReadError)
				}
				if pos := syntaxPositions[v.Name]; pos != "" && !strings.Contains(err.Error(), pos) {
					t.Errorf("error = %q, want it to contain %q", err, pos)
				}
				var se *syntaxError
				if strings.HasPrefix(v.ReadError, "Converting byte[]") != errors.As(err, &se) {
					t.Errorf("error %q: syntax error = %v, want %v", err, !(se == nil), strings.HasPrefix(v.ReadError, "Converting byte[]"))
				}
				return
			}
			if err != nil {
				t.Fatalf("ToConnect: %v", err)
			}
			if v.Accepted {
				return
			}
			sameCanonical(t, v.Read, s, val)
		})
	}
}

func TestJSONErrorsSayWhere(t *testing.T) {
	conv := newTestJSON(t, nil)
	item := `{"type":"struct","fields":[{"type":"string","field":"sku"},{"type":"int32","field":"qty"}]}`
	order := `{"type":"struct","fields":[{"type":"array","items":` + item + `,"field":"items"},` +
		`{"type":"map","keys":{"type":"string"},"values":{"type":"int32"},"field":"counts"}]}`
	tests := []struct {
		name, payload, want string
	}{
		{"array element field", `{"items":[{"sku":"a","qty":1},{"sku":"b","qty":"x"}],"counts":{}}`,
			"at items[1].qty: Invalid value for INT32: expected an integer but found STRING"},
		{"missing required field", `{"items":[{"sku":"a"}],"counts":{}}`,
			"at items[0].qty: Invalid null value for required INT32 field"},
		{"map value", `{"items":[],"counts":{"x":1.5}}`,
			`at counts["x"]: Invalid value 1.5 for INT32: not an integer`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := conv.ToConnect("t", []byte(`{"schema":`+order+`,"payload":`+tt.payload+`}`))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
			if c, _ := sdk.ClassOf(err); c != sdk.ClassRecord {
				t.Errorf("class = %v, want record", c)
			}
		})
	}

	t.Run("write", func(t *testing.T) {
		s := sdk.NewStruct("").Field("tags", sdk.ArrayOf(sdk.StringSchema)).Build()
		_, err := conv.FromConnect("t", s, structOf(s, "tags", []any{"a", int32(1)}))
		want := "at tags[1]: Invalid type for STRING: int32"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("error = %v, want %q", err, want)
		}
	})
}

func TestJSONTombstonesAndRaw(t *testing.T) {
	for _, cfg := range []map[string]string{nil, {jsonSchemasEnable: "false"}} {
		conv := newTestJSON(t, cfg)
		s, v, err := conv.ToConnect("t", nil)
		if s != nil || v != nil || err != nil {
			t.Errorf("%v: ToConnect(nil) = %v, %v, %v; want nil, nil, nil", cfg, s, v, err)
		}
		b, err := conv.FromConnect("t", nil, nil)
		if b != nil || err != nil {
			t.Errorf("%v: FromConnect(nil, nil) = %q, %v; want nil", cfg, b, err)
		}
		raw := sdk.Raw(`not json {`)
		b, err = conv.FromConnect("t", sdk.Int32Schema, raw)
		if err != nil || string(b) != string(raw) {
			t.Errorf("%v: FromConnect(Raw) = %q, %v; want the raw bytes", cfg, b, err)
		}
	}
}

func TestJSONConfig(t *testing.T) {
	tests := []struct {
		cfg     map[string]string
		wantErr string
	}{
		{map[string]string{"schemas.enable": "FALSE", "decimal.format": "numeric", "replace.null.with.default": " true "}, ""},
		{map[string]string{"schemas.enable": "yes"}, `invalid value "yes" for configuration schemas.enable`},
		{map[string]string{"decimal.format": "HEX"}, "String must be one of (case insensitive): BASE64, NUMERIC"},
		{map[string]string{"schemas.cache.size": "many"}, "schemas.cache.size"},
		{map[string]string{"schema.content": `{"type":"nope"}`}, "Unknown schema type: nope"},
		{map[string]string{"schema.content": `  `}, "Schema must contain 'type' field"},
		{map[string]string{"schema.content": `{"type":`}, "unexpected end of input"},
		{map[string]string{"unknown.key": "ignored"}, ""},
	}
	for _, tt := range tests {
		_, err := New(jsonClass, tt.cfg, true)
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("New(%v) error = %v, want %q", tt.cfg, err, tt.wantErr)
		}
	}
}

func TestJSONSchemaContent(t *testing.T) {
	conv := newTestJSON(t, map[string]string{"schema.content": `{"type":"struct","fields":[{"type":"int64","field":"id"},{"type":"string","optional":true,"field":"name"}]}`})
	s, v, err := conv.ToConnect("t", []byte(`{"id":5}`))
	if err != nil {
		t.Fatal(err)
	}
	st, ok := v.(*sdk.Struct)
	if !ok || s.Type != sdk.TypeStruct || st.Get("id") != int64(5) || st.Get("name") != nil {
		t.Fatalf("ToConnect = %v, %#v", s, v)
	}
}

func TestJSONNoSchemaCache(t *testing.T) {
	// schemas.cache.size=0 must still work, only without caching.
	conv := newTestJSON(t, map[string]string{"schemas.cache.size": "0"})
	s := sdk.NewStruct("x").Field("a", sdk.Int32Schema).Build()
	for range 2 {
		b, err := conv.FromConnect("t", s, structOf(s, "a", int32(1)))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := conv.ToConnect("t", b); err != nil {
			t.Fatal(err)
		}
	}
}

// TestJSONErrorPrecedence checks that when a message is wrong in several
// ways we report what Kafka Connect reports: syntax first, then the
// envelope, then the schema, then the payload.
func TestJSONErrorPrecedence(t *testing.T) {
	conv := newTestJSON(t, nil)
	const i32 = `{"type":"int32"}`
	tests := []struct {
		name, in, want string
	}{
		{"payload error, then syntax error", `{"schema":` + i32 + `,"payload":"x","y":}`, "unexpected character '}'"},
		{"payload error, then extra key", `{"schema":` + i32 + `,"payload":"x","y":1}`, errEnvelope},
		{"schema error, then extra key", `{"schema":{"type":"x"},"payload":1,"y":1}`, errEnvelope},
		{"schema error and payload error", `{"schema":{"type":"x"},"payload":"x"}`, "Unknown schema type: x"},
		{"payload before a bad schema", `{"payload":"x","schema":{"type":"x"}}`, "Unknown schema type: x"},
		{"payload before its schema", `{"payload":"x","schema":` + i32 + `}`, "Invalid value for INT32: expected an integer but found STRING"},
		{"trailing content after a payload error", `{"schema":` + i32 + `,"payload":"x"} [`, "expected end of input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := conv.ToConnect("t", []byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
		})
	}

	t.Run("payload before its schema reads", func(t *testing.T) {
		s, v, err := conv.ToConnect("t", []byte(`{"payload":[1,2],"schema":{"type":"array","items":`+i32+`}}`))
		if err != nil || s.Type != sdk.TypeArray || !sameValue(v, []any{int32(1), int32(2)}) {
			t.Fatalf("ToConnect = %v, %v, %v", s, v, err)
		}
	})
	t.Run("same schema text is recognized", func(t *testing.T) {
		msg := []byte(`{"schema":` + i32 + `,"payload":1}`)
		s1, _, err1 := conv.ToConnect("t", msg)
		s2, _, err2 := conv.ToConnect("t", msg)
		if err1 != nil || err2 != nil || s1 != s2 {
			t.Fatalf("schemas %p, %p (errors %v, %v): want one shared schema", s1, s2, err1, err2)
		}
	})
}

// TestJSONHugeExponents checks that numbers with huge exponents are answered
// at once, not by computing 10^2147483647.
func TestJSONHugeExponents(t *testing.T) {
	conv := newTestJSON(t, nil)
	const dec2 = `{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"}}`
	tests := []struct {
		schema, payload, wantErr string
		want                     any
	}{
		{`{"type":"int32"}`, `1e-2147483647`, "not an integer", nil},
		{`{"type":"int64"}`, `1e2147483647`, "out of range", nil},
		{`{"type":"int64"}`, `0e2147483647`, "", int64(0)},
		{`{"type":"int64"}`, `1000e-3`, "", int64(1)},
		{dec2, `1e-999999999`, "more fractional digits", nil},
		{dec2, `1e999999999`, "cannot be given scale 2", nil},
		{dec2, `0e-999999999`, "", dec("0", 2)},
		{`{"type":"double"}`, `1e-2147483647`, "", 0.0},
	}
	for _, tt := range tests {
		t.Run(tt.payload, func(t *testing.T) {
			_, v, err := conv.ToConnect("t", []byte(`{"schema":`+tt.schema+`,"payload":`+tt.payload+`}`))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !sameValue(v, tt.want) {
				t.Fatalf("ToConnect = %v, %v; want %v", v, err, tt.want)
			}
		})
	}
}
