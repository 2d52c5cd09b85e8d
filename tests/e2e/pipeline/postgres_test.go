package pipeline

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/tests/e2e/e2etest"
	"github.com/freshet-dev/freshet/tests/e2e/sinks"
)

// insertSrc is the InsertField$Value transform the tests configure: every
// row gets src=e2e, and a value that is not a JSON object fails it.
func insertSrc(cfg map[string]string) map[string]string {
	cfg["transforms"] = "tag"
	cfg["transforms.tag.type"] = "org.apache.kafka.connect.transforms.InsertField$Value"
	cfg["transforms.tag.static.field"] = "src"
	cfg["transforms.tag.static.value"] = "e2e"
	return cfg
}

var srcField = map[string]any{"src": "e2e"}

// origHeader is a header every produced record carries, with bytes that are
// not UTF-8, so that dead letters can be checked to keep it byte for byte.
var origHeader = kgo.RecordHeader{Key: "trace-id", Value: []byte{0xff, 0x00, 't', 0x7f}}

// withHeader adds origHeader and a fixed timestamp to records.
func withHeader(recs []*kgo.Record, ts time.Time) []*kgo.Record {
	for _, r := range recs {
		r.Headers = append(r.Headers, origHeader)
		r.Timestamp = ts
	}
	return recs
}

// fillNull gives every reference row the table's columns it lacks, as NULL:
// a column added by auto.evolve is NULL in the rows written before.
func fillNull(rows map[string]sinks.Row, cols []string) {
	for _, r := range rows {
		for _, c := range cols {
			if _, ok := r[c]; !ok {
				r[c] = sinks.Null
			}
		}
	}
}

func diffTables(got, want map[string]sinks.Row) string {
	g := map[string]map[string]string{}
	w := map[string]map[string]string{}
	for k, v := range got {
		g[k] = v
	}
	for k, v := range want {
		w[k] = v
	}
	return sinks.Diff(g, w, 15)
}

// TestPostgresSinkThroughWorker is issue 6 done-means 1 through a worker
// process: inserts, upserts of existing keys and tombstones arrive as
// configured (upsert, pk.mode=record_key, delete.enabled); the table is
// created by auto.create and a new field adds a column by auto.evolve; a
// record that violates a CHECK constraint goes to the dead-letter topic with
// its SQLSTATE and constraint while its batch-mates are written. Issue 4
// done-means 1: malformed JSON, a transform failure and the sink rejection
// each land in the dead-letter topic with the original bytes and every
// header correct.
func TestPostgresSinkThroughWorker(t *testing.T) {
	e := setup(t)
	topic, dlqTopic := e.name("items"), e.name("items_dlq")
	e.CreateTopic(t, topic, 3)
	e.DeleteTopicAtCleanup(t, dlqTopic)
	const conn = "pg-items"
	cfg := insertSrc(dlqConfig(e.pgSink(topic,
		"insert.mode", "upsert", "pk.mode", "record_key", "pk.fields", "id",
		"delete.enabled", "true", "auto.evolve", "true"), dlqTopic))
	w := e.newWorker(map[string]map[string]string{conn: cfg})
	ts := time.Now().Add(-time.Hour).Truncate(time.Millisecond)

	// Phase A: inserts; auto.create makes the table.
	var phaseA []rec
	for i := range 200 {
		phaseA = append(phaseA, rec{key: fmt.Sprint(i), value: map[string]any{"name": fmt.Sprintf("item %d", i), "qty": i}})
	}
	var produced []*kgo.Record
	produced = append(produced, e.Produce(t, withHeader(kgos(topic, phaseA), ts)...)...)
	start := time.Now()
	w.Start()
	w.WaitRunning(conn, 60*time.Second)
	w.WaitFor(60*time.Second, "200 rows in the auto-created table", func() (bool, string) {
		if !e.tableExists(topic) {
			return false, "no table yet"
		}
		n := e.count(topic)
		return n == 200, fmt.Sprintf("%d rows", n)
	})
	t.Logf("FIGURE phase A: 200 rows visible %.2fs after the worker started", time.Since(start).Seconds())
	if cols := e.columns(topic); !slices.Equal(slices.Sorted(slices.Values(cols)), []string{"id", "name", "qty", "src"}) {
		t.Errorf("auto.create made columns %v, want id, name, qty, src", cols)
	}
	// The "bug": a constraint that some records violate.
	e.exec(fmt.Sprintf(`ALTER TABLE %s."%s" ADD CONSTRAINT qty_nonneg CHECK (qty >= 0)`, e.schema, topic))

	// Phase B, produced in one go so that failures share batches with
	// records that must be written.
	var phaseB []rec
	for i := 0; i < 200; i += 4 { // upserts of existing keys
		phaseB = append(phaseB, rec{key: fmt.Sprint(i), value: map[string]any{"name": fmt.Sprintf("item %d v2", i), "qty": 1000 + i}})
	}
	for i := 1; i < 200; i += 10 { // deletes
		phaseB = append(phaseB, rec{key: fmt.Sprint(i)})
	}
	for i := 200; i < 230; i++ { // new keys
		phaseB = append(phaseB, rec{key: fmt.Sprint(i), value: map[string]any{"name": fmt.Sprintf("item %d", i), "qty": i}})
	}
	bad := map[string]string{ // key → how it fails
		"2":   "check",     // an upsert of an existing key that violates the constraint
		"500": "check",     // a new key that violates it
		"501": "malformed", // not JSON
		"502": "transform", // JSON, but not an object: InsertField$Value fails
	}
	phaseB = append(phaseB,
		rec{key: "2", value: map[string]any{"name": "negative", "qty": -5}},
		rec{key: "270", value: map[string]any{"name": "with tier", "qty": 7, "tier": "gold"}}, // auto.evolve
		rec{key: "500", value: map[string]any{"name": "negative new", "qty": -1}},
		rec{key: "501", raw: []byte(`{"name": "cut off`)},
		rec{key: "502", raw: []byte(`[1,2,3]`)},
		rec{key: "3", value: map[string]any{"name": "item 3 v2", "qty": 33, "tier": "silver"}},
	)
	for i := 230; i < 260; i++ {
		phaseB = append(phaseB, rec{key: fmt.Sprint(i), value: map[string]any{"name": fmt.Sprintf("item %d", i), "qty": i}})
	}
	startB := time.Now()
	pb := e.Produce(t, withHeader(kgos(topic, phaseB), ts)...)
	produced = append(produced, pb...)

	failed := func(r *sdk.Record) bool {
		_, isBad := bad[r.Key.(string)]
		v, _ := r.Value.(map[string]any)
		if q, ok := v["qty"].(string); ok && strings.HasPrefix(q, "-") {
			return true
		}
		return isBad && r.Value != nil && v == nil // malformed or array
	}
	ref, err := sinks.PGReference{InsertMode: "upsert", PKMode: "record_key", PKFields: []string{"id"}, Delete: true}.
		Rows(sdkRecords(t, produced, srcField), failed, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.WaitFor(60*time.Second, "4 dead letters", func() (bool, string) {
		n := e2etest.Sum(e.EndOffsets(t, dlqTopic))
		return n >= 4, fmt.Sprintf("%d dead letters", n)
	})
	var cols []string
	w.WaitFor(60*time.Second, "the table to match the reference", func() (bool, string) {
		cols = e.columns(topic)
		fillNull(ref, cols)
		d := diffTables(e.readTable(topic, []string{"id"}), ref)
		return d == "", d
	})
	t.Logf("FIGURE phase B: %d records (4 failing) in the table and DLQ %.2fs after produce; table has %d rows, columns %v",
		len(pb), time.Since(startB).Seconds(), len(ref), cols)
	if !slices.Contains(cols, "tier") {
		t.Errorf("auto.evolve did not add the column tier: %v", cols)
	}
	// The rows around the rejected ones were written in the same batches.
	for _, k := range []string{"270", "3", "229", "230"} {
		if _, ok := ref[k]; !ok {
			t.Errorf("reference lacks row %s", k)
		}
	}
	if ref["2"]["qty"] != "2" {
		t.Errorf("reference row 2 = %v, want it unchanged by the violating upsert (qty 2)", ref["2"])
	}

	dls := e.ReadTopic(t, dlqTopic)
	if len(dls) != 4 {
		t.Fatalf("dead-letter topic holds %d records, want 4", len(dls))
	}
	byKey := map[string]*kgo.Record{}
	for _, r := range produced {
		if _, ok := bad[string(r.Key)]; ok && (string(r.Key) != "2" || bytes.Contains(r.Value, []byte("negative"))) {
			byKey[string(r.Key)] = r
		}
	}
	for _, dl := range dls {
		orig := byKey[string(dl.Key)]
		if orig == nil {
			t.Errorf("unexpected dead letter with key %q: %s", dl.Key, dl.Value)
			continue
		}
		want := map[string]struct{ stage, msg string }{
			"check":     {"TASK_PUT", "23514"},
			"malformed": {"VALUE_CONVERTER", ""},
			"transform": {"TRANSFORMATION", "only map objects supported"},
		}[bad[string(dl.Key)]]
		checkDeadLetter(t, dl, orig, conn, want.stage, want.msg, startB.Add(-time.Second))
		if bad[string(dl.Key)] == "check" {
			m, _ := header(dl, "__connect.errors.exception.message")
			if !strings.Contains(m, "qty_nonneg") {
				t.Errorf("dead letter %s: message %q does not name the constraint qty_nonneg", dl.Key, m)
			}
			t.Logf("dead letter of the CHECK violation (key %s): %s", dl.Key, m)
		}
		delete(byKey, string(dl.Key))
	}
	if len(byKey) != 0 {
		t.Errorf("no dead letter for keys %v", slices.Collect(mapKeys(byKey)))
	}
	e.assertTasksRunning(w, conn)
}

func kgos(topic string, recs []rec) []*kgo.Record {
	out := make([]*kgo.Record, len(recs))
	for i, r := range recs {
		out[i] = r.kgo(topic)
	}
	return out
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// checkDeadLetter asserts that dl is orig byte for byte (key, value, original
// headers, timestamp) with every Kafka Connect and Freshet header right.
func checkDeadLetter(t *testing.T, dl, orig *kgo.Record, connector, stage, msgPart string, notBefore time.Time) {
	t.Helper()
	id := fmt.Sprintf("dead letter of %s/%d/%d", orig.Topic, orig.Partition, orig.Offset)
	if !bytes.Equal(dl.Key, orig.Key) || !bytes.Equal(dl.Value, orig.Value) {
		t.Errorf("%s: key/value %q/%q, want %q/%q", id, dl.Key, dl.Value, orig.Key, orig.Value)
	}
	if !dl.Timestamp.Equal(orig.Timestamp) {
		t.Errorf("%s: timestamp %v, want %v", id, dl.Timestamp, orig.Timestamp)
	}
	var kept []kgo.RecordHeader
	for _, h := range dl.Headers {
		if !strings.HasPrefix(h.Key, "__connect.errors.") && !strings.HasPrefix(h.Key, "__freshet.") {
			kept = append(kept, h)
		}
	}
	if len(kept) != len(orig.Headers) {
		t.Errorf("%s: original headers %v, want %v", id, kept, orig.Headers)
	} else {
		for i := range kept {
			if kept[i].Key != orig.Headers[i].Key || !bytes.Equal(kept[i].Value, orig.Headers[i].Value) {
				t.Errorf("%s: header %d = %q:%x, want %q:%x", id, i, kept[i].Key, kept[i].Value, orig.Headers[i].Key, orig.Headers[i].Value)
			}
		}
	}
	eq := map[string]string{
		"__connect.errors.topic":          orig.Topic,
		"__connect.errors.partition":      strconv.Itoa(int(orig.Partition)),
		"__connect.errors.offset":         strconv.FormatInt(orig.Offset, 10),
		"__connect.errors.connector.name": connector,
		"__connect.errors.task.id":        "0",
		"__connect.errors.stage":          stage,
		"__freshet.topic":                 orig.Topic,
		"__freshet.partition":             strconv.Itoa(int(orig.Partition)),
		"__freshet.offset":                strconv.FormatInt(orig.Offset, 10),
		"__freshet.connector.name":        connector,
		"__freshet.stage":                 stage,
		"__freshet.error.class":           "record",
		"__freshet.attempt":               "1",
	}
	for k, want := range eq {
		if got, ok := header(dl, k); !ok || got != want {
			t.Errorf("%s: header %s = %q (present %v), want %q", id, k, got, ok, want)
		}
	}
	for _, k := range []string{"__connect.errors.class.name", "__connect.errors.exception.class.name",
		"__connect.errors.exception.message", "__connect.errors.exception.stacktrace",
		"__freshet.exception.class", "__freshet.exception.message", "__freshet.worker.id", "__freshet.connector.version"} {
		if v, ok := header(dl, k); !ok || v == "" {
			t.Errorf("%s: header %s missing or empty", id, k)
		}
	}
	if m, _ := header(dl, "__connect.errors.exception.message"); !strings.Contains(m, msgPart) {
		t.Errorf("%s: exception message %q does not contain %q", id, m, msgPart)
	}
	if m, _ := header(dl, "__freshet.exception.message"); m != func() string { v, _ := header(dl, "__connect.errors.exception.message"); return v }() {
		t.Errorf("%s: __freshet.exception.message %q differs from Kafka Connect's", id, m)
	}
	for _, k := range []string{"__freshet.first.failure", "__freshet.last.failure"} {
		v, _ := header(dl, k)
		at, err := time.Parse(time.RFC3339Nano, v)
		if err != nil || at.Before(notBefore) || at.After(time.Now().Add(time.Second)) {
			t.Errorf("%s: %s = %q (%v), want an RFC 3339 time after %v", id, k, v, err, notBefore)
		}
	}
}
