package sdk

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
)

// Kind says whether a plugin is a source or a sink connector.
type Kind string

// The plugin kinds, spelled as Kafka Connect's REST API spells them.
const (
	KindSource Kind = "source"
	KindSink   Kind = "sink"
)

// Plugin describes a connector: what GET /connector-plugins lists, and how to
// make one.
type Plugin struct {
	// Name is the short name users put in connector.class, e.g. "file-sink".
	Name string
	// Aliases are other accepted connector.class values, typically the Java
	// class names of the Kafka Connect connectors whose configs this one reads.
	Aliases []string
	Version string
	Kind    Kind
	// Doc is one paragraph for the generated reference.
	Doc string
	// Config declares every connector-specific config key. The runtime adds
	// Kafka Connect's common keys (name, tasks.max, topics, converters,
	// transforms, errors.*) itself.
	Config *ConfigDef
	// New returns a fresh connector; it must not do I/O.
	New func() Connector
}

// Connector is the part of a connector that runs once per connector: it
// validates and splits the config into task configs.
type Connector interface {
	// Start is called with the connector's config (secrets resolved).
	Start(ctx context.Context, cfg map[string]string) error
	// TaskConfigs returns at most maxTasks task configs.
	TaskConfigs(maxTasks int) ([]map[string]string, error)
	// Stop releases what Start acquired.
	Stop(ctx context.Context) error
}

// Validator is implemented by connectors that check more than their
// ConfigDef can express (combinations of keys, reachability). Errors are
// reported per key, keyed by config name.
type Validator interface {
	Validate(ctx context.Context, cfg map[string]string) map[string][]string
}

// SinkConnector is a Connector whose tasks write records to an external system.
type SinkConnector interface {
	Connector
	NewSinkTask() SinkTask
}

// SourceConnector is a Connector whose tasks read records from an external system.
type SourceConnector interface {
	Connector
	NewSourceTask() SourceTask
}

// SinkTask writes records to an external system. The runtime calls it from one
// goroutine at a time.
//
// Delivery contract: Put may buffer. Flush must make everything passed to Put
// durable (or report what is), because the runtime commits to Kafka only the
// offsets Flush returns. A sink that stores offsets atomically with its data
// returns them from Open, and the runtime resumes from there.
type SinkTask interface {
	// Start is called once with the task config (secrets resolved).
	Start(ctx context.Context, cfg map[string]string) error
	// Open is called when partitions are assigned. It returns the next offset to
	// read for partitions whose offsets the sink stores itself; partitions it
	// does not list resume from the consumer group's committed offset.
	Open(ctx context.Context, partitions []TopicPartition) (Offsets, error)
	// Put writes a batch. Records of one partition arrive in offset order.
	// It returns nil when every record was accepted, a *BatchError naming the
	// records that failed (each with a classified error), or another error
	// when the whole batch failed.
	Put(ctx context.Context, batch []Record) error
	// Flush makes the records put so far durable. offsets holds, per partition,
	// the next offset after the last record put. It returns the offsets that are
	// safe to commit: usually offsets itself, less for a sink that writes
	// asynchronously. Returning nil means offsets.
	Flush(ctx context.Context, offsets Offsets) (Offsets, error)
	// Close is called when partitions are revoked, after a final Flush.
	Close(ctx context.Context, partitions []TopicPartition) error
	// Stop is called once, last.
	Stop(ctx context.Context) error
}

// RecordBorrower is implemented by a sink task that keeps none of a record's
// memory once Put has returned (its topic, the strings and bytes of its key
// and value, nested ones too, and its headers): it copies what it needs, as
// an io.Writer must not retain the slice it writes, and keys no map by them. When
// the task runs isolated in a plugin process, its records then point into
// the memory the worker shares with the process instead of into a copy of
// every batch.
type RecordBorrower interface {
	BorrowsRecords()
}

// SourceTask reads records from an external system.
type SourceTask interface {
	// Start is called once with the task config and a reader of the positions
	// the runtime persisted for this connector.
	Start(ctx context.Context, cfg map[string]string, offsets OffsetReader) error
	// Poll returns the next records, blocking until some are available or ctx
	// is done. It may return an empty batch. Each record sets SourcePartition
	// and SourceOffset.
	Poll(ctx context.Context) ([]Record, error)
	// Commit tells the task that these positions, one per source partition,
	// are persisted: it may now forget anything up to them (acknowledge a
	// queue, advance a replication slot).
	Commit(ctx context.Context, positions []Position) error
	// Stop is called once, last.
	Stop(ctx context.Context) error
}

// Position is a source offset within a source partition.
type Position struct {
	Partition map[string]any
	Offset    map[string]any
}

// OffsetInt reads the field key of a persisted source offset as a
// non-negative integer, whatever number type the offset store decoded it to
// (float64 or json.Number from JSON, or an integer type). A field that is
// absent or null reads as 0.
func OffsetInt(offset map[string]any, key string) (int64, error) {
	var n int64
	v := offset[key]
	switch x := v.(type) {
	case nil:
		return 0, nil
	case int64:
		n = x
	case int:
		n = int64(x)
	case int32:
		n = int64(x)
	case uint64:
		if x > math.MaxInt64 {
			return 0, fmt.Errorf("offset field %s: %d is out of range", key, x)
		}
		n = int64(x)
	case float64:
		if x != math.Trunc(x) || x > math.MaxInt64 {
			return 0, fmt.Errorf("offset field %s: %v is not an integer", key, x)
		}
		n = int64(x)
	case json.Number:
		i, err := x.Int64()
		if err != nil {
			return 0, fmt.Errorf("offset field %s: %q is not an integer", key, x)
		}
		n = i
	default:
		return 0, fmt.Errorf("offset field %s has type %T, want an integer", key, v)
	}
	if n < 0 {
		return 0, fmt.Errorf("offset field %s: %d is negative", key, n)
	}
	return n, nil
}

// OffsetReader reads persisted source positions.
type OffsetReader interface {
	// Offset returns the persisted offset for a source partition, or nil.
	Offset(ctx context.Context, partition map[string]any) (map[string]any, error)
}

// Keys the runtime adds to every task config, so a task knows who it is
// (for lineage, offsets tables, logs) without the connector copying them.
const (
	TaskConfigConnectorName    = "freshet.connector.name"
	TaskConfigConnectorVersion = "freshet.connector.version"
	TaskConfigTaskID           = "freshet.task.id"
)
