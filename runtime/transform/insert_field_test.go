package transform_test

import (
	"errors"
	"testing"
	"time"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/runtime/transform"
)

func TestInsertFieldWithSchema(t *testing.T) {
	for _, tc := range []struct {
		name       string
		kv         []string
		wantFields []string
		wantValues map[string]any
		required   []string // inserted fields that must be required (!)
	}{
		{
			name:       "every insertion, optional by default",
			kv:         []string{"topic.field", "t", "partition.field", "p", "offset.field", "o", "timestamp.field", "ts", "static.field", "s", "static.value", "v1"},
			wantFields: []string{"id", "name", "email", "country", "t", "p", "o", "ts", "s"},
			wantValues: map[string]any{"id": int64(7), "name": "ada", "email": "ada@example.com", "country": "NL",
				"t": "orders", "p": int32(3), "o": int64(42), "ts": ts, "s": "v1"},
		},
		{
			name:       "! makes a field required, ? keeps it optional",
			kv:         []string{"topic.field", "t!", "partition.field", "p?"},
			wantFields: []string{"id", "name", "email", "country", "t", "p"},
			wantValues: map[string]any{"id": int64(7), "name": "ada", "email": "ada@example.com", "country": "NL", "t": "orders", "p": int32(3)},
			required:   []string{"t"},
		},
		{
			name:       "an existing field is replaced in place",
			kv:         []string{"topic.field", "name"},
			wantFields: []string{"id", "name", "email", "country"},
			wantValues: map[string]any{"id": int64(7), "name": "orders", "email": "ada@example.com", "country": "NL"},
		},
		{
			name:       "replace.null.with.default=false keeps null",
			kv:         []string{"static.field", "s", "static.value", "x", "replace.null.with.default", "false"},
			wantFields: []string{"id", "name", "email", "country", "s"},
			wantValues: map[string]any{"id": int64(7), "name": "ada", "email": "ada@example.com", "country": nil, "s": "x"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustChain(t, cfg("org.apache.kafka.connect.transforms.InsertField$Value", tc.kv...))
			in := userSchema()
			orig := userStruct(in)
			r := sinkRecord(in, orig)
			keep, err := c.Apply(r)
			if err != nil || !keep {
				t.Fatalf("Apply = %v, %v", keep, err)
			}
			equal(t, "fields", fieldNames(r.ValueSchema), tc.wantFields)
			equal(t, "values", structMap(t, r.Value), tc.wantValues)
			if r.Value.(*sdk.Struct).Schema != r.ValueSchema {
				t.Error("struct schema and record value schema differ")
			}
			if r.ValueSchema.Name != in.Name || r.ValueSchema.Version != in.Version || r.ValueSchema.Doc != in.Doc {
				t.Errorf("schema basics not carried over: %+v", r.ValueSchema)
			}
			for _, f := range r.ValueSchema.Fields {
				want := true
				for _, req := range tc.required {
					if f.Name == req {
						want = false
					}
				}
				if f.Index >= len(in.Fields) && f.Schema.Optional != want {
					t.Errorf("field %s optional = %v, want %v", f.Name, f.Schema.Optional, want)
				}
			}
			equal(t, "input struct", structMap(t, orig), structMap(t, userStruct(in)))
		})
	}
}

func TestInsertFieldTimestampSchema(t *testing.T) {
	c := mustChain(t, cfg("InsertField$Value", "timestamp.field", "ts!"))
	r := sinkRecord(userSchema(), userStruct(userSchema()))
	if _, err := c.Apply(r); err != nil {
		t.Fatal(err)
	}
	f := r.ValueSchema.Field("ts")
	if f.Schema.Name != sdk.TimestampName || f.Schema.Type != sdk.TypeInt64 || f.Schema.Optional {
		t.Errorf("ts schema = %+v, want required Timestamp", f.Schema)
	}
	if got := r.Value.(*sdk.Struct).Get("ts").(time.Time); !got.Equal(ts) || got.Location() != time.UTC {
		t.Errorf("ts = %v, want %v UTC", got, ts)
	}
}

func TestInsertFieldSchemaless(t *testing.T) {
	c := mustChain(t, cfg("InsertField$Value",
		"topic.field", "t", "partition.field", "p", "offset.field", "o", "timestamp.field", "ts", "static.field", "s", "static.value", "v1"))
	in := userMap()
	r := sinkRecord(nil, in)
	if _, err := c.Apply(r); err != nil {
		t.Fatal(err)
	}
	want := userMap()
	want["t"], want["p"], want["o"], want["ts"], want["s"] = "orders", int32(3), int64(42), ts.UnixMilli(), "v1"
	equal(t, "value", r.Value, want)
	equal(t, "input map", in, userMap())
	if r.ValueSchema != nil {
		t.Errorf("schema = %v, want nil", r.ValueSchema)
	}
}

func TestInsertFieldKey(t *testing.T) {
	c := mustChain(t, cfg("org.apache.kafka.connect.transforms.InsertField$Key", "partition.field", "p"))
	ks := sdk.NewStruct("k").Field("id", sdk.Int64Schema).Build()
	r := sinkRecord(nil, "value stays")
	r.Key, r.KeySchema = sdk.NewStructValue(ks).Put("id", int64(1)), ks
	if _, err := c.Apply(r); err != nil {
		t.Fatal(err)
	}
	equal(t, "key", structMap(t, r.Key), map[string]any{"id": int64(1), "p": int32(3)})
	equal(t, "value", r.Value, "value stays")
}

func TestInsertFieldPassesTombstones(t *testing.T) {
	c := mustChain(t, cfg("InsertField$Value", "topic.field", "t"))
	for _, s := range []*sdk.Schema{nil, userSchema()} {
		r := sinkRecord(s, nil)
		if keep, err := c.Apply(r); !keep || err != nil || r.Value != nil {
			t.Errorf("schema %v: Apply = %v, %v, value %v; want the tombstone kept unchanged", s != nil, keep, err, r.Value)
		}
	}
}

func TestInsertFieldRecordErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		kv   []string
		rec  func() *sdk.Record
	}{
		{"schemaless value is not a map", []string{"topic.field", "t"}, func() *sdk.Record { return sinkRecord(nil, "text") }},
		{"schema value is not a struct", []string{"topic.field", "t"}, func() *sdk.Record { return sinkRecord(sdk.StringSchema, "text") }},
		{"required timestamp missing", []string{"timestamp.field", "ts!"}, func() *sdk.Record {
			r := sinkRecord(userSchema(), userStruct(userSchema()))
			r.Timestamp = time.Time{}
			return r
		}},
		{"offset of a source record", []string{"offset.field", "o"}, func() *sdk.Record {
			r := sinkRecord(nil, userMap())
			r.SourceOffset = map[string]any{"pos": 1}
			return r
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustChain(t, cfg("InsertField$Value", tc.kv...))
			keep, err := c.Apply(tc.rec())
			var te *transform.Error
			if keep || !errors.As(err, &te) {
				t.Fatalf("Apply = %v, %v; want a *transform.Error", keep, err)
			}
			if te.Alias != "t" || te.Class != "org.apache.kafka.connect.transforms.InsertField$Value" {
				t.Errorf("error names %q %q", te.Alias, te.Class)
			}
			if cl, _ := sdk.ClassOf(err); cl != sdk.ClassRecord {
				t.Errorf("class = %v, want record", cl)
			}
		})
	}
}

func TestInsertFieldCachesDerivedSchema(t *testing.T) {
	c := mustChain(t, cfg("InsertField$Value", "topic.field", "t"))
	in := userSchema()
	var first *sdk.Schema
	for i := range 3 {
		r := sinkRecord(in, userStruct(in))
		if _, err := c.Apply(r); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = r.ValueSchema
		} else if r.ValueSchema != first {
			t.Fatalf("record %d got a new schema; want the cached one", i)
		}
	}
	other := userSchema() // equal but a different pointer: derived anew
	r := sinkRecord(other, userStruct(other))
	if _, err := c.Apply(r); err != nil {
		t.Fatal(err)
	}
	if r.ValueSchema == first {
		t.Error("a different input schema got the same derived schema")
	}
}

func TestInsertFieldConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		kv   []string
		want []string
	}{
		{"nothing to insert", nil, []string{"transforms.t.topic.field"}},
		{"static.field without static.value", []string{"static.field", "s"}, []string{"transforms.t.static.value"}},
		{"empty name", []string{"topic.field", "!"}, []string{"transforms.t.topic.field"}},
		{"two insertions, one name", []string{"topic.field", "x", "partition.field", "x!"}, []string{"transforms.t.partition.field"}},
		{"bad boolean", []string{"topic.field", "x", "replace.null.with.default", "maybe"}, []string{"transforms.t.replace.null.with.default"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := transform.NewChain(cfg("InsertField$Value", tc.kv...))
			if err == nil {
				t.Fatal("NewChain succeeded")
			}
			equal(t, "keys", configKeys(t, err), tc.want)
		})
	}
}
