package sinks

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/freshet-dev/freshet/connectors/postgres"
	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/tests/e2e/e2etest"
)

// pgEnv is one test's corner of the shared PostgreSQL server: its own schema,
// dropped at the end, so tests and engineers do not see each other's tables.
type pgEnv struct {
	url    string
	schema string
	admin  *pgx.Conn
}

func newPG(t testing.TB) *pgEnv {
	t.Helper()
	url := e2etest.Getenv(t, "FRESHET_POSTGRES_URL")
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect to PostgreSQL at %s: %v", url, err)
	}
	e := &pgEnv{url: url, schema: fmt.Sprintf("sinke2e_%d_%d", time.Now().UnixNano()%1e9, rand.IntN(1e6)), admin: admin}
	e.exec(t, "CREATE SCHEMA "+e.schema)
	t.Cleanup(func() {
		_, _ = admin.Exec(context.Background(), "DROP SCHEMA "+e.schema+" CASCADE")
		admin.Close(context.Background())
	})
	return e
}

func (e *pgEnv) exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	if _, err := e.admin.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// config returns a sink config writing to tables of e's schema.
func (e *pgEnv) config(name string, kv ...string) map[string]string {
	cfg := map[string]string{
		"name":                  name,
		"connection.url":        e.url,
		"table.name.format":     e.schema + ".${topic}",
		"freshet.offsets.table": e.schema + ".offsets",
		"retry.backoff.ms":      "100",
	}
	for i := 0; i+1 < len(kv); i += 2 {
		cfg[kv[i]] = kv[i+1]
	}
	return cfg
}

// startTask starts a sink task the way the runtime does: connector Start,
// then task Start.
func startTask(t testing.TB, p sdk.Plugin, cfg map[string]string) sdk.SinkTask {
	t.Helper()
	ctx := context.Background()
	c := p.New().(sdk.SinkConnector)
	if err := c.Start(ctx, cfg); err != nil {
		t.Fatalf("connector start: %v", err)
	}
	task := c.NewSinkTask()
	if err := task.Start(ctx, cfg); err != nil {
		t.Fatalf("task start: %v", err)
	}
	t.Cleanup(func() { _ = task.Stop(context.Background()) })
	return task
}

func pgTask(t testing.TB, cfg map[string]string) sdk.SinkTask {
	return startTask(t, postgres.Plugin(), cfg)
}

// table reads one of e's tables as ReadTable does.
func (e *pgEnv) table(t testing.TB, name string, key []string, cols ...string) map[string]Row {
	t.Helper()
	got, err := ReadTable(context.Background(), e.admin, e.schema+"."+pgx.Identifier{name}.Sanitize(), key, cols...)
	if err != nil {
		t.Fatalf("read table %s: %v", name, err)
	}
	return got
}

// query returns the first column of a query's rows as text.
func (e *pgEnv) query(t testing.TB, sql string, args ...any) []string {
	t.Helper()
	rows, err := e.admin.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return out
}

// columnTypes returns a table's column → format_type.
func (e *pgEnv) columnTypes(t testing.TB, table string) map[string]string {
	t.Helper()
	rows, err := e.admin.Query(context.Background(), `SELECT a.attname, format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
		FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped`, e.schema+"."+pgx.Identifier{table}.Sanitize())
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var n, ty string
		if err := rows.Scan(&n, &ty); err != nil {
			t.Fatal(err)
		}
		out[n] = ty
	}
	return out
}
