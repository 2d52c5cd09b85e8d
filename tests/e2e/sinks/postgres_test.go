package sinks

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/tests/e2e/e2etest"
)

var (
	itemKey    = sdk.NewStruct("item_key").Field("id", sdk.Int64Schema).Build()
	itemSchema = sdk.NewStruct("item").Field("id", sdk.Int64Schema).Field("name", sdk.StringSchema).
			Field("price", sdk.OptionalFloat64Schema).Build()
)

// item is a record of the item schema keyed by id; a nil name makes a tombstone.
func item(topic string, part int32, off, id int64, name any, price any) sdk.Record {
	r := sdk.Record{Topic: topic, Partition: part, Offset: off,
		Key: sdk.NewStructValue(itemKey).Put("id", id), KeySchema: itemKey}
	if name != nil {
		r.Value = sdk.NewStructValue(itemSchema).Put("id", id).Put("name", name).Put("price", price)
		r.ValueSchema = itemSchema
	}
	return r
}

func put(t *testing.T, task sdk.SinkTask, batch []sdk.Record) {
	t.Helper()
	if err := task.Put(context.Background(), batch); err != nil {
		t.Fatalf("Put: %v", err)
	}
}

func open(t *testing.T, task sdk.SinkTask, tps ...sdk.TopicPartition) sdk.Offsets {
	t.Helper()
	off, err := task.Open(context.Background(), tps)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return off
}

func checkTable(t *testing.T, e *pgEnv, table string, ref PGReference, recs []sdk.Record, failed func(*sdk.Record) bool, initial map[string]Row) {
	t.Helper()
	want, err := ref.Rows(recs, failed, initial)
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, r := range want {
		for c := range r {
			cols = append(cols, c)
		}
		break
	}
	key := ref.pkColumns()
	if ref.PKMode == "none" {
		key = nil
	}
	if d := Diff(e.table(t, table, key, cols...), want, 200); d != "" {
		t.Error(d)
	}
}

// TestPostgresWriteModes: inserts, upserts, updates and deletes arrive as
// configured, over several Puts, with keys written twice in one batch.
func TestPostgresWriteModes(t *testing.T) {
	e := newPG(t)
	batches := func(topic string) [][]sdk.Record {
		return [][]sdk.Record{
			{item(topic, 0, 0, 1, "lamp", 10.5), item(topic, 0, 1, 2, "desk", nil), item(topic, 0, 2, 3, "chair", 40.0),
				item(topic, 0, 3, 1, "lamp", 11.0)},
			{item(topic, 0, 4, 2, nil, nil), item(topic, 0, 5, 3, "chair", 35.0), item(topic, 0, 6, 4, "sofa", 300.0),
				item(topic, 0, 7, 3, "stool", 35.0), item(topic, 0, 8, 4, nil, nil), item(topic, 0, 9, 4, "couch", 280.0)},
		}
	}
	tests := []struct {
		name    string
		cfg     []string
		ref     PGReference
		setup   string // SQL run first, %s is the table
		initial map[string]Row
		noTomb  bool
	}{
		{name: "insert_plain", cfg: []string{"auto.create", "true"},
			ref: PGReference{InsertMode: "insert", PKMode: "none"}, noTomb: true},
		{name: "insert_kafka_key", cfg: []string{"auto.create", "true", "pk.mode", "kafka"},
			ref: PGReference{InsertMode: "insert", PKMode: "kafka"}, noTomb: true},
		{name: "upsert_record_key", cfg: []string{"auto.create", "true", "insert.mode", "upsert", "pk.mode", "record_key", "delete.enabled", "true"},
			ref: PGReference{InsertMode: "upsert", PKMode: "record_key", PKFields: []string{"id"}, Delete: true}},
		{name: "upsert_record_value", cfg: []string{"auto.create", "true", "insert.mode", "upsert", "pk.mode", "record_value", "pk.fields", "id"},
			ref: PGReference{InsertMode: "upsert", PKMode: "record_value", PKFields: []string{"id"}}, noTomb: true},
		{name: "update_record_key", cfg: []string{"insert.mode", "update", "pk.mode", "record_key", "delete.enabled", "true"},
			ref:     PGReference{InsertMode: "update", PKMode: "record_key", PKFields: []string{"id"}, Delete: true},
			setup:   `CREATE TABLE %s (id bigint PRIMARY KEY, name text, price double precision, note text); INSERT INTO %s VALUES (1, 'old', 1, 'kept'), (3, 'old', 3, NULL), (9, 'untouched', 9, NULL)`,
			initial: map[string]Row{"1": {"id": "1", "name": "old", "price": "1"}, "3": {"id": "3", "name": "old", "price": "3"}, "9": {"id": "9", "name": "untouched", "price": "9"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table := e.schema + "." + tt.name
			if tt.setup != "" {
				e.exec(t, strings.ReplaceAll(tt.setup, "%s", table))
			}
			task := pgTask(t, e.config("modes-"+tt.name, tt.cfg...))
			open(t, task, sdk.TopicPartition{Topic: tt.name})
			var all []sdk.Record
			for _, b := range batches(tt.name) {
				if tt.noTomb {
					b = withoutTombstones(b)
				}
				put(t, task, b)
				all = append(all, b...)
			}
			checkTable(t, e, tt.name, tt.ref, all, nil, tt.initial)
			if tt.name == "update_record_key" {
				if got := e.query(t, "SELECT note FROM "+table+" WHERE id = 1"); !reflect.DeepEqual(got, []string{"kept"}) {
					t.Errorf("update touched a column it does not write: %v", got)
				}
			}
		})
	}
}

func withoutTombstones(b []sdk.Record) []sdk.Record {
	var out []sdk.Record
	for _, r := range b {
		if r.Value != nil {
			out = append(out, r)
		}
	}
	return out
}

// TestPostgresAutoCreateTypes: Connect types map to PostgreSQL types, nested
// values to jsonb, and values arrive intact.
func TestPostgresAutoCreateTypes(t *testing.T) {
	e := newPG(t)
	inner := sdk.NewStruct("dims").Field("w", sdk.Int32Schema).Field("unit", sdk.StringSchema).Build()
	s := sdk.NewStruct("all").
		Field("id", sdk.Int32Schema).Field("i8", sdk.Int8Schema).Field("i16", sdk.Int16Schema).Field("i64", sdk.Int64Schema).
		Field("f32", sdk.Float32Schema).Field("f64", sdk.Float64Schema).Field("ok", sdk.BooleanSchema).
		Field("s", sdk.StringSchema).Field("b", sdk.BytesSchema).Field("dec", sdk.DecimalSchema(2)).
		Field("day", sdk.DateSchema).Field("tod", sdk.TimeSchema).Field("at", sdk.TimestampSchema).
		Field("tags", sdk.ArrayOf(sdk.StringSchema)).Field("attrs", sdk.MapOf(sdk.StringSchema, sdk.Int32Schema)).
		Field("dims", inner).Field("opt", sdk.OptionalStringSchema).Build()
	at := time.Date(2024, 5, 6, 7, 8, 9, 123000000, time.UTC)
	v := sdk.NewStructValue(s).Put("id", int32(1)).Put("i8", int8(-8)).Put("i16", int16(1600)).Put("i64", int64(1)<<40).
		Put("f32", float32(1.5)).Put("f64", 2.25).Put("ok", true).Put("s", "héllo 'quoted'\ttab\nline\\back\\N").Put("b", []byte{0xde, 0xad}).
		Put("dec", sdk.Decimal{Unscaled: big.NewInt(-12345), Scale: 2}).Put("day", time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC)).
		Put("tod", time.Date(1970, 1, 1, 13, 14, 15, 500000000, time.UTC)).Put("at", at).
		Put("tags", []any{"a", "b"}).Put("attrs", map[any]any{"x": int32(1)}).
		Put("dims", sdk.NewStructValue(inner).Put("w", int32(3)).Put("unit", "cm"))
	task := pgTask(t, e.config("types", "auto.create", "true", "pk.mode", "record_value", "pk.fields", "id"))
	put(t, task, []sdk.Record{{Topic: "all_types", Value: v, ValueSchema: s}})

	wantTypes := map[string]string{
		"id": "integer not null", "i8": "smallint not null", "i16": "smallint not null", "i64": "bigint not null",
		"f32": "real not null", "f64": "double precision not null", "ok": "boolean not null", "s": "text not null",
		"b": "bytea not null", "dec": "numeric not null", "day": "date not null", "tod": "time without time zone not null",
		"at": "timestamp with time zone not null", "tags": "jsonb not null", "attrs": "jsonb not null", "dims": "jsonb not null",
		"opt": "text",
	}
	if got := e.columnTypes(t, "all_types"); !reflect.DeepEqual(got, wantTypes) {
		t.Errorf("column types:\n got %v\nwant %v", got, wantTypes)
	}
	if got := e.query(t, `SELECT k.column_name FROM information_schema.table_constraints c
		JOIN information_schema.key_column_usage k USING (constraint_schema, constraint_name)
		WHERE c.table_schema = $1 AND c.table_name = 'all_types' AND c.constraint_type = 'PRIMARY KEY'`, e.schema); !reflect.DeepEqual(got, []string{"id"}) {
		t.Errorf("primary key columns = %v, want [id]", got)
	}
	e.exec(t, "SET TIME ZONE 'UTC'")
	got := e.table(t, "all_types", []string{"id"})["1"]
	want := Row{"id": "1", "i8": "-8", "i16": "1600", "i64": "1099511627776", "f32": "1.5", "f64": "2.25", "ok": "true",
		"s": "héllo 'quoted'\ttab\nline\\back\\N", "b": `\xdead`, "dec": "-123.45", "day": "2024-05-06", "tod": "13:14:15.5",
		"at": "2024-05-06 07:08:09.123+00", "tags": `["a", "b"]`, "attrs": `{"x": 1}`, "dims": `{"w": 3, "unit": "cm"}`, "opt": Null}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("row:\n got %v\nwant %v", got, want)
	}
}

// TestPostgresSchemaless: JSON without schemas writes by field name; types
// of new columns come from the values.
func TestPostgresSchemaless(t *testing.T) {
	e := newPG(t)
	task := pgTask(t, e.config("schemaless", "auto.create", "true", "auto.evolve", "true", "insert.mode", "upsert",
		"pk.mode", "record_key", "pk.fields", "sku", "delete.enabled", "true"))
	recs := []sdk.Record{
		{Topic: "inv", Offset: 0, Key: "A1", Value: map[string]any{"qty": int64(5), "price": 2.5, "meta": map[string]any{"c": "red"}}},
		{Topic: "inv", Offset: 1, Key: "B2", Value: map[string]any{"qty": int64(1), "price": 9.0}},
		{Topic: "inv", Offset: 2, Key: "A1", Value: map[string]any{"qty": int64(4), "price": 2.5, "flag": true}},
		{Topic: "inv", Offset: 3, Key: "B2"},
	}
	put(t, task, recs)
	if got, want := e.columnTypes(t, "inv"), map[string]string{"sku": "text not null", "qty": "bigint",
		"price": "double precision", "meta": "jsonb", "flag": "boolean"}; !reflect.DeepEqual(got, want) {
		t.Errorf("types: got %v, want %v", got, want)
	}
	got := e.table(t, "inv", []string{"sku"})
	want := map[string]Row{"A1": {"sku": "A1", "qty": "4", "price": "2.5", "meta": `{"c": "red"}`, "flag": "true"}}
	if d := Diff(got, want, 5); d != "" {
		t.Error(d)
	}
}

// TestPostgresAutoEvolve: a new field adds a column when auto.evolve=true;
// without it, records with the field fail alone, naming the column.
func TestPostgresAutoEvolve(t *testing.T) {
	e := newPG(t)
	v1 := sdk.NewStruct("p").Field("id", sdk.Int64Schema).Field("name", sdk.StringSchema).Build()
	v2 := sdk.NewStruct("p").Field("id", sdk.Int64Schema).Field("name", sdk.StringSchema).Field("email", sdk.StringSchema).Build()
	rec := func(topic string, off int64, s *sdk.Schema, id int64, kv ...any) sdk.Record {
		v := sdk.NewStructValue(s).Put("id", id)
		for i := 0; i < len(kv); i += 2 {
			v.Put(kv[i].(string), kv[i+1])
		}
		return sdk.Record{Topic: topic, Offset: off, Key: id, KeySchema: sdk.Int64Schema, Value: v, ValueSchema: s}
	}
	t.Run("evolve", func(t *testing.T) {
		task := pgTask(t, e.config("evolve", "auto.create", "true", "auto.evolve", "true", "insert.mode", "upsert",
			"pk.mode", "record_value", "pk.fields", "id"))
		put(t, task, []sdk.Record{rec("people", 0, v1, 1, "name", "ann")})
		put(t, task, []sdk.Record{rec("people", 1, v2, 2, "name", "bob", "email", "bob@x"), rec("people", 2, v1, 3, "name", "cy")})
		if got := e.columnTypes(t, "people")["email"]; got != "text" {
			t.Errorf("email column: %q, want a nullable text column", got)
		}
		got := e.table(t, "people", []string{"id"})
		want := map[string]Row{
			"1": {"id": "1", "name": "ann", "email": Null},
			"2": {"id": "2", "name": "bob", "email": "bob@x"},
			"3": {"id": "3", "name": "cy", "email": Null},
		}
		if d := Diff(got, want, 5); d != "" {
			t.Error(d)
		}
	})
	t.Run("no_evolve", func(t *testing.T) {
		e.exec(t, "CREATE TABLE "+e.schema+".people2 (id bigint PRIMARY KEY, name text)")
		task := pgTask(t, e.config("noevolve", "insert.mode", "upsert", "pk.mode", "record_value", "pk.fields", "id"))
		err := task.Put(context.Background(), []sdk.Record{
			rec("people2", 0, v1, 1, "name", "ann"), rec("people2", 1, v2, 2, "name", "bob", "email", "b@x"), rec("people2", 2, v1, 3, "name", "cy")})
		var be *sdk.BatchError
		if !errors.As(err, &be) || len(be.Failed) != 1 || be.Failed[1] == nil {
			t.Fatalf("Put = %v, want record 1 to fail", err)
		}
		if c, _ := sdk.ClassOf(be.Failed[1]); c != sdk.ClassRecord || !strings.Contains(be.Failed[1].Error(), `"email"`) ||
			!strings.Contains(be.Failed[1].Error(), "auto.evolve") {
			t.Errorf("error %v (%v) should be a record error naming the column and auto.evolve", be.Failed[1], c)
		}
		if got := len(e.table(t, "people2", []string{"id"})); got != 2 {
			t.Errorf("%d rows, want 2", got)
		}
	})
}

// TestPostgresMissingTableIsFatal: with auto.create=false a missing table
// fails the task, naming the table and the setting.
func TestPostgresMissingTableIsFatal(t *testing.T) {
	e := newPG(t)
	task := pgTask(t, e.config("missing"))
	err := task.Put(context.Background(), []sdk.Record{item("nowhere", 0, 0, 1, "x", nil)})
	c, _ := sdk.ClassOf(err)
	if c != sdk.ClassFatal || !strings.Contains(err.Error(), e.schema+`"."nowhere"`) || !strings.Contains(err.Error(), "auto.create") {
		t.Fatalf("Put = %v (%v), want a fatal error naming the table and auto.create", err, c)
	}
}

// TestPostgresRecordErrors: rows that violate constraints, are too long or
// refer to missing rows fail alone, with the SQLSTATE and the constraint,
// while their batch-mates are written; their offsets stay for a retry until
// Flush confirms them.
func TestPostgresRecordErrors(t *testing.T) {
	e := newPG(t)
	e.exec(t, "CREATE TABLE "+e.schema+".customers (id bigint PRIMARY KEY)")
	e.exec(t, "INSERT INTO "+e.schema+".customers VALUES (1), (2)")
	e.exec(t, `CREATE TABLE `+e.schema+`.orders (id bigint PRIMARY KEY, sku varchar(8) NOT NULL,
		qty integer CONSTRAINT qty_positive CHECK (qty > 0), customer bigint REFERENCES `+e.schema+`.customers (id),
		email text CONSTRAINT orders_email_key UNIQUE)`)
	s := sdk.NewStruct("order").Field("id", sdk.Int64Schema).Field("sku", sdk.OptionalStringSchema).
		Field("qty", sdk.Int32Schema).Field("customer", sdk.Int64Schema).Field("email", sdk.OptionalStringSchema).Build()
	rec := func(off, id int64, sku any, qty int32, customer int64, email any) sdk.Record {
		v := sdk.NewStructValue(s).Put("id", id).Put("sku", sku).Put("qty", qty).Put("customer", customer).Put("email", email)
		return sdk.Record{Topic: "orders", Offset: off, Key: id, KeySchema: sdk.Int64Schema, Value: v, ValueSchema: s}
	}
	batch := []sdk.Record{
		rec(0, 1, "A-1", 1, 1, "a@x"),
		rec(1, 2, "A-2", 2, 2, nil),
		rec(2, 3, "A-3", 0, 1, nil), // check
		rec(3, 4, "A-4", 4, 1, "d@x"),
		rec(4, 5, "A-5", 5, 2, nil),
		rec(5, 6, "TOO-LONG-SKU", 6, 1, nil), // varchar(8)
		rec(6, 7, "A-7", 7, 1, nil),
		rec(7, 8, "A-8", 8, 999, nil), // foreign key
		rec(8, 9, "A-9", 9, 2, "e@x"),
		rec(9, 10, "A-10", 10, 2, "a@x"), // unique email, same statement as row 0
		rec(10, 11, nil, 11, 1, nil),     // not null
		rec(11, 12, "A-12", 12, 1, nil),
	}
	want := map[int]struct{ code, constraint string }{
		2: {"23514", "qty_positive"}, 5: {"22001", ""}, 7: {"23503", "orders_customer_fkey"},
		9: {"23505", "orders_email_key"}, 10: {"23502", ""},
	}
	cfg := e.config("errors", "insert.mode", "upsert", "pk.mode", "record_key", "pk.fields", "id")
	task := pgTask(t, cfg)
	tp := sdk.TopicPartition{Topic: "orders"}
	open(t, task, tp)
	err := task.Put(context.Background(), batch)
	var be *sdk.BatchError
	if !errors.As(err, &be) {
		t.Fatalf("Put = %v, want a BatchError", err)
	}
	for i, w := range want {
		ferr := be.Failed[i]
		var pg *pgconn.PgError
		if !errors.As(ferr, &pg) {
			t.Errorf("record %d: %v, want a PostgreSQL error", i, ferr)
			continue
		}
		if c, _ := sdk.ClassOf(ferr); c != sdk.ClassRecord {
			t.Errorf("record %d: class %v", i, c)
		}
		if pg.Code != w.code || pg.ConstraintName != w.constraint || !strings.Contains(ferr.Error(), "SQLSTATE "+w.code) ||
			(w.constraint != "" && !strings.Contains(ferr.Error(), "constraint "+w.constraint)) {
			t.Errorf("record %d: %v (code %s, constraint %q), want %s %q", i, ferr, pg.Code, pg.ConstraintName, w.code, w.constraint)
		}
	}
	if len(be.Failed) != len(want) {
		t.Errorf("%d records failed, want %d: %v", len(be.Failed), len(want), be)
	}
	failed := func(r *sdk.Record) bool { _, ok := want[int(r.Offset)]; return ok }
	ref := PGReference{InsertMode: "upsert", PKMode: "record_key", PKFields: []string{"id"}}
	checkTable(t, e, "orders", ref, batch, failed, nil)

	// Until Flush, a restart resumes at the first failed record, so that its
	// dead letter cannot be lost; the records after it are not written twice.
	task2 := pgTask(t, cfg)
	if got := open(t, task2, tp); got[tp] != 2 {
		t.Errorf("Open after failures = %v, want %s at 2", got, tp)
	}
	err = task2.Put(context.Background(), batch[2:])
	if !errors.As(err, &be) || len(be.Failed) != len(want) {
		t.Errorf("redelivery: %v, want the same %d failures", err, len(want))
	}
	checkTable(t, e, "orders", ref, batch, failed, nil)
	if _, err := task2.Flush(context.Background(), sdk.Offsets{tp: 12}); err != nil {
		t.Fatal(err)
	}
	if got := open(t, pgTask(t, cfg), tp); got[tp] != 12 {
		t.Errorf("Open after Flush = %v, want 12", got)
	}
}

// TestPostgresInsertDuplicates: in insert mode the later of two rows with one
// key fails alone (unique violation).
func TestPostgresInsertDuplicates(t *testing.T) {
	e := newPG(t)
	task := pgTask(t, e.config("dups", "auto.create", "true", "pk.mode", "record_key"))
	batch := []sdk.Record{item("dups", 0, 0, 1, "a", nil), item("dups", 0, 1, 2, "b", nil), item("dups", 0, 2, 1, "c", nil), item("dups", 0, 3, 3, "d", nil)}
	err := task.Put(context.Background(), batch)
	var be *sdk.BatchError
	var pg *pgconn.PgError
	if !errors.As(err, &be) || len(be.Failed) != 1 || !errors.As(be.Failed[2], &pg) || pg.Code != "23505" {
		t.Fatalf("Put = %v, want record 2 to fail with 23505", err)
	}
	checkTable(t, e, "dups", PGReference{InsertMode: "insert", PKMode: "record_key", PKFields: []string{"id"}}, batch,
		func(r *sdk.Record) bool { return r.Offset == 2 }, nil)
}

// TestPostgresExactlyOnce: the offsets are stored with the rows. Open returns
// them, a batch delivered again writes nothing twice, and a connection killed
// inside the transaction leaves neither rows nor offsets, and is retried.
func TestPostgresExactlyOnce(t *testing.T) {
	e := newPG(t)
	e.exec(t, "CREATE TABLE "+e.schema+".log (id bigint, name text, price double precision)")
	app := "freshet-eo-" + e.schema
	cfg := e.config("eo", "connection.url", e.url+"&application_name="+app, "retry.backoff.ms", "200")
	tp := sdk.TopicPartition{Topic: "log", Partition: 3}
	var recs []sdk.Record
	for i := range int64(30) {
		recs = append(recs, item("log", 3, 100+i, i, "n", float64(i)))
	}
	ref := PGReference{InsertMode: "insert", PKMode: "none"}

	task := pgTask(t, cfg)
	if got := open(t, task, tp); len(got) != 0 {
		t.Fatalf("Open on an empty store = %v", got)
	}
	put(t, task, recs[:10])
	task2 := pgTask(t, cfg) // a restart: the consumer group may be behind
	if got := open(t, task2, tp); got[tp] != 110 {
		t.Fatalf("Open = %v, want 110", got)
	}
	put(t, task2, recs[:15]) // redelivered from an older committed offset
	checkTable(t, e, "log", ref, recs[:15], nil, nil)

	// Kill the sink's connection while its transaction waits for a lock.
	lock, err := e.admin.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.Exec(context.Background(), "LOCK TABLE "+e.schema+".log IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- task2.Put(context.Background(), recs[15:30]) }()
	killed := waitAndKill(t, e, app, lock)
	if err := <-done; err != nil {
		t.Fatalf("Put after the connection was killed: %v (retries should cover it)", err)
	}
	if killed == 0 {
		t.Fatal("no backend was killed")
	}
	checkTable(t, e, "log", ref, recs, nil, nil)
	if got := open(t, pgTask(t, cfg), tp); got[tp] != 130 {
		t.Errorf("Open = %v, want 130", got)
	}
}

// waitAndKill waits until the sink's backend waits on the lock, terminates
// it, then releases the lock (as a restarted server would be free again).
func waitAndKill(t *testing.T, e *pgEnv, app string, lock interface{ Commit(context.Context) error }) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	killed := 0
	for time.Now().Before(deadline) && killed == 0 {
		time.Sleep(50 * time.Millisecond)
		got := e.query(t, `SELECT pg_terminate_backend(pid)::text FROM pg_stat_activity
			WHERE application_name = $1 AND wait_event_type = 'Lock'`, app)
		killed = len(got)
	}
	if err := lock.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	return killed
}

// TestPostgresCrashExactlyOnce: a sink process SIGKILLed at random points,
// ten times, and restarted leaves a table that matches, row for row, the
// records it was given: in insert mode without a key, where any record
// written twice would show as a second row. Poison records (a CHECK
// violation) reach the dead letters.
func TestPostgresCrashExactlyOnce(t *testing.T) {
	e := newPG(t)
	e.exec(t, "CREATE TABLE "+e.schema+".crash_log (id bigint, name text, price double precision CHECK (price >= 0))")
	s := crashSpec{Plugin: "postgres", Topic: "crash_log", Parts: 4, N: 12000, Poison: "price", Seed: 11,
		Config: e.config("crash-log", "batch.size", "500")}
	recs := crashLoop(t, s, 10)
	checkTable(t, e, "crash_log", PGReference{InsertMode: "insert", PKMode: "none"}, recs, poisoned, nil)
	checkStoredOffsets(t, e, "crash-log", recs)
}

// TestPostgresCrashUpsert: the same with upserts and deletes of 300 keys.
func TestPostgresCrashUpsert(t *testing.T) {
	e := newPG(t)
	e.exec(t, "CREATE TABLE "+e.schema+".crash_items (id bigint PRIMARY KEY, name text, price double precision CHECK (price >= 0))")
	s := crashSpec{Plugin: "postgres", Topic: "crash_items", Parts: 3, N: 12000, Keys: 300, Tombstones: true, Poison: "price", Seed: 12,
		Config: e.config("crash-items", "insert.mode", "upsert", "pk.mode", "record_key", "delete.enabled", "true")}
	recs := crashLoop(t, s, 10)
	checkTable(t, e, "crash_items", PGReference{InsertMode: "upsert", PKMode: "record_key", PKFields: []string{"id"}, Delete: true},
		recs, poisoned, nil)
	checkStoredOffsets(t, e, "crash-items", recs)
}

// checkStoredOffsets: the offsets table holds, per partition, the offset
// after the last record, and no record waiting for a retry.
func checkStoredOffsets(t *testing.T, e *pgEnv, connector string, recs []sdk.Record) {
	t.Helper()
	want := map[string]string{}
	for _, r := range recs {
		want[fmt.Sprintf("%s/%d", r.Topic, r.Partition)] = fmt.Sprintf("%d {}", r.Offset+1)
	}
	got := map[string]string{}
	for _, line := range e.query(t, "SELECT topic || '/' || partition || ' ' || next_offset || ' ' || retry_offsets::text FROM "+
		e.schema+".offsets WHERE connector = $1", connector) {
		k, v, _ := strings.Cut(line, " ")
		got[k] = v
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("stored offsets = %v, want %v", got, want)
	}
}

// TestPostgresOutage: the server goes away under load (every connection cut,
// new ones refused for a second and a half, twice). Put retries through it:
// no error reaches the runtime, and the table matches the records.
func TestPostgresOutage(t *testing.T) {
	e := newPG(t)
	u, err := url.Parse(e.url)
	if err != nil {
		t.Fatal(err)
	}
	p := e2etest.NewProxy(t, u.Host)
	u.Host = p.Addr()
	e.exec(t, "CREATE TABLE "+e.schema+".outage (id bigint PRIMARY KEY, name text, price double precision)")
	task := pgTask(t, e.config("outage", "connection.url", u.String(), "insert.mode", "upsert", "pk.mode", "record_key",
		"delete.enabled", "true", "retry.backoff.ms", "250", "max.retries", "20"))
	s := crashSpec{Topic: "outage", Parts: 2, N: 6000, Keys: 500, Tombstones: true, Seed: 5}
	recs := s.records()
	stop := make(chan struct{})
	cuts := make(chan int)
	go func() {
		n := 0
		defer func() { cuts <- n }()
		for range 2 {
			select {
			case <-stop:
				return
			case <-time.After(300 * time.Millisecond):
			}
			p.Down()
			n++
			time.Sleep(1500 * time.Millisecond)
			p.Up()
		}
	}()
	ctx := context.Background()
	open(t, task, sdk.TopicPartition{Topic: "outage", Partition: 0}, sdk.TopicPartition{Topic: "outage", Partition: 1})
	start := time.Now()
	for i := 0; i < len(recs); i += 50 {
		if err := task.Put(ctx, recs[i:min(i+50, len(recs))]); err != nil {
			t.Fatalf("Put at record %d, %v into the run: %v", i, time.Since(start), err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	if n := <-cuts; n < 2 {
		t.Fatalf("the load ended after %d outage(s); make it longer", n)
	}
	checkTable(t, e, "outage", PGReference{InsertMode: "upsert", PKMode: "record_key", PKFields: []string{"id"}, Delete: true}, recs, nil, nil)
}

// TestPostgresLostCommitReply: the COMMIT reaches the server, its answer
// does not. Put cannot know whether the batch was stored, so it reloads the
// stored offsets before retrying, and writes nothing twice.
func TestPostgresLostCommitReply(t *testing.T) {
	e := newPG(t)
	u, err := url.Parse(e.url)
	if err != nil {
		t.Fatal(err)
	}
	p := e2etest.NewProxy(t, u.Host)
	u.Host = p.Addr()
	e.exec(t, "CREATE TABLE "+e.schema+".lost (id bigint, name text, price double precision)")
	task := pgTask(t, e.config("lost", "connection.url", u.String()))
	var recs []sdk.Record
	for i := range int64(40) {
		recs = append(recs, item("lost", 0, i, i, "n", float64(i)))
	}
	put(t, task, recs[:20])
	p.LoseReplyTo("; COMMIT")
	put(t, task, recs[20:])
	if p.Fired() != 1 {
		t.Fatal("the COMMIT's reply was not lost")
	}
	checkTable(t, e, "lost", PGReference{InsertMode: "insert", PKMode: "none"}, recs, nil, nil)
}

// TestPostgresFencing: two tasks that both believe they own a partition (a
// rebalance overlap, or a dead process whose last COMMIT is still on its
// way). A task whose view of the stored offsets is out of date writes
// nothing twice; Open waits for a transaction in flight on the partition and
// returns what it committed.
func TestPostgresFencing(t *testing.T) {
	e := newPG(t)
	e.exec(t, "CREATE TABLE "+e.schema+".fence (id bigint, name text, price double precision)")
	cfg := e.config("fence", "retry.backoff.ms", "50")
	tp := sdk.TopicPartition{Topic: "fence"}
	var recs []sdk.Record
	for i := range int64(40) {
		recs = append(recs, item("fence", 0, i, i, "n", float64(i)))
	}
	a, b := pgTask(t, cfg), pgTask(t, cfg)
	open(t, a, tp)
	put(t, a, recs[:10])
	if got := open(t, b, tp); got[tp] != 10 {
		t.Fatalf("b: Open = %v, want 10", got)
	}
	put(t, b, recs[10:20])
	put(t, a, recs[10:25]) // a still thinks 10 is next
	checkTable(t, e, "fence", PGReference{InsertMode: "insert", PKMode: "none"}, recs[:25], nil, nil)

	// a's transaction holds the partition's row while it waits for a lock
	// on the table; c's Open must wait for it, then see its offsets.
	lock, err := e.admin.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.Exec(context.Background(), "LOCK TABLE "+e.schema+".fence IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	putDone := make(chan error, 1)
	go func() { putDone <- a.Put(context.Background(), recs[25:40]) }()
	time.Sleep(300 * time.Millisecond)
	c := pgTask(t, cfg)
	openDone := make(chan sdk.Offsets, 1)
	go func() {
		off, err := c.Open(context.Background(), []sdk.TopicPartition{tp})
		if err != nil {
			t.Error(err)
		}
		openDone <- off
	}()
	select {
	case off := <-openDone:
		t.Fatalf("Open returned %v while a transaction on the partition was in flight", off)
	case <-time.After(300 * time.Millisecond):
	}
	if err := lock.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-putDone; err != nil {
		t.Fatal(err)
	}
	if off := <-openDone; off[tp] != 40 {
		t.Errorf("Open = %v, want 40 (what the transaction in flight committed)", off)
	}
	checkTable(t, e, "fence", PGReference{InsertMode: "insert", PKMode: "none"}, recs, nil, nil)
}

// TestPostgresTypeMismatch: a value that cannot be stored in its column
// (text in an integer column, a number too big for it) fails alone, in every
// write mode.
func TestPostgresTypeMismatch(t *testing.T) {
	e := newPG(t)
	for _, mode := range []string{"insert", "upsert"} {
		t.Run(mode, func(t *testing.T) {
			table := "mismatch_" + mode
			e.exec(t, "CREATE TABLE "+e.schema+"."+table+" (id bigint PRIMARY KEY, n integer)")
			task := pgTask(t, e.config("mismatch-"+mode, "insert.mode", mode, "pk.mode", "record_value", "pk.fields", "id"))
			s := sdk.NewStruct("m").Field("id", sdk.Int64Schema).Field("n", sdk.StringSchema).Build()
			rec := func(off, id int64, n string) sdk.Record {
				return sdk.Record{Topic: table, Offset: off, Value: sdk.NewStructValue(s).Put("id", id).Put("n", n), ValueSchema: s}
			}
			// A first batch makes the table known, so that the second takes
			// the fast way (COPY straight from the records) first.
			put(t, task, []sdk.Record{rec(0, 5, "5")})
			batch := []sdk.Record{rec(1, 1, "10"), rec(2, 2, "ten"), rec(3, 3, "1099511627776"), rec(4, 4, "12")}
			err := task.Put(context.Background(), batch)
			var be *sdk.BatchError
			if !errors.As(err, &be) || len(be.Failed) != 2 || be.Failed[1] == nil || be.Failed[2] == nil {
				t.Fatalf("Put = %v, want records 1 and 2 to fail", err)
			}
			for i := range be.Failed {
				if c, _ := sdk.ClassOf(be.Failed[i]); c != sdk.ClassRecord || !strings.Contains(be.Failed[i].Error(), `column "n" (integer)`) {
					t.Errorf("record %d: %v (%v)", i, be.Failed[i], c)
				}
			}
			want := map[string]Row{"1": {"id": "1", "n": "10"}, "4": {"id": "4", "n": "12"}, "5": {"id": "5", "n": "5"}}
			if d := Diff(e.table(t, table, []string{"id"}), want, 5); d != "" {
				t.Error(d)
			}
		})
	}
}

// TestPostgresUpsertNeedsUniqueIndex: upserting into a table without a
// unique index on the key is fatal, on the first batch and on later ones
// (which would otherwise take the COPY-first way and add rows).
func TestPostgresUpsertNeedsUniqueIndex(t *testing.T) {
	e := newPG(t)
	e.exec(t, "CREATE TABLE "+e.schema+".nokey (id bigint, name text, price double precision)")
	task := pgTask(t, e.config("nokey", "insert.mode", "upsert", "pk.mode", "record_key", "delete.enabled", "true", "max.retries", "0"))
	put(t, task, []sdk.Record{item("nokey", 0, 0, 7, nil, nil)}) // a delete works, and makes the table known
	for i, b := range [][]sdk.Record{{item("nokey", 0, 1, 1, "a", nil)}, {item("nokey", 0, 2, 1, "b", nil)}} {
		err := task.Put(context.Background(), b)
		if c, _ := sdk.ClassOf(err); c != sdk.ClassFatal || !strings.Contains(err.Error(), "unique index") {
			t.Errorf("Put %d = %v (%v), want a fatal error about the missing unique index", i, err, c)
		}
	}
	if got := e.query(t, "SELECT count(*)::text FROM "+e.schema+".nokey"); got[0] != "0" {
		t.Errorf("%s rows written", got[0])
	}
}

// TestPostgresReplay: a dead letter replayed straight into the sink keeps
// the offset where it failed, below the stored position; it is written all
// the same, and the stored offsets do not move.
func TestPostgresReplay(t *testing.T) {
	e := newPG(t)
	e.exec(t, "CREATE TABLE "+e.schema+".replayed (id bigint PRIMARY KEY, name text, price double precision CONSTRAINT cheap CHECK (price < 100))")
	cfg := e.config("replay", "insert.mode", "upsert", "pk.mode", "record_key")
	task := pgTask(t, cfg)
	tp := sdk.TopicPartition{Topic: "replayed"}
	open(t, task, tp)
	batch := []sdk.Record{item("replayed", 0, 0, 1, "a", 1.0), item("replayed", 0, 1, 2, "b", 500.0), item("replayed", 0, 2, 3, "c", 3.0)}
	var be *sdk.BatchError
	if err := task.Put(context.Background(), batch); !errors.As(err, &be) || len(be.Failed) != 1 {
		t.Fatalf("Put = %v, want record 1 to fail", err)
	}
	if _, err := task.Flush(context.Background(), sdk.Offsets{tp: 3}); err != nil { // its dead letter is durable
		t.Fatal(err)
	}
	e.exec(t, "ALTER TABLE "+e.schema+".replayed DROP CONSTRAINT cheap") // the fix
	replay := batch[1]
	replay.Headers = []sdk.Header{{Key: "__freshet.replay.id", Value: []byte("r1")}}
	put(t, task, []sdk.Record{replay})
	if got := e.table(t, "replayed", []string{"id"}); len(got) != 3 || got["2"]["price"] != "500" {
		t.Errorf("table = %v, want the replayed row 2", got)
	}
	if got := open(t, pgTask(t, cfg), tp); got[tp] != 3 {
		t.Errorf("Open = %v, want 3: a replay must not move the stored offsets", got)
	}
}
