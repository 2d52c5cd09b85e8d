package convert

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

func TestNew(t *testing.T) {
	for _, name := range Classes() {
		c, err := New(name, nil, false)
		if err != nil || c == nil {
			t.Errorf("New(%q) = %v, %v", name, c, err)
		}
	}
	_, err := New("io.confluent.connect.avro.AvroConverter", nil, false)
	if err == nil {
		t.Fatal("New(unknown) succeeded")
	}
	for _, want := range []string{"io.confluent.connect.avro.AvroConverter", jsonClass, stringClass, byteArrayClass, "json", "string", "bytearray"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	// Kafka class names come first, for GET /connector-plugins.
	for i, name := range Classes()[:3] {
		if !strings.Contains(name, ".") {
			t.Errorf("Classes()[%d] = %q, want a class name", i, name)
		}
	}
}

func TestJSONSchemalessGoValues(t *testing.T) {
	conv := newTestJSON(t, map[string]string{jsonSchemasEnable: "false"})
	tests := []struct {
		name    string
		v       any
		want    string
		wantErr string
	}{
		{"int", 7, "7", ""},
		{"uint64", uint64(1 << 63), "9223372036854775808", ""},
		{"[]string", []string{"a", "b"}, `["a","b"]`, ""},
		{"map[string]string", map[string]string{"b": "2", "a": "1"}, `{"a":"1","b":"2"}`, ""},
		{"map[string]any sorted", map[string]any{"z": 1, "a": nil, "m": []any{nil, true}}, `{"a":null,"m":[null,true],"z":1}`, ""},
		{"map[any]any string keys", map[any]any{"b": int64(2), "a": int64(1)}, `{"a":1,"b":2}`, ""},
		{"map[any]any int keys sorted numerically", map[any]any{int64(10): "x", int64(9): "y", int64(-1): "z"}, `[[-1,"z"],[9,"y"],[10,"x"]]`, ""},
		{"map[int]string", map[int]string{2: "b", 1: "a"}, `[[1,"a"],[2,"b"]]`, ""},
		{"float32", float32(0.1), "0.1", ""},
		{"invalid utf-8", "a\xffb", "\"a\uFFFDb\"", ""},
		{"time", time.Unix(0, 0), "", "Go type time.Time does not have corresponding schema type."},
		{"struct", &sdk.Struct{Schema: sdk.NewStruct("").Build()}, "", "Mismatching schema."},
		{"nested error path", map[string]any{"a": []any{1, struct{}{}}}, "", `at ["a"][1]: Go type struct {} does not have`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := conv.FromConnect("t", nil, tt.v)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				if c, _ := sdk.ClassOf(err); c != sdk.ClassRecord {
					t.Errorf("class = %v, want record", c)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("FromConnect = %s, %v; want %s", got, err, tt.want)
			}
		})
	}
}

func TestJSONTypedWriteLeniency(t *testing.T) {
	conv := newTestJSON(t, map[string]string{jsonSchemasEnable: "false"})
	tests := []struct {
		name string
		s    *sdk.Schema
		v    any
		want string
	}{
		{"[]int32 for array", sdk.ArrayOf(sdk.Int32Schema), []int32{3, 1}, "[3,1]"},
		{"map[string]any for string map", sdk.MapOf(sdk.StringSchema, sdk.Int64Schema), map[string]any{"b": int64(2), "a": int64(1)}, `{"a":1,"b":2}`},
		{"map[string]int64 for string map", sdk.MapOf(sdk.StringSchema, sdk.Int64Schema), map[string]int64{"b": 2, "a": 1}, `{"a":1,"b":2}`},
		{"*sdk.Decimal", sdk.DecimalSchema(1), &sdk.Decimal{Unscaled: dec("15", 1).Unscaled, Scale: 1}, `"Dw=="`},
		{"struct equal but not identical schema", sdk.NewStruct("p").Field("x", sdk.Int32Schema).Build(),
			structOf(sdk.NewStruct("p").Field("x", sdk.Int32Schema).Build(), "x", int32(1)), `{"x":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := conv.FromConnect("t", tt.s, tt.v)
			if err != nil || string(got) != tt.want {
				t.Fatalf("FromConnect = %s, %v; want %s", got, err, tt.want)
			}
		})
	}
}

func TestStringConverter(t *testing.T) {
	utf8Conv, err := New("string", nil, true)
	if err != nil {
		t.Fatal(err)
	}
	latin1, err := New(stringClass, map[string]string{"converter.encoding": "ISO-8859-1"}, false)
	if err != nil {
		t.Fatal(err)
	}
	ascii, err := New("StringConverter", map[string]string{"converter.encoding": "us-ascii"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New("string", map[string]string{"converter.encoding": "EBCDIC"}, false); err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("unsupported encoding: error = %v", err)
	}

	st := sdk.NewStruct("").Field("a", sdk.Int32Schema).Field("b", sdk.OptionalStringSchema).Field("c", sdk.StringSchema).Build()
	writes := []struct {
		name string
		conv Converter
		v    any
		want []byte
	}{
		{"nil", utf8Conv, nil, nil},
		{"string", utf8Conv, "héllo", []byte("héllo")},
		{"raw", utf8Conv, sdk.Raw{0xff, 0}, []byte{0xff, 0}},
		{"int64", utf8Conv, int64(-12), []byte("-12")},
		{"float64 as Java prints it", utf8Conv, 1e20, []byte("1.0E20")},
		{"float32", utf8Conv, float32(1.5), []byte("1.5")},
		{"bool", utf8Conv, true, []byte("true")},
		{"decimal", utf8Conv, dec("-1250", 2), []byte("-12.50")},
		{"time as java.util.Date in UTC", utf8Conv, time.Date(2024, 2, 29, 13, 45, 30, 0, time.UTC), []byte("Thu Feb 29 13:45:30 UTC 2024")},
		{"struct", utf8Conv, structOf(st, "a", int32(1), "c", "x"), []byte("Struct{a=1,c=x}")},
		{"list", utf8Conv, []any{int32(1), "a", nil}, []byte("[1, a, null]")},
		{"map sorted", utf8Conv, map[string]any{"b": 2, "a": 1}, []byte("{a=1, b=2}")},
		{"latin1", latin1, "é€", []byte{0xe9, '?'}},
		{"ascii", ascii, "é", []byte{'?'}},
	}
	for _, tt := range writes {
		t.Run("write "+tt.name, func(t *testing.T) {
			got, err := tt.conv.FromConnect("t", sdk.OptionalStringSchema, tt.v)
			if err != nil || !bytes.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
				t.Fatalf("FromConnect = %q, %v; want %q", got, err, tt.want)
			}
		})
	}

	reads := []struct {
		name string
		conv Converter
		b    []byte
		want any
	}{
		{"nil", utf8Conv, nil, nil},
		{"empty", utf8Conv, []byte{}, ""},
		{"utf-8", utf8Conv, []byte("日本"), "日本"},
		{"invalid utf-8 replaced", utf8Conv, []byte{'a', 0xff, 'b'}, "a\uFFFDb"},
		{"latin1", latin1, []byte{0xe9}, "é"},
		{"ascii", ascii, []byte{'a', 0xe9}, "a\uFFFD"},
	}
	for _, tt := range reads {
		t.Run("read "+tt.name, func(t *testing.T) {
			s, v, err := tt.conv.ToConnect("t", tt.b)
			if err != nil || s != sdk.OptionalStringSchema || v != tt.want {
				t.Fatalf("ToConnect = %v, %#v, %v; want optional string %#v", s, v, err, tt.want)
			}
		})
	}
}

func TestByteArrayConverter(t *testing.T) {
	conv, err := New(byteArrayClass, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	writes := []struct {
		name    string
		s       *sdk.Schema
		v       any
		want    []byte
		wantErr string
	}{
		{"bytes", sdk.BytesSchema, []byte{1, 2}, []byte{1, 2}, ""},
		{"no schema", nil, []byte{3}, []byte{3}, ""},
		{"nil", sdk.OptionalBytesSchema, nil, nil, ""},
		{"raw with any schema", sdk.StringSchema, sdk.Raw("x"), []byte("x"), ""},
		{"wrong schema", sdk.StringSchema, []byte{1}, nil, "Invalid schema type for ByteArrayConverter: STRING"},
		{"wrong value", nil, "text", nil, "ByteArrayConverter is not compatible with objects of type string"},
	}
	for _, tt := range writes {
		t.Run("write "+tt.name, func(t *testing.T) {
			got, err := conv.FromConnect("t", tt.s, tt.v)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				if c, _ := sdk.ClassOf(err); c != sdk.ClassRecord {
					t.Errorf("class = %v, want record", c)
				}
				return
			}
			if err != nil || !bytes.Equal(got, tt.want) {
				t.Fatalf("FromConnect = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	s, v, err := conv.ToConnect("t", []byte{9})
	if err != nil || s != sdk.OptionalBytesSchema || !bytes.Equal(v.([]byte), []byte{9}) {
		t.Errorf("ToConnect = %v, %v, %v", s, v, err)
	}
	s, v, err = conv.ToConnect("t", nil)
	if err != nil || s != sdk.OptionalBytesSchema || v != nil {
		t.Errorf("ToConnect(nil) = %v, %#v, %v; want optional bytes, nil", s, v, err)
	}
}

func TestConvertersAreSafeForConcurrentUse(t *testing.T) {
	conv := newTestJSON(t, nil)
	s := sdk.NewStruct("e").Field("id", sdk.Int64Schema).Build()
	done := make(chan error)
	for g := range 4 {
		go func() {
			var err error
			for i := range 200 {
				var b []byte
				if b, err = conv.FromConnect("t", s, structOf(s, "id", int64(g*1000+i))); err != nil {
					break
				}
				if _, _, err = conv.ToConnect("t", b); err != nil {
					break
				}
			}
			done <- err
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
