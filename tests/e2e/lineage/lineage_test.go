package lineage

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/freshet-dev/freshet/tests/e2e/e2etest"
)

const (
	records    = 30
	partitions = 3
	picked     = 17 // the record each sink's row is followed back from
	version    = "0.1.0"
)

// produced is where a test record landed in Kafka.
type produced struct {
	key       string
	value     map[string]any
	partition int32
	offset    int64
	timestamp time.Time
}

// lin is a row's lineage as read back from a sink.
type lin struct {
	topic            string
	partition        int32
	offset           int64
	timestamp        time.Time
	connector        string
	connectorVersion string
}

func TestLineage(t *testing.T) {
	e := setup(t)
	topic := e2etest.UniqueName("lineage")
	table := topic // a valid table name: letters, digits and underscores
	e.CreateTopic(t, topic, partitions)

	ctx := context.Background()
	pg, err := pgx.Connect(ctx, e.pgURL)
	if err != nil {
		t.Fatalf("PostgreSQL at %s: %v", e.pgURL, err)
	}
	t.Cleanup(func() {
		pg.Exec(context.Background(), "DROP TABLE IF EXISTS "+pgx.Identifier{table}.Sanitize())
		pg.Close(context.Background())
	})
	rc := goredis.NewClient(&goredis.Options{Addr: e.redisAddr})
	if err := rc.Ping(ctx).Err(); err != nil {
		t.Fatalf("Redis at %s: %v", e.redisAddr, err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		iter := rc.Scan(ctx, 0, topic+"*", 1000).Iterator()
		for iter.Next(ctx) {
			rc.Del(ctx, iter.Val())
		}
		rc.Close()
	})

	// Produce records with distinct keys, values and timestamps.
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	want := make([]produced, records)
	var recs []*kgo.Record
	for i := range records {
		v := map[string]any{"id": float64(i), "name": "item-" + strconv.Itoa(i), "score": float64(i) + 0.25} // never whole: a float column
		b, _ := json.Marshal(v)
		recs = append(recs, &kgo.Record{Topic: topic, Partition: int32(i % partitions),
			Key: []byte("k-" + strconv.Itoa(i)), Value: b, Timestamp: base.Add(time.Duration(i) * time.Second)})
		want[i] = produced{key: "k-" + strconv.Itoa(i), value: v}
	}
	cl := e.NewClient(t, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	res := cl.ProduceSync(ctx, recs...)
	if err := res.FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	for _, r := range res { // in acknowledgement order, not the order produced
		i, err := strconv.Atoi(string(r.Record.Key[len("k-"):]))
		if err != nil {
			t.Fatal(err)
		}
		want[i].partition, want[i].offset, want[i].timestamp = r.Record.Partition, r.Record.Offset, r.Record.Timestamp
	}

	dir := t.TempDir()
	out := filepath.Join(dir, "lineage.jsonl")
	common := map[string]string{"topics": topic, "tasks.max": "2", "freshet.lineage.enable": "true"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range common {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	conns := map[string]map[string]string{
		topic + "-file": with("connector.class", "FileStreamSink", "file", out),
		topic + "-pg": with("connector.class", "postgres", "connection.url", e.pgURL,
			"table.name.format", table, "auto.create", "true", "auto.evolve", "true"),
		topic + "-redis": with("connector.class", "redis", "redis.uri", e.redisAddr, "redis.type", "hash",
			"redis.key.template", "${topic}:${key}", "freshet.offsets.key", topic+":offsets"),
	}
	w := e.NewWorker(t, dir, e.WorkerProps(t, dir), conns)
	w.Start()
	for name := range conns {
		w.WaitRunning(name, time.Minute)
	}

	// File: one JSON line per record.
	var fileRows map[string]lin
	var fileVals map[string]map[string]any
	w.WaitFor(time.Minute, "every record in the file", func() (bool, string) {
		fileRows, fileVals = map[string]lin{}, map[string]map[string]any{}
		b, err := os.ReadFile(out)
		if err != nil {
			return false, err.Error()
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			var line struct {
				Value   map[string]any `json:"value"`
				Lineage struct {
					Topic            string    `json:"topic"`
					Partition        int32     `json:"partition"`
					Offset           int64     `json:"offset"`
					Timestamp        time.Time `json:"timestamp"`
					Connector        string    `json:"connector"`
					ConnectorVersion string    `json:"connector_version"`
				} `json:"_lineage"`
			}
			if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
				t.Fatalf("file line %q: %v", sc.Text(), err)
			}
			l := line.Lineage
			id := fmt.Sprint(line.Value["id"])
			fileRows[id] = lin{l.Topic, l.Partition, l.Offset, l.Timestamp, l.Connector, l.ConnectorVersion}
			fileVals[id] = line.Value
		}
		return len(fileRows) == records, fmt.Sprintf("%d of %d lines", len(fileRows), records)
	})

	// PostgreSQL: one row per record, with the _freshet_* columns.
	pgRows := map[string]lin{}
	pgVals := map[string]map[string]any{}
	w.WaitFor(time.Minute, "every record in PostgreSQL", func() (bool, string) {
		rows, err := pg.Query(ctx, "SELECT id, name, score, _freshet_topic, _freshet_partition, _freshet_offset, "+
			"_freshet_timestamp, _freshet_connector, _freshet_connector_version FROM "+pgx.Identifier{table}.Sanitize())
		if err != nil {
			return false, err.Error()
		}
		defer rows.Close()
		clear(pgRows)
		for rows.Next() {
			var id int64
			var name string
			var score float64
			var l lin
			if err := rows.Scan(&id, &name, &score, &l.topic, &l.partition, &l.offset, &l.timestamp,
				&l.connector, &l.connectorVersion); err != nil {
				t.Fatalf("scan row: %v", err)
			}
			key := strconv.FormatInt(id, 10)
			pgRows[key] = l
			pgVals[key] = map[string]any{"id": float64(id), "name": name, "score": score}
		}
		if err := rows.Err(); err != nil {
			return false, err.Error()
		}
		return len(pgRows) == records, fmt.Sprintf("%d of %d rows", len(pgRows), records)
	})

	// Redis: one hash per record, with the _freshet.* fields.
	redisRows := map[string]lin{}
	redisVals := map[string]map[string]any{}
	w.WaitFor(time.Minute, "every record in Redis", func() (bool, string) {
		for i := range records {
			id := strconv.Itoa(i)
			if _, ok := redisRows[id]; ok {
				continue
			}
			h, err := rc.HGetAll(ctx, topic+":"+want[i].key).Result()
			if err != nil {
				return false, err.Error()
			}
			if len(h) == 0 {
				return false, "no hash for " + want[i].key
			}
			p, _ := strconv.ParseInt(h["_freshet.partition"], 10, 32)
			o, _ := strconv.ParseInt(h["_freshet.offset"], 10, 64)
			ts, err := time.Parse(time.RFC3339Nano, h["_freshet.timestamp"])
			if err != nil {
				t.Fatalf("hash %s: _freshet.timestamp: %v (%v)", want[i].key, err, h)
			}
			redisRows[id] = lin{h["_freshet.topic"], int32(p), o, ts, h["_freshet.connector"], h["_freshet.connector_version"]}
			idf, _ := strconv.ParseFloat(h["id"], 64)
			score, _ := strconv.ParseFloat(h["score"], 64)
			redisVals[id] = map[string]any{"id": idf, "name": h["name"], "score": score}
		}
		return true, ""
	})

	for _, sink := range []struct {
		name string
		rows map[string]lin
		vals map[string]map[string]any
	}{
		{topic + "-file", fileRows, fileVals},
		{topic + "-pg", pgRows, pgVals},
		{topic + "-redis", redisRows, redisVals},
	} {
		t.Run(sink.name[len(topic)+1:], func(t *testing.T) {
			// Every row names the record it came from.
			for i, p := range want {
				l, ok := sink.rows[strconv.Itoa(i)]
				if !ok {
					t.Fatalf("no row for id %d", i)
				}
				wantLin := lin{topic, p.partition, p.offset, p.timestamp, sink.name, version}
				if !l.timestamp.Equal(wantLin.timestamp) {
					t.Errorf("id %d: timestamp %s, want %s", i, l.timestamp, wantLin.timestamp)
				}
				l.timestamp = wantLin.timestamp
				if l != wantLin {
					t.Errorf("id %d: lineage %+v, want %+v", i, l, wantLin)
				}
			}
			// Follow one row back to Kafka: the record at its topic,
			// partition and offset is the one the row holds.
			l := sink.rows[strconv.Itoa(picked)]
			r := e.fetchAt(t, l.topic, l.partition, l.offset)
			var v map[string]any
			if err := json.Unmarshal(r.Value, &v); err != nil {
				t.Fatalf("kafka value %q: %v", r.Value, err)
			}
			if string(r.Key) != want[picked].key || !reflect.DeepEqual(v, sink.vals[strconv.Itoa(picked)]) {
				t.Errorf("record at %s/%d@%d is key %q value %v; the row holds %v (key %q)",
					l.topic, l.partition, l.offset, r.Key, v, sink.vals[strconv.Itoa(picked)], want[picked].key)
			}
			if !r.Timestamp.Equal(l.timestamp) {
				t.Errorf("record timestamp %s, lineage says %s", r.Timestamp, l.timestamp)
			}
			t.Logf("row id %d -> %s/%d@%d: key %q value %s", picked, l.topic, l.partition, l.offset, r.Key, r.Value)
		})
	}
}
