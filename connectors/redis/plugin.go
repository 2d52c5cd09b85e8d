package redis

import (
	"context"
	"errors"
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
	out := make([]map[string]string, max(maxTasks, 1))
	for i := range out {
		out[i] = maps.Clone(c.cfg)
	}
	return out, nil
}

func (c *connector) Stop(context.Context) error { return nil }

func (c *connector) NewSinkTask() sdk.SinkTask { return newSinkTask() }

// Validate reports config problems per key, for the REST validate endpoint.
// It does not connect.
func (c *connector) Validate(_ context.Context, cfg map[string]string) map[string][]string {
	_, err := parseConfig(cfg)
	if err == nil {
		return nil
	}
	out := map[string][]string{}
	for _, e := range flatten(err) {
		var ce *sdk.ConfigError
		if errors.As(e, &ce) {
			out[ce.Key] = append(out[ce.Key], ce.Message)
		}
	}
	return out
}

func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}
