package file

import (
	"context"
	"maps"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

const version = "0.1.0"

// sinkDef declares the file sink's keys: Kafka's FileStreamSinkConnector keys
// plus two of ours.
func sinkDef() *sdk.ConfigDef {
	return sdk.WithLineage(sdk.NewConfigDef().
		String(keyFile, nil, "Destination filename. If not specified, the standard output will be used",
			sdk.WithImportance(sdk.High)).
		Bool(keyCoordinates, false, "Prefix every line with the record's topic/partition/offset and a tab "+
			"(Freshet only; used to check per-partition order and duplicates)",
			sdk.WithImportance(sdk.Low)))
}

// sourceDef declares the file source's keys, those of Kafka's
// FileStreamSourceConnector; "file" is required here.
func sourceDef() *sdk.ConfigDef {
	return sdk.NewConfigDef().
		String(keyFile, sdk.Required, "Source filename. Freshet does not read standard input, so it is required",
			sdk.WithImportance(sdk.High), sdk.Check(sdk.NonEmpty())).
		String(keyTopic, sdk.Required, "The topic to publish data to",
			sdk.WithImportance(sdk.High), sdk.Check(sdk.NonEmpty())).
		Int(keyBatchSize, 2000, "The maximum number of records the Source task can read from file one time",
			sdk.WithImportance(sdk.Low), sdk.Check(sdk.AtLeast(1)))
}

// SinkPlugin returns the file sink, which appends record values to a file as
// lines (Kafka's FileStreamSinkConnector).
func SinkPlugin() sdk.Plugin {
	return sdk.Plugin{
		Name:    "file-sink",
		Aliases: []string{"FileStreamSink", "org.apache.kafka.connect.file.FileStreamSinkConnector"},
		Version: version,
		Kind:    sdk.KindSink,
		Doc: "Appends each record's value to a file (or standard output) as one line, " +
			"like Kafka Connect's FileStreamSinkConnector, whose config keys it reads. " +
			"Structs, maps and arrays are written as JSON. Flush fsyncs the file before offsets are committed.",
		Config: sinkDef(),
		New:    func() sdk.Connector { return &sinkConnector{} },
	}
}

// SourcePlugin returns the file source, which tails a file and emits each line
// as a record (Kafka's FileStreamSourceConnector).
func SourcePlugin() sdk.Plugin {
	return sdk.Plugin{
		Name:    "file-source",
		Aliases: []string{"FileStreamSource", "org.apache.kafka.connect.file.FileStreamSourceConnector"},
		Version: version,
		Kind:    sdk.KindSource,
		Doc: "Tails a file and sends each line to a topic as a string value, " +
			"like Kafka Connect's FileStreamSourceConnector, whose config keys and source offsets it uses. " +
			"Resumes from the persisted byte position after a restart. Runs one task.",
		Config: sourceDef(),
		New:    func() sdk.Connector { return &sourceConnector{} },
	}
}

type sinkConnector struct{ cfg map[string]string }

func (c *sinkConnector) Start(ctx context.Context, cfg map[string]string) error {
	if _, err := ParseSink(cfg); err != nil {
		return err
	}
	c.cfg = maps.Clone(cfg)
	return nil
}

// TaskConfigs gives every task the same config, as Kafka does: all tasks
// append to the same file.
func (c *sinkConnector) TaskConfigs(maxTasks int) ([]map[string]string, error) {
	return sdk.SameTaskConfigs(c.cfg, maxTasks), nil
}

func (c *sinkConnector) Stop(context.Context) error { return nil }

func (c *sinkConnector) NewSinkTask() sdk.SinkTask { return &sinkTask{} }

type sourceConnector struct{ cfg map[string]string }

func (c *sourceConnector) Start(ctx context.Context, cfg map[string]string) error {
	if _, err := ParseSource(cfg); err != nil {
		return err
	}
	c.cfg = maps.Clone(cfg)
	return nil
}

// TaskConfigs returns one config: only one reader of a file makes sense.
func (c *sourceConnector) TaskConfigs(int) ([]map[string]string, error) {
	return []map[string]string{maps.Clone(c.cfg)}, nil
}

func (c *sourceConnector) Stop(context.Context) error { return nil }

func (c *sourceConnector) NewSourceTask() sdk.SourceTask { return newSourceTask() }
