package main

import (
	"github.com/freshet-dev/freshet/connectors/datagen"
	"github.com/freshet-dev/freshet/connectors/file"
	"github.com/freshet-dev/freshet/connectors/postgres"
	"github.com/freshet-dev/freshet/connectors/redis"
	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/runtime/plugin"
)

// builtins is the one place that names the built-in connectors.
func builtins() []sdk.Plugin {
	return []sdk.Plugin{
		file.SinkPlugin(),
		file.SourcePlugin(),
		datagen.Plugin(),
		postgres.Plugin(),
		redis.Plugin(),
	}
}

func newRegistry() (*plugin.Registry, error) { return plugin.NewRegistry(builtins()...) }
