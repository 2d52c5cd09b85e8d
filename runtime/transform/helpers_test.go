package transform_test

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/runtime/transform"
)

// ts is the timestamp of test records: 2024-03-05T14:07:09.042Z.
var ts = time.Date(2024, 3, 5, 14, 7, 9, 42e6, time.UTC)

// userSchema is a value schema with a field that has a default.
func userSchema() *sdk.Schema {
	return sdk.NewStruct("com.example.User").Version(2).Doc("a user").
		Field("id", sdk.Int64Schema).
		Field("name", sdk.StringSchema).
		Field("email", sdk.OptionalStringSchema).
		Field("country", &sdk.Schema{Type: sdk.TypeString, Optional: true, Default: "NL"}).
		Build()
}

func userStruct(s *sdk.Schema) *sdk.Struct {
	return sdk.NewStructValue(s).Put("id", int64(7)).Put("name", "ada").Put("email", "ada@example.com")
}

func userMap() map[string]any {
	return map[string]any{"id": int64(7), "name": "ada", "email": "ada@example.com", "country": nil}
}

// sinkRecord is a record as a sink task sees it, with the given value.
func sinkRecord(schema *sdk.Schema, value any) *sdk.Record {
	return &sdk.Record{Topic: "orders", Partition: 3, Offset: 42, Timestamp: ts, ValueSchema: schema, Value: value}
}

// cfg builds a one-transform connector config: alias t with the given type and keys.
func cfg(typ string, kv ...string) map[string]string {
	m := map[string]string{"transforms": "t", "transforms.t.type": typ}
	for i := 0; i+1 < len(kv); i += 2 {
		m["transforms.t."+kv[i]] = kv[i+1]
	}
	return m
}

func mustChain(t *testing.T, m map[string]string) *transform.Chain {
	t.Helper()
	c, err := transform.NewChain(m)
	if err != nil {
		t.Fatalf("NewChain: %v", err)
	}
	return c
}

// configKeys returns the keys of every *sdk.ConfigError in err.
func configKeys(t *testing.T, err error) []string {
	t.Helper()
	var keys []string
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		var ce *sdk.ConfigError
		if !errors.As(e, &ce) {
			t.Errorf("error %q is not a *sdk.ConfigError", e)
			return
		}
		keys = append(keys, ce.Key)
	}
	walk(err)
	slices.Sort(keys)
	return keys
}

// fieldNames returns the names of a struct schema's fields.
func fieldNames(s *sdk.Schema) []string {
	var out []string
	for _, f := range s.Fields {
		out = append(out, f.Name)
	}
	return out
}

// structMap reads a struct value as a map, for comparisons.
func structMap(t *testing.T, v any) map[string]any {
	t.Helper()
	st, ok := v.(*sdk.Struct)
	if !ok {
		t.Fatalf("value is %T, want *sdk.Struct", v)
	}
	if len(st.Values) != len(st.Schema.Fields) {
		t.Fatalf("struct has %d values for %d fields", len(st.Values), len(st.Schema.Fields))
	}
	m := map[string]any{}
	for i, f := range st.Schema.Fields {
		m[f.Name] = st.Values[i]
	}
	return m
}

func equal(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}
