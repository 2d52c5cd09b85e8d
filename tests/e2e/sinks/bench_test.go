package sinks

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/freshet-dev/freshet/connectors/postgres"
	"github.com/freshet-dev/freshet/connectors/redis"
	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/tests/e2e/e2etest"
)

// benchService returns a server address like e2etest.Getenv, but skips when none is
// configured: benchmarks are not end-to-end tests.
func benchService(b *testing.B, name string) string {
	v, ok := e2etest.Lookup(name)
	if !ok {
		b.Skipf("%s is not set: run tests/services/up.sh postgres redis", name)
	}
	return v
}

var benchSchema = sdk.NewStruct("product").
	Field("id", sdk.Int64Schema).Field("name", sdk.StringSchema).Field("category", sdk.StringSchema).
	Field("price", sdk.Float64Schema).Field("qty", sdk.Int32Schema).Field("active", sdk.BooleanSchema).Build()

// benchRecords makes n product records keyed by id, and the same rows as
// COPY takes them.
func benchRecords(topic string, n int) ([]sdk.Record, [][]any) {
	recs := make([]sdk.Record, n)
	rows := make([][]any, n)
	for i := range n {
		id := int64(i)
		name := "product-" + strconv.Itoa(i)
		cat := "category-" + strconv.Itoa(i%50)
		price := float64(i%10000) / 100
		qty := int32(i % 1000)
		active := i%3 != 0
		recs[i] = sdk.Record{Topic: topic, Offset: id, Key: id, KeySchema: sdk.Int64Schema,
			Value: sdk.NewStructValue(benchSchema).Put("id", id).Put("name", name).Put("category", cat).
				Put("price", price).Put("qty", qty).Put("active", active),
			ValueSchema: benchSchema}
		rows[i] = []any{id, name, cat, price, qty, active}
	}
	return recs, rows
}

// BenchmarkPostgresSink measures, in one run, the sink's throughput against
// the limit: COPY of the same rows, already in memory as Go values, into an
// identical table with a primary key. Each iteration loads 50,000 rows three
// ways into fresh tables:
//
//   - copy: one COPY of all rows (the limit);
//   - chunked: one COPY per Put-sized chunk, each in its own transaction (what
//     any sink that commits per Put pays, offsets aside);
//   - sink: the sink, given records with schemas in Puts of that size; each
//     Put is one transaction with the offsets. Before the clock starts, the
//     task writes one other record, as a running task has: that first Put
//     reads the table's columns and creates the staging table and the
//     offset row, once per task.
//
// Metrics: rows/s of each, and the sink's rate as a share of copy and of
// chunked. The sub-benchmarks vary insert.mode and the Put size; in
// "upsert-existing" every key is already in the sink's table (loaded before
// the clock starts), so that every row is an update: staging and INSERT …
// ON CONFLICT DO UPDATE, the sink's slow way.
func BenchmarkPostgresSink(b *testing.B) {
	for _, mode := range []string{"insert", "upsert", "upsert-existing"} {
		for _, put := range []int{2000, 10000} {
			b.Run(fmt.Sprintf("%s/put=%d", mode, put), func(b *testing.B) { benchPostgres(b, mode, put) })
		}
	}
}

func benchPostgres(b *testing.B, mode string, batch int) {
	existing := mode == "upsert-existing"
	if existing {
		mode = "upsert"
	}
	url := benchService(b, "FRESHET_POSTGRES_URL")
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close(ctx)
	schema := fmt.Sprintf("sinkbench_%d", time.Now().UnixNano()%1e9)
	mustExec := func(sql string) {
		if _, err := admin.Exec(ctx, sql); err != nil {
			b.Fatalf("%s: %v", sql, err)
		}
	}
	mustExec("CREATE SCHEMA " + schema)
	defer mustExec("DROP SCHEMA " + schema + " CASCADE")
	const n = 50000
	recs, rows := benchRecords("products", n)
	cols := []string{"id", "name", "category", "price", "qty", "active"}
	fresh := func(table string) {
		mustExec("DROP TABLE IF EXISTS " + schema + "." + table)
		mustExec("CREATE TABLE " + schema + "." + table +
			" (id bigint PRIMARY KEY, name text NOT NULL, category text NOT NULL, price double precision NOT NULL, qty integer NOT NULL, active boolean NOT NULL)")
	}
	copyConn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer copyConn.Close(ctx)
	cfg := map[string]string{
		"name": "bench-" + mode, "connection.url": url, "table.name.format": schema + ".${topic}",
		"freshet.offsets.table": schema + ".offsets", "insert.mode": mode, "pk.mode": "record_key", "pk.fields": "id",
		"batch.size": strconv.Itoa(batch),
	}
	var copyTime, chunkTime, sinkTime time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		fresh("copied")
		fresh("chunked")
		fresh("products")
		if existing {
			if _, err := copyConn.CopyFrom(ctx, pgx.Identifier{schema, "products"}, cols, pgx.CopyFromRows(rows)); err != nil {
				b.Fatal(err)
			}
			mustExec("VACUUM ANALYZE " + schema + ".products")
		}
		mustExec("DROP TABLE IF EXISTS " + schema + ".offsets")
		task := startTaskB(b, cfg)
		warm := recs[0]
		warm.Offset, warm.Key = -1, int64(-1)
		warm.Value = sdk.NewStructValue(benchSchema).Put("id", int64(-1)).Put("name", "warm-up").Put("category", "-").
			Put("price", 0.0).Put("qty", int32(0)).Put("active", false)
		if err := task.Put(ctx, []sdk.Record{warm}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()

		start := time.Now()
		if _, err := copyConn.CopyFrom(ctx, pgx.Identifier{schema, "copied"}, cols, pgx.CopyFromRows(rows)); err != nil {
			b.Fatal(err)
		}
		copyTime += time.Since(start)

		start = time.Now()
		for j := 0; j < n; j += batch {
			tx, err := copyConn.Begin(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{schema, "chunked"}, cols, pgx.CopyFromRows(rows[j:j+batch])); err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(ctx); err != nil {
				b.Fatal(err)
			}
		}
		chunkTime += time.Since(start)

		start = time.Now()
		for j := 0; j < n; j += batch {
			if err := task.Put(ctx, recs[j:j+batch]); err != nil {
				b.Fatal(err)
			}
		}
		sinkTime += time.Since(start)
		b.StopTimer()
		_ = task.Stop(ctx)
		var count int
		if err := admin.QueryRow(ctx, "SELECT count(*) FROM "+schema+".products WHERE id >= 0").Scan(&count); err != nil || count != n {
			b.Fatalf("the sink wrote %d rows (%v), want %d", count, err, n)
		}
		b.StartTimer()
	}
	rate := func(d time.Duration) float64 { return float64(n*b.N) / d.Seconds() }
	b.ReportMetric(rate(copyTime), "copy-rows/s")
	b.ReportMetric(rate(chunkTime), "chunked-rows/s")
	b.ReportMetric(rate(sinkTime), "sink-rows/s")
	b.ReportMetric(100*rate(sinkTime)/rate(copyTime), "sink/copy-%")
	b.ReportMetric(100*rate(sinkTime)/rate(chunkTime), "sink/chunked-%")
}

func startTaskB(b *testing.B, cfg map[string]string) sdk.SinkTask {
	b.Helper()
	ctx := context.Background()
	task := pgTaskPlugin().New().(sdk.SinkConnector).NewSinkTask()
	if err := task.Start(ctx, cfg); err != nil {
		b.Fatal(err)
	}
	return task
}

// BenchmarkRedisSink measures the Redis sink's writes per second: records
// with schemas, Puts of 5,000, pipelined in MULTI/EXEC transactions of
// batch.size 1,000 with their offsets. A hash write is DEL + HSET of six
// fields; a string write a SET of the JSON value; a stream write an XADD.
func BenchmarkRedisSink(b *testing.B) {
	addr := benchService(b, "FRESHET_REDIS_ADDR")
	for _, typ := range []string{"hash", "string", "stream"} {
		b.Run(typ, func(b *testing.B) {
			ctx := context.Background()
			e := newRedisAt(b, addr)
			const n, batch = 50000, 5000
			recs, _ := benchRecords(e.prefix+"-"+typ, n)
			cfg := e.config("bench-"+typ, "redis.type", typ)
			task := redisPlugin().New().(sdk.SinkConnector).NewSinkTask()
			if err := task.Start(ctx, cfg); err != nil {
				b.Fatal(err)
			}
			defer task.Stop(ctx)
			var d time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				// New offsets each round, so that nothing is skipped as written.
				for j := range recs {
					recs[j].Offset = int64(i*n + j)
				}
				start := time.Now()
				for j := 0; j < n; j += batch {
					if err := task.Put(ctx, recs[j:j+batch]); err != nil {
						b.Fatal(err)
					}
				}
				d += time.Since(start)
			}
			b.ReportMetric(float64(n*b.N)/d.Seconds(), "writes/s")
		})
	}
}

func pgTaskPlugin() sdk.Plugin { return postgres.Plugin() }

func redisPlugin() sdk.Plugin { return redis.Plugin() }
