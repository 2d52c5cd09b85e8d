package sinks

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"
	"go.uber.org/zap/zaptest"

	"github.com/freshet-dev/freshet/connectors/postgres"
	"github.com/freshet-dev/freshet/connectors/redis"
	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/connectors/sdk/conformance"
	"github.com/freshet-dev/freshet/connectors/sdk/plugin"
	"github.com/freshet-dev/freshet/runtime/plugin/host"
)

// servePluginEnv makes the test binary serve the named sink as a plugin
// process, as `freshet plugin serve NAME` does.
const servePluginEnv = "FRESHET_E2E_SERVE_PLUGIN"

func TestMain(m *testing.M) {
	for _, p := range []sdk.Plugin{postgres.Plugin(), redis.Plugin()} {
		if os.Getenv(servePluginEnv) == p.Name {
			plugin.Serve(p)
			os.Exit(0)
		}
	}
	os.Exit(m.Run())
}

// variants returns the plugin in process, and isolated in a plugin process
// as the worker runs it with plugin.isolation=process.
func variants(t *testing.T, p sdk.Plugin) map[string]sdk.Plugin {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	h, err := host.New(zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	return map[string]sdk.Plugin{
		"in-process": p,
		"isolated":   h.Isolate(p, host.Command{Path: exe, Env: []string{servePluginEnv + "=" + p.Name}}),
	}
}

// The postgres sink against a real PostgreSQL: each subtest writes to a
// fresh schema's table, whose seq column keeps the order rows arrived in.
func TestConformancePostgres(t *testing.T) {
	row := sdk.NewStruct("row").Field("id", sdk.StringSchema).Build()
	record := func(id string) sdk.Record {
		return sdk.Record{Key: id, Value: sdk.NewStructValue(row).Put("id", id), ValueSchema: row}
	}
	for name, p := range variants(t, postgres.Plugin()) {
		t.Run(name, conformance.Sink{
			Plugin: p,
			Config: func(t *testing.T) map[string]string {
				e := newPG(t)
				e.exec(t, "CREATE TABLE "+e.schema+".conformance (seq bigserial PRIMARY KEY, id text NOT NULL CHECK (id <> 'bad'))")
				return e.config("conformance", "insert.mode", "insert", "pk.mode", "none")
			},
			Read: func(t *testing.T, cfg map[string]string) []string {
				table := strings.ReplaceAll(cfg["table.name.format"], "${topic}", "conformance")
				conn, err := pgx.Connect(context.Background(), cfg["connection.url"])
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close(context.Background())
				rows, err := conn.Query(context.Background(), "SELECT id FROM "+table+" ORDER BY seq")
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for rows.Next() {
					var id string
					if err := rows.Scan(&id); err != nil {
						t.Fatal(err)
					}
					ids = append(ids, id)
				}
				if err := rows.Err(); err != nil {
					t.Fatal(err)
				}
				return ids
			},
			Record:      func(id string, _ sdk.TopicPartition, _ int64) sdk.Record { return record(id) },
			BadRecord:   func(sdk.TopicPartition, int64) sdk.Record { return record("bad") }, // fails the CHECK
			Invalid:     []conformance.Invalid{{Name: "unknown insert mode", Set: map[string]string{"insert.mode": "sideways"}, Key: "insert.mode"}},
			ExactlyOnce: true,
		}.Run)
	}
}

// The redis sink against a real Redis: a stream per partition keeps the
// order entries arrived in.
func TestConformanceRedis(t *testing.T) {
	for name, p := range variants(t, redis.Plugin()) {
		t.Run(name, conformance.Sink{
			Plugin: p,
			Config: func(t *testing.T) map[string]string {
				e := newRedis(t)
				return e.config("conformance", "redis.type", "stream", "redis.key.template", e.prefix+":${topic}:${partition}")
			},
			Read: func(t *testing.T, cfg map[string]string) []string {
				c := goredis.NewClient(&goredis.Options{Addr: cfg["redis.uri"], DisableIdentity: true})
				defer c.Close()
				var ids []string
				for _, part := range []string{"0", "1", "2"} {
					key := strings.NewReplacer("${topic}", "conformance", "${partition}", part).Replace(cfg["redis.key.template"])
					msgs, err := c.XRange(context.Background(), key, "-", "+").Result()
					if err != nil {
						t.Fatal(err)
					}
					for _, m := range msgs {
						ids = append(ids, m.Values["id"].(string))
					}
				}
				return ids
			},
			Record: func(id string, _ sdk.TopicPartition, _ int64) sdk.Record {
				return sdk.Record{Key: id, Value: map[string]any{"id": id}}
			},
			Invalid:     []conformance.Invalid{{Name: "unknown type", Set: map[string]string{"redis.type": "list"}, Key: "redis.type"}},
			ExactlyOnce: true,
		}.Run)
	}
}
