package transform_test

import (
	"errors"
	"testing"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/runtime/transform"
)

func TestValueToKey(t *testing.T) {
	t.Run("schema", func(t *testing.T) {
		c := mustChain(t, cfg("org.apache.kafka.connect.transforms.ValueToKey", "fields", "name,id,country"))
		s := userSchema()
		v := userStruct(s)
		r := sinkRecord(s, v)
		if _, err := c.Apply(r); err != nil {
			t.Fatal(err)
		}
		equal(t, "key fields", fieldNames(r.KeySchema), []string{"name", "id", "country"})
		equal(t, "key", structMap(t, r.Key), map[string]any{"name": "ada", "id": int64(7), "country": "NL"})
		if r.KeySchema.Field("id").Schema != s.Field("id").Schema {
			t.Error("key field schema is not the value field's schema")
		}
		if r.Value != v || r.ValueSchema != s {
			t.Error("value changed")
		}
	})
	t.Run("schemaless", func(t *testing.T) {
		c := mustChain(t, cfg("ValueToKey", "fields", "id,missing"))
		r := sinkRecord(nil, userMap())
		if _, err := c.Apply(r); err != nil {
			t.Fatal(err)
		}
		equal(t, "key", r.Key, map[string]any{"id": int64(7), "missing": nil})
		if r.KeySchema != nil {
			t.Error("key schema set for a schemaless value")
		}
	})
	t.Run("missing field with schema", func(t *testing.T) {
		c := mustChain(t, cfg("ValueToKey", "fields", "nope"))
		s := userSchema()
		_, err := c.Apply(sinkRecord(s, userStruct(s)))
		var te *transform.Error
		if !errors.As(err, &te) || te.Class != "org.apache.kafka.connect.transforms.ValueToKey" {
			t.Fatalf("err = %v, want *transform.Error of ValueToKey", err)
		}
	})
	t.Run("tombstone is an error, as in Kafka Connect", func(t *testing.T) {
		c := mustChain(t, cfg("ValueToKey", "fields", "id"))
		if _, err := c.Apply(sinkRecord(nil, nil)); err == nil {
			t.Fatal("want an error")
		}
	})
}

func TestValueToKeyConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		kv   []string
	}{
		{"fields missing", nil},
		{"fields empty", []string{"fields", " , "}},
		{"fields duplicated", []string{"fields", "a,b,a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := transform.NewChain(cfg("ValueToKey", tc.kv...))
			equal(t, "keys", configKeys(t, err), []string{"transforms.t.fields"})
			var ce *sdk.ConfigError
			if errors.As(err, &ce) && ce.Message == "" {
				t.Error("empty message")
			}
		})
	}
}
