package transform_test

import (
	"errors"
	"testing"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/runtime/transform"
)

func TestReplaceField(t *testing.T) {
	for _, tc := range []struct {
		name string
		kv   []string
		want map[string]any // schemaless output; with a schema, fields in input order
		keys []string       // field order with a schema
	}{
		{"exclude", []string{"exclude", "email,country"},
			map[string]any{"id": int64(7), "name": "ada"}, []string{"id", "name"}},
		{"include", []string{"include", "name, id"},
			map[string]any{"id": int64(7), "name": "ada"}, []string{"id", "name"}},
		{"exclude wins over include", []string{"include", "id,name", "exclude", "name"},
			map[string]any{"id": int64(7)}, []string{"id"}},
		{"renames", []string{"renames", "id:user_id,name:full_name"},
			map[string]any{"user_id": int64(7), "full_name": "ada", "email": "ada@example.com", "country": nil},
			[]string{"user_id", "full_name", "email", "country"}},
		{"blacklist (pre-4.0 name of exclude)", []string{"blacklist", "email,country"},
			map[string]any{"id": int64(7), "name": "ada"}, []string{"id", "name"}},
		{"whitelist (pre-4.0 name of include)", []string{"whitelist", "id"},
			map[string]any{"id": int64(7)}, []string{"id"}},
		{"exclude wins over blacklist", []string{"exclude", "email,country", "blacklist", "id"},
			map[string]any{"id": int64(7), "name": "ada"}, []string{"id", "name"}},
	} {
		t.Run(tc.name+"/schemaless", func(t *testing.T) {
			c := mustChain(t, cfg("org.apache.kafka.connect.transforms.ReplaceField$Value", tc.kv...))
			in := userMap()
			r := sinkRecord(nil, in)
			if _, err := c.Apply(r); err != nil {
				t.Fatal(err)
			}
			equal(t, "value", r.Value, tc.want)
			equal(t, "input", in, userMap())
		})
		t.Run(tc.name+"/schema", func(t *testing.T) {
			c := mustChain(t, cfg("ReplaceField$Value", tc.kv...))
			s := userSchema()
			r := sinkRecord(s, userStruct(s))
			if _, err := c.Apply(r); err != nil {
				t.Fatal(err)
			}
			equal(t, "fields", fieldNames(r.ValueSchema), tc.keys)
			want := map[string]any{}
			for k, v := range tc.want {
				want[k] = v
			}
			if _, ok := want["country"]; ok {
				want["country"] = "NL" // the field's default, replace.null.with.default=true
			}
			equal(t, "value", structMap(t, r.Value), want)
			if r.ValueSchema.Name != s.Name {
				t.Errorf("schema name = %q, want %q", r.ValueSchema.Name, s.Name)
			}
		})
	}
}

func TestReplaceFieldKeyAndTombstone(t *testing.T) {
	c := mustChain(t, cfg("org.apache.kafka.connect.transforms.ReplaceField$Key", "renames", "id:key_id"))
	r := sinkRecord(nil, nil)
	r.Key = map[string]any{"id": 1}
	if keep, err := c.Apply(r); !keep || err != nil {
		t.Fatalf("Apply = %v, %v", keep, err)
	}
	equal(t, "key", r.Key, map[string]any{"key_id": 1})
	if r.Value != nil {
		t.Errorf("value = %v, want the tombstone unchanged", r.Value)
	}
}

func TestReplaceFieldErrors(t *testing.T) {
	_, err := transform.NewChain(cfg("ReplaceField$Value", "renames", "a:b,broken,c:"))
	equal(t, "config keys", configKeys(t, err), []string{"transforms.t.renames"})

	c := mustChain(t, cfg("ReplaceField$Value", "renames", "id:name"))
	s := userSchema()
	_, err = c.Apply(sinkRecord(s, userStruct(s)))
	var te *transform.Error
	if !errors.As(err, &te) || te.Alias != "t" {
		t.Fatalf("rename onto an existing field: err = %v, want *transform.Error", err)
	}
	if cl, _ := sdk.ClassOf(err); cl != sdk.ClassRecord {
		t.Errorf("class = %v, want record", cl)
	}
}
