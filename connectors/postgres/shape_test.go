package postgres

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

var (
	keySchema   = sdk.NewStruct("k").Field("tenant", sdk.StringSchema).Field("id", sdk.Int64Schema).Build()
	valueSchema = sdk.NewStruct("v").Field("id", sdk.Int64Schema).Field("name", sdk.StringSchema).
			Field("price", sdk.OptionalFloat64Schema).Build()
)

func testConfig(t testing.TB, kv ...string) *config {
	t.Helper()
	m := map[string]string{"name": "c", "connection.url": "postgres://localhost/db"}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	c, err := parseConfig(m)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func structRec(off int64) sdk.Record {
	k := sdk.NewStructValue(keySchema).Put("tenant", "t1").Put("id", int64(7))
	v := sdk.NewStructValue(valueSchema).Put("id", int64(7)).Put("name", "lamp").Put("price", 9.5)
	return sdk.Record{Topic: "orders", Partition: 2, Offset: off, Key: k, KeySchema: keySchema, Value: v, ValueSchema: valueSchema}
}

type col struct {
	name string
	pk   bool
	val  any
}

func cols(r row) []col {
	out := make([]col, r.width())
	for i := range out {
		out[i] = col{r.shape.cols[i].name, r.shape.cols[i].pk, r.get(i)}
	}
	return out
}

func TestExtract(t *testing.T) {
	tomb := structRec(5)
	tomb.Value, tomb.ValueSchema = nil, nil
	schemaless := sdk.Record{Topic: "orders", Offset: 1, Key: map[string]any{"id": int64(3)},
		Value: map[string]any{"id": int64(3), "name": "x", "tags": []any{"a"}}}
	primKey := structRec(1)
	primKey.Key, primKey.KeySchema = int64(7), sdk.Int64Schema
	tests := []struct {
		name string
		cfg  []string
		rec  sdk.Record
		op   opKind
		want []col
	}{
		{"no key", nil, structRec(1), opWrite,
			[]col{{"id", false, int64(7)}, {"name", false, "lamp"}, {"price", false, 9.5}}},
		{"kafka key", []string{"pk.mode", "kafka"}, structRec(11), opWrite,
			[]col{{"__connect_topic", true, "orders"}, {"__connect_partition", true, int32(2)}, {"__connect_offset", true, int64(11)},
				{"id", false, int64(7)}, {"name", false, "lamp"}, {"price", false, 9.5}}},
		{"record key struct, value field of a key name skipped", []string{"pk.mode", "record_key"}, structRec(1), opWrite,
			[]col{{"tenant", true, "t1"}, {"id", true, int64(7)}, {"name", false, "lamp"}, {"price", false, 9.5}}},
		{"record key subset", []string{"pk.mode", "record_key", "pk.fields", "id"}, structRec(1), opWrite,
			[]col{{"id", true, int64(7)}, {"name", false, "lamp"}, {"price", false, 9.5}}},
		{"primitive key", []string{"pk.mode", "record_key", "pk.fields", "order_id"}, primKey, opWrite,
			[]col{{"order_id", true, int64(7)}, {"id", false, int64(7)}, {"name", false, "lamp"}, {"price", false, 9.5}}},
		{"record value", []string{"pk.mode", "record_value", "pk.fields", "id"}, structRec(1), opWrite,
			[]col{{"id", true, int64(7)}, {"name", false, "lamp"}, {"price", false, 9.5}}},
		{"whitelist", []string{"pk.mode", "record_value", "pk.fields", "id", "fields.whitelist", "price"}, structRec(1), opWrite,
			[]col{{"id", true, int64(7)}, {"price", false, 9.5}}},
		{"tombstone", []string{"pk.mode", "record_key", "delete.enabled", "true"}, tomb, opDelete,
			[]col{{"tenant", true, "t1"}, {"id", true, int64(7)}}},
		{"schemaless, sorted fields", []string{"pk.mode", "record_key"}, schemaless, opWrite,
			[]col{{"id", true, int64(3)}, {"name", false, "x"}, {"tags", false, []any{"a"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := newExtractor(testConfig(t, tt.cfg...))
			r, err := x.extract(0, &tt.rec)
			if err != nil {
				t.Fatal(err)
			}
			if r.op != tt.op {
				t.Errorf("op = %d, want %d", r.op, tt.op)
			}
			if got := cols(r); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
			if r.shape.table != (tableID{Name: "orders"}) {
				t.Errorf("table = %v", r.shape.table)
			}
			// The same schemas give the same shape.
			r2, _ := x.extract(1, &tt.rec)
			if r2.shape != r.shape {
				t.Error("shape not reused")
			}
		})
	}
}

func TestExtractErrors(t *testing.T) {
	tomb := structRec(5)
	tomb.Value, tomb.ValueSchema = nil, nil
	noKey := structRec(1)
	noKey.Key, noKey.KeySchema = nil, nil
	prim := structRec(1)
	prim.Key, prim.KeySchema = "k", sdk.StringSchema
	str := structRec(1)
	str.Value, str.ValueSchema = "just text", sdk.StringSchema
	nullPK := structRec(1)
	nullPK.Value = sdk.NewStructValue(valueSchema).Put("name", "x")
	tests := []struct {
		name  string
		cfg   []string
		rec   sdk.Record
		fatal bool
		msg   string
	}{
		{"tombstone without delete.enabled", nil, tomb, false, "delete.enabled is false"},
		{"null key", []string{"pk.mode", "record_key"}, noKey, false, "null key"},
		{"primitive key without a name", []string{"pk.mode", "record_key"}, prim, true, "exactly one column name"},
		{"missing key field", []string{"pk.mode", "record_key", "pk.fields", "nope"}, structRec(1), false, `"nope"`},
		{"value not a struct", nil, str, false, "needs a struct or a map"},
		{"null primary key value", []string{"pk.mode", "record_value", "pk.fields", "id"}, nullPK, false, "is null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := newExtractor(testConfig(t, tt.cfg...))
			_, err := x.extract(0, &tt.rec)
			if err == nil {
				t.Fatal("no error")
			}
			var fe errFatal
			if errors.As(err, &fe) != tt.fatal {
				t.Errorf("fatal = %v, want %v (%v)", !tt.fatal, tt.fatal, err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not mention %q", err, tt.msg)
			}
		})
	}
}
