package transform_test

import (
	"errors"
	"testing"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/runtime/transform"
)

func TestExtractField(t *testing.T) {
	addr := sdk.NewStruct("addr").Field("city", sdk.StringSchema).Field("a.b", sdk.Int32Schema).Optional().Build()
	nested := sdk.NewStruct("n").Field("id", sdk.Int64Schema).Field("address", addr).Build()
	nestedValue := func(a *sdk.Struct) *sdk.Struct {
		return sdk.NewStructValue(nested).Put("id", int64(1)).Put("address", a)
	}
	full := sdk.NewStructValue(addr).Put("city", "Utrecht").Put("a.b", int32(5))

	for _, tc := range []struct {
		name       string
		kv         []string
		schema     *sdk.Schema
		value      any
		want       any
		wantSchema *sdk.Schema
	}{
		{"schema", []string{"field", "name"}, userSchema(), userStruct(userSchema()), "ada", sdk.StringSchema},
		{"schema, null field with a default", []string{"field", "country"}, userSchema(), userStruct(userSchema()), "NL", nil},
		{"schema, null struct passes through", []string{"field", "name"}, userSchema(), nil, nil, sdk.StringSchema},
		{"schemaless", []string{"field", "name"}, nil, userMap(), "ada", nil},
		{"schemaless, missing field is null", []string{"field", "nope"}, nil, userMap(), nil, nil},
		{"schemaless, null passes through", []string{"field", "name"}, nil, nil, nil, nil},
		{"V1 reads a dotted name as one field", []string{"field", "a.b"}, nil, map[string]any{"a.b": 1, "a": map[string]any{"b": 2}}, 1, nil},
		{"V2 nested struct", []string{"field", "address.city", "field.syntax.version", "V2"}, nested, nestedValue(full), "Utrecht", sdk.StringSchema},
		{"V2 backticks quote a dotted name", []string{"field", "address.`a.b`", "field.syntax.version", "v2"}, nested, nestedValue(full), int32(5), sdk.Int32Schema},
		{"V2 null parent reads null", []string{"field", "address.city", "field.syntax.version", "V2"}, nested, nestedValue(nil), nil, sdk.StringSchema},
		{"V2 nested map", []string{"field", "a.b", "field.syntax.version", "V2"}, nil, map[string]any{"a.b": 1, "a": map[string]any{"b": 2}}, 2, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustChain(t, cfg("org.apache.kafka.connect.transforms.ExtractField$Value", tc.kv...))
			r := sinkRecord(tc.schema, tc.value)
			if _, err := c.Apply(r); err != nil {
				t.Fatal(err)
			}
			equal(t, "value", r.Value, tc.want)
			if tc.wantSchema != nil && r.ValueSchema != tc.wantSchema {
				t.Errorf("schema = %+v, want %+v", r.ValueSchema, tc.wantSchema)
			}
			if tc.schema == nil && r.ValueSchema != nil {
				t.Errorf("schema = %+v, want nil", r.ValueSchema)
			}
		})
	}
}

func TestExtractFieldKey(t *testing.T) {
	ks := sdk.NewStruct("k").Field("id", sdk.Int64Schema).Build()
	c := mustChain(t, cfg("ExtractField$Key", "field", "id"))
	r := sinkRecord(nil, "v")
	r.Key, r.KeySchema = sdk.NewStructValue(ks).Put("id", int64(9)), ks
	if _, err := c.Apply(r); err != nil {
		t.Fatal(err)
	}
	if r.Key != int64(9) || r.KeySchema != sdk.Int64Schema || r.Value != "v" {
		t.Errorf("key = %v (%+v), value = %v", r.Key, r.KeySchema, r.Value)
	}
}

func TestExtractFieldErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		schema *sdk.Schema
		value  any
	}{
		{"unknown field", userSchema(), userStruct(userSchema())},
		{"schema is not a struct", sdk.StringSchema, "x"},
		{"schemaless value is not a map", nil, []any{1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustChain(t, cfg("ExtractField$Value", "field", "nope"))
			_, err := c.Apply(sinkRecord(tc.schema, tc.value))
			var te *transform.Error
			if !errors.As(err, &te) || te.Class != "org.apache.kafka.connect.transforms.ExtractField$Value" {
				t.Fatalf("err = %v", err)
			}
		})
	}
	t.Run("config", func(t *testing.T) {
		_, err := transform.NewChain(map[string]string{
			"transforms":                        "a,b,c",
			"transforms.a.type":                 "ExtractField$Value",
			"transforms.b.type":                 "ExtractField$Value",
			"transforms.b.field":                "x",
			"transforms.b.field.syntax.version": "V3",
			"transforms.c.type":                 "ExtractField$Value",
			"transforms.c.field":                "`open.x",
			"transforms.c.field.syntax.version": "V2",
		})
		equal(t, "keys", configKeys(t, err), []string{"transforms.a.field", "transforms.b.field.syntax.version", "transforms.c.field"})
	})
}
