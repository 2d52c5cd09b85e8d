// Command freshet-example-go is a Freshet connector plugin written against
// the sdk alone: a sink that appends each record to a file as a line,
// "topic/partition/offset<TAB>value". Build it, put the executable in a
// plugin.path directory, and the worker lists it and runs it in its own
// process:
//
//	go build -o /opt/freshet/plugins/ .
//
// then create a connector with "connector.class": "example-go-sink".
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/connectors/sdk/plugin"
)

func main() { plugin.Serve(Plugin()) }

// Plugin describes the connector.
func Plugin() sdk.Plugin {
	return sdk.Plugin{
		Name:    "example-go-sink",
		Version: "1.0.0",
		Kind:    sdk.KindSink,
		Doc:     "Appends each record to a file as a line: topic/partition/offset, a tab, the value.",
		Config:  sdk.NewConfigDef().String("file", sdk.Required, "The file to append to.", sdk.Check(sdk.NonEmpty())),
		New:     func() sdk.Connector { return &connector{} },
	}
}

// connector gives every task the connector's config.
type connector struct{ cfg map[string]string }

func (c *connector) Start(_ context.Context, cfg map[string]string) error {
	c.cfg = cfg
	return nil
}

func (c *connector) TaskConfigs(int) ([]map[string]string, error) {
	return []map[string]string{c.cfg}, nil // one task: one file
}

func (c *connector) Stop(context.Context) error { return nil }

func (c *connector) NewSinkTask() sdk.SinkTask { return &task{} }

// task writes in Put and syncs in Flush, so the offsets Flush returns are
// on disk.
type task struct{ f *os.File }

func (t *task) Start(_ context.Context, cfg map[string]string) error {
	f, err := os.OpenFile(cfg["file"], os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return sdk.Fatal(fmt.Errorf("open %s: %w", cfg["file"], err))
	}
	t.f = f
	return nil
}

func (t *task) Open(context.Context, []sdk.TopicPartition) (sdk.Offsets, error) { return nil, nil }

func (t *task) Put(_ context.Context, batch []sdk.Record) error {
	var buf []byte
	for _, r := range batch {
		buf = fmt.Appendf(buf, "%s/%d/%d\t%v\n", r.Topic, r.Partition, r.Offset, r.Value)
	}
	if _, err := t.f.Write(buf); err != nil {
		return sdk.Retriable(fmt.Errorf("write %s: %w", t.f.Name(), err))
	}
	return nil
}

func (t *task) Flush(_ context.Context, offsets sdk.Offsets) (sdk.Offsets, error) {
	if err := t.f.Sync(); err != nil {
		return nil, sdk.Retriable(fmt.Errorf("sync %s: %w", t.f.Name(), err))
	}
	return offsets, nil
}

func (t *task) Close(context.Context, []sdk.TopicPartition) error { return nil }

func (t *task) Stop(context.Context) error {
	if t.f == nil {
		return nil
	}
	return t.f.Close()
}
