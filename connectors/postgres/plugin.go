package postgres

import (
	"context"
	"maps"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

const version = "0.1.0"

// Plugin returns the PostgreSQL sink. It is registered as "postgres" and
// under the class names of Confluent's and Aiven's JDBC sinks, whose config
// keys it reads.
func Plugin() sdk.Plugin {
	return sdk.Plugin{
		Name: "postgres",
		Aliases: []string{
			"io.confluent.connect.jdbc.JdbcSinkConnector",
			"io.aiven.connect.jdbc.JdbcSinkConnector",
		},
		Version: version,
		Kind:    sdk.KindSink,
		Doc: "Writes records to PostgreSQL tables: insert, upsert (INSERT … ON CONFLICT) or update, " +
			"deletes for tombstones, auto-create and auto-evolve of tables, with the config keys of " +
			"the Kafka Connect JDBC sinks. Exactly once: each batch's Kafka offsets are stored in the " +
			"same transaction as its rows, and a restarted task resumes from them. A row that violates " +
			"a constraint fails alone, with its SQLSTATE and constraint, while its batch-mates are written.",
		Config: configDef(),
		New:    func() sdk.Connector { return &connector{} },
	}
}

type connector struct{ cfg map[string]string }

func (c *connector) Start(_ context.Context, cfg map[string]string) error {
	if _, err := parseConfig(cfg); err != nil {
		return sdk.Fatal(err)
	}
	c.cfg = maps.Clone(cfg)
	return nil
}

// TaskConfigs gives every task the connector's config. Tasks share nothing:
// each stores the offsets of the partitions it is given.
func (c *connector) TaskConfigs(maxTasks int) ([]map[string]string, error) {
	return sdk.SameTaskConfigs(c.cfg, maxTasks), nil
}

func (c *connector) Stop(context.Context) error { return nil }

func (c *connector) NewSinkTask() sdk.SinkTask { return newSinkTask() }

// Validate reports the problems with combinations of keys, per key, for the
// REST validate endpoint. It does not connect.
func (c *connector) Validate(_ context.Context, cfg map[string]string) map[string][]string {
	_, err := parseConfig(cfg)
	return sdk.ConfigErrors(err)
}
