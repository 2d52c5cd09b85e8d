package postgres

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// lineageNames are the documented lineage columns, in order.
var lineageNames = []string{"_freshet_topic", "_freshet_partition", "_freshet_offset", "_freshet_timestamp",
	"_freshet_schema_name", "_freshet_schema_version", "_freshet_schema_id", "_freshet_connector",
	"_freshet_connector_version"}

func TestExtractLineage(t *testing.T) {
	ts := time.Date(2024, 5, 1, 12, 30, 0, 123e6, time.UTC)
	versioned := sdk.NewStruct("com.example.Order").Version(4).
		Field("id", sdk.Int64Schema).Field("_freshet_topic", sdk.StringSchema).Build()
	withSchema := sdk.Record{Topic: "orders", Partition: 2, Offset: 41, Timestamp: ts,
		Value: sdk.NewStructValue(versioned).Put("id", int64(7)).Put("_freshet_topic", "spoofed"), ValueSchema: versioned}
	schemaless := sdk.Record{Topic: "orders", Partition: 1, Offset: 9,
		Value: map[string]any{"id": int64(3), "_freshet_offset": "spoofed"}}
	lin := []string{sdk.LineageEnableKey, "true", "freshet.connector.name", "orders-pg", "freshet.connector.version", "1.2.3"}
	tests := []struct {
		name string
		cfg  []string
		rec  sdk.Record
		want []col
	}{
		{"struct with schema name and version", lin, withSchema, []col{
			{"id", false, int64(7)},
			{"_freshet_topic", false, "orders"}, {"_freshet_partition", false, int32(2)},
			{"_freshet_offset", false, int64(41)}, {"_freshet_timestamp", false, ts},
			{"_freshet_schema_name", false, "com.example.Order"}, {"_freshet_schema_version", false, int32(4)},
			{"_freshet_schema_id", false, nil},
			{"_freshet_connector", false, "orders-pg"}, {"_freshet_connector_version", false, "1.2.3"},
		}},
		{"schemaless, no timestamp, with kafka key", append(lin, "pk.mode", "kafka"), schemaless, []col{
			{"__connect_topic", true, "orders"}, {"__connect_partition", true, int32(1)}, {"__connect_offset", true, int64(9)},
			{"id", false, int64(3)},
			{"_freshet_topic", false, "orders"}, {"_freshet_partition", false, int32(1)},
			{"_freshet_offset", false, int64(9)}, {"_freshet_timestamp", false, nil},
			{"_freshet_schema_name", false, nil}, {"_freshet_schema_version", false, nil},
			{"_freshet_schema_id", false, nil},
			{"_freshet_connector", false, "orders-pg"}, {"_freshet_connector_version", false, "1.2.3"},
		}},
		{"off: value fields as they are", nil, schemaless, []col{
			{"_freshet_offset", false, "spoofed"}, {"id", false, int64(3)},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := newExtractor(testConfig(t, tc.cfg...))
			r, err := x.extract(0, &tc.rec)
			if err != nil {
				t.Fatal(err)
			}
			if got := cols(r); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("columns\n got %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestLineageNotOnDeletes(t *testing.T) {
	x := newExtractor(testConfig(t, sdk.LineageEnableKey, "true", "pk.mode", "record_key", "delete.enabled", "true"))
	tomb := structRec(5)
	tomb.Value, tomb.ValueSchema = nil, nil
	r, err := x.extract(0, &tomb)
	if err != nil {
		t.Fatal(err)
	}
	if got := cols(r); !reflect.DeepEqual(got, []col{{"tenant", true, "t1"}, {"id", true, int64(7)}}) {
		t.Errorf("delete columns = %v", got)
	}
}

func TestLineageDDL(t *testing.T) {
	x := newExtractor(testConfig(t, sdk.LineageEnableKey, "true", "pk.mode", "record_key"))
	rec := structRec(1)
	r, err := x.extract(0, &rec)
	if err != nil {
		t.Fatal(err)
	}
	want := []ddlColumn{
		{name: "tenant", typ: "text", notNull: true}, {name: "id", typ: "bigint", notNull: true},
		{name: "name", typ: "text", notNull: true}, {name: "price", typ: "double precision"},
		{name: "_freshet_topic", typ: "text"}, {name: "_freshet_partition", typ: "integer"},
		{name: "_freshet_offset", typ: "bigint"}, {name: "_freshet_timestamp", typ: "timestamptz"},
		{name: "_freshet_schema_name", typ: "text"}, {name: "_freshet_schema_version", typ: "integer"},
		{name: "_freshet_schema_id", typ: "integer"}, {name: "_freshet_connector", typ: "text"},
		{name: "_freshet_connector_version", typ: "text"},
	}
	// auto.create: every lineage column, nullable.
	got, pk := newColumns([]*row{&r}, nil)
	if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(pk, []string{"tenant", "id"}) {
		t.Errorf("create columns\n got %v %v\nwant %v", got, pk, want)
	}
	// auto.evolve on a table without them: the lineage columns are added.
	m := &tableMeta{id: tableID{Name: "orders"}, byName: map[string]*colMeta{}}
	for _, n := range []string{"tenant", "id", "name", "price"} {
		m.byName[n] = &colMeta{name: n}
	}
	if got := missing(m, []*row{&r}); !reflect.DeepEqual(got, lineageNames) {
		t.Errorf("missing = %v, want %v", got, lineageNames)
	}
	if got, _ := newColumns([]*row{&r}, m); !reflect.DeepEqual(got, want[4:]) {
		t.Errorf("evolve columns\n got %v\nwant %v", got, want[4:])
	}
	// Without auto.evolve the missing lineage columns are a fatal error.
	err = missingLineageError(m.id, missing(m, []*row{&r}))
	if c, _ := sdk.ClassOf(err); c != sdk.ClassFatal || !strings.Contains(err.Error(), `"_freshet_connector_version"`) ||
		!strings.Contains(err.Error(), "auto.evolve") {
		t.Errorf("error = %v (class %v), want a fatal error naming the columns", err, c)
	}
	if err := missingLineageError(m.id, []string{"other"}); err != nil {
		t.Errorf("missing non-lineage column: %v, want nil", err)
	}
}
