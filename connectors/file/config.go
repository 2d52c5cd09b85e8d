package file

import "github.com/freshet-dev/freshet/connectors/sdk"

// Config keys. "file", "topic" and "batch.size" are Kafka's.
const (
	keyFile        = "file"
	keyTopic       = "topic"
	keyBatchSize   = "batch.size"
	keyCoordinates = "freshet.file.include.coordinates"
)

// SinkConfig is the parsed config of the file sink.
type SinkConfig struct {
	// File is the path lines are appended to; "" means standard output.
	File string
	// IncludeCoordinates prefixes each line with "topic/partition/offset\t".
	IncludeCoordinates bool
	// Lineage writes each line as {"value":…,"_lineage":{…}} (see the
	// package doc).
	Lineage bool
}

// ParseSink parses and validates a file sink config. The error joins one
// *sdk.ConfigError per bad key.
func ParseSink(m map[string]string) (SinkConfig, error) {
	v, err := sinkDef().Parse(m)
	if err != nil {
		return SinkConfig{}, err
	}
	return SinkConfig{
		File:               v.String(keyFile),
		IncludeCoordinates: v.Bool(keyCoordinates),
		Lineage:            v.Bool(sdk.LineageEnableKey),
	}, nil
}

// SourceConfig is the parsed config of the file source.
type SourceConfig struct {
	// File is the path of the file to tail.
	File string
	// Topic is the topic every line is sent to.
	Topic string
	// BatchSize is the most records one Poll returns.
	BatchSize int
}

// ParseSource parses and validates a file source config. The error joins one
// *sdk.ConfigError per bad key.
func ParseSource(m map[string]string) (SourceConfig, error) {
	v, err := sourceDef().Parse(m)
	if err != nil {
		return SourceConfig{}, err
	}
	return SourceConfig{
		File:      v.String(keyFile),
		Topic:     v.String(keyTopic),
		BatchSize: v.Int(keyBatchSize),
	}, nil
}
