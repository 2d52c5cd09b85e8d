package redis

import (
	"context"
	"maps"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

const version = "0.1.0"

// Plugin returns the Redis sink, registered as "redis".
func Plugin() sdk.Plugin {
	return sdk.Plugin{
		Name:    "redis",
		Version: version,
		Kind:    sdk.KindSink,
		Doc: "Writes records to Redis as hashes, strings (JSON) or stream entries, under keys made " +
			"from a template (${topic}:${key} by default), with an optional TTL; a tombstone deletes " +
			"the key. Writes are pipelined in MULTI/EXEC transactions that also store the Kafka " +
			"offsets, so delivery is exactly once: a restarted task resumes from them.",
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

// TaskConfigs gives every task the connector's config.
func (c *connector) TaskConfigs(maxTasks int) ([]map[string]string, error) {
	return sdk.SameTaskConfigs(c.cfg, maxTasks), nil
}

func (c *connector) Stop(context.Context) error { return nil }

func (c *connector) NewSinkTask() sdk.SinkTask { return newSinkTask() }

// Validate reports config problems per key, for the REST validate endpoint.
// It does not connect.
func (c *connector) Validate(_ context.Context, cfg map[string]string) map[string][]string {
	_, err := parseConfig(cfg)
	return sdk.ConfigErrors(err)
}
