package main

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	sysPgCopy   = "pgx COPY from memory"
	sysDebezium = "kafka-connect + debezium jdbc"
)

// postgresScenario: Kafka → PostgreSQL. Freshet's postgres sink against a
// COPY of the same rows from memory (pgx CopyFrom, the server's ceiling for
// one connection) and against Debezium's JDBC sink (Apache-2.0, Maven
// Central) in Kafka Connect. Events are JSON in JsonConverter's schema
// envelope, since the JDBC sinks need a schema. Each run gets its own table,
// created beforehand with a bigserial seq column besides the event's four,
// so that the harness can follow the rows cheaply (max(seq)); the sinks
// write the four event columns.
func postgresScenario(ctx context.Context, o options) ([]run, error) {
	systems := []string{"freshet", sysPgCopy, sysDebezium}
	return eventTables(ctx, o, "postgres", o.sizes[0], systems, func(ctx context.Context, sys string, i int, r *run, tbl pgRun) error {
		dir := runDir(o, "pg", sys, i)
		if sys == sysPgCopy {
			return runChild(ctx, o, dir, "pgx copy", []string{"copy", o.bootstrap, tbl.topic, strconv.Itoa(o.records), o.pgURL, tbl.table}, r)
		}
		p, err := startPGSink(o, dir, sys, tbl.topic, tbl.table)
		if err != nil {
			return err
		}
		defer p.stop()
		return measure(ctx, p, sys, r, tbl.rows(ctx, r.Records))
	})
}

// pgRun is what a run of a PostgreSQL scenario writes: topic into table.
type pgRun struct {
	conn         *pgx.Conn
	topic, table string
}

func (t pgRun) rows(ctx context.Context, want int64) func() (int64, error) {
	return rowCounter(ctx, t.conn, t.table, want)
}

// eventTables runs a scenario of systems that write events with schemas of
// size from one topic into PostgreSQL; each run gets a table of its own,
// created before and dropped after.
func eventTables(ctx context.Context, o options, name string, size int, systems []string,
	fn func(ctx context.Context, sys string, i int, r *run, t pgRun) error) ([]run, error) {
	if o.pgURL == "" {
		return []run{{Scenario: name, Size: size, System: systems[0], Skipped: "FRESHET_POSTGRES_URL is not set (tests/services/up.sh postgres)"}}, nil
	}
	t, err := topicFor(ctx, o, kindSchema, size)
	if err != nil {
		return nil, err
	}
	conn, err := pgx.Connect(ctx, o.pgURL)
	if err != nil {
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	defer conn.Close(ctx)
	return alternate(ctx, o, name, size, systems, func(ctx context.Context, sys string, i int, r *run) error {
		r.Records, r.Bytes = int64(o.records), t.bytes
		id := strings.Map(func(c rune) rune {
			if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
				return c
			}
			return '_'
		}, sys)
		table := fmt.Sprintf("bench_%s_%d_%d", id, i, time.Now().UnixNano()%1e9)
		if err := createEventTable(ctx, conn, table); err != nil {
			return err
		}
		defer conn.Exec(context.Background(), "DROP TABLE IF EXISTS "+table)
		return fn(ctx, sys, i, r, pgRun{conn, t.name, table})
	}), nil
}

// pgSinkConnector is Freshet's postgres sink writing topic into table.
func pgSinkConnector(o options, topic, table string) map[string]string {
	return map[string]string{
		"connector.class": "postgres", "tasks.max": "1", "topics": topic,
		"connection.url": o.pgURL, "insert.mode": "insert", "auto.create": "true", "pk.mode": "none",
		"table.name.format": table,
	}
}

// jsonEnvelope is the worker config for events in JsonConverter's schema
// envelope.
var jsonEnvelope = map[string]string{
	"value.converter":                "org.apache.kafka.connect.json.JsonConverter",
	"value.converter.schemas.enable": "true",
}

// isolationPostgres: the postgres sink in-process and isolated, 1 KiB
// events: what isolation costs a sink whose writes go to a server.
func isolationPostgres(ctx context.Context, o options) ([]run, error) {
	systems := []string{"freshet isolated", "freshet in-process"}
	return eventTables(ctx, o, "isolation, postgres", 1024, systems, func(ctx context.Context, sys string, i int, r *run, t pgRun) error {
		cfg := pgSinkConnector(o, t.topic, t.table)
		if sys == "freshet isolated" {
			cfg["plugin.isolation"] = "process"
		}
		p, err := startFreshet(o, runDir(o, "iso-pg", sys, i), jsonEnvelope, cfg)
		if err != nil {
			return err
		}
		defer p.stop()
		return measure(ctx, p, "freshet", r, t.rows(ctx, r.Records))
	})
}

func createEventTable(ctx context.Context, conn *pgx.Conn, table string) error {
	_, err := conn.Exec(ctx, "CREATE TABLE "+table+" (seq bigserial PRIMARY KEY, ts bigint NOT NULL, event_id text NOT NULL, customer_id text NOT NULL, pad text NOT NULL)")
	if err != nil {
		return fmt.Errorf("create table %s: %w", table, err)
	}
	return nil
}

// rowCounter follows max(seq), which an index answers at once, and checks
// count(*) once max(seq) reaches want (seq values of rolled-back rows are
// never reused, so max(seq) can run ahead of the count).
func rowCounter(ctx context.Context, conn *pgx.Conn, table string, want int64) func() (int64, error) {
	return func() (int64, error) {
		var n int64
		if err := conn.QueryRow(ctx, "SELECT coalesce(max(seq), 0) FROM "+table).Scan(&n); err != nil {
			return 0, err
		}
		if n >= want {
			err := conn.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n)
			return n, err
		}
		return n, nil
	}
}

// startPGSink starts Freshet's postgres sink or Debezium's JDBC sink in
// Kafka Connect, reading topic into table.
func startPGSink(o options, dir, sys, topic, table string) (*proc, error) {
	worker := maps.Clone(jsonEnvelope)
	if sys == "freshet" {
		return startFreshet(o, dir, worker, pgSinkConnector(o, topic, table))
	}
	if o.jdbcLib == "" {
		return nil, skipError{"FRESHET_JDBC_SINK_DIR is not set (tests/bench/jdbc/fetch.sh fetches Debezium's JDBC sink)"}
	}
	if _, err := os.Stat(o.jdbcLib); err != nil {
		return nil, skipError{"no Debezium JDBC sink jars: " + err.Error()}
	}
	u, err := url.Parse(o.pgURL)
	if err != nil {
		return nil, err
	}
	pw, _ := u.User.Password()
	worker["plugin.path"] = filepath.Dir(o.jdbcLib)
	return startConnect(o, dir, worker, map[string]string{
		"connector.class": "io.debezium.connector.jdbc.JdbcSinkConnector", "tasks.max": "1", "topics": topic,
		"connection.url":      "jdbc:postgresql://" + u.Host + u.Path,
		"connection.username": u.User.Username(), "connection.password": pw,
		"insert.mode": "insert", "primary.key.mode": "none", "schema.evolution": "basic",
		"collection.name.format": table, "table.name.format": table,
	})
}

// pgVersion is the server's version, or "" when PostgreSQL is not set up.
func pgVersion(ctx context.Context, o options) string {
	if o.pgURL == "" {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, o.pgURL)
	if err != nil {
		return ""
	}
	defer conn.Close(ctx)
	var v string
	_ = conn.QueryRow(ctx, "SHOW server_version").Scan(&v)
	return v
}
