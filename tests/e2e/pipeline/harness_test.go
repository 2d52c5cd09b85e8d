package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os/exec"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/tests/e2e/e2etest"
	"github.com/freshet-dev/freshet/tests/e2e/sinks"
)

// env is one test's view of the servers: the binary, Kafka, its own
// PostgreSQL schema and its own Redis key prefix (both removed at cleanup).
type env struct {
	*e2etest.Env
	t         *testing.T
	pgURL     string
	redisAddr string
	schema    string // PostgreSQL schema of this test
	prefix    string // lower-case, unique: topic and key prefix of this test
	pg        *pgx.Conn
	rd        *goredis.Client
}

// setup skips unless FRESHET_E2E=1, then fails when anything is missing.
func setup(t *testing.T) *env {
	t.Helper()
	e := &env{
		Env:       e2etest.Setup(t),
		t:         t,
		pgURL:     e2etest.Getenv(t, "FRESHET_POSTGRES_URL"),
		redisAddr: e2etest.Getenv(t, "FRESHET_REDIS_ADDR"),
		prefix:    e2etest.UniqueName("pl"),
	}
	e.schema = e.prefix
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()

	var err error
	e.pg, err = pgx.Connect(ctx, e.pgURL)
	if err != nil {
		t.Fatalf("PostgreSQL at %s is not reachable (tests/services/up.sh postgres): %v", e.pgURL, err)
	}
	e.exec("CREATE SCHEMA " + e.schema)
	t.Cleanup(func() {
		_, _ = e.pg.Exec(context.Background(), "DROP SCHEMA "+e.schema+" CASCADE")
		e.pg.Close(context.Background())
	})

	e.rd = goredis.NewClient(&goredis.Options{Addr: e.redisAddr, DisableIdentity: true})
	if err := e.rd.Ping(ctx).Err(); err != nil {
		t.Fatalf("Redis at %s is not reachable (tests/services/up.sh redis): %v", e.redisAddr, err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		for _, pat := range []string{e.prefix + "*", "freshet:offsets:" + e.prefix + "*"} {
			keys, _ := e.rd.Keys(ctx, pat).Result()
			if len(keys) > 0 {
				e.rd.Del(ctx, keys...)
			}
		}
		e.rd.Close()
	})
	return e
}

func (e *env) exec(sql string, args ...any) {
	e.t.Helper()
	if _, err := e.pg.Exec(context.Background(), sql, args...); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
}

// name returns a name unique to this test: its prefix, "_", suffix.
func (e *env) name(suffix string) string { return e.prefix + "_" + suffix }

// --- configs ---------------------------------------------------------------

// pgSink returns a PostgreSQL sink config writing to this test's schema.
func (e *env) pgSink(topic string, kv ...string) map[string]string {
	cfg := map[string]string{
		"connector.class":       "postgres",
		"tasks.max":             "1",
		"topics":                topic,
		"connection.url":        e.pgURL,
		"table.name.format":     e.schema + ".${topic}",
		"freshet.offsets.table": e.schema + ".freshet_offsets",
		"retry.backoff.ms":      "100",
		"auto.create":           "true",
	}
	for i := 0; i+1 < len(kv); i += 2 {
		cfg[kv[i]] = kv[i+1]
	}
	return cfg
}

// redisSink returns a Redis sink config.
func (e *env) redisSink(topic string, kv ...string) map[string]string {
	cfg := map[string]string{
		"connector.class":  "redis",
		"tasks.max":        "1",
		"topics":           topic,
		"redis.uri":        e.redisAddr,
		"retry.backoff.ms": "100",
	}
	for i := 0; i+1 < len(kv); i += 2 {
		cfg[kv[i]] = kv[i+1]
	}
	return cfg
}

// dlqConfig is the dead-letter part of a connector config.
func dlqConfig(cfg map[string]string, topic string) map[string]string {
	cfg["errors.tolerance"] = "all"
	cfg["errors.deadletterqueue.topic.name"] = topic
	cfg["errors.deadletterqueue.topic.replication.factor"] = "1"
	cfg["errors.deadletterqueue.context.headers.enable"] = "true"
	return cfg
}

// --- the worker process ----------------------------------------------------

// newWorker returns a standalone worker running connectors, with its files in
// a new temporary directory; it is not started.
func (e *env) newWorker(connectors map[string]map[string]string) *e2etest.Worker {
	e.t.Helper()
	dir := e.t.TempDir()
	return e.NewWorker(e.t, dir, e.WorkerProps(e.t, dir), connectors)
}

// assertTasksRunning fails the test when a task of a connector is not
// RUNNING right now.
func (e *env) assertTasksRunning(w *e2etest.Worker, names ...string) {
	e.t.Helper()
	for _, name := range names {
		st, err := w.Status(name)
		if err != nil {
			e.t.Errorf("status of %s: %v", name, err)
			continue
		}
		for _, task := range st.Tasks {
			if task.State != "RUNNING" {
				e.t.Errorf("task %d of %s is %s: %s", task.ID, name, task.State, task.Trace)
			}
		}
	}
}

// freshet runs `freshet dlq ARGS…` against the worker w and returns its
// output.
func (e *env) freshet(w *e2etest.Worker, args ...string) (stdout, stderr string, code int) {
	e.t.Helper()
	return e2etest.Run(e.t, e.command(w, args...))
}

func (e *env) command(w *e2etest.Worker, args ...string) *exec.Cmd {
	full := append([]string{"dlq"}, args...)
	// The default audit topic: replays into the sink are journaled by the
	// worker, which does not take the CLI's --audit-topic.
	full = append(full, "--bootstrap-servers", e.Bootstrap, "--url", w.URL, "--who", "pipeline-e2e")
	cmd := exec.Command(e.Bin, full...)
	cmd.Env = e2etest.ChildEnv()
	return cmd
}

// --- records and references -------------------------------------------------

// rec is one record the tests produce: a string key and a JSON value (nil for
// a tombstone), or raw bytes that are not a JSON object.
type rec struct {
	key   string
	value map[string]any
	raw   []byte // sent instead of value when set
}

func (r rec) kgo(topic string) *kgo.Record {
	k := &kgo.Record{Topic: topic, Key: []byte(r.key)}
	switch {
	case r.raw != nil:
		k.Value = r.raw
	case r.value != nil:
		b, err := json.Marshal(r.value)
		if err != nil {
			panic(err)
		}
		k.Value = b
	}
	return k
}

// sdkRecords turns produced records into what the sink receives after the
// converters and, when extra is set, an InsertField of those fields: the
// input of the references. Values are decoded as the JSON converter decodes
// them, with numbers kept as text so that the reference renders them as
// the table does.
func sdkRecords(t *testing.T, recs []*kgo.Record, extra map[string]any) []sdk.Record {
	t.Helper()
	out := make([]sdk.Record, len(recs))
	for i, r := range recs {
		s := sdk.Record{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Key: string(r.Key)}
		if r.Value != nil {
			var v any
			d := json.NewDecoder(bytes.NewReader(r.Value))
			d.UseNumber()
			if err := d.Decode(&v); err == nil {
				if m, ok := v.(map[string]any); ok {
					for k, x := range m {
						if n, ok := x.(json.Number); ok {
							m[k] = n.String()
						}
					}
					for k, x := range extra {
						m[k] = x
					}
					v = m
				}
				s.Value = v
			} else {
				s.Value = string(r.Value) // malformed: never reaches the sink
			}
		}
		out[i] = s
	}
	return out
}

// readTable reads a table of this test's schema as sinks.ReadTable does.
func (e *env) readTable(table string, key []string, cols ...string) map[string]sinks.Row {
	e.t.Helper()
	got, err := sinks.ReadTable(context.Background(), e.pg, e.schema+"."+pgx.Identifier{table}.Sanitize(), key, cols...)
	if err != nil {
		e.t.Fatalf("read table %s: %v", table, err)
	}
	return got
}

// tableExists reports whether a table of this test's schema exists.
func (e *env) tableExists(table string) bool {
	var ok bool
	_ = e.pg.QueryRow(context.Background(), "SELECT to_regclass($1) IS NOT NULL", e.schema+"."+pgx.Identifier{table}.Sanitize()).Scan(&ok)
	return ok
}

func (e *env) count(table string) int64 {
	var n int64
	if err := e.pg.QueryRow(context.Background(), "SELECT count(*) FROM "+e.schema+"."+pgx.Identifier{table}.Sanitize()).Scan(&n); err != nil {
		return -1
	}
	return n
}

// columns returns a table's columns.
func (e *env) columns(table string) []string {
	e.t.Helper()
	rows, err := e.pg.Query(context.Background(), `SELECT column_name::text FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`, e.schema, table)
	if err != nil {
		e.t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// header returns the value of a record's last header named key.
func header(r *kgo.Record, key string) (string, bool) {
	for i := len(r.Headers) - 1; i >= 0; i-- {
		if r.Headers[i].Key == key {
			return string(r.Headers[i].Value), true
		}
	}
	return "", false
}

// newRandFrom returns a generator for another goroutine, seeded by seed.
func newRandFrom(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

// counter returns a function that counts a table's rows on a connection of
// its own, for use from another goroutine (one at a time).
func (e *env) counter(table string) func() int64 {
	e.t.Helper()
	c, err := pgx.Connect(context.Background(), e.pgURL)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close(context.Background()) })
	q := "SELECT count(*) FROM " + e.schema + "." + pgx.Identifier{table}.Sanitize()
	return func() int64 {
		var n int64
		if err := c.QueryRow(context.Background(), q).Scan(&n); err != nil {
			return -1
		}
		return n
	}
}
